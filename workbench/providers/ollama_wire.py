"""Ollama's wire format: model names, request options, turns and tool calls.

Core module: never imports textual (nor `ollama` at run time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.providers.base import ChatMessage, ModelOptions, ToolCall
from workbench.textclean import sanitize, sanitize_data

if TYPE_CHECKING:
    import ollama


def canonical_name(model: str) -> str:
    """The name Ollama lists a model under: "llama3.2" is "llama3.2:latest"."""
    return model if ":" in model.rsplit("/", 1)[-1] else f"{model}:latest"


def request_options(options: ModelOptions | None) -> dict[str, Any]:
    """Ollama's `options` object for a request: only the settings that are set."""
    if options is None:
        return {}
    wanted = {
        "temperature": options.temperature,
        "num_ctx": options.num_ctx,
        "num_predict": options.max_tokens,
    }
    return {key: value for key, value in wanted.items() if value is not None}


def wire_message(message: ChatMessage) -> dict[str, Any]:
    """One turn in Ollama's wire format, with the tool calls or tool name it carries."""
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        wire["tool_calls"] = [
            {"function": {"name": call.name, "arguments": dict(call.arguments)}}
            for call in message.tool_calls
        ]
    if message.tool_name:
        wire["tool_name"] = message.tool_name
    return wire


def tool_calls_of(part: ollama.ChatResponse) -> list[ToolCall]:
    """The tool calls one streamed part of a reply carries (usually none), sanitized."""
    return [
        ToolCall(sanitize(call.function.name), sanitize_data(dict(call.function.arguments or {})))
        for call in part.message.tool_calls or []
    ]


def keep_alive_value(value: str | int | None) -> str | int | None:
    """`keep_alive` as Ollama's API takes it: a duration string ("30m") or whole seconds.

    A number written as a string ("-1", "300") becomes an int: the server reads a JSON string as
    a Go duration, which needs a unit, so "-1" would be rejected.
    """
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value
