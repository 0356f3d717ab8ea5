"""A whole session as one markdown document: spec, versions sent, both conversations.

The document reads on its own: specs and what the user typed are shown verbatim in fenced
blocks; replies are kept as markdown, their headings moved below the message's own heading.
Core module: never imports textual.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from workbench.project.explore import tool_call_text
from workbench.session.model import Message, is_spec
from workbench.session.store import Session
from workbench.spec.sections import split_lines
from workbench.spec.versions import VersionNotFoundError

_ROLE_NAMES = {"user": "You", "assistant": "Assistant", "error": "Error", "tool": "Tool"}
_HEADING_MARKS = re.compile(r"^( {0,3})(#{1,6})(?=\s|$)")


def _when(stamp: str) -> str:
    """An ISO 8601 UTC time as `2026-11-21 10:15 UTC` (as stored, so exports are stable)."""
    if match := re.match(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d)", stamp):
        utc = stamp.endswith(("+00:00", "Z"))
        return f"{match.group(1)} {match.group(2)}" + (" UTC" if utc else "")
    return stamp or "unknown time"


def _fenced(text: str, language: str = "") -> str:
    """`text` verbatim in a fenced block longer than any backtick run inside it."""
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{fence}{language}\n{body}{fence}"


def _demote_headings(markdown: str, by: int) -> str:
    """The markdown with its ATX headings `by` levels deeper (at most 6), code left alone."""
    lines = split_lines(markdown)
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type == "heading_open" and token.level == 0 and token.map:
            index = token.map[0]
            lines[index] = _HEADING_MARKS.sub(
                lambda m: m.group(1) + "#" * min(6, len(m.group(2)) + by), lines[index]
            )
    return "\n".join(lines)


def _message_heading(message: Message) -> str:
    """`### qwen2.5-coder:7b · 2026-11-21 10:15 UTC · 48 tokens · 1.2 s · interrupted`."""
    who = message.model if message.role == "assistant" and message.model else None
    parts = [who or _ROLE_NAMES[message.role]]
    if is_spec(message):
        parts[0] = "You sent the spec"
        if message.spec_version is not None:
            parts[0] += f" (version {message.spec_version})"
    if message.created:
        parts.append(_when(message.created))
    if message.role == "assistant" and message.output_tokens:
        parts.append(f"{message.output_tokens} tokens")
    if message.role == "assistant" and message.duration_s:
        parts.append(f"{message.duration_s:.1f} s")
    if message.status != "done":
        parts.append(message.status)
    if message.role == "error" and message.error_kind:
        parts.append(message.error_kind)
    if message.role == "tool":
        parts[0] = f"Tool {tool_call_text(message)}"
    return "### " + " · ".join(parts)


def _message(message: Message, sent_versions: dict[int, str]) -> list[str]:
    block = [_message_heading(message), ""]
    if is_spec(message) and sent_versions.get(message.spec_version or 0) == message.content:
        block.append(f"The spec as version {message.spec_version}, shown under Versions sent.")
    elif message.role == "user":
        block.append(_fenced(message.content))  # what the user typed, exactly
    elif message.role == "error":
        block += [f"> {line}" if line else ">" for line in split_lines(message.content)]
    elif message.role == "tool":
        block.append(_fenced(message.content))  # what the tool returned: data, not markdown
    else:
        block.append(_demote_headings(message.content, 3).strip("\n") or "*(no text)*")
    if message.note:
        block += ["", f"*{message.note}*"]
    return [*block, ""]


def _transcript(title: str, messages: list[Message], sent: dict[int, str]) -> list[str]:
    out = [f"## {title} ({len(messages)} messages)", ""]
    if not messages:
        out += ["*No messages.*", ""]
    for message in messages:
        out += _message(message, sent)
    return out


def _versions(session: Session, implement: list[Message]) -> tuple[list[str], dict[int, str]]:
    """The "Versions sent" section, and each version's text by number."""
    out = ["## Versions sent", ""]
    texts: dict[int, str] = {}
    numbers = session.versions.numbers()
    if not numbers:
        out += ["*The spec has not been sent yet.*", ""]
    for number in numbers:
        try:
            texts[number] = session.versions.read(number)
        except VersionNotFoundError:  # removed while exporting
            continue
        sends = [m for m in implement if is_spec(m) and m.spec_version == number]
        replies = [m for m in implement if m.role == "assistant" and m.spec_version == number]
        models = list(dict.fromkeys(m.model for m in replies if m.model))
        line = f"### Version {number}"
        if sends:
            line += f" · sent {_when(sends[0].created)}"
        line += f" · answered by {', '.join(models)}" if models else " · no reply recorded"
        out += [line, "", _fenced(texts[number], "markdown"), ""]
    return out, texts


def export_session(session: Session) -> str:
    """The session as one self-contained markdown document."""
    explore, _ = session.explore.load()
    implement, _ = session.implement.load()
    meta = session.meta
    out = [
        f"# {meta.title}",
        "",
        f"- Session: `{meta.id}`",
        f"- Project: `{meta.project_dir}`",
    ]
    if meta.spec_path:
        out.append(f"- Spec file: `{meta.spec_path}`")
    out += [f"- Created: {_when(meta.created)}", f"- Updated: {_when(meta.updated)}", ""]
    out += ["## Spec (current)", "", _fenced(session.read_spec(), "markdown"), ""]
    versions, sent = _versions(session, implement)
    out += versions
    out += _transcript("Explore", explore, sent)
    out += _transcript("Implement", implement, sent)
    return "\n".join(out).rstrip("\n") + "\n"
