"""A chat pane (Explore or Implement): the transcript, streaming replies, and the input."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import TextArea
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from workbench.config import ModelRef, models_for_pane
from workbench.project.attach import load_entries, pending_attachments
from workbench.project.compress import (
    COMPRESS_PROMPT,
    context_budget,
    conversation_text,
    covered_upto,
    history_tokens,
    to_compress,
)
from workbench.project.explore import ProjectAccess
from workbench.providers.base import ChatMessage, ErrorKind, ProviderError, TextDelta, Usage
from workbench.providers.chain import Attempt, Consent, Switched, stream_chain
from workbench.providers.fallback import fallback_chain
from workbench.providers.router import ProviderRouter
from workbench.providers.tool_loop import ToolStep
from workbench.session.model import Message, Pane
from workbench.session.transcript import Transcript, new_id, now_iso
from workbench.textclean import sanitize
from workbench.widgets.attachment_preview import AttachmentPreview
from workbench.widgets.chat_input import ChatInput
from workbench.widgets.file_completion import CompletionDriver, FileCompletion, ProjectFiles
from workbench.widgets.message_list import (
    PAGE_SIZE,
    EarlierMessages,
    MessageList,
    build_history,
)
from workbench.widgets.message_view import MessageView
from workbench.widgets.reply_streamer import ReplyStreamer


def _joined(*notes: str | None) -> str:
    return " ".join(note for note in notes if note)


class ChatPane(Vertical):
    """One chat with a tier's model: Enter sends, replies stream in, Escape stops them."""

    BINDINGS = [
        Binding(
            "escape",
            "cancel",
            "Stop reply",
            tooltip="Stop the reply, keep what arrived",
            id="chat.stop",
        ),
    ]

    class ModelChanged(TextualMessage):
        """The pane's model was switched."""

        def __init__(self, pane: ChatPane, model: ModelRef) -> None:
            super().__init__()
            self.pane = pane
            self.model = model

    class ReplyFinished(TextualMessage):
        """A reply ended (done, stopped or failed) and is saved."""

        def __init__(self, pane: ChatPane, reply: Message) -> None:
            super().__init__()
            self.pane = pane
            self.reply = reply

    def __init__(
        self,
        pane: Pane,
        *,
        label: str,
        transcript: Transcript,
        model: ModelRef,
        router: ProviderRouter,
        checkpoint_interval_s: float = 0.5,
        draft: str = "",
        project_root: Path | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="pane chat-pane")
        self.pane: Pane = pane
        self.label = label
        self.transcript = transcript
        self.model = model
        self.router = router
        self.project_root = project_root
        """The project the session is about: `@path` attachments and tools are confined to it."""
        self.project_access: ProjectAccess | None = (
            ProjectAccess(router, router.settings, project_root)
            if project_root is not None and pane == "explore"
            else None
        )
        """The Explore pane's read-only tools over the project."""
        self.tools_on = router.settings.project.tools
        """The session's tools switch (ctrl+e)."""
        self.consent: Consent | None = None
        """Asks before a local model's prompt falls back to Claude; None never sends it."""
        self.checkpoint_interval_s = checkpoint_interval_s
        self.messages: list[Message] = []
        """Everything in the transcript, in order (the views mirror it)."""
        self.load_warnings: list[str] = []
        self.draft = draft
        """Text left in the input when the session was last closed."""
        self.promoted_ids: set[str] = set()
        """Ids of messages whose text is in the spec (set by the screen)."""
        self._first_mounted = 0
        """Index in `messages` of the oldest message with a view."""
        self._stream_worker: Worker[None] | None = None
        self._streaming = False
        self._cancel_reason: str | None = None

    def compose(self) -> ComposeResult:
        yield MessageList(id=f"{self.pane}-messages")
        placeholder = (
            "Ask the fast model about the code…  (Enter sends, ctrl+j new line, @ attaches a file)"
            if self.pane == "explore"
            else "Follow up on the implementation…  (ctrl+r sends the spec)"
        )
        completion = FileCompletion(id=f"{self.pane}-completion")
        yield completion
        chat_input = ChatInput(placeholder=placeholder, id=f"{self.pane}-input")
        chat_input.above = self._last_view
        if self.project_root is not None:
            files = ProjectFiles(self.project_root)
            chat_input.completer = CompletionDriver(chat_input, completion, files)
        yield chat_input
        if self.project_root is not None:
            over = int(self.router.settings.project.summarize_over_kb * 1024)
            yield AttachmentPreview(
                self.project_root, summarize_over_bytes=over, id=f"{self.pane}-attachments"
            )

    def _last_view(self) -> MessageView | None:
        views = self.views()
        return views[-1] if views else None

    async def on_mount(self) -> None:
        self.update_title()
        messages, warnings = self.transcript.load()
        self.messages = messages
        self.load_warnings = warnings
        message_list = self.query_one(MessageList)
        self._first_mounted = max(0, len(messages) - PAGE_SIZE)
        if self._first_mounted:
            earlier = EarlierMessages(id=f"{self.pane}-earlier")
            earlier.set_count(self._first_mounted)
            await message_list.mount(earlier)
        await message_list.mount_all([self._view(m) for m in messages[self._first_mounted :]])
        if self.draft:
            self.input.text = self.draft
            self.input.move_cursor(self.input.document.end)
        # Show the end of the conversation once it is laid out, and keep following it.
        self.call_after_refresh(message_list.anchor)
        self._preload_sdk_soon()
        if self.project_access is not None:
            self.set_timer(1.0, self.check_tool_support)  # after the first frame

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

    @property
    def system_prompt(self) -> str:
        """The system prompt sent with the pane's model (its tier's, else the pane's)."""
        return self.router.settings.system_prompt_for(self.model, self.pane)

    async def _cloud_consent(self, model: ModelRef, attempts: tuple[Attempt, ...]) -> bool:
        return self.consent is not None and await self.consent(model, attempts)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "Stop reply" is offered (and shown in the footer) only while a reply arrives.
        if action == "cancel":
            return self.is_streaming
        return True

    def update_title(self) -> None:
        """Show the pane's label, model and tier in its border."""
        badge = {"fast": "fast", "quality": "quality", "cloud": "cloud"}.get(self.model.tier, "")
        title = f"{self.label} · {self.model.name} ({badge})"
        if self.project_access is not None:
            support = self.project_access.known_support(self.model)
            if not self.tools_on:
                title += " · tools off"
            elif support is False:
                title += " · no tool support"
            else:
                title += " · tools"
        self.border_title = Content(title)
        # Text, not a class: a class change would restyle every message in the pane.
        self.border_subtitle = "streaming… esc stops" if self.is_streaming else ""
        self.refresh_bindings()

    def set_model(self, model: ModelRef) -> None:
        """Switch the model that answers the next message."""
        self.model = model
        self.update_title()
        self.post_message(self.ModelChanged(self, model))
        self._preload_sdk_soon()
        self.check_tool_support()

    @work(group="tool-support", exclusive=True, exit_on_error=False)
    async def check_tool_support(self) -> None:
        """Ask the server whether the model can call tools, and show it in the title."""
        if self.project_access is not None and self.tools_on:
            await self.project_access.supports_tools(self.model)
            self.update_title()

    def _preload_sdk_soon(self) -> None:
        """Import the Anthropic SDK in a thread ahead of the first send (it takes ~2 s)."""
        if self.model.provider == "anthropic":
            self.set_timer(1.0, self._preload_sdk)

    @work(thread=True, group="preload", exclusive=True, exit_on_error=False)
    def _preload_sdk(self) -> None:
        from workbench.providers.anthropic import AnthropicProvider

        AnthropicProvider.preload()

    def _view(self, message: Message) -> MessageView:
        view = self._new_view(message)
        if message.role == "assistant" and self._follows_tools(message):
            view.add_class("-after-tools")
        if message.kind != "summary" and self._is_covered(message):
            view.compressed, view.expanded = True, False
        return view

    def _follows_tools(self, message: Message) -> bool:
        index = next((i for i, m in enumerate(self.messages) if m is message), 0)
        return index > 0 and self.messages[index - 1].role == "tool"

    def _is_covered(self, message: Message) -> bool:
        upto = covered_upto(self.messages)
        return any(m is message for m in self.messages[:upto])

    def _new_view(self, message: Message) -> MessageView:
        return MessageView(
            message,
            self.pane,
            promoted=message.id in self.promoted_ids,
            retry_of=self._prompt_of(message) if message.role == "error" else None,
        )

    def _prompt_of(self, notice: Message) -> Message | None:
        """The user turn a problem notice reports on (the last one before it)."""
        index = next((i for i, m in enumerate(self.messages) if m is notice), len(self.messages))
        before = (m for m in reversed(self.messages[:index]) if m.role != "error")
        prompt = next(before, None)
        return prompt if prompt is not None and prompt.role == "user" else None

    @on(EarlierMessages.ShowMore)
    async def show_earlier(self, event: EarlierMessages.ShowMore | None = None) -> None:
        """Mount the previous page of messages above the ones shown."""
        if event is not None:
            event.stop()
        if not self._first_mounted:
            return
        start = max(0, self._first_mounted - PAGE_SIZE)
        page = [self._view(m) for m in self.messages[start : self._first_mounted]]
        earlier = self.query_one(EarlierMessages)
        await self.message_list.mount_all(page, after=earlier)
        self._first_mounted = start
        if start:
            earlier.set_count(start)
        else:
            if earlier.has_focus:
                page[0].focus()
            await earlier.remove()

    async def reveal(self, message_id: str) -> MessageView | None:
        """The view of a message, showing earlier pages until it is mounted; None if unknown."""
        if not any(m.id == message_id for m in self.messages):
            return None
        while True:
            for view in self.views():
                if view.message.id == message_id:
                    return view
            if not self._first_mounted:
                return None
            await self.show_earlier()

    def views(self) -> list[MessageView]:
        """The message widgets, in order."""
        return list(self.query(MessageView))

    # -- sending ---------------------------------------------------------------------------

    @on(TextArea.Changed)
    def _input_changed(self, event: TextArea.Changed) -> None:
        if isinstance(event.text_area, ChatInput):
            for preview in self.query(AttachmentPreview):
                preview.show_for(event.text_area.text)

    @on(ChatInput.Submitted)
    async def _submitted(self, event: ChatInput.Submitted) -> None:
        event.stop()
        if self.is_streaming:
            self.notify("A reply is still arriving: Escape stops it.", severity="warning")
            return
        if await self.send(event.text):
            event.chat_input.clear()

    async def send(
        self,
        text: str,
        *,
        kind: str | None = None,
        spec_version: int | None = None,
        note: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> bool:
        """Add a user turn (saved first) and stream the reply; False if it could not be saved.

        `attachments` are files loaded already (the spec's); otherwise the `@path` files of a
        typed message are attached.
        """
        message = Message(
            id=new_id(),
            role="user",
            content=text,
            created=now_iso(),
            kind=kind,
            spec_version=spec_version,
            note=note,
            attachments=attachments or self._pending_attachments(text, kind),
        )
        if not self._persist(message):
            return False  # the text stays in the input (or the spec): nothing is lost
        await self._show(message)
        self.message_list.anchor()
        self._start_reply(message)
        return True

    def _start_reply(self, prompt: Message) -> None:
        self._streaming = True
        self._cancel_reason = None
        self._stream_worker = self._stream_reply(prompt)
        self.update_title()

    def _pending_attachments(self, text: str, kind: str | None) -> list[dict[str, Any]] | None:
        """The `@path` files of a typed message (not of a spec sent whole, nor a critique)."""
        if self.project_root is None or kind is not None:
            return None
        return pending_attachments(text) or None

    async def _history_for(self, prompt: Message) -> list[ChatMessage]:
        """Load the prompt's attachments (summarizing large ones), then the turns to send."""
        if prompt.attachments and self.project_root is not None:
            settings = self.router.settings

            def progress(text: str) -> None:
                self.border_subtitle = text

            prompt.attachments = await load_entries(
                prompt.attachments,
                self.project_root,
                summarize_over_bytes=int(settings.project.summarize_over_kb * 1024),
                ask=self.ask_fast_model,
                progress=progress,
            )
            self._persist(prompt)
            self._refresh_views()
            self.update_title()
        index = next(i for i, m in enumerate(self.messages) if m is prompt)
        history = build_history(self.messages[: index + 1], self.pane)
        if self.pane == "explore" and await self._compress(prompt, history):
            index = next(i for i, m in enumerate(self.messages) if m is prompt)
            history = build_history(self.messages[: index + 1], self.pane)
        return history

    async def _compress(self, prompt: Message, history: list[ChatMessage]) -> bool:
        """Summarize older turns when the request nears the window; True if it did."""
        settings = self.router.settings
        budget = context_budget(settings, self.model)
        if history_tokens(self.system_prompt, history) <= settings.project.compress_at * budget:
            return False
        index = next(i for i, m in enumerate(self.messages) if m is prompt)
        older = to_compress(self.messages, index)
        if not older:
            return False
        self.border_subtitle = f"summarizing {len(older)} older messages with the fast model…"
        previous = [m for m in self.messages[:index] if m.kind == "summary" and m.covers]
        text = conversation_text(older, previous[-1].content if previous else None)
        summary = Message(
            id=new_id(),
            role="assistant",
            content=await self.ask_fast_model(COMPRESS_PROMPT, text),
            model=self.model.name,
            created=now_iso(),
            kind="summary",
            covers=older[-1].id,
            note=f"Stands for the {len(older)} messages above it in what is sent to the model.",
        )
        self.messages.insert(index, summary)
        self._persist(summary)
        prompt_view = next((v for v in self.views() if v.message is prompt), None)
        await self.message_list.mount(self._view(summary), before=prompt_view)
        covered = {m.id for m in older}
        for view in self.views():
            if view.message.id in covered:
                view.set_compressed(True)
        return True

    async def ask_fast_model(self, instructions: str, text: str) -> str:
        """A one-off answer from the fast tier (small-model chores); never leaves the machine."""
        settings = self.router.settings
        fast = models_for_pane(settings, "explore")
        model = self.model if self.pane == "explore" else fast[0]

        async def no_cloud(_model: ModelRef, _attempts: tuple[Attempt, ...]) -> bool:
            return False

        answer: list[str] = []
        async for event in stream_chain(
            self.router,
            fallback_chain(settings, model),
            [ChatMessage("user", f"{instructions}\n\n{text}")],
            system_for=lambda _ref: None,
            options_for=settings.options_for,
            consent=no_cloud,
        ):
            if isinstance(event, TextDelta):
                answer.append(event.text)
        return sanitize("".join(answer))

    def _persist(self, message: Message) -> bool:
        """Append a finished message to the transcript; on a disk error say so and return False."""
        try:
            self.transcript.append(message)
        except OSError as error:
            self.notify(
                f"Could not write {self.transcript.path}: {error.strerror or error}. "
                "The message is not saved; free some space or fix the permissions.",
                title="Not saved",
                severity="error",
                timeout=15,
                markup=False,
            )
            return False
        return True

    async def _show(self, message: Message) -> MessageView:
        """Record a message in memory and mount its view."""
        self.messages.append(message)
        view = self._view(message)
        await self.message_list.mount(view)
        return view

    def action_cancel(self, reason: str = "Stopped by you") -> None:
        """Stop the reply that is arriving; what arrived so far is kept, marked interrupted."""
        worker = self._stream_worker
        if worker is not None and not worker.is_finished and self._cancel_reason is None:
            self._cancel_reason = reason
            worker.cancel()

    async def stop_streaming(self, reason: str = "Stopped when workbench closed") -> None:
        """Cancel a running reply and wait until what arrived is saved (quit, session switch)."""
        worker = self._stream_worker
        if worker is not None and not worker.is_finished:
            self.action_cancel(reason)
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()

    @work(exclusive=True, group="stream", exit_on_error=False)
    async def _stream_reply(self, prompt: Message) -> None:
        model = self.model
        reply = Message(
            id=new_id(),
            role="assistant",
            content="",
            model=model.name,
            status="streaming",
            created=now_iso(),
            spec_version=self._answered_version(),
        )
        view = MessageView(reply, self.pane)
        await self.message_list.mount(view)
        streamer = ReplyStreamer(
            self,
            reply,
            view.markdown,
            transcript=self.transcript,
            checkpoint_interval_s=self.checkpoint_interval_s,
        )
        error: ProviderError | None = None
        settings = self.router.settings
        try:
            history = await self._history_for(prompt)

            def system_for(ref: ModelRef) -> str:
                return settings.system_prompt_for(ref, self.pane)

            def without_tools(ref: ModelRef) -> None:
                reply.note = _joined(
                    reply.note, f"{ref.name} cannot call tools: it saw only attached files."
                )
                self.update_title()

            access = self.project_access if self.tools_enabled else None
            events = stream_chain(
                self.router,
                fallback_chain(settings, model),
                history,
                system_for=system_for,
                options_for=settings.options_for,
                consent=self._cloud_consent,
                open_stream=access.opener(
                    history, system_for=system_for, without_tools=without_tools
                )
                if access is not None
                else None,
            )
            async for event in events:
                if isinstance(event, TextDelta):
                    await streamer.feed(event.text)
                elif isinstance(event, ToolStep):
                    await self._show_tool_step(event, before=view)
                elif isinstance(event, Usage):
                    reply.model = sanitize(event.model) if event.model else reply.model
                    reply.input_tokens = event.input_tokens
                    reply.output_tokens = event.output_tokens
                    reply.duration_s = round(event.duration_s, 2)
                elif isinstance(event, Switched):
                    reply.model, reply.fallback_from = event.model.name, model.name
                    reply.note = f"Fallback: {event.summary}."
                    view.refresh_state()
            reply.status = "done"
        except ProviderError as failure:
            error = ProviderError(failure.kind, sanitize(failure.message))
            reply.status = "interrupted"
            reply.note = _joined(reply.note, "Cut short: the part that arrived is kept.")
        except asyncio.CancelledError:
            reply.status = "interrupted"
            reason = self._cancel_reason or "Stopped"
            reply.note = _joined(reply.note, f"{reason}: the part that arrived is kept.")
            self._keep(reply, streamer)
            with contextlib.suppress(Exception):
                await self._show_result(reply, view, streamer, None)
            raise
        except Exception as failure:  # a bug or an unexpected client error: say it, keep the text
            error = ProviderError(ErrorKind.OTHER, sanitize(f"Unexpected error: {failure!r}"))
            reply.status = "interrupted"
            reply.note = _joined(reply.note, "Cut short: the part that arrived is kept.")
        self._keep(reply, streamer)
        await self._show_result(reply, view, streamer, error)

    async def _show_tool_step(self, step: ToolStep, *, before: MessageView) -> None:
        """Save a tool call and its result, and show it (collapsed) above the reply."""
        message = Message(
            id=new_id(),
            role="tool",
            content=sanitize(step.result),
            created=now_iso(),
            tool_name=sanitize(step.call.name),
            tool_args=sanitize(json.dumps(step.call.arguments, ensure_ascii=False)),
        )
        self.messages.append(message)
        self._persist(message)
        await self.message_list.mount(self._view(message), before=before)
        before.add_class("-after-tools")

    @property
    def tools_enabled(self) -> bool:
        """True when this pane's model may read the project through tools."""
        return self.project_access is not None and self.tools_on

    def _answered_version(self) -> int | None:
        """The spec version the next reply answers: that of the last spec sent (Implement)."""
        sent = [m for m in self.messages if m.kind == "spec"]
        return sent[-1].spec_version if sent else None

    def _keep(self, reply: Message, streamer: ReplyStreamer) -> None:
        """Save the finished reply at once, before anything else can be awaited or cancelled."""
        reply.content = streamer.finish()
        self._streaming = False
        if not reply.content and reply.status != "done":
            # Nothing came back: mark the prompt now, before anything else can be awaited,
            # so a quit or a crash right after still leaves it retryable.
            self._mark_failed(self._no_reply_note())
        if reply.content or reply.status == "done":
            self.messages.append(reply)
            if not self._persist(reply):
                reply.note = (reply.note or "") + " Not saved to disk (see the error)."

    async def _show_result(
        self,
        reply: Message,
        view: MessageView,
        streamer: ReplyStreamer,
        error: ProviderError | None,
    ) -> None:
        """Finish rendering the reply, then show what went wrong (if anything)."""
        await streamer.close()
        if reply.content or reply.status == "done":
            view.refresh_state()
        else:
            await view.remove()
            if reply.status == "interrupted" and error is None:
                self.notify("Stopped before any reply arrived: r on your message sends it again.")
        if error is not None:
            await self._show_error(error, had_reply=bool(reply.content))
        self.update_title()
        self.post_message(self.ReplyFinished(self, reply))

    async def _show_error(self, error: ProviderError, *, had_reply: bool) -> None:
        """Add a problem notice; when nothing came back, the prompt is marked failed, to retry."""
        hint = ""
        prompt = next((m for m in reversed(self.messages) if m.role != "error"), None)
        if not had_reply and prompt is not None and prompt.status == "failed":
            hint = (
                "\n\nYour message is kept above: press r on it or here to send it again, "
                "now or after a restart."
            )
        message = Message(
            id=new_id(),
            role="error",
            content=error.message + hint,
            created=now_iso(),
            error_kind=error.kind.value,
        )
        self._persist(message)
        await self._show(message)

    def _no_reply_note(self) -> str | None:
        """Why a prompt got no reply when it was stopped rather than failed."""
        return "Stopped before any reply arrived." if self._cancel_reason else None

    def _mark_failed(self, note: str | None = None) -> bool:
        """Mark the prompt just sent as failed (saved, so it can be retried after a restart)."""
        prompt = next((m for m in reversed(self.messages) if m.role != "error"), None)
        if prompt is None or prompt.role != "user":
            return False
        prompt.status, prompt.note = "failed", note
        self._persist(prompt)  # the same id again: the newer line wins when the file is read
        for view in self.views():
            if view.message is prompt:
                view.refresh_state()
        return True

    @on(MessageView.RetryRequested)
    async def _retry_requested(self, event: MessageView.RetryRequested) -> None:
        event.stop()
        prompt = event.view.retry_target
        if prompt is not None:
            await self.retry(prompt)

    async def retry(self, prompt: Message) -> bool:
        """Send a failed prompt again: in place when nothing came after it, else as a new turn."""
        if self.is_streaming:
            self.notify("A reply is still arriving: Escape stops it.", severity="warning")
            return False
        index = next(i for i, m in enumerate(self.messages) if m is prompt)
        if any(m.role != "error" for m in self.messages[index + 1 :]):
            sent = await self.send(
                prompt.content,
                kind=prompt.kind,
                spec_version=prompt.spec_version,
                attachments=prompt.attachments,
            )
            if sent:  # only now: a copy that could not be saved leaves the prompt retryable
                prompt.status, prompt.note = "retried", None
                self._persist(prompt)
                self._refresh_views()
            return sent
        prompt.status, prompt.note = "done", None
        if not self._persist(prompt):
            prompt.status = "failed"
            return False
        self._refresh_views()
        self.message_list.anchor()
        self._start_reply(prompt)
        return True

    def _refresh_views(self) -> None:
        for view in self.views():
            view.refresh_state()

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
        elif self._first_mounted:
            self.query_one(EarlierMessages).focus()

    def focus_input(self) -> None:
        """Put the cursor in the pane's input."""
        self.input.focus()
