"""What replies cost and how fast they came, from the transcript records (for the status bar).

Core module: never imports textual.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping

from workbench.config import ModelSettings
from workbench.providers.ollama_wire import canonical_name
from workbench.session.model import AssistantMessage, Message
from workbench.spec.payload import estimate_cost

TIMED_STATUSES = ("done", "cut")
"""Replies that ran to their end (an answer, or the token limit): their speed is the model's."""


def reply_speed(message: AssistantMessage) -> tuple[float, bool] | None:
    """Output tokens per second of a reply, and whether the server timed it; None if unknown.

    The server's own generation time (Ollama's `eval_duration`) leaves out loading the model
    and reading the prompt; without it the wall time is used, which includes them.
    """
    tokens = message.output_tokens
    if not tokens:
        return None
    if message.generation_s and message.generation_s > 0:
        return tokens / message.generation_s, True
    if message.duration_s and message.duration_s > 0:
        return tokens / message.duration_s, False
    return None


def measured_tok_per_s(messages: Iterable[Message], model: str) -> float | None:
    """The model's median speed over its finished replies in any pane (tokens per second)."""
    wanted = canonical_name(model)
    rates = [
        speed[0]
        for m in messages
        if isinstance(m, AssistantMessage)
        and m.status in TIMED_STATUSES
        and m.model
        and canonical_name(m.model) == wanted
        and (speed := reply_speed(m)) is not None
    ]
    return statistics.median(rates) if rates else None


def session_cost(messages: Iterable[Message], prices: Mapping[str, ModelSettings]) -> float:
    """USD spent on priced (cloud) models by these replies, at the configured prices."""
    total = 0.0
    for message in messages:
        if message.role != "assistant" or not message.model:
            continue
        cost = estimate_cost(
            message.model, message.input_tokens or 0, message.output_tokens or 0, prices
        )
        total += cost or 0.0
    return total


def describe_reply(message: AssistantMessage) -> str:
    """ "1,204 in · 512 out · 38.2 tok/s" for a reply, leaving out what is not known.

    A speed from the wall time (the server gave no timings) says so, "(wall)": it includes
    loading the model and reading the prompt, so it reads lower than the model generates.
    """
    parts = []
    if message.input_tokens is not None:
        parts.append(f"{message.input_tokens:,} in")
    elif message.output_tokens is not None:
        parts.append("? in")  # the server did not count what it read (some gateways)
    if message.output_tokens is not None:
        parts.append(f"{message.output_tokens:,} out")
    speed = reply_speed(message)
    if speed is not None:
        rate, server_timed = speed
        parts.append(f"{rate:.1f} tok/s" if server_timed else f"{rate:.1f} tok/s (wall)")
    return " · ".join(parts)
