"""A chat pane (Explore or Implement): renders its `Conversation` and takes what is typed.

The conversation (core) owns the messages, the transcript and the replies; this widget mounts a
view per message and renders a reply's events as they come.
"""

from __future__ import annotations

import contextlib

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import TextArea
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from workbench.chat.conversation import Conversation, ConversationError
from workbench.chat.events import (
    ConsentRequest,
    Ended,
    Inserted,
    Notice,
    Progress,
    PromptChanged,
    ReplyEvent,
    Started,
    Switched,
    Text,
    ToolStepped,
    TurnStatus,
)
from workbench.chat.large_text import PlainTail, is_too_large
from workbench.chat.reply import Reply
from workbench.config import ModelRef
from workbench.screens.consent import CloudConsentModal
from workbench.session.model import AssistantMessage, Message, Pane, UserMessage
from workbench.widgets.attachment_preview import AttachmentPreview
from workbench.widgets.chat_input import ChatInput
from workbench.widgets.file_completion import CompletionDriver, FileCompletion, ProjectFiles
from workbench.widgets.message_list import EarlierMessages, MessageList
from workbench.widgets.message_view import MessageView
from workbench.widgets.reply_renderer import ReplyRenderer


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

    class ReplyFinished(TextualMessage):
        """A reply ended (answered, stopped or failed) and is saved."""

        def __init__(self, pane: ChatPane, outcome: Ended) -> None:
            super().__init__()
            self.pane = pane
            self.outcome = outcome

    def __init__(
        self,
        conversation: Conversation,
        *,
        label: str,
        draft: str = "",
        project_files: ProjectFiles | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="pane chat-pane")
        self.conversation = conversation
        self.pane: Pane = conversation.pane
        self.label = label
        self.draft = draft
        """Text left in the input when the session was last closed."""
        self.project_files = project_files
        """Where the `@` completion gets the project's files (shared by the panes)."""
        self.attachment_preview: AttachmentPreview | None = None
        """The line under the input listing what its `@path`s will attach."""
        self._reply_view: MessageView | None = None
        self._renderer: ReplyRenderer | None = None
        self._rendering = False
        """True from the start of a reply until its end is on screen."""
        self._render_worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        yield MessageList(self.conversation, id=f"{self.pane}-messages")
        placeholder = (
            "Ask the fast model about the code…  (Enter sends, ctrl+j new line, @ attaches a file)"
            if self.pane == "explore"
            else "Follow up on the implementation…  (ctrl+r sends the spec)"
        )
        completion = FileCompletion(id=f"{self.pane}-completion")
        yield completion
        chat_input = ChatInput(placeholder=placeholder, id=f"{self.pane}-input")
        chat_input.above = self._last_view
        root = self.conversation.project_root
        if root is not None and self.project_files is not None:
            chat_input.completer = CompletionDriver(chat_input, completion, self.project_files)
        yield chat_input
        if root is not None:
            over = int(self.conversation.settings.project.summarize_over_kb * 1024)
            self.attachment_preview = AttachmentPreview(
                root, summarize_over_bytes=over, id=f"{self.pane}-attachments"
            )
            yield self.attachment_preview

    def _last_view(self) -> MessageView | None:
        views = self.views()
        return views[-1] if views else None

    async def on_mount(self) -> None:
        self.update_title()
        await self.message_list.mount_last_page()
        if self.draft:
            self.input.text = self.draft
            self.input.move_cursor(self.input.document.end)
        # Show the end of the conversation once it is laid out, and keep following it.
        self.call_after_refresh(self.message_list.anchor)
        self._preload_sdk_soon()
        if self.conversation.project_access is not None:
            # Soon after mounting: the check imports the ollama client (in a thread), which
            # should be done before the first send.
            self.set_timer(0.1, self.check_tool_support)

    # -- state ------------------------------------------------------------------------------

    @property
    def input(self) -> ChatInput:
        """The pane's input box."""
        return self.query_one(ChatInput)

    @property
    def message_list(self) -> MessageList:
        """The scrolling transcript."""
        return self.query_one(MessageList)

    @property
    def messages(self) -> list[Message]:
        """The conversation's messages."""
        return self.conversation.messages

    @property
    def model(self) -> ModelRef:
        """The model that answers the next prompt."""
        return self.conversation.model

    @property
    def is_streaming(self) -> bool:
        """True while a reply is arriving or still being rendered."""
        return self.conversation.is_streaming or self._rendering

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "Stop reply" is offered (and shown in the footer) only while a reply arrives.
        if action == "cancel":
            return self.is_streaming
        return True

    def update_title(self) -> None:
        """Show the pane's label, model and tier in its border."""
        model = self.model
        badge = {"fast": "fast", "quality": "quality", "cloud": "cloud"}.get(model.tier, "")
        title = f"{self.label} · {model.name} ({badge})"
        access = self.conversation.project_access
        if access is not None:
            if not self.conversation.tools_on:
                title += " · tools off"
            elif access.known_support(model) is False:
                title += " · no tool support"
            else:
                title += " · tools"
        self.border_title = Content(title)
        # Text, not a class: a class change would restyle every message in the pane.
        self.border_subtitle = "streaming… esc stops" if self.is_streaming else ""
        self.refresh_bindings()

    def model_changed(self) -> None:
        """The conversation's model was switched: show it and get ready for it."""
        self.update_title()
        self._preload_sdk_soon()
        self.check_tool_support()

    @work(group="tool-support", exclusive=True, exit_on_error=False)
    async def check_tool_support(self) -> None:
        """Ask the server whether the model can call tools, and show it in the title."""
        access = self.conversation.project_access
        if access is not None and self.conversation.tools_on:
            await access.supports_tools(self.model)
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
        await self.message_list.show_earlier()

    async def reveal(self, message_id: str) -> MessageView | None:
        """The view of a message, showing earlier pages until it is mounted; None if unknown."""
        return await self.message_list.reveal(message_id)

    def views(self) -> list[MessageView]:
        """The message widgets, in order."""
        return self.message_list.views()

    def refresh_views(self, *messages: Message) -> None:
        """Redraw the state line of these messages and of the notices about them (or of all)."""
        self.message_list.refresh_views(*messages)

    # -- sending ----------------------------------------------------------------------------

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

    async def send(self, text: str) -> bool:
        """Save what was typed as a prompt and stream the reply; False if it was not saved."""
        try:
            prompt = self.conversation.submit(text)
        except ConversationError as error:
            self._not_saved(error)
            return False  # the text stays in the input: nothing is lost
        reply = self.conversation.reply(prompt)  # at once: Escape can stop it from now on
        await self.follow(reply)
        return True

    async def follow(self, reply: Reply) -> None:
        """Show a reply's prompt (unless it is shown already) and render the reply."""
        if self.message_list.view_of(reply.prompt) is None:
            await self.show_message(reply.prompt)
        await self.render_reply(reply)

    def _not_saved(self, error: ConversationError) -> None:
        self.notify(str(error), title="Not sent", severity="error", timeout=15)

    async def show_message(self, message: Message) -> MessageView:
        """Mount the view of a message of the conversation (at the end), following it."""
        view = self.message_list.view_for(message)
        await self.message_list.mount(view)
        self.message_list.anchor()
        return view

    async def render_reply(self, reply: Reply) -> None:
        """Render a reply's events as they come (in a worker, so the UI stays free).

        A reply still being drawn (its end can trail the core by a moment) is finished first.
        """
        previous = self._render_worker
        if previous is not None and not previous.is_finished:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await previous.wait()
        self._rendering = True
        self._render_worker = self._consume(reply)
        self.update_title()

    @work(group="stream", exit_on_error=False)
    async def _consume(self, reply: Reply) -> None:
        try:
            async for event in reply:
                await self._show(event)
        finally:
            if self._reply_view is not None or self._rendering:
                self._abandon(reply)

    def _abandon(self, reply: Reply) -> None:
        """The rendering stopped before the end (the pane is going, or a bug): stop the reply
        too, and leave nothing on screen that looks alive."""
        reply.cancel("Stopped")
        view, renderer = self._reply_view, self._renderer
        self._reply_view = self._renderer = None
        self._rendering = False
        if renderer is not None:
            renderer.discard()
        if self.is_attached:
            if view is not None and view.is_attached:
                view.refresh_state()
            self.update_title()

    async def _show(self, event: ReplyEvent) -> None:
        """Render one event of the reply under way."""
        if isinstance(event, Started):
            view = self.message_list.view_of(event.reply) if event.continuing else None
            if view is None:
                # A continued reply not on screen is shown with its text; the new text follows.
                view = MessageView(event.reply, self.pane, streaming=not event.continuing)
                await self.message_list.mount(view)
            else:
                view.refresh_state()
            self._reply_view = view
            shown = view.message.content if event.continuing else ""
            self._renderer = ReplyRenderer(self, view, shown=shown)
            if event.continuing:
                self.message_list.anchor()
        elif isinstance(event, Text):
            if self._renderer is not None:
                await self._renderer.feed(event.text)
        elif isinstance(event, Progress):
            self.border_subtitle = Content(event.text)
        elif isinstance(event, PromptChanged):
            self.refresh_views(event.prompt)
            self.update_title()
        elif isinstance(event, ToolStepped):
            view = self.message_list.view_for(event.message)
            await self.message_list.mount(view, before=self._reply_view)
            if self._reply_view is not None:
                self._reply_view.add_class("-after-tools")
        elif isinstance(event, Inserted):
            await self.message_list.insert(event.message, event.before, covered=event.covered)
        elif isinstance(event, Switched):
            if self._reply_view is not None:
                self._reply_view.refresh_state()
        elif isinstance(event, Notice):
            self.notify(event.text, title=event.title, severity=event.severity, timeout=15)
        elif isinstance(event, ConsentRequest):
            CloudConsentModal.ask(self.app, event)
        elif isinstance(event, Ended):
            await self._ended(event)

    async def _ended(self, outcome: Ended) -> None:
        """Finish rendering, then show how the turn came out."""
        view, renderer = self._reply_view, self._renderer
        self._reply_view = self._renderer = None
        if renderer is not None:
            await renderer.close()
        if view is not None:
            if outcome.reply is not None:
                view.refresh_state()
                if outcome.continued and not view.plain:
                    # Streamed onto text parsed before: parse the whole reply once, as stored.
                    content = outcome.reply.content
                    if is_too_large(content):
                        await view.show_plain(PlainTail(content))
                    else:
                        await view.markdown.update(content)
            else:
                await view.remove()
        self.refresh_views(outcome.prompt)
        if outcome.status is TurnStatus.NOT_SENT and outcome.error is None:
            self.notify("Stopped before any reply arrived: r on your message sends it again.")
        if outcome.notice is not None:
            await self.show_message(outcome.notice)
        self._rendering = False
        self.update_title()
        self.post_message(self.ReplyFinished(self, outcome))

    def action_cancel(self, reason: str = "Stopped by you") -> None:
        """Stop the reply that is arriving; what arrived so far is kept, marked interrupted."""
        self.conversation.cancel(reason)

    async def stop_streaming(self, reason: str = "Stopped when workbench closed") -> None:
        """Stop a running reply and wait until what arrived is saved (quit, session switch)."""
        await self.conversation.stop(reason)

    @on(MessageView.ContinueRequested)
    async def _continue_requested(self, event: MessageView.ContinueRequested) -> None:
        event.stop()
        message = event.view.message
        if isinstance(message, AssistantMessage):
            await self.continue_reply(message)

    async def continue_reply(self, message: AssistantMessage) -> bool:
        """Ask the model to go on with a reply cut at its token limit; the text grows in place."""
        if self.is_streaming:
            self.notify("A reply is still arriving: Escape stops it.", severity="warning")
            return False
        try:
            reply = self.conversation.continue_reply(message)
        except ConversationError as error:
            self._not_saved(error)
            return False
        await self.render_reply(reply)
        return True

    @on(MessageView.RetryRequested)
    async def _retry_requested(self, event: MessageView.RetryRequested) -> None:
        event.stop()
        prompt = event.view.retry_target
        if prompt is not None:
            await self.retry(prompt)

    async def retry(self, prompt: UserMessage) -> bool:
        """Send a failed prompt again: in place when nothing came after it, else as a new turn."""
        if self.is_streaming:
            self.notify("A reply is still arriving: Escape stops it.", severity="warning")
            return False
        try:
            target = self.conversation.retry(prompt)
        except ConversationError as error:
            self._not_saved(error)
            return False
        reply = self.conversation.reply(target)
        self.refresh_views(prompt)
        self.message_list.anchor()
        await self.follow(reply)
        return True

    # -- navigation -------------------------------------------------------------------------

    @on(MessageView.Navigate)
    def _navigate(self, event: MessageView.Navigate) -> None:
        event.stop()
        if not self.message_list.neighbour(event.view, event.step):
            self.input.focus()

    def focus_input(self) -> None:
        """Put the cursor in the pane's input."""
        self.input.focus()
