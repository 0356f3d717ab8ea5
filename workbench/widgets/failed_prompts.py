"""Prompts that got no reply: the problem notice, marking the prompt failed, and sending it again.

A failed prompt is saved as such, so it can be retried (r) now or after a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.providers.base import ProviderError
from workbench.session.model import Message
from workbench.session.transcript import new_id, now_iso

if TYPE_CHECKING:
    from workbench.widgets.chat_pane import ChatPane


def prompt_of(messages: list[Message], notice: Message) -> Message | None:
    """The user turn a problem notice reports on (the last one before it)."""
    index = next((i for i, m in enumerate(messages) if m is notice), len(messages))
    before = (m for m in reversed(messages[:index]) if m.role != "error")
    prompt = next(before, None)
    return prompt if prompt is not None and prompt.role == "user" else None


async def show_error(pane: ChatPane, error: ProviderError, *, had_reply: bool) -> None:
    """Add a problem notice; when nothing came back, the prompt is marked failed, to retry."""
    hint = ""
    prompt = next((m for m in reversed(pane.messages) if m.role != "error"), None)
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
    pane.persist(message)
    await pane.show_message(message)


def no_reply_note(pane: ChatPane) -> str | None:
    """Why a prompt got no reply when it was stopped rather than failed."""
    return "Stopped before any reply arrived." if pane.cancel_reason else None


def mark_failed(pane: ChatPane, note: str | None = None) -> bool:
    """Mark the prompt just sent as failed (saved, so it can be retried after a restart)."""
    prompt = next((m for m in reversed(pane.messages) if m.role != "error"), None)
    if prompt is None or prompt.role != "user":
        return False
    prompt.status, prompt.note = "failed", note
    pane.persist(prompt)  # the same id again: the newer line wins when the file is read
    for view in pane.views():
        if view.message is prompt:
            view.refresh_state()
    return True


async def retry(pane: ChatPane, prompt: Message) -> bool:
    """Send a failed prompt again: in place when nothing came after it, else as a new turn."""
    if pane.is_streaming:
        pane.notify("A reply is still arriving: Escape stops it.", severity="warning")
        return False
    index = next(i for i, m in enumerate(pane.messages) if m is prompt)
    if any(m.role != "error" for m in pane.messages[index + 1 :]):
        sent = await pane.send(
            prompt.content,
            kind=prompt.kind,
            spec_version=prompt.spec_version,
            attachments=prompt.attachments,
        )
        if sent:  # only now: a copy that could not be saved leaves the prompt retryable
            prompt.status, prompt.note = "retried", None
            pane.persist(prompt)
            pane.refresh_views(prompt)
        return sent
    prompt.status, prompt.note = "done", None
    if not pane.persist(prompt):
        prompt.status = "failed"
        return False
    pane.refresh_views(prompt)
    pane.message_list.anchor()
    pane.start_reply(prompt)
    return True
