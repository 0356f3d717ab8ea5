"""Chat with Claude through the official `anthropic` SDK, with errors a user can act on.

`import anthropic` costs ~2 s, so this module never imports it at import time: `stream_chat`
imports it in a thread, and `AnthropicProvider.preload()` lets the UI warm it up earlier.
The API key never appears in a message or repr. Core module: never imports textual.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from workbench.providers.base import (
    ChatMessage,
    ErrorKind,
    ModelInfo,
    ModelOptions,
    ProviderError,
    StreamEvent,
    TextDelta,
    Usage,
)
from workbench.providers.repaired_stream import repairing_hook
from workbench.textclean import StreamSanitizer, sanitize

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import MessageParam

DEFAULT_MODELS = ["claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5"]
"""Offered when the config names no cloud models."""

NO_KEY_MESSAGE = (
    "No Anthropic API key: set ANTHROPIC_API_KEY or api_key under [anthropic] in the config file "
    "(`workbench config` shows where)."
)
_KEPT = "; the partial text is kept"


def turn_text(message: ChatMessage) -> str:
    """A turn's text for Claude, with tool traffic from a local model's turns written out.

    The cloud tier gets no tools, so tool calls and results cannot travel as tool-use blocks
    (those need ids and tool definitions); they become plain text Claude can still read.
    """
    if message.role == "tool":
        return f"[Result of tool {message.tool_name or 'call'}]\n{message.content}"
    calls = [
        f"[Called tool {call.name} {json.dumps(call.arguments, ensure_ascii=False)}]"
        for call in message.tool_calls
    ]
    return "\n".join(part for part in (message.content, *calls) if part)


def message_turns(messages: list[ChatMessage]) -> list[MessageParam]:
    """The user and assistant turns of a history (tool results count as user turns).

    Consecutive tool results are joined into one user turn.
    """
    turns: list[MessageParam] = []
    previous: ChatMessage | None = None
    for m in messages:
        if m.role == "system":
            continue
        text = turn_text(m)
        if m.role == "tool" and previous is not None and previous.role == "tool" and turns:
            turns[-1]["content"] = f"{turns[-1]['content']}\n\n{text}"
        elif m.role == "assistant":
            turns.append({"role": "assistant", "content": text})
        else:
            turns.append({"role": "user", "content": text})
        previous = m
    return turns


@dataclass(frozen=True)
class EndpointAnswer:
    """How the API answered `AnthropicProvider.check_endpoint` (nothing generated, no text sent)."""

    request: str
    """The request that answered last: "GET /v1/models", or "POST /v1/messages" after a 404."""
    status: int
    """Its HTTP status (200 when it succeeded)."""
    message: str = ""
    """The server's error message, when it sent one."""


