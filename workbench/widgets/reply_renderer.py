"""Renders a streamed reply's text in batches, so a fast model never floods the screen."""

from __future__ import annotations

import asyncio
import time

from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

WRITE_INTERVAL_S = 0.08
"""How often streamed text is handed to the markdown renderer (batching keeps the UI fluid)."""
MAX_WRITE_CHARS = 1000
"""Most text rendered per write: a reply arriving at full speed would otherwise be mounted as
dozens of markdown blocks in one frame, freezing the UI for a quarter of a second (bench/)."""


class ReplyRenderer:
    """Batches the text of one reply into its Markdown widget (the core saves it)."""

    def __init__(self, owner: Widget, markdown: Markdown) -> None:
        self.markdown = markdown
        self.stream: MarkdownStream | None = None
        """Created with the first text, so a request that fails at once leaves no task behind."""
        self.pending: list[str] = []
        self.last_write = 0.0
        self._flusher = owner.set_interval(WRITE_INTERVAL_S, self._tick)

    async def feed(self, text: str) -> None:
        """Take more (sanitized) text; render it now if the last write is old enough."""
        self.pending.append(text)
        if time.monotonic() - self.last_write >= WRITE_INTERVAL_S:
            await self._write()

    async def _write(self) -> None:
        if self.pending:
            text = "".join(self.pending)
            fragment, rest = text[:MAX_WRITE_CHARS], text[MAX_WRITE_CHARS:]
            self.pending[:] = [rest] if rest else []
            self.last_write = time.monotonic()
            if self.stream is None:
                self.stream = Markdown.get_stream(self.markdown)
            await self.stream.write(fragment)

    async def _tick(self) -> None:
        # Text that arrived just before a pause would otherwise wait for the next delta.
        if self.pending and time.monotonic() - self.last_write >= WRITE_INTERVAL_S:
            await self._write()

    async def close(self) -> None:
        """Render what is left, in steps, and stop the renderer."""
        self._flusher.stop()
        while self.pending:
            await self._write()
            if self.pending:
                await asyncio.sleep(WRITE_INTERVAL_S / 2)  # let the renderer take a step
        if self.stream is not None:
            try:
                await self.stream.stop()
            except asyncio.CancelledError:
                # The renderer's task can be cancelled before it ever ran; only a cancel of
                # this task (the app is quitting) must go on.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise

    def discard(self) -> None:
        """Stop without rendering the rest (the view is going away)."""
        self._flusher.stop()
        self.pending.clear()
