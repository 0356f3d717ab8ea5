"""Chat with local models through the official `ollama` client, with errors a user can act on.

`ollama` (pydantic + httpx) takes ~0.4 s to import, so it is imported on first use, in a thread.
Core module: never imports textual.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC
from typing import TYPE_CHECKING, Any, Literal

from workbench.providers.base import (
    ChatMessage,
    ErrorKind,
    LoadedModel,
    ModelInfo,
    ModelOptions,
    ProviderError,
    PullProgress,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolRequest,
    Usage,
)
from workbench.providers.ollama_errors import (
    PARTIAL_KEPT,
    ToolsUnsupportedError,
    client_error,
    pull_error,
)
from workbench.providers.ollama_wire import (
    canonical_name,
    keep_alive_value,
    request_options,
    tool_calls_of,
    wire_message,
)
from workbench.providers.repaired_stream import repairing_hook
from workbench.textclean import StreamSanitizer, sanitize, sanitize_data

if TYPE_CHECKING:
    import ollama

__all__ = [
    "OllamaProvider",
    "ToolsUnsupportedError",
    "canonical_name",
    "keep_alive_value",
    "request_options",
]


async def _load() -> None:
    # Off the event loop: the import would freeze the UI for a moment.
    if "ollama" not in sys.modules:
        await asyncio.to_thread(importlib.import_module, "ollama")


def _clean(text: str | None) -> str | None:
    """`sanitize` for a field the server may leave out."""
    return sanitize(text) if text else text


WARM_UP_MAX_TOKENS = 1
"""The most a warm-up may generate, on a server that generates on an empty prompt."""


class OllamaProvider:
    """Streams chat replies from an Ollama server and lists its models."""

    # Typed as wide as the protocol's attribute, or mypy rejects it as a ChatProvider.
    name: Literal["ollama", "anthropic"] = "ollama"

    def __init__(
        self, host: str, *, timeout_s: float = 300.0, connect_timeout_s: float = 5.0
    ) -> None:
        self.host = host
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.url = host or "the Ollama server"
        """The server URL as the client resolved it (for messages)."""
        self.listed: set[str] | None = None
        """Canonical names of the installed models, from the last /api/tags answer (None
        before one): a model not in it is not asked (see `providers.chain`)."""
        self._client: ollama.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"OllamaProvider(host={self.host!r})"

    @classmethod
    def preload(cls) -> None:
        """Import the ollama client now; blocking for ~0.4 s, so call it from a thread."""
        importlib.import_module("ollama")

    async def _get_client(self) -> ollama.AsyncClient:
        # An httpx client's pooled connections belong to one event loop: make one per loop.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            await _load()
            import httpx
            import ollama

            timeout = httpx.Timeout(self.timeout_s, connect=self.connect_timeout_s)
            # Raw NEL in a JSON line would make httpx split it: see `repaired_stream`.
            hooks = {"response": [repairing_hook(httpx.AsyncByteStream)]}
            # An empty host lets the client fall back to OLLAMA_HOST, then localhost:11434.
            self._client = ollama.AsyncClient(self.host or None, timeout=timeout, event_hooks=hooks)
            self._client_loop = loop
            # The client resolved the host (scheme, default port); its httpx client holds the URL.
            self.url = str(self._client._client.base_url).rstrip("/")
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
        """Yield `TextDelta`s, one `ToolRequest` if the model called tools, then one `Usage`.

        `tools` are function schemas in Ollama's format (`{"type": "function", "function":
        {...}}`). Ollama sends a reply's tool calls as parts of the stream (often one part just
        before the last); they are collected and yielded together once the reply is complete.
        A model without tool support raises `ToolsUnsupportedError`. Raises `ProviderError` on
        any other failure.
        """
        client = await self._get_client()
        payload = [wire_message(m) for m in messages]
        if system:
            payload.insert(0, {"role": "system", "content": system})
        started = time.monotonic()
        stream: AsyncIterator[ollama.ChatResponse] | None = None
        final: ollama.ChatResponse | None = None
        calls: list[ToolCall] = []
        partial = False
        # Text is cleaned as it enters; bytes that are not UTF-8 arrive as U+FFFD already.
        cleaner = StreamSanitizer()
        try:
            stream = await client.chat(
                model=model,
                messages=payload,
                tools=tools or None,
                stream=True,
                options=request_options(options) or None,
                keep_alive=keep_alive_value(options.keep_alive if options else None),
            )
            async for part in stream:
                if part.message.content and (text := cleaner.feed(part.message.content)):
                    partial = True
                    yield TextDelta(text)
                calls += tool_calls_of(part)
                if part.done:
                    final = part
                    break
        except Exception as exc:
            raise self._error(exc, model=model, partial=partial) from exc
        finally:
            # Closing the client's generator closes the HTTP response, so a cancelled or
            # abandoned reply stops the server from generating into the void.
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()
        if tail := cleaner.flush():
            partial = True
            yield TextDelta(tail)
        if final is None:
            raise ProviderError(
                ErrorKind.STREAM_CUT,
                f"Ollama at {self.url} ended the reply without finishing it"
                f"{PARTIAL_KEPT if partial else ''}. Try again.",
            )
        if calls:
            yield ToolRequest(tuple(calls))
        yield Usage(
            model=sanitize(final.model or model),
            input_tokens=final.prompt_eval_count,
            output_tokens=final.eval_count,
            duration_s=time.monotonic() - started,
            stop_reason=sanitize(final.done_reason) if final.done_reason else None,
            # Nanoseconds spent generating, without loading and prompt reading.
            generation_s=final.eval_duration / 1e9 if final.eval_duration else None,
        )

    async def list_models(self) -> list[ModelInfo]:
        """The models installed on the server (from /api/tags)."""
        client = await self._get_client()
        try:
            listing = await client.list()
        except Exception as exc:
            raise self._error(exc) from exc
        models = []
        for entry in listing.models:
            details = entry.details
            extra = {
                "family": _clean(details.family) if details else None,
                "format": _clean(details.format) if details else None,
                "digest": _clean(entry.digest),
                "modified_at": entry.modified_at.isoformat() if entry.modified_at else None,
            }
            models.append(
                ModelInfo(
                    name=sanitize(entry.model or ""),
                    provider="ollama",
                    installed=True,
                    size_bytes=int(entry.size) if entry.size is not None else None,
                    parameter_size=_clean(details.parameter_size) if details else None,
                    quantization=_clean(details.quantization_level) if details else None,
                    details={k: v for k, v in extra.items() if v},
                )
            )
        self.listed = {canonical_name(model.name) for model in models}
        return models

    async def loaded_models(self) -> list[LoadedModel]:
        """The models the server holds in memory right now (from /api/ps)."""
        client = await self._get_client()
        try:
            running = await client.ps()
        except Exception as exc:
            raise self._error(exc) from exc
        loaded = []
        for entry in running.models:
            expires = entry.expires_at
            if expires is not None and expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)  # Ollama sends an offset; be safe anyway
            loaded.append(
                LoadedModel(
                    name=sanitize(entry.model or entry.name or ""),
                    size_bytes=int(entry.size) if entry.size is not None else None,
                    vram_bytes=int(entry.size_vram) if entry.size_vram is not None else None,
                    expires_at=expires,
                    context_length=entry.context_length,
                )
            )
        return loaded

    async def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Download a model, yielding the server's progress; raise `ProviderError` on failure.

        Cancelling the consuming task closes the HTTP stream; Ollama keeps the layers it has
        and resumes them on the next pull.
        """
        client = await self._get_client()
        stream: AsyncIterator[ollama.ProgressResponse] | None = None
        try:
            stream = await client.pull(model, stream=True)
            async for part in stream:
                yield PullProgress(
                    status=sanitize(part.status or ""),
                    digest=_clean(part.digest),
                    total=part.total,
                    completed=part.completed,
                )
        except Exception as exc:
            raise self._pull_error(exc, model) from exc
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()

    async def warm_up(
        self,
        model: str,
        keep_alive: str | int | None = None,
        options: ModelOptions | None = None,
    ) -> None:
        """Load a model into memory without generating (a generate request with no prompt).

        `options` should be those of the real request: a different `num_ctx` makes Ollama load
        the model again when the chat arrives.
        """
        client = await self._get_client()
        # Real Ollama only loads on an empty prompt, but servers imitating its API generate
        # (one made 399 tokens in 31 s, and the spec send queued behind it): at most one token.
        # num_predict does not change how the model is loaded, so the send still finds it ready.
        limited = {**request_options(options), "num_predict": WARM_UP_MAX_TOKENS}
        try:
            await client.generate(
                model=model,
                prompt="",
                keep_alive=keep_alive_value(keep_alive),
                options=limited,
            )
        except Exception as exc:
            raise self._error(exc, model=model) from exc

    async def version(self) -> str:
        """The server's version string (a cheap "is it up?" probe)."""
        client = await self._get_client()
        try:
            # The client has no version() method; its request helper adds the error handling.
            response = await client._request_raw("GET", "/api/version")
            return sanitize(str(response.json().get("version", "")))
        except Exception as exc:
            raise self._error(exc) from exc

    async def show(self, model: str) -> dict[str, Any]:
        """What the server knows about a model: capabilities, context length, details."""
        client = await self._get_client()
        try:
            info = await client.show(model)
        except Exception as exc:
            raise self._error(exc, model=model) from exc
        model_info = sanitize_data(dict(info.modelinfo or {}))
        context = next((v for k, v in model_info.items() if k.endswith(".context_length")), None)
        details = info.details
        return {
            "capabilities": sanitize_data(list(info.capabilities or [])),
            "context_length": int(context) if context is not None else None,
            "family": _clean(details.family) if details else None,
            "parameter_size": _clean(details.parameter_size) if details else None,
            "quantization": _clean(details.quantization_level) if details else None,
            "parameters": _clean(info.parameters),
            "model_info": model_info,
        }

    async def supports_tools(self, model: str) -> bool | None:
        """Whether the model can call tools, from its /api/show capabilities.

        None when that is unknown: the server is unreachable, the model is not installed, or the
        server is too old to report capabilities. One request per call; cache it if needed.
        """
        try:
            capabilities = (await self.show(model))["capabilities"]
        except ProviderError:
            return None
        return "tools" in capabilities if capabilities else None

    def _error(self, exc: Exception, *, model: str = "", partial: bool = False) -> ProviderError:
        """Translate a client or transport failure into a `ProviderError`."""
        return client_error(
            exc, url=self.url, timeout_s=self.timeout_s, model=model, partial=partial
        )

    def _pull_error(self, exc: Exception, model: str) -> ProviderError:
        """Like `_error`, for a download: registry failures arrive as error lines."""
        return pull_error(exc, url=self.url, timeout_s=self.timeout_s, model=model)
