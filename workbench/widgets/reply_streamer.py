"""Feeds a streamed reply to the markdown renderer in batches and checkpoints it to disk."""

from __future__ import annotations

import asyncio
import time

from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

from workbench.session.model import Message
from workbench.session.transcript import Transcript
from workbench.textclean import StreamSanitizer

WRITE_INTERVAL_S = 0.08
"""How often streamed text is handed to the markdown renderer (batching keeps the UI fluid)."""
MAX_WRITE_CHARS = 1000
"""Most text rendered per write: a reply arriving at full speed would otherwise be mounted as
dozens of markdown blocks in one frame, freezing the UI for a quarter of a second (bench/)."""


class ReplyStreamer:
    """One reply on its way: sanitizes deltas, batches renders, checkpoints to the transcript."""

    def __init__(
        self,
        owner: Widget,
        reply: Message,
        markdown: Markdown,
        *,
        transcript: Transcript,
        checkpoint_interval_s: float,
    ) -> None:
        self.owner = owner
        self.reply = reply
        self.markdown = markdown
        self.transcript = transcript
        self.checkpoint_interval_s = checkpoint_interval_s
        self.stream: MarkdownStream | None = None
        """Created with the first text, so a request that fails at once leaves no task behind."""
        self.sanitizer = StreamSanitizer()
        self.parts: list[str] = []
        self.pending: list[str] = []
        self.checkpointed = 0
        self.checkpoint_failed = False
        self.last_write = 0.0
        self.last_checkpoint = time.monotonic()
        self._flusher = owner.set_interval(WRITE_INTERVAL_S, self._tick)

    @property
    def text(self) -> str:
        """All sanitized text received so far."""
        return "".join(self.parts)

    async def feed(self, chunk: str) -> None:
        """Take one delta from the model."""
        text = self.sanitizer.feed(chunk)
        if not text:
            return
        self.parts.append(text)
        self.pending.append(text)
        now = time.monotonic()
        if now - self.last_write >= WRITE_INTERVAL_S:
            await self._write()
        if now - self.last_checkpoint >= self.checkpoint_interval_s:
            self.checkpoint()

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
        # Text that arrived just before a pause would otherwise wait for the next delta,
        # both on screen and on disk.
        now = time.monotonic()
        if now - self.last_checkpoint >= self.checkpoint_interval_s:
            self.checkpoint()
        if self.pending and now - self.last_write >= WRITE_INTERVAL_S:
            await self._write()

    def checkpoint(self) -> None:
        """Append the text since the last checkpoint to the transcript (survives kill -9)."""
        self.last_checkpoint = time.monotonic()
        new = self.parts[self.checkpointed :]
        if not new or self.checkpoint_failed:
            return
        try:
            self.transcript.append_chunk(self.reply.id, "".join(new), model=self.reply.model)
        except OSError as error:
            self.checkpoint_failed = True
            self.owner.notify(
                f"Could not checkpoint the reply to {self.transcript.path}: "
                f"{error.strerror or error}. It is still on screen.",
                severity="error",
                timeout=15,
                markup=False,
            )
            return
        self.checkpointed = len(self.parts)

    def finish(self) -> str:
        """Stop taking text and return all of it (synchronous: nothing can interrupt it)."""
        self._flusher.stop()
        tail = self.sanitizer.flush()
        if tail:
            self.parts.append(tail)
            self.pending.append(tail)
        return self.text

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
                # this task (the user pressed Escape, the app is quitting) must go on.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
