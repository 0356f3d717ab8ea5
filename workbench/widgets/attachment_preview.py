"""The line under a chat input listing the files its `@path`s will attach, before sending."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.content import Content
from textual.widgets import Static

from workbench.project.attach import describe_entry, entry_of
from workbench.project.attachments import find_references, load_attachment
from workbench.project.files import ToolError, human_size
from workbench.session.model import AttachedFile


def preview_line(root: Path, ref: str, summarize_over_bytes: int) -> str:
    """The line the message will show for `@ref` (the same words and token count), or why not."""
    try:
        att = load_attachment(root, ref, summarize_over_bytes=summarize_over_bytes)
    except ToolError as error:
        return describe_entry(AttachedFile(path=ref, error=str(error).removeprefix(f"@{ref}: ")))
    if att.needs_summary:
        return f"📎 {att.path} · {human_size(att.size_bytes)} · the fast model will summarize it"
    return describe_entry(entry_of(att))


class AttachmentPreview(Static):
    """Shows what each `@path` in the input will attach (size, token estimate) as you type."""

    DEFAULT_CSS = """
    AttachmentPreview {
        display: none;
        height: auto;
        max-height: 6;
        padding: 0 1;
        color: $text-muted;
        &.-shown { display: block; }
    }
    """

    def __init__(self, root: Path, *, summarize_over_bytes: int, id: str | None = None):
        super().__init__(id=id)
        self.root = root
        self.summarize_over_bytes = summarize_over_bytes
        self._shown: list[str] = []

    def show_for(self, text: str) -> None:
        """Update the list for the input's text (the files are looked at in a thread)."""
        refs = find_references(text) if "@" in text else []
        if refs and not text[-1:].isspace() and text.rstrip().endswith("@" + refs[-1]):
            refs = refs[:-1]  # still being typed (the completion list is helping with it)
        if refs == self._shown:
            return
        self._shown = refs
        if not refs:
            self.remove_class("-shown")
            return

        async def look() -> None:
            lines = await asyncio.to_thread(
                lambda: [preview_line(self.root, r, self.summarize_over_bytes) for r in refs]
            )
            if refs == self._shown:
                self.update(Content("\n".join(lines)))
                self.add_class("-shown")

        self.run_worker(
            look,  # type: ignore[arg-type]
            group="preview",
            exclusive=True,
            exit_on_error=False,
        )
