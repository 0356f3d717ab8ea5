"""What replies cost and how fast they came, from the transcript records (for the status bar).

Core module: never imports textual.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from workbench.config import ModelSettings
from workbench.session.model import AssistantMessage, Message
from workbench.spec.payload import estimate_cost


def reply_speed(message: AssistantMessage) -> float | None:
    """Output tokens per second of a reply (wall time, loading included); None if unknown."""
    if message.output_tokens and message.duration_s and message.duration_s > 0:
        return message.output_tokens / message.duration_s
    return None


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
    """ "1,204 in · 512 out · 38.2 tok/s" for a reply, leaving out what is not known."""
    parts = []
    if message.input_tokens is not None:
        parts.append(f"{message.input_tokens:,} in")
    elif message.output_tokens is not None:
        parts.append("? in")  # the server did not count what it read (some gateways)
    if message.output_tokens is not None:
        parts.append(f"{message.output_tokens:,} out")
    speed = reply_speed(message)
    if speed is not None:
        parts.append(f"{speed:.1f} tok/s")
    return " · ".join(parts)
