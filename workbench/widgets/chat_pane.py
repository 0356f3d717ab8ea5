"""A chat pane (Explore or Implement): the transcript, streaming replies, and the input."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream
from textual.worker import Worker

from workbench.config import ModelRef
from workbench.providers.base import ChatMessage, ErrorKind, ProviderError, TextDelta, Usage
from workbench.providers.router import ProviderRouter
from workbench.session.model import Message, Pane
from workbench.session.transcript import Transcript, new_id
from workbench.textclean import StreamSanitizer
from workbench.widgets.chat_input import ChatInput
from workbench.widgets.message_view import MessageView

WRITE_INTERVAL_S = 0.08
"""How often streamed text is handed to the markdown renderer (batching keeps the UI fluid)."""


def now_iso() -> str:
    """The current time, ISO 8601 UTC."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def build_history(messages: list[Message], pane: Pane) -> list[ChatMessage]:
    """The turns to send: answered user turns and replies; Implement starts at the last spec."""
    if pane == "implement":
        starts = [i for i, m in enumerate(messages) if m.kind == "spec"]
        messages = messages[starts[-1] :] if starts else messages
    history: list[ChatMessage] = []
    for index, message in enumerate(messages):
        if message.role == "assistant" and message.content:
            history.append(ChatMessage("assistant", message.content))
        elif message.role == "user":
            following = messages[index + 1] if index + 1 < len(messages) else None
            if following is not None and following.role == "error":
                continue  # never answered: the user re-sends it
            history.append(ChatMessage("user", message.content))
    return history


class MessageList(VerticalScroll, can_focus=False):
    """The scrolling list of messages; it follows the end unless the user scrolls up."""

    DEFAULT_CSS = """
    MessageList { height: 1fr; padding: 0 0 0 0; scrollbar-size-vertical: 1; }
    """


