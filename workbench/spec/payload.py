"""What the slow model will receive, reviewed before the send: parts, sizes, time, cost, warnings.

The payload is the system prompt, then one user turn: the spec exactly as written, with any
attached files appended as fenced blocks. The exploration transcript is never part of it.
Core module: never imports textual.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath

from markdown_it import MarkdownIt

from workbench.config import ModelSettings
from workbench.providers.base import ChatMessage
from workbench.spec.acceptance import acceptance_items, acceptance_section
from workbench.spec.sections import Section, find_context_section, parse_sections, split_lines

SYSTEM_PART = "System prompt"
SPEC_PART = "Spec"
ATTACHED_PREFIX = "Attached: "
TYPICAL_REPLY_TOKENS = 1500
"""A guess at an Implement reply's length (a few whole files) when nothing better is known."""


def estimate_tokens(text: str) -> int:
    """Roughly how many tokens `text` is: ~4 ASCII characters per token, other characters more.

    BPE tokenizers such as qwen2.5's and Claude's average about 4 characters per token on
    English prose and source code; characters beyond ASCII (accents, CJK, emoji) take one token
    or more each, counted here as 0.75. Good to about ±25% for qwen and Claude models, which is
    enough to compare a payload with a context window; never use it for billing.
    """
    if not text:
        return 0
    # Counted in C, not character by character: a 2 MB attachment took 0.13 s the slow way.
    other = 0 if text.isascii() else len(text) - len(text.encode("ascii", "ignore"))
    return math.ceil((len(text) - other) / 4 + other * 0.75)


@dataclass(frozen=True)
class PayloadPart:
    """One named piece of the payload, shown with its size in the send review."""

    name: str
    """"System prompt", "Spec" or "Attached: <path>"."""
    text: str
    """Exactly the text sent for this part."""

    @functools.cached_property
    def tokens(self) -> int:
        """Estimated tokens of this part (see `estimate_tokens`); counted once."""
        return estimate_tokens(self.text)


@dataclass
class Payload:
    """Everything one send gives the model, in parts."""

    model: str
    """The model that will receive it."""
    parts: list[PayloadPart]

    @property
    def total_tokens(self) -> int:
        """Estimated tokens of the whole payload."""
        return sum(part.tokens for part in self.parts)

    def messages(self) -> tuple[str | None, list[ChatMessage]]:
        """(system prompt, turns) exactly as the provider receives them."""
        system = next((p.text for p in self.parts if p.name == SYSTEM_PART), "") or None
        spec = next((p.text for p in self.parts if p.name == SPEC_PART), "")
        attached = [p.text for p in self.parts if p.name.startswith(ATTACHED_PREFIX)]
        # Joined as the Implement pane joins a turn and its files (project.attach).
        return system, [ChatMessage("user", "\n\n".join([spec, *attached]))]


def attachment_block(path: str, text: str) -> str:
    """A file as sent: its path on a line of its own, then its text in a fenced block."""
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)  # longer than any backtick run inside
    language = PurePath(path).suffix.lstrip(".")
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{path}\n{fence}{language if language.isalnum() else ''}\n{body}{fence}\n"


def build_payload(
    model: str, system_prompt: str, spec: str, attachments: list[tuple[str, str]] | None = None
) -> Payload:
    """The payload for `model`: system prompt, the spec as written, then the attached files.

    `attachments` are (path, text as sent): see `project.attachments.attachment_text`.
    """
    parts = [PayloadPart(SYSTEM_PART, system_prompt), PayloadPart(SPEC_PART, spec)]
    parts += [PayloadPart(ATTACHED_PREFIX + p, text) for p, text in attachments or []]
    return Payload(model, parts)


@dataclass(frozen=True)
class ReadinessWarning:
    """Something in a spec the user may want to fix before sending; never a block."""

    code: str
    """empty_what_i_want, no_context, no_acceptance, placeholders, too_large, transcript_pasted,
    or answerer (a fallback model, not the one chosen, will answer)."""
    message: str
    """One short sentence for the user: what is wrong and what to do."""


