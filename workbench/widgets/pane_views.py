"""A chat pane's message views: building them, paging earlier ones in, moving between them.

Only the last `PAGE_SIZE` messages get a view when a session opens; older pages are mounted
above them on demand (`ChatPane.first_mounted` marks where the views start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.project.compress import covered_upto
from workbench.session.model import Message
from workbench.widgets.failed_prompts import prompt_of
from workbench.widgets.message_list import PAGE_SIZE, EarlierMessages
from workbench.widgets.message_view import MessageView

if TYPE_CHECKING:
    from workbench.widgets.chat_pane import ChatPane


def view_for(pane: ChatPane, message: Message) -> MessageView:
    """A new view of `message`, styled by where it sits in the pane's transcript."""
    messages = pane.messages
    view = MessageView(
        message,
        pane.pane,
        promoted=message.id in pane.promoted_ids,
        retry_of=prompt_of(messages, message) if message.role == "error" else None,
    )
    if message.role == "assistant" and _follows_tools(messages, message):
        view.add_class("-after-tools")
    if message.kind != "summary" and _is_covered(messages, message):
        view.compressed, view.expanded = True, False
    return view


def _follows_tools(messages: list[Message], message: Message) -> bool:
    index = next((i for i, m in enumerate(messages) if m is message), 0)
    return index > 0 and messages[index - 1].role == "tool"


def _is_covered(messages: list[Message], message: Message) -> bool:
    upto = covered_upto(messages)
    return any(m is message for m in messages[:upto])


async def mount_last_page(pane: ChatPane) -> None:
    """Mount the views of the last page of messages, under an "earlier" line if there are more."""
    message_list = pane.message_list
    pane.first_mounted = max(0, len(pane.messages) - PAGE_SIZE)
    if pane.first_mounted:
        earlier = EarlierMessages(id=f"{pane.pane}-earlier")
        earlier.set_count(pane.first_mounted)
        await message_list.mount(earlier)
    await message_list.mount_all([view_for(pane, m) for m in pane.messages[pane.first_mounted :]])


async def show_earlier(pane: ChatPane) -> None:
    """Mount the previous page of messages above the ones shown."""
    if not pane.first_mounted:
        return
    start = max(0, pane.first_mounted - PAGE_SIZE)
    page = [view_for(pane, m) for m in pane.messages[start : pane.first_mounted]]
    earlier = pane.query_one(EarlierMessages)
    await pane.message_list.mount_all(page, after=earlier)
    pane.first_mounted = start
    if start:
        earlier.set_count(start)
    else:
        if earlier.has_focus:
            page[0].focus()
        await earlier.remove()


async def reveal(pane: ChatPane, message_id: str) -> MessageView | None:
    """The view of a message, showing earlier pages until it is mounted; None if unknown."""
    if not any(m.id == message_id for m in pane.messages):
        return None
    while True:
        for view in pane.views():
            if view.message.id == message_id:
                return view
        if not pane.first_mounted:
            return None
        await show_earlier(pane)


def navigate(pane: ChatPane, view: MessageView, step: int) -> None:
    """Move the focus `step` views up or down from `view`: past the end (or 0) to the input."""
    views = pane.views()
    if step == 0 or view not in views:
        pane.input.focus()
        return
    index = views.index(view) + step
    if index >= len(views):
        pane.input.focus()
    elif index >= 0:
        views[index].focus()
    elif pane.first_mounted:
        pane.query_one(EarlierMessages).focus()
