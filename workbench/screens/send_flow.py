"""What the send review needs to know about the target model: its window, speed and price."""

from __future__ import annotations

import asyncio

from workbench.config import ModelRef, Settings
from workbench.providers.base import ProviderError
from workbench.providers.router import ProviderRouter
from workbench.screens.send_review import SendEstimate
from workbench.session.model import Message
from workbench.spec.payload import (
    TYPICAL_REPLY_TOKENS,
    Payload,
    estimate_cost,
    estimate_seconds,
    measured_tok_per_s,
)

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
