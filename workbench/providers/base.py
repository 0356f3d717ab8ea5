"""The provider interface: stream a chat as events, cancellable, with user-facing errors.

Text a server sends is cleaned where it enters (`workbench.textclean`): the text, tool calls and
error messages a provider hands on carry no escape sequences, control characters (NUL, C1) or
lone surrogates, so they can always be shown and saved. Core module: never imports textual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from workbench.textclean import sanitize

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """A function the model asked to run, with its arguments (Ollama tool calling)."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatMessage:
    """One turn sent to a model."""

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    """For an assistant turn: the tools it asked to run."""
    tool_name: str | None = None
    """For a tool turn: which tool produced `content`."""


@dataclass(frozen=True)
class TextDelta:
    """A piece of reply text, in arrival order."""

    text: str


@dataclass(frozen=True)
class Usage:
    """The final record of a finished reply."""

    model: str
    """The model that really answered."""
    input_tokens: int | None = None
    output_tokens: int | None = None
    duration_s: float = 0.0
    """Wall time from request to last event, in seconds."""
    stop_reason: str | None = None
    generation_s: float | None = None
    """Seconds the server says it spent generating the output (Ollama's `eval_duration`),
    without loading and prompt reading; None when the server does not say."""


@dataclass(frozen=True)
class ToolRequest:
    """The model asked to run tools; the caller runs them and continues the chat."""

    calls: tuple[ToolCall, ...]


StreamEvent = TextDelta | Usage | ToolRequest


@dataclass(frozen=True)
class ModelOptions:
    """Per-request generation options; None leaves the server's or model's default."""

    temperature: float | None = None
    num_ctx: int | None = None
    """Context window to load the model with (Ollama's `num_ctx`)."""
    max_tokens: int | None = None
    """Longest reply (Ollama's `num_predict`, Anthropic's `max_tokens`)."""
    keep_alive: str | int | None = None
    """How long Ollama keeps the model loaded after a request: "30m", "-1" (forever), 0 seconds."""


@dataclass(frozen=True)
class LoadedModel:
    """A model the Ollama server holds in memory right now (from /api/ps)."""

    name: str
    size_bytes: int | None = None
    vram_bytes: int | None = None
    """How much of it sits in GPU memory."""
    expires_at: datetime | None = None
    """When the server unloads it unless it is used again (timezone-aware)."""
    context_length: int | None = None


@dataclass(frozen=True)
class PullProgress:
    """One step of a model download, as Ollama's pull stream reports it."""

    status: str
    digest: str | None = None
    total: int | None = None
    completed: int | None = None

    @property
    def fraction(self) -> float | None:
        """How much of the current layer is downloaded (0..1), when the server says."""
        if self.total and self.completed is not None:
            return min(1.0, self.completed / self.total)
        return None


class ErrorKind(StrEnum):
    """What went wrong, so the UI can say how to fix it."""

    UNREACHABLE = "unreachable"
    MODEL_MISSING = "model_missing"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    STREAM_CUT = "stream_cut"
    TIMEOUT = "timeout"
    EMPTY_REPLY = "empty_reply"
    """The model answered with no text at all (a full context, an error the server swallowed)."""
    SERVER_ERROR = "server_error"
    """The server failed on this request (HTTP 5xx other than busy): another model may answer."""
    BAD_REPLY = "bad_reply"
    """The server sent something the client cannot read (not the API it claims to speak, text
    that is not UTF-8)."""
    NOT_SAVED = "not_saved"
    """The reply could not be written to the transcript, so it was stopped (its text is kept)."""
    OTHER = "other"


class ProviderError(Exception):
    """A failure with a message a user can act on (what happened, how to fix it).

    The message often quotes the server, so it is sanitized here, once, for every failure.
    """

    def __init__(self, kind: ErrorKind, message: str) -> None:
        message = sanitize(message)
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ModelInfo:
    """A model a provider can serve."""

    name: str
    provider: Literal["ollama", "anthropic"]
    installed: bool = True
    size_bytes: int | None = None
    parameter_size: str | None = None
    quantization: str | None = None
    details: dict[str, str] = field(default_factory=dict)


class ChatProvider(Protocol):
    """Something that streams chat replies from models."""

    name: Literal["ollama", "anthropic"]

    def stream_chat(
        self,
        model: str,
        messages: list[ChatMessage],
        *,
        system: str | None = None,
        options: ModelOptions | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Yield `TextDelta`s then exactly one `Usage`; raise `ProviderError` on failure.

        Text and tool calls are sanitized (`textclean.StreamSanitizer`, `sanitize_data`).
        Cancelling the consuming task closes the underlying HTTP stream.
        """
        ...

    async def list_models(self) -> list[ModelInfo]:
        """The models this provider can serve right now (raises `ProviderError`)."""
        ...