class ChatPane(Vertical):
    """One chat with a tier's model: Enter sends, replies stream in, Escape stops them."""

    BINDINGS = [
        Binding("escape", "cancel", "Stop reply", tooltip="Stop the reply, keep what arrived"),
    ]

    class ModelChanged(TextualMessage):
        """The pane's model was switched."""

        def __init__(self, pane: ChatPane, model: ModelRef) -> None:
            super().__init__()
            self.pane = pane
            self.model = model

    def __init__(
        self,
        pane: Pane,
        *,
        label: str,
        transcript: Transcript,
        model: ModelRef,
        router: ProviderRouter,
        system_prompt: str,
        checkpoint_interval_s: float = 0.5,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="pane chat-pane")
        self.pane: Pane = pane
        self.label = label
        self.transcript = transcript
        self.model = model
        self.router = router
        self.system_prompt = system_prompt
        self.checkpoint_interval_s = checkpoint_interval_s
        self.messages: list[Message] = []
        """Everything in the transcript, in order (the views mirror it)."""
        self.load_warnings: list[str] = []
        self._stream_worker: Worker[None] | None = None
        self._streaming = False

    def compose(self) -> ComposeResult:
        yield MessageList(id=f"{self.pane}-messages")
        placeholder = (
            "Ask the fast model about the code…  (Enter sends, ctrl+j new line)"
            if self.pane == "explore"
            else "Follow up on the implementation…  (ctrl+r sends the spec)"
        )
        chat_input = ChatInput(placeholder=placeholder, id=f"{self.pane}-input")
        chat_input.above = self._last_view
        yield chat_input

    def _last_view(self) -> MessageView | None:
        views = self.views()
        return views[-1] if views else None

    async def on_mount(self) -> None:
        self.update_title()
        messages, warnings = self.transcript.load()
        self.messages = messages
        self.load_warnings = warnings
        message_list = self.query_one(MessageList)
        await message_list.mount_all([MessageView(m, self.pane) for m in messages])
        message_list.anchor()
        self._preload_sdk_soon()

    # -- state ---------------------------------------------------------------------------

    @property
    def input(self) -> ChatInput:
        """The pane's input box."""
        return self.query_one(ChatInput)

    @property
    def message_list(self) -> MessageList:
        """The scrolling transcript."""
        return self.query_one(MessageList)

    @property
    def is_streaming(self) -> bool:
        """True while a reply is arriving."""
        return self._streaming

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "Stop reply" is offered (and shown in the footer) only while a reply arrives.
        if action == "cancel":
            return self.is_streaming
        return True

    def update_title(self) -> None:
        """Show the pane's label, model and tier in its border."""
        badge = {"fast": "fast", "quality": "quality", "cloud": "cloud"}.get(self.model.tier, "")
        self.border_title = Content(f"{self.label} · {self.model.name} ({badge})")
        self.set_class(self.is_streaming, "-streaming")
        self.refresh_bindings()

    def set_model(self, model: ModelRef) -> None:
        """Switch the model that answers the next message."""
        self.model = model
        self.update_title()
        self.post_message(self.ModelChanged(self, model))
        self._preload_sdk_soon()

    def _preload_sdk_soon(self) -> None:
        """Import the Anthropic SDK in a thread ahead of the first send (it takes ~2 s)."""
        if self.model.provider == "anthropic":
            self.set_timer(1.0, self._preload_sdk)

    @work(thread=True, group="preload", exclusive=True, exit_on_error=False)
    def _preload_sdk(self) -> None:
        from workbench.providers.anthropic import AnthropicProvider

        AnthropicProvider.preload()

    def views(self) -> list[MessageView]:
        """The message widgets, in order."""
        return list(self.query(MessageView))

    # -- sending ---------------------------------------------------------------------------

    @on(ChatInput.Submitted)
    async def _submitted(self, event: ChatInput.Submitted) -> None:
        event.stop()
        if self.is_streaming:
            self.notify("A reply is still arriving: Escape stops it.", severity="warning")
            return
        text = event.text
        event.chat_input.clear()
        await self.send(text)

    async def send(self, text: str, *, kind: str | None = None) -> None:
        """Add a user turn (persisted at once) and stream the model's reply to it."""
        message = Message(id=new_id(), role="user", content=text, created=now_iso(), kind=kind)
        await self._add(message)
        self.message_list.anchor()
        self._streaming = True
        self._stream_worker = self._stream_reply(build_history(self.messages, self.pane))
        self.update_title()

    async def _add(self, message: Message) -> MessageView:
        self.messages.append(message)
        self.transcript.append(message)
        view = MessageView(message, self.pane)
        await self.message_list.mount(view)
        return view

    def action_cancel(self) -> None:
        """Stop the reply that is arriving; what arrived so far is kept, marked interrupted."""
        if self._stream_worker is not None and not self._stream_worker.is_finished:
            self._stream_worker.cancel()

    async def stop_streaming(self) -> None:
        """Cancel a running reply and wait until it is saved (used on quit)."""
        worker = self._stream_worker
        if worker is not None and not worker.is_finished:
            worker.cancel()
            await worker.wait()

    @work(exclusive=True, group="stream", exit_on_error=False)
    async def _stream_reply(self, history: list[ChatMessage]) -> None:
        model = self.model
        reply = Message(
            id=new_id(),
            role="assistant",
            content="",
            model=model.name,
            status="streaming",
            created=now_iso(),
        )
        view = MessageView(reply, self.pane)
        await self.message_list.mount(view)
        streamer = _ReplyStreamer(self, reply, view.markdown)
        error: ProviderError | None = None
        try:
            provider = self.router.get(model.provider)
            async for event in provider.stream_chat(model.name, history, system=self.system_prompt):
                if isinstance(event, TextDelta):
                    await streamer.feed(event.text)
                elif isinstance(event, Usage):
                    reply.model = event.model or model.name
                    reply.input_tokens = event.input_tokens
                    reply.output_tokens = event.output_tokens
                    reply.duration_s = round(event.duration_s, 2)
            reply.status = "done"
        except ProviderError as failure:
            error = failure
            reply.status = "interrupted"
            reply.note = "Cut short: the part that arrived is kept."
        except asyncio.CancelledError:
            reply.status = "interrupted"
            reply.note = "Stopped by you: the part that arrived is kept."
            await self._finish(reply, view, streamer, None)
            raise
        except Exception as failure:  # a bug or an unexpected client error: say it, keep the text
            error = ProviderError(ErrorKind.OTHER, f"Unexpected error: {failure!r}")
            reply.status = "interrupted"
            reply.note = "Cut short: the part that arrived is kept."
        await self._finish(reply, view, streamer, error)

    async def _finish(
        self,
        reply: Message,
        view: MessageView,
        streamer: _ReplyStreamer,
        error: ProviderError | None,
    ) -> None:
        """Flush and persist the reply, then show what went wrong (if anything)."""
        await streamer.close()
        reply.content = streamer.text
        self._streaming = False
        if reply.content or reply.status == "done":
            self.messages.append(reply)
            self.transcript.append(reply)
            view.refresh_state()
        else:
            await view.remove()
            if reply.status == "interrupted" and error is None:
                self.notify("Stopped before any reply arrived.")
        if error is not None:
            await self._show_error(error, had_reply=bool(reply.content))
        self.update_title()

    async def _show_error(self, error: ProviderError, *, had_reply: bool) -> None:
        """Add an error message; when nothing came back, put the question back in the input."""
        hint = ""
        last_user = next((m for m in reversed(self.messages) if m.role == "user"), None)
        if not had_reply and last_user is not None and last_user.kind != "spec":
            if not self.input.text.strip():
                self.input.text = last_user.content
                self.input.move_cursor(self.input.document.end)
                hint = "\n\nYour message is back in the input: press Enter to send it again."
        elif not had_reply and last_user is not None:
            hint = "\n\nThe spec is unchanged: press ctrl+r to send it again."
        message = Message(
            id=new_id(),
            role="error",
            content=error.message + hint,
            created=now_iso(),
            error_kind=error.kind.value,
        )
        await self._add(message)

    @on(Worker.StateChanged)
    def _worker_finished(self, event: Worker.StateChanged) -> None:
        # A safety net: a reply that ended without reaching _finish must not look alive.
        if event.worker is self._stream_worker and event.worker.is_finished and self._streaming:
            self._streaming = False
            self.update_title()

    # -- navigation ------------------------------------------------------------------------

    @on(MessageView.Navigate)
    def _navigate(self, event: MessageView.Navigate) -> None:
        event.stop()
        views = self.views()
        if event.step == 0 or event.view not in views:
            self.input.focus()
            return
        index = views.index(event.view) + event.step
        if index >= len(views):
            self.input.focus()
        elif index >= 0:
            views[index].focus()

    def focus_input(self) -> None:
        """Put the cursor in the pane's input."""
        self.input.focus()