class AnthropicProvider:
    """Streams chat replies from the Anthropic Messages API."""

    # Typed as wide as the protocol's attribute, or mypy rejects it as a ChatProvider.
    name: Literal["ollama", "anthropic"] = "anthropic"

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str | None = None,
        max_tokens: int = 8192,
        max_retries: int = 2,
        timeout_s: float = 600.0,
        models: list[str] | None = None,
    ) -> None:
        self._api_key = api_key or os.environ.get("ANTHROPIC_API_KEY") or None
        self.base_url = base_url
        self.max_tokens = max_tokens
        self.max_retries = max_retries
        self.timeout_s = timeout_s
        self.models = list(DEFAULT_MODELS if models is None else models)
        self.url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com"
        """The API base URL (for messages)."""
        self._client: anthropic.AsyncAnthropic | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        key = "set" if self._api_key else "missing"
        return f"AnthropicProvider(url={self.url!r}, key={key})"

    @classmethod
    def preload(cls) -> None:
        """Import the SDK now; blocking for ~2 s, so call it from a thread."""
        importlib.import_module("anthropic")

    @property
    def has_key(self) -> bool:
        """Whether an API key is configured."""
        return bool(self._api_key)

    async def _get_client(self) -> anthropic.AsyncAnthropic:
        if "anthropic" not in sys.modules:
            # Off the event loop: the import would freeze the UI for seconds.
            await asyncio.to_thread(importlib.import_module, "anthropic")
        import anthropic

        # The SDK's httpx client pools connections per event loop: make one client per loop.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            import httpx2

            # The SDK's own HTTP client and defaults, plus the repair of bytes that are not
            # UTF-8, on which the SDK would give up the whole stream (`repaired_stream`).
            hooks = {"response": [repairing_hook(httpx2.AsyncByteStream)]}
            self._client = anthropic.AsyncAnthropic(
                api_key=self._api_key,
                base_url=self.base_url,
                max_retries=self.max_retries,
                timeout=anthropic.Timeout(self.timeout_s, connect=min(10.0, self.timeout_s)),
                http_client=anthropic.DefaultAsyncHttpxClient(event_hooks=hooks),
            )
            self._client_loop = loop
            self.url = str(self._client.base_url).rstrip("/")
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP connections (call on the loop that used the provider)."""
        if self._client is not None and self._client_loop is asyncio.get_running_loop():
            await self._client.close()
        self._client = None

    async def stream_chat(
        self,
        model: str,
        messages: list[ChatMessage],
        *,
        system: str | None = None,
        options: ModelOptions | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Yield `TextDelta`s then one `Usage`; raise `ProviderError` on failure.

        `tools` is accepted for the protocol's sake and ignored: the cloud tier gets no tools,
        so this never yields a `ToolRequest`. Tool calls and results already in the history (from
        a local model's tool loop) are sent as text (`turn_text`).

        Of `options`, only `max_tokens` applies (it overrides the provider's default). The API
        has no context size or keep-alive, and current Claude models reject `temperature` (HTTP
        400 "temperature is deprecated for this model"; SDK 2.x dropped the parameter), so it is
        never sent.
        """
        if not self._api_key:
            raise ProviderError(ErrorKind.AUTH, NO_KEY_MESSAGE)
        client = await self._get_client()
        import anthropic  # already loaded by _get_client, so this costs nothing

        # The API takes the system prompt as a parameter, not as a turn.
        system_parts = [system] if system else []
        system_parts += [m.content for m in messages if m.role == "system"]
        turns = message_turns(messages)
        max_tokens = options.max_tokens if options and options.max_tokens else self.max_tokens
        started = time.monotonic()
        input_tokens: int | None = None
        partial = stopped = False
        cleaner = StreamSanitizer()  # text is cleaned as it enters
        try:
            async with client.messages.stream(
                model=model,
                max_tokens=max_tokens,
                messages=turns,
                system="\n\n".join(system_parts) if system_parts else anthropic.omit,
            ) as stream:
                async for event in stream:
                    if event.type == "message_start":
                        input_tokens = event.message.usage.input_tokens
                    elif event.type == "message_delta":
                        # Gateways send 0 in message_start and the real count here.
                        late = getattr(event.usage, "input_tokens", None)
                        input_tokens = late if late else input_tokens
                    elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                        if text := cleaner.feed(event.delta.text):
                            partial = True
                            yield TextDelta(text)
                    elif event.type == "message_stop":
                        stopped = True
                if tail := cleaner.flush():
                    partial = True
                    yield TextDelta(tail)
                if not stopped:
                    raise ProviderError(
                        ErrorKind.STREAM_CUT,
                        f"Anthropic at {self.url} ended the reply without finishing it"
                        f"{_KEPT if partial else ''}. Try again.",
                    )
                final = await stream.get_final_message()
        except Exception as exc:
            raise self._error(exc, model=model, partial=partial) from exc
        counted = input_tokens or final.usage.input_tokens
        yield Usage(
            model=sanitize(final.model or model),
            # No request reads 0 tokens: a 0 means the server did not count (shown as unknown).
            input_tokens=counted or None,
            output_tokens=final.usage.output_tokens,
            duration_s=time.monotonic() - started,
            stop_reason=sanitize(final.stop_reason) if final.stop_reason else None,
        )

    async def list_models(self) -> list[ModelInfo]:
        """The configured cloud models (no network call)."""
        return [ModelInfo(name=name, provider="anthropic") for name in self.models]

    async def check_endpoint(self) -> EndpointAnswer:
        """Check the base URL and the key without generating anything or sending any text.

        Lists one model (GET /v1/models, which costs nothing). Gateways may not serve that list,
        so after a 404 it sends a message request with no messages, which the real API rejects
        (HTTP 400) before any model runs; a 404 to both means the base URL is wrong. Returns the
        last answer; raises `ProviderError` when there is no key or the server cannot be reached.
        """
        if not self._api_key:
            raise ProviderError(ErrorKind.AUTH, NO_KEY_MESSAGE)
        client = await self._get_client()
        import anthropic  # already loaded by _get_client

        request = "GET /v1/models"
        try:
            try:
                await client.models.list(limit=1)
            except anthropic.NotFoundError:
                request = "POST /v1/messages"
                model = self.models[0] if self.models else DEFAULT_MODELS[0]
                await client.messages.create(model=model, max_tokens=1, messages=[])
        except anthropic.APIStatusError as exc:
            message = sanitize(self._scrub(exc.api_message or str(exc)))
            return EndpointAnswer(request, exc.status_code, message)
        except Exception as exc:
            raise self._error(exc, model="", partial=False) from exc
        return EndpointAnswer(request, 200)

    def _scrub(self, text: str) -> str:
        # Belt and braces: no server or library message may carry the key to the screen.
        return text.replace(self._api_key, "[api key]") if self._api_key else text

    def _error(self, exc: Exception, *, model: str, partial: bool) -> ProviderError:
        """Translate an SDK or transport failure into a `ProviderError`."""
        if isinstance(exc, ProviderError):
            return exc
        import anthropic
        import httpx2

        kept = _KEPT if partial else ""
        kind, message = ErrorKind.OTHER, f"The Anthropic request to {self.url} failed: {exc}"
        if isinstance(exc, anthropic.APITimeoutError):
            kind = ErrorKind.TIMEOUT
            message = f"Anthropic at {self.url} did not answer in time{kept}. Try again."
        elif isinstance(exc, anthropic.APIConnectionError):
            kind = ErrorKind.UNREACHABLE
            message = (
                f"Cannot reach the Anthropic API at {self.url}: check the network connection"
                " and base_url under [anthropic] (or ANTHROPIC_BASE_URL)."
            )
        elif isinstance(exc, anthropic.APIStatusError):
            kind, message = self._status_error(exc, model, kept)
        elif isinstance(exc, UnicodeDecodeError):
            # The SDK decodes each event line strictly, so it cannot go on. The repair in
            # `repaired_stream` prevents it, except for a compressed stream.
            kind = ErrorKind.BAD_REPLY
            message = (
                f"Anthropic at {self.url} sent text that is not valid UTF-8{kept}. Try again; "
                "if it happens again, a gateway or proxy in between is damaging the reply."
            )
        elif isinstance(exc, httpx2.TimeoutException):
            kind = ErrorKind.TIMEOUT
            message = (
                f"Anthropic at {self.url} stopped sending for {self.timeout_s:g} s{kept}. "
                "Try again."
            )
        elif isinstance(exc, httpx2.RemoteProtocolError | httpx2.ReadError):
            kind = ErrorKind.STREAM_CUT
            message = (
                f"The connection to Anthropic at {self.url} was cut mid-reply{kept}. Try again."
                if partial
                else f"The connection to Anthropic at {self.url} closed before any reply "
                "arrived. Try again."
            )
        return ProviderError(kind, self._scrub(message))

    def _status_error(
        self, exc: anthropic.APIStatusError, model: str, kept: str
    ) -> tuple[ErrorKind, str]:
        import anthropic

        status, detail = exc.status_code, exc.api_message or str(exc)
        at = f"Anthropic at {self.url}"
        if status == 200:
            # An `event: error` in the middle of a stream arrives as a status error with 200.
            if exc.type == "overloaded_error":
                return ErrorKind.OVERLOADED, f"{at} is overloaded and stopped the reply{kept}."
            if exc.type == "rate_limit_error":
                return ErrorKind.RATE_LIMITED, f"{at} rate limited the reply{kept}."
            return (
                ErrorKind.STREAM_CUT,
                f"{at} stopped the reply with an error: {detail}{kept}.",
            )
        if isinstance(exc, anthropic.AuthenticationError):
            return ErrorKind.AUTH, (
                f"{at} rejected the API key (HTTP 401); check ANTHROPIC_API_KEY or api_key "
                "under [anthropic] in the config file."
            )
        if isinstance(exc, anthropic.PermissionDeniedError):
            return ErrorKind.AUTH, f"{at}: the API key may not use this (HTTP 403): {detail}"
        if isinstance(exc, anthropic.NotFoundError):
            return ErrorKind.MODEL_MISSING, (
                f"{at} has no model '{model}' (HTTP 404): check the model name in the config, "
                "and that base_url under [anthropic] (or ANTHROPIC_BASE_URL) is the API's "
                "address; `workbench doctor` checks it."
            )
        if isinstance(exc, anthropic.RateLimitError):
            return ErrorKind.RATE_LIMITED, f"{at} rate limited the request; wait and retry."
        if isinstance(exc, anthropic.OverloadedError):
            return ErrorKind.OVERLOADED, f"{at} is overloaded (HTTP 529); retry in a while."
        if status >= 500:
            return ErrorKind.SERVER_ERROR, f"{at} failed (HTTP {status}: {detail}); retry."
        return ErrorKind.OTHER, f"{at} answered HTTP {status}: {detail}"
