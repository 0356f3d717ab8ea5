"""Files attached to a message with `@path`: loaded, summarized when large, and sent with it.

An attachment is stored in the message's record (path, size, tokens, text), so what was sent
can be sent again with later turns, retried, and read back after a restart. Files over the
threshold are summarized by the fast model first (the small-model tier's large-read rule).
Core module: never imports textual.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from workbench.project.attachments import (
    Attachment,
    attachment_text,
    find_references,
    load_attachment,
)
from workbench.project.background import in_daemon_thread
from workbench.project.files import ToolError, human_size, resolve_in_project
from workbench.session.model import AttachedFile

CHUNK_CHARS = 24_000
"""A large file is summarized in parts this long (about 6k tokens: fits a small model)."""

SUMMARY_PROMPT = (
    "Summarize this file for a developer who cannot see it and will write a task spec about "
    "the codebase. Say what it is for; list its main classes and functions with their "
    "signatures; note anything surprising. Be concise: at most 250 words. Answer in Markdown."
)

Summarizer = Callable[[str, str], Awaitable[str]]
"""(instructions, text) -> the fast model's answer."""


def pending_attachments(text: str) -> list[AttachedFile]:
    """One not-yet-loaded entry per `@path` in `text`."""
    return [AttachedFile(path=ref) for ref in find_references(text)]


def needs_summary(entry: AttachedFile, root: Path, over_bytes: int) -> bool:
    """Whether loading this pending entry will ask the fast model for a summary (a stat)."""
    if not entry.pending:
        return False
    try:
        return resolve_in_project(root, entry.path).stat().st_size > over_bytes
    except (ToolError, OSError):
        return False


def entry_of(att: Attachment) -> AttachedFile:
    """The record stored in the message for a loaded attachment."""
    summary = att.summary is not None
    return AttachedFile(
        path=att.path,
        size_bytes=att.size_bytes,
        tokens=att.tokens,
        text=att.summary if att.summary is not None else att.text,
        summary=summary,
    )


def as_attachment(entry: AttachedFile) -> Attachment | None:
    """The Attachment a stored entry stands for; None for a failed or pending one."""
    text = entry.text
    if text is None or entry.error is not None:
        return None
    return Attachment(
        path=entry.path,
        size_bytes=entry.size_bytes or len(text.encode()),
        tokens=entry.tokens,
        text="" if entry.summary else text,
        needs_summary=entry.summary,
        summary=text if entry.summary else None,
    )


def with_attachments(content: str, entries: list[AttachedFile] | None) -> str:
    """A user turn as the model gets it: the text, then each attached file."""
    parts = [content]
    for entry in entries or []:
        att = as_attachment(entry)
        if att is not None:
            parts.append(attachment_text(att))
    return "\n\n".join(parts)


def describe_entry(entry: AttachedFile) -> str:
    """ "📎 src/app.py · 1.2 KB · ~310 tokens" (or the summary, or the error) for the view."""
    if entry.error is not None:
        return f"✗ @{entry.path}: {entry.error}"
    if entry.text is None:
        return f"📎 {entry.path} · loading…"
    size = human_size(entry.size_bytes)
    if entry.summary:
        tokens = max(1, len(entry.text) // 4)
        return f"📎 {entry.path} · {size} · summarized by the fast model (~{tokens:,} tokens)"
    return f"📎 {entry.path} · {size} · ~{entry.tokens:,} tokens"


def chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """`text` cut into parts of about `size` characters, at line ends."""
    parts: list[str] = []
    current: list[str] = []
    length = 0
    for line in text.splitlines(keepends=True):
        if current and length + len(line) > size:
            parts.append("".join(current))
            current, length = [], 0
        current.append(line)
        length += len(line)
    if current:
        parts.append("".join(current))
    return parts or [""]


async def summarize(att: Attachment, ask: Summarizer) -> str:
    """The fast model's summary of a large file, part by part when it is too long for one go."""
    parts = chunks(att.text)
    if len(parts) == 1:
        return await ask(SUMMARY_PROMPT, attachment_text(att))
    summaries = []
    for number, part in enumerate(parts, 1):
        piece = Attachment(att.path, len(part.encode()), 0, part, False)
        header = f"This is part {number} of {len(parts)} of {att.path}. "
        answer = await ask(header + SUMMARY_PROMPT, attachment_text(piece))
        summaries.append(f"Part {number} of {len(parts)}:\n\n{answer.strip()}")
    return "\n\n".join(summaries)


async def load_entries(
    entries: list[AttachedFile],
    root: Path,
    *,
    summarize_over_bytes: int,
    ask: Summarizer,
    progress: Callable[[str], None] = lambda _text: None,
) -> list[AttachedFile]:
    """Load every pending entry (in a daemon thread), summarizing large files; errors recorded.

    Raises ProviderError when the fast model cannot summarize (the send then fails and can
    be retried); a file that cannot be attached is recorded as an error, not raised.
    """
    loaded: list[AttachedFile] = []
    for entry in entries:
        if not entry.pending:
            loaded.append(entry)
            continue
        path = entry.path
        try:
            att = await in_daemon_thread(
                load_attachment, root, path, summarize_over_bytes=summarize_over_bytes
            )
        except ToolError as error:
            loaded.append(AttachedFile(path=path, error=str(error).removeprefix(f"@{path}: ")))
            continue
        if att.needs_summary:
            progress(f"summarizing {att.path} ({human_size(att.size_bytes)}) with the fast model…")
            att.summary = await summarize(att, ask)
        loaded.append(entry_of(att))
    return loaded
