"""The scrolling list of a chat pane's messages, paged: only the last page is mounted at first.

Only the last `PAGE_SIZE` messages get a view when a session opens; older pages are mounted
above them on demand (`MessageList.first_mounted` marks where the views start).
"""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import Static

from workbench.chat.conversation import Conversation
from workbench.project.compress import covered_upto
from workbench.session.model import Message, is_summary, prompt_of
from workbench.widgets.message_view import MessageView

PAGE_SIZE = 20
"""Messages mounted when a session opens, and per "show earlier" step: each one is a tree of
markdown widgets, and opening 200 of them took 13 s (bench/)."""


class EarlierMessages(Static, can_focus=True):
    """Stands for the messages not mounted yet; Enter or a click shows the previous page."""

    DEFAULT_CSS = """
    EarlierMessages {
        color: $text-muted;
        padding: 0 1;
        margin: 0 0 1 0;
        &:focus { background: $primary 10%; color: $text; }
    }
    """

    BINDINGS = [Binding("enter", "show_more", "Show earlier", tooltip="Show earlier messages")]

    class ShowMore(TextualMessage):
        """The user asked for the previous page of messages."""

    def set_count(self, count: int) -> None:
        """Say how many messages are hidden."""
        shown = min(count, PAGE_SIZE)
        self.update(Content(f"▲ {count} earlier messages · Enter or click shows {shown} more"))

    def action_show_more(self) -> None:
        self.post_message(self.ShowMore())

    def on_click(self) -> None:
        self.post_message(self.ShowMore())


class MessageList(VerticalScroll, can_focus=False):
    """The scrolling list of messages; it follows the end unless the user scrolls up."""

    DEFAULT_CSS = """
    MessageList { height: 1fr; padding: 0 0 0 0; scrollbar-size-vertical: 1; layout: stream; }
    """

    def __init__(self, conversation: Conversation, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.conversation = conversation
        self.promoted_ids: set[str] = set()
        """Ids of messages whose text is in the spec (set by the screen)."""
        self.first_mounted = 0
        """Index in the conversation's messages of the oldest message with a view."""

    @property
    def messages(self) -> list[Message]:
        """The conversation's messages (the views mirror them)."""
        return self.conversation.messages

    def view_for(self, message: Message) -> MessageView:
        """A new view of `message`, styled by where it sits in the conversation."""
        messages = self.messages
        view = MessageView(
            message,
            self.conversation.pane,
            promoted=message.id in self.promoted_ids,
            retry_of=prompt_of(messages, message) if message.role == "error" else None,
        )
        index = next((i for i, m in enumerate(messages) if m is message), 0)
        if message.role == "assistant" and index > 0 and messages[index - 1].role == "tool":
            view.add_class("-after-tools")
        if not is_summary(message) and index < covered_upto(messages):
            view.compressed, view.expanded = True, False
        return view

    async def insert(
        self, message: Message, before: Message, *, covered: tuple[str, ...] = ()
    ) -> None:
        """Mount a message added before `before` (a summary), collapsing what it covers."""
        await self.mount(self.view_for(message), before=self.view_of(before))
        for view in self.views():
            if view.message.id in covered:
                view.set_compressed(True)

    def views(self) -> list[MessageView]:
        """The message widgets, in order."""
        # Own children only: a full query would walk every markdown block of every reply.
        return list(self.query_children(MessageView))

    def view_of(self, message: Message) -> MessageView | None:
        """The view showing `message`, if it is mounted."""
        return next((v for v in self.views() if v.message is message), None)

    async def mount_last_page(self) -> None:
        """Mount the views of the last page, under an "earlier" line if there are more."""
        messages = self.messages
        self.first_mounted = max(0, len(messages) - PAGE_SIZE)
        if self.first_mounted:
            earlier = EarlierMessages(id=f"{self.conversation.pane}-earlier")
            earlier.set_count(self.first_mounted)
            await self.mount(earlier)
        await self.mount_all([self.view_for(m) for m in messages[self.first_mounted :]])

    async def show_earlier(self) -> None:
        """Mount the previous page of messages above the ones shown."""
        if not self.first_mounted:
            return
        start = max(0, self.first_mounted - PAGE_SIZE)
        page = [self.view_for(m) for m in self.messages[start : self.first_mounted]]
        earlier = self.query_one(EarlierMessages)
        await self.mount_all(page, after=earlier)
        self.first_mounted = start
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
            if not self.first_mounted:
                return None
            await self.show_earlier()

    def neighbour(self, view: MessageView, step: int) -> bool:
        """Focus the view `step` away from `view`; False when that is past the end (or 0)."""
        views = self.views()
        if step == 0 or view not in views:
            return False
        index = views.index(view) + step
        if index >= len(views):
            return False
        if index >= 0:
            views[index].focus()
        elif self.first_mounted:
            self.query_one(EarlierMessages).focus()
        return True

    def refresh_views(self, *messages: Message) -> None:
        """Redraw the state line of these messages and of the notices about them (or of all)."""
        wanted = {m.id for m in messages}
        for view in self.views():
            about = view.retry_of.id if view.retry_of is not None else None
            if wanted and view.message.id not in wanted and about not in wanted:
                continue
            view.refresh_state()
