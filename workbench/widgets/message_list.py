"""The scrolling list of a chat pane's messages, paged: old messages are cheap until looked at.

A view of a reply is a tree of markdown widgets, so a session opens with views of its last
messages only: as many as fill about two pane heights by an estimate of their rows
(`estimated_rows`), at least one and at most `PAGE_SIZE`. Older messages stay unmounted until
they are looked at: scrolling to the top of the list mounts the previous page above, keeping
what was on screen in place, and so do the "▲ N earlier messages" line and `reveal` (a search
or a jump to a message). `MessageList.first_mounted` marks where the views start. A message too
large to lay out as markdown is shown as plain text (`workbench.chat.large_text`).
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
"""At most this many messages are mounted when a session opens, and per "show earlier" step:
each one is a tree of markdown widgets, and opening 200 of them took 13 s (bench/)."""
PAGE_HEIGHTS = 2
"""A page holds messages estimated to fill this many pane heights (see `estimated_rows`)."""
MESSAGE_CHROME_ROWS = 2
"""Rows a message takes besides its text: the header line and the gap below the body."""


def estimated_rows(text: str, width: int) -> int:
    """About how many rows `text` takes laid out at `width` columns, chrome included.

    Cheap and on the high side (markdown adds rows around blocks that this does not see, and
    long lines wrap at words): an estimate only has to say when a page is full.
    """
    width = max(1, width)
    rows = MESSAGE_CHROME_ROWS
    for line in text.split("\n"):
        rows += 1 + len(line) // width
    return rows


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

    def set_count(self, count: int, shown: int) -> None:
        """Say how many messages are hidden, and how many the next step shows."""
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
        self._loading_earlier = False

    @property
    def messages(self) -> list[Message]:
        """The conversation's messages (the views mirror them)."""
        return self.conversation.messages

    def view_for(self, message: Message, covered: int | None = None) -> MessageView:
        """A new view of `message`, styled by where it sits in the conversation.

        `covered` is `covered_upto(messages)` when the caller already has it (a page of views).
        """
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
        if covered is None:
            covered = covered_upto(messages)
        if not is_summary(message) and index < covered:
            view.compressed, view.expanded = True, False
        return view

    def _views_for(self, start: int, end: int) -> list[MessageView]:
        covered = covered_upto(self.messages)
        return [self.view_for(m, covered) for m in self.messages[start:end]]

    def page_start(self, end: int) -> int:
        """Where the page of messages ending before index `end` starts.

        It holds the messages estimated to fill `PAGE_HEIGHTS` pane heights (at least one, at
        most `PAGE_SIZE`). Before the list is laid out, the pane is taken to be as tall as the
        screen and a third as wide (the three panes side by side): a short guess of the width
        only makes the page fuller than it needs to be.
        """
        height = self.size.height or self.app.size.height
        width = self.size.width or self.app.size.width // 3
        budget = PAGE_HEIGHTS * max(1, height)
        start, rows = end, 0
        while start > 0 and end - start < PAGE_SIZE and rows < budget:
            start -= 1
            rows += estimated_rows(self.messages[start].content, max(1, width - 4))
        return start

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

    def _count_earlier(self, earlier: EarlierMessages) -> None:
        earlier.set_count(
            self.first_mounted, self.first_mounted - self.page_start(self.first_mounted)
        )

    async def mount_last_page(self) -> None:
        """Mount the views of the last page, under an "earlier" line if there are more."""
        end = len(self.messages)
        self.first_mounted = self.page_start(end)
        if self.first_mounted:
            earlier = EarlierMessages(id=f"{self.conversation.pane}-earlier")
            self._count_earlier(earlier)
            await self.mount(earlier)
        await self.mount_all(self._views_for(self.first_mounted, end))

    async def show_earlier(self, *, keep_in_place: bool = True) -> None:
        """Mount the previous page of messages above the ones shown.

        With `keep_in_place`, the oldest view shown stays where it was on screen: the new page
        grows the list above it and the scroll offset grows by as much.
        """
        if not self.first_mounted:
            return
        views = self.views()
        kept = views[0] if views else None
        offset = kept.virtual_region.y - self.scroll_y if kept is not None else 0
        start = self.page_start(self.first_mounted)
        page = self._views_for(start, self.first_mounted)
        earlier = self.query_one(EarlierMessages)
        await self.mount_all(page, after=earlier)
        self.first_mounted = start
        if start:
            self._count_earlier(earlier)
        else:
            if earlier.has_focus:
                page[0].focus()
            await earlier.remove()
        if keep_in_place and kept is not None and not self.is_anchored_at_end:
            self.call_after_refresh(self._keep_in_place, kept, offset)

    @property
    def is_anchored_at_end(self) -> bool:
        """True when the list follows its end (anchored, and the user has not scrolled away)."""
        return self.is_anchored and not self._anchor_released

    def _keep_in_place(self, view: MessageView, offset: float) -> None:
        self.scroll_to(y=view.virtual_region.y - offset, animate=False, immediate=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Scrolled up to the top (not laid out at it): the earlier page comes into view.
        if new_value <= 0 < old_value and self.first_mounted and not self._loading_earlier:
            self._loading_earlier = True
            self.run_worker(self._load_earlier_at_top(), group="earlier", exclusive=True)

    async def _load_earlier_at_top(self) -> None:
        try:
            await self.show_earlier()
        finally:
            self._loading_earlier = False

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
            await self.show_earlier(keep_in_place=False)

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
