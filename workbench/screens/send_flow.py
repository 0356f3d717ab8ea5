"""Sending the spec: its payload (with the files it names), the review, then the send.

Also what the review needs to know about the target model: its window, speed and price.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.clipboard import copy_text
from workbench.config import ModelRef, Settings
from workbench.project.attach import (
    as_attachment,
    describe_entry,
    load_entries,
    needs_summary,
    pending_attachments,
)
from workbench.project.attachments import attachment_text
from workbench.providers.base import ProviderError
from workbench.providers.router import ProviderRouter
from workbench.screens.send_review import SendEstimate, SendReviewModal, payload_text
from workbench.session.model import Message
from workbench.spec.payload import (
    TYPICAL_REPLY_TOKENS,
    Payload,
    build_payload,
    estimate_cost,
    estimate_seconds,
    measured_tok_per_s,
    readiness_checks,
)

if TYPE_CHECKING:
    from workbench.screens.main import MainScreen

SHOW_TIMEOUT_S = 3.0
"""Longest wait for /api/show: the review opens with "unknown" rather than hang."""


async def context_window(settings: Settings, router: ProviderRouter, model: ModelRef) -> int | None:
    """From the config, else (Ollama) from /api/show; None when unknown."""
    configured = settings.model_info(model.name).context_window
    if configured or model.provider != "ollama":
        return configured
    try:
        shown = await asyncio.wait_for(router.ollama.show(model.name), SHOW_TIMEOUT_S)
    except (ProviderError, TimeoutError):
        return None
    window = shown.get("context_length")
    return window if isinstance(window, int) else None


def send_estimate(
    settings: Settings,
    model: ModelRef,
    replies: list[Message],
    payload: Payload,
    window: int | None,
    version: int,
) -> SendEstimate:
    """Size, time (from the model's measured speed in `replies`) and cost of one send."""
    tok_per_s = measured_tok_per_s(replies, model.name)
    return SendEstimate(
        model=model.name,
        tier=model.tier or model.provider,
        context_window=window,
        tok_per_s=tok_per_s,
        seconds=estimate_seconds(TYPICAL_REPLY_TOKENS, tok_per_s),
        cost_usd=estimate_cost(
            model.name, payload.total_tokens, TYPICAL_REPLY_TOKENS, settings.models
        ),
        version=version,
    )


async def review_and_send(screen: MainScreen, text: str, *, resent_from: int | None = None) -> None:
    """Show the send review for `text`; on confirm, snapshot it as a version and send it."""
    if not text.strip():
        screen.notify("The spec is empty: write the task first.", severity="warning")
        return
    implement = screen.chat("implement")
    if implement.is_streaming:
        screen.notify(
            "Implement is still answering: Escape in that pane stops it.", severity="warning"
        )
        return
    model = implement.model
    prepared = await spec_payload(screen, text)
    if prepared is None:
        return
    payload, entries = prepared
    window = await context_window(screen.settings, screen.router, model)
    explore_texts = [m.content for m in screen.chat("explore").messages if m.role != "error"]
    warnings = readiness_checks(text, payload, context_window=window, explore_texts=explore_texts)
    version = (screen.session.versions.latest() or 0) + 1
    estimate = send_estimate(screen.settings, model, implement.messages, payload, window, version)

    async def decided(send: bool | None) -> None:
        if not send:
            return
        if text == screen.spec.text:
            screen.spec.save()
        try:
            version = screen.session.versions.save(text)
        except OSError as error:
            screen.notify(f"Could not save the spec version: {error}", severity="error")
            return
        note = f"re-send of v{resent_from}" if resent_from else None
        sent = await implement.send(
            text, kind="spec", spec_version=version, note=note, attachments=entries
        )
        if sent:
            screen.notify(f"Spec v{version} sent to {model.name}")

    await screen.app.push_screen(SendReviewModal(payload, estimate, warnings), decided)


async def copy_payload(screen: MainScreen) -> None:
    """Copy exactly what sending the spec now would give the Implement model."""
    prepared = await spec_payload(screen, screen.spec.text)
    if prepared is not None:
        copy_text(screen.app, payload_text(prepared[0]), "the payload")


async def spec_payload(
    screen: MainScreen, text: str
) -> tuple[Payload, list[dict[str, Any]]] | None:
    """The payload for the Implement model: the spec and the files it names with `@path`.

    Files over the threshold are summarized by the fast model first; None (with a notice)
    when that fails.
    """
    implement = screen.chat("implement")
    entries = pending_attachments(text)
    if entries:
        root = Path(screen.session.meta.project_dir)
        over = int(screen.settings.project.summarize_over_kb * 1024)
        if any(needs_summary(entry, root, over) for entry in entries):
            screen.notify("Summarizing the large files the spec attaches, with the fast model…")
        try:
            entries = await load_entries(
                entries,
                root,
                summarize_over_bytes=over,
                ask=screen.chat("explore").ask_fast_model,
            )
        except ProviderError as error:
            screen.notify(
                f"Could not summarize an attached file: {error.message}",
                title="Not sent",
                severity="error",
                timeout=15,
            )
            return None
        for entry in entries:
            if "error" in entry:
                screen.notify(describe_entry(entry), title="Not attached", severity="warning")
    attached = [
        (att.path, attachment_text(att))
        for att in (as_attachment(entry) for entry in entries)
        if att is not None
    ]
    payload = build_payload(implement.model.name, implement.system_prompt, text, attached)
    return payload, entries
