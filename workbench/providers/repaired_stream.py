"""JSON bodies an HTTP client can always read, repaired between the socket and the client.

Two things a server may send break the official clients before any of our code sees the text:
bytes that are not UTF-8 (the Anthropic SDK decodes each event line strictly and gives up on the
stream), and U+0085 (NEL), U+2028 or U+2029 written raw inside a JSON string (Go's JSON encoder,
so Ollama, writes NEL raw; httpx splits streamed lines on all three, so the ollama client gets
half a line and fails). A response hook wraps such a body: the client reads valid UTF-8 (U+FFFD
for a bad byte) with those three as JSON escapes. The text itself is cleaned by `textclean`.
Core module: never imports textual (nor httpx: the caller hands in its byte-stream class).
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import Any

JSON_BODIES = frozenset({"application/json", "application/x-ndjson", "text/event-stream"})
"""Content types whose bodies are repaired (JSON, JSON lines, server-sent events of JSON)."""

# Outside a string these are not JSON at all, so escaping them anywhere in the body is safe.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})

ResponseHook = Callable[[Any], Awaitable[None]]


async def repaired(chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """The bytes of a JSON body as valid UTF-8, its Unicode line breaks escaped.

    A character split across two chunks is decoded whole; a byte that is not UTF-8 becomes
    U+FFFD.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    async for chunk in chunks:
        if text := decoder.decode(chunk):
            yield text.translate(_LINE_BREAKS).encode()
    if tail := decoder.decode(b"", True):
        yield tail.translate(_LINE_BREAKS).encode()


class _Repaired:
    """Wraps a response's byte stream (mixed into the client library's own stream class)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __aiter__(self) -> AsyncIterator[bytes]:
        return repaired(self._inner)

    async def aclose(self) -> None:
        await self._inner.aclose()


def repairing_hook(byte_stream: type) -> ResponseHook:
    """A response hook for an httpx-style async client that repairs its JSON bodies.

    `byte_stream` is the library's `AsyncByteStream` (`httpx` for ollama, `httpx2` for the
    Anthropic SDK): the client checks that a body is one. A compressed body is left alone
    (this runs before it is decompressed).
    """
    stream_class = type("RepairedStream", (_Repaired, byte_stream), {})

    async def hook(response: Any) -> None:
        kind = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if kind in JSON_BODIES and encoding == "identity":
            response.stream = stream_class(response.stream)

    return hook
