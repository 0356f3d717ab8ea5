"""A chat pane (Explore or Implement): the transcript, streaming replies, and the input."""

from __future__ import annotations

import contextlib
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
from workbench.project.explore import ProjectAccess
from workbench.providers.chain import Consent, ask_once
from workbench.providers.router import ProviderRouter
from workbench.session.model import Message, Pane
from workbench.session.transcript import Transcript, new_id, now_iso
from workbench.widgets import failed_prompts, pane_views
from workbench.widgets.attachment_preview import AttachmentPreview
from workbench.widgets.chat_input import ChatInput
from workbench.widgets.file_completion import CompletionDriver, FileCompletion, ProjectFiles
from workbench.widgets.message_list import EarlierMessages, MessageList
from workbench.widgets.message_view import MessageView
from workbench.widgets.reply_turn import stream_reply
from workbench.widgets.turn_prep import typed_attachments


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
        project_files: ProjectFiles | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="pane chat-pane")
        self.pane: Pane = pane
        self.label = label
        self.transcript = transcript
        self.model = model
        self.router = router
        self.project_root = project_root
        self.project_files = project_files or (
            ProjectFiles(project_root) if project_root is not None else None
        )
        """Where the `@` completion gets the project's files (shared by the panes)."""
        """The project the session is about: `@path` attachments and tools are confined to it."""
        self.project_access: ProjectAccess | None = (
            ProjectAccess(router, router.settings, project_root)
            if project_root is not None and pane == "explore"
            else None
        )
        """The Explore pane's read-only tools over the project."""
        self.tools_on = router.settings.project.tools
        """The session's tools switch (F8)."""
        self.attachment_preview: AttachmentPreview | None = None
        """The line under the input listing what its `@path`s will attach."""
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
        self.first_mounted = 0
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
            assert self.project_files is not None
            chat_input.completer = CompletionDriver(chat_input, completion, self.project_files)
        yield chat_input
        if self.project_root is not None:
            over = int(self.router.settings.project.summarize_over_kb * 1024)
            self.attachment_preview = AttachmentPreview(
                self.project_root, summarize_over_bytes=over, id=f"{self.pane}-attachments"
            )
            yield self.attachment_preview

    def _last_view(self) -> MessageView | None:
        views = self.views()
        return views[-1] if views else None

    async def on_mount(self) -> None:
        self.update_title()
        messages, warnings = self.transcript.load()
        self.messages = messages
        self.load_warnings = warnings
        await pane_views.mount_last_page(self)
        if self.draft:
            self.input.text = self.draft
            self.input.move_cursor(self.input.document.end)
        # Show the end of the conversation once it is laid out, and keep following it.
        self.call_after_refresh(self.message_list.anchor)
        self._preload_sdk_soon()
        if self.project_access is not None:
            # Soon after mounting: the check imports the ollama client (in a thread), which
            # should be done before the first send.
            self.set_timer(0.1, self.check_tool_support)

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
    def cancel_reason(self) -> str | None:
        """Why the arriving reply is being stopped (Escape, a quit); None while it runs on."""
        return self._cancel_reason

    @property
    def system_prompt(self) -> str:
        """The system prompt sent with the pane's model (its tier's, else the pane's)."""
        return self.router.settings.system_prompt_for(self.model, self.pane)

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

    @on(EarlierMessages.ShowMore)
    async def show_earlier(self, event: EarlierMessages.ShowMore | None = None) -> None:
        """Mount the previous page of messages above the ones shown."""
        if event is not None:
            event.stop()
        await pane_views.show_earlier(self)

    async def reveal(self, message_id: str) -> MessageView | None:
        """The view of a message, showing earlier pages until it is mounted; None if unknown."""
        return await pane_views.reveal(self, message_id)

    def views(self) -> list[MessageView]:
        """The message widgets, in order."""
        # The list's own children: a full query would walk every markdown block of every reply.
        return list(self.message_list.query_children(MessageView))

    # -- sending ---------------------------------------------------------------------------

    @on(TextArea.Changed)
    def _input_changed(self, event: TextArea.Changed) -> None:
        if isinstance(event.text_area, ChatInput) and self.attachment_preview is not None:
            self.attachment_preview.show_for(event.text_area.text)

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
            attachments=attachments or typed_attachments(self, text, kind),
        )
        if not self.persist(message):
            return False  # the text stays in the input (or the spec): nothing is lost
        await self.show_message(message)
        self.message_list.anchor()
        self.start_reply(message)
        return True

    def start_reply(self, prompt: Message) -> None:
        """Stream the reply to a saved prompt, in the worker that Escape cancels."""
        self._streaming = True
        self._cancel_reason = None
        self._stream_worker = self._stream_reply(prompt)
        self.update_title()

    async def ask_fast_model(self, instructions: str, text: str) -> str:
        """A one-off answer from the fast tier (small-model chores); never leaves the machine."""
        fast = models_for_pane(self.router.settings, "explore")
        model = self.model if self.pane == "explore" else fast[0]
        return await ask_once(self.router, model, instructions, text)

    def persist(self, message: Message) -> bool:
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

    async def show_message(self, message: Message) -> MessageView:
        """Record a message in memory and mount its view."""
        self.messages.append(message)
        view = pane_views.view_for(self, message)
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
        await stream_reply(self, prompt)

    def reply_ended(self) -> None:
        """Note that the reply stopped arriving (as it is saved, before anything is awaited)."""
        self._streaming = False

    @property
    def tools_enabled(self) -> bool:
        """True when this pane's model may read the project through tools."""
        return self.project_access is not None and self.tools_on

    @on(MessageView.RetryRequested)
    async def _retry_requested(self, event: MessageView.RetryRequested) -> None:
        event.stop()
        prompt = event.view.retry_target
        if prompt is not None:
            await self.retry(prompt)

    async def retry(self, prompt: Message) -> bool:
        """Send a failed prompt again: in place when nothing came after it, else as a new turn."""
        return await failed_prompts.retry(self, prompt)

    def refresh_views(self, *messages: Message) -> None:
        """Redraw the state line of these messages and of the notices about them (or of all)."""
        wanted = {m.id for m in messages}
        for view in self.views():
            about = view.retry_of.id if view.retry_of is not None else None
            if wanted and view.message.id not in wanted and about not in wanted:
                continue
            view.refresh_state()

    @on(Worker.StateChanged)
    def _worker_finished(self, event: Worker.StateChanged) -> None:
        # A safety net: a reply that ended without reaching keep_reply must not look alive.
        if event.worker is self._stream_worker and event.worker.is_finished and self._streaming:
            self._streaming = False
            self.update_title()

    # -- navigation ------------------------------------------------------------------------

    @on(MessageView.Navigate)
    def _navigate(self, event: MessageView.Navigate) -> None:
        event.stop()
        pane_views.navigate(self, event.view, event.step)

    def focus_input(self) -> None:
        """Put the cursor in the pane's input."""
        self.input.focus()
