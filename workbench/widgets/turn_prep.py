"""Preparing a chat pane's turn before it is sent: its attachments, and compressing older turns.

Functions over a `ChatPane` (its transcript, views and settings), called while a reply starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.project.attach import load_entries, pending_attachments
from workbench.project.compress import (
    COMPRESS_PROMPT,
    context_budget,
    conversation_text,
    history_tokens,
    to_compress,
)
from workbench.providers.base import ChatMessage
from workbench.session.model import Message
from workbench.session.transcript import new_id, now_iso
from workbench.widgets.message_list import build_history
from workbench.widgets.pane_views import view_for

if TYPE_CHECKING:
    from workbench.widgets.chat_pane import ChatPane


def typed_attachments(pane: ChatPane, text: str, kind: str | None) -> list[dict[str, Any]] | None:
    """The `@path` files of a typed message (not of a spec sent whole, nor a critique)."""
    if pane.project_root is None or kind is not None:
        return None
    return pending_attachments(text) or None


async def history_for(pane: ChatPane, prompt: Message) -> list[ChatMessage]:
    """Load the prompt's attachments (summarizing large ones), then the turns to send."""
    if prompt.attachments and pane.project_root is not None:
        settings = pane.router.settings

        def progress(text: str) -> None:
            pane.border_subtitle = text

        prompt.attachments = await load_entries(
            prompt.attachments,
            pane.project_root,
            summarize_over_bytes=int(settings.project.summarize_over_kb * 1024),
            ask=pane.ask_fast_model,
            progress=progress,
        )
        pane.persist(prompt)
        pane.refresh_views(prompt)
        pane.update_title()
    index = next(i for i, m in enumerate(pane.messages) if m is prompt)
    history = build_history(pane.messages[: index + 1], pane.pane)
    if pane.pane == "explore" and await compress_older(pane, prompt, history):
        index = next(i for i, m in enumerate(pane.messages) if m is prompt)
        history = build_history(pane.messages[: index + 1], pane.pane)
    warn_if_too_long(pane, history)
    return history


def warn_if_too_long(pane: ChatPane, history: list[ChatMessage]) -> None:
    """Say so when the request is still larger than what the local model will read."""
    model = pane.model
    if model.provider != "ollama":
        return
    budget = context_budget(pane.router.settings, model)
    tokens = history_tokens(pane.system_prompt, history)
    if tokens > budget:
        pane.notify(
            f"This request is about {tokens:,} tokens, more than the {budget:,} that "
            f"{model.name} reads (num_ctx): Ollama will drop the start of it. Attach less, "
            "or set num_ctx for the tier (or the model) in the config.",
            title="Larger than the context",
            severity="warning",
            timeout=15,
        )


async def compress_older(pane: ChatPane, prompt: Message, history: list[ChatMessage]) -> bool:
    """Summarize older turns when the request nears the window; True if it did."""
    settings = pane.router.settings
    budget = context_budget(settings, pane.model)
    if history_tokens(pane.system_prompt, history) <= settings.project.compress_at * budget:
        return False
    index = next(i for i, m in enumerate(pane.messages) if m is prompt)
    older = to_compress(pane.messages, index)
    if not older:
        return False
    pane.border_subtitle = f"summarizing {len(older)} older messages with the fast model…"
    previous = [m for m in pane.messages[:index] if m.kind == "summary" and m.covers]
    text = conversation_text(older, previous[-1].content if previous else None)
    summary = Message(
        id=new_id(),
        role="assistant",
        content=await pane.ask_fast_model(COMPRESS_PROMPT, text),
        model=pane.model.name,
        created=now_iso(),
        kind="summary",
        covers=older[-1].id,
        note=f"Stands for the {len(older)} messages above it in what is sent to the model.",
    )
    pane.messages.insert(index, summary)
    pane.persist(summary)
    prompt_view = next((v for v in pane.views() if v.message is prompt), None)
    await pane.message_list.mount(view_for(pane, summary), before=prompt_view)
    covered = {m.id for m in older}
    for view in pane.views():
        if view.message.id in covered:
            view.set_compressed(True)
    return True