# Sections that say what to build: "What I want", "Requirements", "## Task", and the
# bugfix and refactor templates' "Expected" and "Target shape".
_WANT_WORDS = ("what i want", "requirement", "task", "goal", "expected", "target")
_TITLE_HEADING = re.compile(r"^\s*task\s*:\s*\S", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_INLINE_CODE = re.compile(r"(`+)[^`].*?\1")
_PLACEHOLDER = re.compile(r"(?<![\w<])<(\.\.\.|…|[A-Za-z][^<>\n]{1,60})>")
_HTML_TAG = re.compile(
    r"(?:a|abbr|b|br|code|dd|del|details|div|dl|dt|em|hr|i|img|ins|kbd|li|mark|ol|p|pre|s|"
    r"samp|small|span|strong|sub|summary|sup|table|tbody|td|th|thead|tr|u|ul|var)",
    re.IGNORECASE,
)
_QUOTE_PREFIX = re.compile(r"^\s*(?:>\s?)*")
PASTED_MIN_CHARS = 200
"""Explore messages at least this long count when looking for a pasted transcript."""


def _has_content(lines: list[str], sections: list[Section], section: Section) -> bool:
    """Whether a section has any text besides sub-headings and HTML comments."""
    headings = {s.line for s in sections}
    body = "\n".join(
        lines[i] for i in range(section.line + 1, section.end_line) if i not in headings
    )
    return bool(_COMMENT.sub("", body).strip())


def _want_warning(lines: list[str], sections: list[Section]) -> ReadinessWarning | None:
    wants = [
        s
        for s in sections
        if any(word in s.title.lower() for word in _WANT_WORDS)
        and not (s.level == 1 and _TITLE_HEADING.match(s.title))  # "# Task: <title>" is a title
    ]
    if not wants:
        return ReadinessWarning(
            "empty_what_i_want",
            'The spec has no "What I want" section: add one that says what the model should do.',
        )
    empty = next((s for s in wants if not _has_content(lines, sections, s)), None)
    if empty is None:
        return None
    return ReadinessWarning(
        "empty_what_i_want", f'"{empty.title}" is empty: say what the model should do.'
    )


def _context_warning(lines: list[str], sections: list[Section]) -> ReadinessWarning | None:
    contexts = [s for s in sections if find_context_section([s]) is not None]
    if any(_has_content(lines, sections, s) for s in contexts):
        return None
    return ReadinessWarning(
        "no_context",
        "No context: the model sees only this spec. Promote what exploration found (p in "
        'Explore) or write it under "## Context".',
    )


def _acceptance_warning(spec: str, sections: list[Section]) -> ReadinessWarning | None:
    if acceptance_items(spec):
        return None
    where = (
        f'under "{found.title}"'
        if (found := acceptance_section(sections)) is not None
        else 'under a "## Acceptance" heading'
    )
    return ReadinessWarning(
        "no_acceptance",
        f"No acceptance items: list what must be true when it is done, one item per line "
        f'{where} (e.g. "- `pytest -q` passes"), so the result can be checked item by item.',
    )


def find_placeholders(spec: str) -> list[str]:
    """Template placeholders such as `<title>` left in the spec, outside code and quotes."""
    lines = split_lines(spec)
    for token in MarkdownIt("commonmark").parse(spec):
        if token.type in ("fence", "code_block", "blockquote_open") and token.map:
            for index in range(*token.map):
                lines[index] = ""
    text = _INLINE_CODE.sub("", _COMMENT.sub("", "\n".join(lines)))
    found: list[str] = []
    for match in _PLACEHOLDER.finditer(text):
        inner = match.group(1)
        words = inner.split()
        if "://" in inner or "@" in inner or "=" in inner or '"' in inner:
            continue  # an autolink, an e-mail address, an HTML tag with attributes
        if len(words) == 1 and _HTML_TAG.fullmatch(words[0]):
            continue
        if match.group(0) not in found:
            found.append(match.group(0))
    return found


def _normalize(text: str) -> str:
    """Text with quote marks, indentation and blank lines dropped, to spot pasted passages."""
    stripped = (_QUOTE_PREFIX.sub("", line).strip() for line in split_lines(text))
    return "\n".join(line for line in stripped if line)


def _pasted_warning(spec: str, explore_texts: list[str]) -> ReadinessWarning | None:
    long = [_normalize(t) for t in explore_texts if len(t.strip()) >= PASTED_MIN_CHARS]
    whole = _normalize(spec)
    pasted = sum(1 for text in long if text and text in whole)
    # Promoting a note or two is the workflow; three or more whole replies (most of them, or
    # more than three) is the transcript pasted in.
    if pasted < 3 or (pasted * 2 <= len(long) and pasted <= 3):
        return None
    return ReadinessWarning(
        "transcript_pasted",
        f"{pasted} of the {len(long)} long Explore messages are pasted whole into the spec: "
        "keep only the findings the model needs.",
    )


def readiness_checks(
    spec: str,
    payload: Payload,
    *,
    context_window: int | None,
    explore_texts: list[str],
    reads: int | None = None,
) -> list[ReadinessWarning]:
    """Warnings about the spec and payload before a send, in the order they should be shown.

    `reads`: the tokens an Ollama model is given (its `num_ctx`), when fewer than its window.
    """
    lines, sections = split_lines(spec), parse_sections(spec)
    warnings = [
        _want_warning(lines, sections),
        _context_warning(lines, sections),
        _acceptance_warning(spec, sections),
    ]
    if placeholders := find_placeholders(spec):
        shown = ", ".join(placeholders[:5]) + (", ..." if len(placeholders) > 5 else "")
        warnings.append(
            ReadinessWarning(
                "placeholders", f"Template placeholders left: {shown}. Fill them in or delete them."
            )
        )
    if (
        reads is not None
        and payload.total_tokens > reads
        and payload.total_tokens <= (context_window or payload.total_tokens)
    ):
        warnings.append(
            ReadinessWarning(
                "too_large",
                f"The payload (~{payload.total_tokens:,} tokens) is more than the {reads:,} "
                f"tokens {payload.model} reads (num_ctx): Ollama would drop the start of it, "
                "or the reply comes back empty. Set num_ctx for the tier or the model in the "
                "config, or attach less.",
            )
        )
    elif context_window is not None and payload.total_tokens > context_window:
        warnings.append(
            ReadinessWarning(
                "too_large",
                f"The payload (~{payload.total_tokens:,} tokens) is larger than {payload.model}'s "
                f"context window ({context_window:,} tokens): shorten the spec or attach less.",
            )
        )
    warnings.append(_pasted_warning(spec, explore_texts))
    return [warning for warning in warnings if warning is not None]


def estimate_seconds(output_tokens_guess: int, tok_per_s: float | None) -> float | None:
    """How long a reply of that many tokens takes at the measured speed; None if unknown."""
    if not tok_per_s or tok_per_s <= 0:
        return None
    return output_tokens_guess / tok_per_s


def estimate_cost(
    model: str, input_tokens: int, output_tokens: int, prices: Mapping[str, ModelSettings]
) -> float | None:
    """USD for one reply at the configured prices (e.g. `settings.models`); None if unpriced."""
    info = prices.get(model)
    if info is None or info.input_price_per_mtok is None or info.output_price_per_mtok is None:
        return None
    return (
        input_tokens * info.input_price_per_mtok + output_tokens * info.output_price_per_mtok
    ) / (1_000_000)
