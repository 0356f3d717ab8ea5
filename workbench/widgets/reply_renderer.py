"""Renders a streamed reply's text in batches, so a fast model never floods the screen."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

from workbench.chat.large_text import PlainTail

if TYPE_CHECKING:
    from workbench.widgets.message_view import MessageView, PlainBody

WRITE_INTERVAL_S = 0.08
"""How often streamed text is handed to the markdown renderer (batching keeps the UI fluid)."""
MAX_WRITE_CHARS = 1000
"""Most text rendered per write: a reply arriving at full speed would otherwise be mounted as
dozens of markdown blocks in one frame, freezing the UI for a quarter of a second (bench/)."""
PLAIN_INTERVAL_S = 0.25
"""How often the plain tail of a huge reply is shown again (each time lays out its rows)."""


class ReplyRenderer:
    """Batches the text of one reply into its message view (the core saves it).

    The text goes to the view's Markdown widget until the reply grows too large to lay out
    (see workbench.chat.large_text); from then on the view shows it as a plain tail, updated
    at most every WRITE_INTERVAL_S whatever the size of the reply.
    """

    def __init__(self, owner: Widget, view: MessageView, *, shown: str = "") -> None:
        self.view = view
        self.markdown: Markdown | None = view.query(Markdown).first() if not view.plain else None
        self.stream: MarkdownStream | None = None
        """Created with the first text, so a request that fails at once leaves no task behind."""
        self.tail = PlainTail(shown)
        """Every character of the reply shown in this view, counted (cheaply) as it arrives."""
        self.plain: PlainBody | None = None
        """The plain body, once the reply is too large for markdown."""
        self.pending: list[str] = []
        self.last_write = 0.0
        self._flusher = owner.set_interval(WRITE_INTERVAL_S, self._tick)

    @property
    def interval(self) -> float:
        """The least time between two writes."""
        return WRITE_INTERVAL_S if self.plain is None else PLAIN_INTERVAL_S

    async def feed(self, text: str) -> None:
        """Take more (sanitized) text; render it now if the last write is old enough."""
        self.tail.add(text)
        if self.plain is None:
            self.pending.append(text)
        else:
            self.pending[:] = [""]  # the tail holds it; this only marks a repaint as due
        if time.monotonic() - self.last_write >= self.interval:
            await self._write()

    async def _write(self) -> None:
        if not self.pending:
            return
        self.last_write = time.monotonic()
        if self.plain is None and (self.tail.too_large or self.markdown is None):
            await self._go_plain()
        if self.plain is not None:
            self.pending.clear()
            self.plain.show(self.tail)
            return
        assert self.markdown is not None
        text = "".join(self.pending)
        fragment, rest = text[:MAX_WRITE_CHARS], text[MAX_WRITE_CHARS:]
        self.pending[:] = [rest] if rest else []
        if self.stream is None:
            self.stream = Markdown.get_stream(self.markdown)
        await self.stream.write(fragment)

    async def _go_plain(self) -> None:
        """The reply is too large for markdown: stop parsing it and show its plain tail."""
        await self._stop_stream()
        self.markdown = None
        self.plain = await self.view.show_plain(self.tail)

    async def _tick(self) -> None:
        # Text that arrived just before a pause would otherwise wait for the next delta.
        if self.pending and time.monotonic() - self.last_write >= self.interval:
            await self._write()

    async def close(self) -> None:
        """Render what is left, in steps, and stop the renderer."""
        self._flusher.stop()
        while self.pending:
            await self._write()
            if self.pending:
                await asyncio.sleep(WRITE_INTERVAL_S / 2)  # let the renderer take a step
        await self._stop_stream()

    async def _stop_stream(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            try:
                await stream.stop()
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
