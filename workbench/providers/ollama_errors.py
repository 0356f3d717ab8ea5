"""Ollama client and transport failures as `ProviderError`s that say what to do.

Core module: never imports textual; `ollama` and `httpx` are imported only when an error is
being translated (they are loaded by then).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from workbench.providers.base import ErrorKind, ProviderError

if TYPE_CHECKING:
    import ollama

PARTIAL_KEPT = "; the partial text is kept"
_NOT_IN_REGISTRY = "file does not exist"
"""What Ollama's pull reports when the registry has no such model or tag."""
_NO_TOOLS = "does not support tools"
"""What Ollama answers (HTTP 400) when `tools` go to a model whose template has no tool support."""


class ToolsUnsupportedError(ProviderError):
    """The model cannot call tools: Ollama refused a request that offered it some.

    Its `kind` is `ErrorKind.OTHER` (retrying the same request cannot help); catch this class to
    tell it apart, e.g. to offer a tool-capable model or to ask again without tools.
    """

    def __init__(self, model: str, message: str) -> None:
        super().__init__(ErrorKind.OTHER, message)
        self.model = model


def client_error(
    exc: Exception, *, url: str, timeout_s: float, model: str = "", partial: bool = False
) -> ProviderError:
    """Translate a client or transport failure into a `ProviderError`."""
    import httpx
    import ollama

    if isinstance(exc, ProviderError):
        return exc
    # Without streaming the client turns ConnectError into ConnectionError; with it, not.
    if isinstance(exc, ConnectionError | httpx.ConnectError | httpx.ConnectTimeout):
        return ProviderError(
            ErrorKind.UNREACHABLE,
            f"Cannot reach Ollama at {url}. Start it with `ollama serve`, "
            "or set OLLAMA_HOST to the address where it runs.",
        )
    if isinstance(exc, ollama.ResponseError):
        return _response_error(exc, url=url, model=model, partial=partial)
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(
            ErrorKind.TIMEOUT,
            f"Ollama at {url} sent nothing for {timeout_s:g} s{PARTIAL_KEPT if partial else ''}; "
            "the model may still be loading or the machine is overloaded. "
            "Retry, or raise timeout_s under [ollama].",
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        where = "mid-reply" + PARTIAL_KEPT if partial else "before any reply arrived"
        return ProviderError(
            ErrorKind.STREAM_CUT,
            f"The connection to Ollama at {url} was cut {where}. Check that the server is "
            "still running, then retry.",
        )
    if isinstance(exc, json.JSONDecodeError):
        return ProviderError(
            ErrorKind.OTHER, f"Ollama at {url} sent a line that is not JSON: {exc}."
        )
    return ProviderError(ErrorKind.OTHER, f"Ollama request to {url} failed: {exc}")


def pull_error(exc: Exception, *, url: str, timeout_s: float, model: str) -> ProviderError:
    """Like `_error`, for a download: registry failures arrive as error lines."""
    import ollama

    if isinstance(exc, ollama.ResponseError) and exc.status_code in (-1, 400, 404, 500):
        message = str(exc.error)
        if _NOT_IN_REGISTRY in message or exc.status_code == 404:
            return ProviderError(
                ErrorKind.MODEL_MISSING,
                f"The Ollama library has no model '{model}'; check the name and tag "
                "(see https://ollama.com/library).",
            )
        return ProviderError(
            ErrorKind.OTHER,
            f"Ollama at {url} could not download '{model}': {message}",
        )
    error = client_error(exc, url=url, timeout_s=timeout_s, model=model)
    if error.kind is ErrorKind.STREAM_CUT:
        return ProviderError(
            ErrorKind.STREAM_CUT,
            f"The connection to Ollama at {url} was cut during the download of "
            f"'{model}'; run the pull again to resume it.",
        )
    if error.kind is ErrorKind.TIMEOUT:
        return ProviderError(
            ErrorKind.TIMEOUT,
            f"Ollama at {url} reported no progress on '{model}' for "
            f"{timeout_s:g} s; run the pull again to resume it, or raise timeout_s "
            "under [ollama].",
        )
    return error


def _response_error(
    exc: ollama.ResponseError, *, url: str, model: str, partial: bool
) -> ProviderError:
    message, status = str(exc.error), exc.status_code
    if status == 404:
        return ProviderError(
            ErrorKind.MODEL_MISSING,
            f"Model '{model}' is not installed on the Ollama server at {url}. "
            f"Run `ollama pull {model}`, or pick an installed model.",
        )
    if status == -1:
        # An {"error": ...} line in the middle of a stream: the runner failed mid-reply.
        return ProviderError(
            ErrorKind.OTHER,
            f"Ollama stopped the reply with an error: {message}{PARTIAL_KEPT if partial else ''}.",
        )
    if status == 400 and _NO_TOOLS in message:
        return ToolsUnsupportedError(
            model,
            f"Model '{model}' cannot call tools, so it cannot look at the project itself "
            f"(Ollama: {message}). Pick a model with tool support (`ollama show {model}` "
            "lists its capabilities), or ask without tools.",
        )
    if status in (401, 403):
        return ProviderError(
            ErrorKind.AUTH,
            f"Ollama at {url} refused the request (HTTP {status}: {message}); "
            "check OLLAMA_API_KEY if the server needs one.",
        )
    if status == 503:
        return ProviderError(
            ErrorKind.OVERLOADED,
            f"Ollama at {url} is busy (HTTP 503: {message}); wait and retry.",
        )
    return ProviderError(ErrorKind.OTHER, f"Ollama at {url} answered HTTP {status}: {message}")
