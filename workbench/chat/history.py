"""What a model is sent from a conversation, and how turns relate to each other.

A *turn* is a user prompt and everything after it up to the next prompt (tool calls, the reply,
problem notices). Turns whose prompt got no usable reply (`LEFT_OUT` statuses) are never sent
again as context. Core module: never imports textual.
"""

from __future__ import annotations

import json
from typing import Any

from workbench.project.attach import with_attachments
from workbench.project.compress import covered_upto, summary_turn
from workbench.providers.base import ChatMessage, ToolCall
from workbench.session.model import (
    LEFT_OUT,
    Message,
    Pane,
    ToolMessage,
    UserMessage,
    is_spec,
    is_summary,
    prompt_of,
)

__all__ = ["answered_version", "build_history", "mark_unanswered", "prompt_of"]

UNANSWERED_NOTE = "No reply was saved for it (workbench stopped first): r sends it again."


def build_history(messages: list[Message], pane: Pane) -> list[ChatMessage]:
    """The turns to send: answered prompts and their replies; Implement starts at the last spec.

    A summary of older turns goes first, in their place, once one covers them. Tool calls are
    sent back as the assistant turn that asked for them plus one tool turn per result.
    """
    if pane == "implement":
        starts = [i for i, m in enumerate(messages) if is_spec(m) and m.status not in LEFT_OUT]
        messages = messages[starts[-1] :] if starts else messages
    history: list[ChatMessage] = []
    start = covered_upto(messages)
    if start:
        summary = [m for m in messages if is_summary(m) and m.covers][-1]
        history.append(summary_turn(summary))
        messages = [m for m in messages[start:] if not is_summary(m)]
    calls: list[ToolMessage] = []  # tool messages waiting to be sent as one assistant turn
    skipping = False  # inside a turn whose prompt is left out
    for message in messages:
        if message.role == "user":
            skipping = message.status in LEFT_OUT
        if skipping:
            continue
        if message.role == "tool":
            calls.append(message)
            continue
        if calls:
            history += _tool_turns(calls)
            calls = []
        if is_summary(message):
            continue  # a summary not in use yet (its turns are still sent)
        if message.role == "assistant" and message.content and message.status != "failed":
            history.append(ChatMessage("assistant", message.content))
        elif message.role == "user":
            history.append(
                ChatMessage("user", with_attachments(message.content, message.attachments))
            )
    if calls:
        history += _tool_turns(calls)
    return history


def _tool_turns(calls: list[ToolMessage]) -> list[ChatMessage]:
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


def mark_unanswered(messages: list[Message]) -> list[UserMessage]:
    """Mark prompts saved as sent that have no reply after them `not_sent`, and return them.

    That is what a crash (or a transcript from before prompts were marked) leaves: the prompt is
    on disk, no reply is. Marked in memory only, so `r` can send it and it is never sent as
    context with later questions. A prompt being answered right now must not be passed in.
    """
    marked: list[UserMessage] = []
    pending: UserMessage | None = None
    for message in messages:
        if message.role == "user":
            if pending is not None:
                marked.append(pending)
            pending = message if message.status == "done" else None
        elif message.role in ("assistant", "tool") and not is_summary(message):
            pending = None
    if pending is not None:
        marked.append(pending)
    for prompt in marked:
        prompt.status, prompt.note = "not_sent", UNANSWERED_NOTE
    return marked


def answered_version(messages: list[Message]) -> int | None:
    """The spec version the next reply answers: that of the last spec sent (Implement)."""
    sent = [m for m in messages if is_spec(m)]
    return sent[-1].spec_version if sent else None
