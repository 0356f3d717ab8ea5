"""Files attached to a message or spec with `@path`: finding the references, loading, rendering.

A small file goes to the model whole; one over the caller's threshold is flagged
`needs_summary`, and the caller asks the fast model for a summary and stores it on the
attachment before rendering. Core module: never imports textual.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

from workbench.project.files import ToolError, Wording, confine, human_size, read_text
from workbench.spec.payload import attachment_block, estimate_tokens
from workbench.spec.sections import split_lines

MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024
"""Files larger than this are refused: even a summary of one would miss most of it."""
_REFERENCE = re.compile(r"(?<!\S)@([\w./~][^\s`]*)")
"""`@` at the start or after whitespace, then a token that starts like a path."""
_TRAILING = ".,;:!?)]}'\""
_INLINE_CODE = re.compile(r"(`+)[^`].*?\1")


FOR_ATTACHING = Wording(
    missing="there is no such file in the project",
    directory="it is a directory: attach the files in it one by one",
    too_large="too large to attach ({size}; the limit is {limit}); paste the part that matters",
    binary="a binary file, not text",
    unreadable="cannot be read ({error})",
    special="it is {kind}, not a regular file: it was not read",
)
"""The wording a person reads after `@path: `."""


class AttachmentError(ToolError):
    """An `@path` that cannot be attached: missing, a directory, a pipe, binary or too large."""


@dataclass
class Attachment:
    """One attached project file, loaded and sized."""

    path: str
    """POSIX path relative to the project root."""
    size_bytes: int
    tokens: int
    """Estimated tokens of the whole file's text (see `estimate_tokens`)."""
    text: str
    """The file's text."""
    needs_summary: bool
    """True when the file is over the threshold: the caller should fill in `summary`."""
    summary: str | None = None
    """The fast model's summary, sent instead of `text` when set."""


@functools.cache
def _parser() -> MarkdownIt:
    """One parser for every call: `find_references` runs as the user types."""
    return MarkdownIt("commonmark")


def _prose_lines(text: str) -> list[str]:
    """`text`'s lines with fenced and indented code blocks and `>` quotes blanked out."""
    lines = split_lines(text)
    for token in _parser().parse(text):
        if token.type in ("fence", "code_block", "blockquote_open") and token.map:
            for index in range(*token.map):
                lines[index] = ""
    return lines


def find_references(text: str) -> list[str]:
    """The `@path` references in a message or spec, in order, without duplicates.

    A reference is an `@` at the start of a line or after whitespace followed by a path-like
    token; trailing punctuation (`.,;:!?)` ...) is dropped. References in code blocks, inline
    code and `>` quoted lines are ignored.
    """
    found: dict[str, None] = {}
    for line in _prose_lines(text):
        for match in _REFERENCE.finditer(_INLINE_CODE.sub("", line)):
            reference = match.group(1).rstrip(_TRAILING)
            if reference:
                found.setdefault(reference)
    return list(found)


def load_attachment(
    root: str | os.PathLike[str], ref: str, *, summarize_over_bytes: int
) -> Attachment:
    """The project file `ref` (relative to `root`, or absolute inside it) as an Attachment.

    Raises OutsideProject for a path that leaves the project and AttachmentError for a missing
    file, a directory, a named pipe, socket or device (never opened: a pipe would block), a
    binary file or one over MAX_ATTACHMENT_BYTES.
    """
    real, rel = confine(root, ref)
    try:
        text = read_text(real, ref, max_bytes=MAX_ATTACHMENT_BYTES, wording=FOR_ATTACHING)
    except ToolError as error:
        raise AttachmentError(f"@{ref}: {error}") from None
    size = len(text.encode("utf-8"))
    return Attachment(
        path=rel,
        size_bytes=size,
        tokens=estimate_tokens(text),
        text=text,
        needs_summary=size > summarize_over_bytes,
    )


def attachment_text(att: Attachment) -> str:
    """What a model receives for `att`: a header with path and size, then a fenced block.

    The block holds the summary when there is one ("summary of a N KB file" in the header),
    else the whole text, fenced with the extension's language tag (see `attachment_block`).
    """
    if att.summary is not None:
        header = f"{att.path} (summary of a {human_size(att.size_bytes)} file)"
        block = attachment_block("summary.md", att.summary)
    else:
        header = f"{att.path} ({human_size(att.size_bytes)})"
        block = attachment_block(att.path, att.text)
    # attachment_block starts with the name on a line of its own: put the header there.
    return header + "\n" + block.split("\n", 1)[1]