class _ReplyStreamer:
    """Feeds streamed text to the markdown renderer in batches and checkpoints it to disk."""

    def __init__(self, pane: ChatPane, reply: Message, markdown: Markdown) -> None:
        self.pane = pane
        self.reply = reply
        self.markdown = markdown
        self.stream: MarkdownStream | None = None
        """Created with the first text, so a request that fails at once leaves no task behind."""
        self.sanitizer = StreamSanitizer()
        self.parts: list[str] = []
        self.pending: list[str] = []
        self.checkpointed = 0
        self.last_write = 0.0
        self.last_checkpoint = time.monotonic()
        self._flusher = pane.set_interval(WRITE_INTERVAL_S, self._flush_pending)

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
        if now - self.last_checkpoint >= self.pane.checkpoint_interval_s:
            self.checkpoint()

    async def _write(self) -> None:
        if self.pending:
            fragment = "".join(self.pending)
            self.pending.clear()
            self.last_write = time.monotonic()
            if self.stream is None:
                self.stream = Markdown.get_stream(self.markdown)
            await self.stream.write(fragment)

    async def _flush_pending(self) -> None:
        # Text that arrived just after a write would otherwise wait for the next delta.
        if self.pending and time.monotonic() - self.last_write >= WRITE_INTERVAL_S:
            await self._write()

    def checkpoint(self) -> None:
        """Append the text since the last checkpoint to the transcript (survives kill -9)."""
        new = self.parts[self.checkpointed :]
        if new:
            self.pane.transcript.append_chunk(self.reply.id, "".join(new), model=self.reply.model)
            self.checkpointed = len(self.parts)
        self.last_checkpoint = time.monotonic()

    async def close(self) -> None:
        """Write what is left and stop the renderer."""
        self._flusher.stop()
        tail = self.sanitizer.flush()
        if tail:
            self.parts.append(tail)
            self.pending.append(tail)
        await self._write()
        if self.stream is not None:
            try:
                await self.stream.stop()
            except asyncio.CancelledError:
                # The renderer's task can be cancelled before it ever ran; only a cancel of
                # this task (the user pressed Escape, the app is quitting) must go on.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
