"""The scrolling list of a chat pane, its "earlier messages" line, and what is sent from it."""

from __future__ import annotations

import json
from typing import Any

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import Static

from workbench.project.attach import with_attachments
from workbench.project.compress import covered_upto, summary_turn
from workbench.providers.base import ChatMessage, ToolCall
from workbench.session.model import Message, Pane


def build_history(messages: list[Message], pane: Pane) -> list[ChatMessage]:
    """The turns to send: answered user turns and replies; Implement starts at the last spec."""
    if pane == "implement":
        starts = [i for i, m in enumerate(messages) if m.kind == "spec"]
        messages = messages[starts[-1] :] if starts else messages
    history: list[ChatMessage] = []
    start = covered_upto(messages)
    if start:
        # Older turns were compressed: their summary goes instead of them.
        summary = [m for m in messages if m.kind == "summary" and m.covers][-1]
        history.append(summary_turn(summary))
        messages = [m for m in messages[start:] if m.kind != "summary"]
    calls: list[Message] = []  # tool messages waiting to be sent as one assistant turn
    for index, message in enumerate(messages):
        if message.role == "tool":
            calls.append(message)
            continue
        if calls:
            history += _tool_turns(calls)
            calls = []
        if message.kind == "summary":
            continue  # a summary not in use yet (its turns are still sent)
        if message.role == "assistant" and message.content:
            history.append(ChatMessage("assistant", message.content))
        elif message.role == "user" and message.status not in ("failed", "retried"):
            if _unanswered(messages, index):
                continue  # failed before failed turns were marked: the user re-sent it
            content = with_attachments(message.content, message.attachments)
            history.append(ChatMessage("user", content))
    if calls:
        history += _tool_turns(calls)
    return history


def _tool_turns(calls: list[Message]) -> list[ChatMessage]:
    """The assistant turn that asked for these tools, then each tool's result."""
    asked = tuple(ToolCall(call.tool_name or "", _arguments(call.tool_args)) for call in calls)
    results = [ChatMessage("tool", call.content, tool_name=call.tool_name) for call in calls]
    return [ChatMessage("assistant", "", tool_calls=asked), *results]


def _arguments(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _unanswered(messages: list[Message], index: int) -> bool:
    """True when an error follows a user turn and no reply came after it (older transcripts)."""
    rest = messages[index + 1 :]
    if not rest or rest[0].role != "error":
        return False
    following = next((m for m in rest if m.role != "error"), None)
    return following is None or following.role != "assistant"


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
