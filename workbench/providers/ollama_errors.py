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
    if isinstance(exc, json.JSONDecodeError) or _is_validation_error(exc):
        return unreadable_reply(exc, url=url, partial=partial)
    return ProviderError(ErrorKind.OTHER, f"Ollama request to {url} failed: {exc}")


def _is_validation_error(exc: Exception) -> bool:
    # pydantic is loaded with the client; checked by name so this module need not import it.
    return type(exc).__name__ == "ValidationError" and hasattr(exc, "errors")


def unreadable_reply(exc: Exception, *, url: str, partial: bool) -> ProviderError:
    """A reply the client could not parse (not JSON, or not the shape Ollama sends)."""
    if isinstance(exc, json.JSONDecodeError):
        what = f"a line that is not JSON ({exc.msg} at character {exc.pos})"
    else:
        problems = exc.errors()  # type: ignore[attr-defined]  # a pydantic ValidationError
        first = problems[0] if problems else {}
        where = ".".join(str(part) for part in first.get("loc", ())) or "the reply"
        what = f"a reply without the fields Ollama sends ({where}: {first.get('msg', '?')})"
    return ProviderError(
        ErrorKind.BAD_REPLY,
        f"The server at {url} sent {what}, which this app cannot read"
        f"{PARTIAL_KEPT if partial else ''}. It may not be an Ollama server, or not a "
        "compatible version: check OLLAMA_HOST and the server's log, then retry.",
    )


def pull_error(exc: Exception, *, url: str, timeout_s: float, model: str) -> ProviderError:
    """Like `_error`, for a download: registry failures arrive as error lines."""
    import ollama

    foreign = foreign_error_text(exc.error) if isinstance(exc, ollama.ResponseError) else None
    if isinstance(exc, ollama.ResponseError) and foreign is not None:
        status = f"HTTP {exc.status_code}" if exc.status_code > 0 else "an error line"
        return ProviderError(
            ErrorKind.OTHER,
            f"The server at {url} refused to pull '{model}' ({status}: {foreign}). It may not "
            "be a real Ollama server, or it does not support pulls: check OLLAMA_HOST, or "
            "install the model on that server by its own means.",
        )
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
    if status >= 500:
        # Often one model's failure (it could not be loaded): another model may answer.
        return ProviderError(
            ErrorKind.SERVER_ERROR,
            f"Ollama at {url} failed on '{model}' (HTTP {status}: {message}). Check the "
            "server's log, or pick another model.",
        )
    return ProviderError(ErrorKind.OTHER, f"Ollama at {url} answered HTTP {status}: {message}")


_TEXT_LIMIT = 200
"""Most characters of a server's own error text quoted in a message."""


def foreign_error_text(error: object) -> str | None:
    """A readable version of an error body that is not Ollama's `{"error": "text"}`; else None.

    `ollama.ResponseError.error` holds Ollama's text, or the whole body when the client found no
    `error` string in it: FastAPI's `{"detail": [{"loc": [...], "msg": ...}]}` (HTTP 422), an
    OpenAI-style `{"error": {"message": ...}}`, an HTML page. Those become one line.
    """
    body = error
    if isinstance(error, str):
        text = error.strip()
        if text.startswith("<"):
            return "an HTML page instead of Ollama's JSON"
        if not text.startswith(("{", "[")):
            return None  # plain text, as Ollama's own errors are
        try:
            body = json.loads(text)
        except json.JSONDecodeError:
            return _clip(text)
    return _clip(_body_message(body))


def _body_message(body: object) -> str:
    if isinstance(body, list):
        return "; ".join(_body_message(item) for item in body) or "no reason given"
    if isinstance(body, dict):
        if "loc" in body and "msg" in body:  # one FastAPI validation error: where, then what
            loc = body["loc"]
            where = ".".join(map(str, loc)) if isinstance(loc, list) else str(loc)
            return f"{where}: {body['msg']}"
        for key in ("detail", "error", "message"):
            if key in body:
                return _body_message(body[key])
        return json.dumps(body)
    return str(body) if body not in (None, "") else "no reason given"


def _clip(text: str) -> str:
    return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"
