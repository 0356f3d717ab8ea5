"""A fake Anthropic Messages API (POST /v1/messages, SSE or JSON), scriptable to fail.

Run it by hand for manual testing or benchmarks:
    python -m tests.fakes.anthropic_server --port 11600 --tokens-per-s 60
then point the app at it with ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY=sk-test.
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

from tests.fakes.loopback import Exchange, LoopbackServer, closed_port_url

__all__ = ["ERRORS", "FakeAnthropic", "RecordedRequest", "closed_port_url"]

DEFAULT_REPLY = """Looks right overall. Two points:

- `greet` should **reject** an empty name.
- Add a test for the unicode case.

```python
assert greet("Zoë") == "Hello, Zoë!"
```
"""

ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "messages: at least one message is required"),
    401: ("authentication_error", "invalid x-api-key"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "Not found"),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}
"""The error type and message the real API sends with each status."""
_RAW = "<raw chunk>"
"""Stands in the JSON of an event for the raw bytes of `FakeAnthropic.raw_chunks`."""


class RecordedRequest(NamedTuple):
    """One request the fake received."""

    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    """Header names lower-cased."""


class FakeAnthropic(LoopbackServer):
    """A loopback Anthropic API answering POST /v1/messages."""

    label = "fake anthropic"

    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self.valid_key = "sk-test"
        """The only key accepted, as `x-api-key` or `Authorization: Bearer`."""
        self.models: list[str] | None = None
        """Known models; None accepts any name, otherwise others get a 404."""
        self.reply = DEFAULT_REPLY
        self.chunk_chars = 4
        """Characters per text delta (one delta counts as one token)."""
        self.status_override: int | None = None
        """Answer with this status and the real error body for it (see `ERRORS`)."""
        self.cut_after: int | None = None
        """Close the connection after this many text deltas."""
        self.error_event_after: int | None = None
        """Send `event: error` after this many text deltas, then end the stream."""
        self.raw_chunks: dict[int, bytes] = {}
        """Text delta index -> bytes sent as that delta's text, written between the JSON
        string's quotes as they are: JSON escapes as spelled (`b"\\ud800"`, a lone surrogate;
        `b"\\u0000"`, NUL) or bytes that are not UTF-8 (0xFF 0xFE)."""
        self.error_event_type = "overloaded_error"
        self.drop_stop = False
        """End the stream cleanly but without `message_delta` and `message_stop`."""
        self.error_event_message = "Overloaded"
        self.delay_first_s = 0.0
        """Seconds to wait before the response headers."""
        self.gateway_usage = False
        """Report usage as gateways (LiteLLM) do: `input_tokens: 0` in `message_start`, the
        real count in `message_delta`."""
        self.usage_unknown = False
        """Report `input_tokens: 0` everywhere (a server that does not count)."""
        self.requests: list[RecordedRequest] = []
        self._record_lock = threading.Lock()
        self._ids = itertools.count(1)
        # `workbench doctor`'s endpoint check (issue 11): the model list and a gateway's 404s.
        self.not_found_everywhere = False
        """Answer every request with FastAPI's HTTP 404 `{"detail": "Not Found"}`, as a gateway
        does when the base URL is wrong."""
        self.serves_models = True
        """Serve GET /v1/models (the real API's free model list); False answers it 404, as
        gateways that only forward /v1/messages do."""
        self.listed_models = ["claude-sonnet-5-5", "claude-haiku-5-5"]
        """What GET /v1/models lists when `models` is None."""
        self.rejects_empty_messages = False
        """Answer a message request with no messages HTTP 400, as the real API does before any
        model runs (off by default: older tests send none and expect a reply)."""

    def message_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every POST /v1/messages so far."""
        with self._record_lock:
            return [r.body for r in self.requests if r.path == "/v1/messages"]

    def chunks(self) -> list[str]:
        """The reply split into the text deltas the stream will carry."""
        size = max(1, self.chunk_chars)
        return [self.reply[i : i + size] for i in range(0, len(self.reply), size)]

    def record(self, ex: Exchange, method: str, path: str, body: dict[str, Any]) -> None:
        headers = {name.lower(): value for name, value in ex.headers.items()}
        with self._record_lock:
            self.requests.append(RecordedRequest(method, path, body, headers))

    def route(self, ex: Exchange, method: str, path: str, body: dict[str, Any]) -> None:
        if self._route_probe(ex, method, path, body):
            return
        if method != "POST" or path != "/v1/messages":
            self._error(ex, 404, message=f"{method} {path} not found")
            return
        if self.delay_first_s:
            time.sleep(self.delay_first_s)
        if not self._authorised(ex):
            self._error(ex, 401)
        elif self.status_override is not None:
            self._error(ex, self.status_override)
        elif missing := [k for k in ("model", "max_tokens", "messages") if k not in body]:
            self._error(ex, 400, message=f"{missing[0]}: Field required")
        elif self.models is not None and body["model"] not in self.models:
            self._error(ex, 404, message=f"model: {body['model']}")
        elif _ends_in_white_space(body["messages"]):
            # The real API's check on a prefilled (continued) assistant turn.
            message = "messages: final assistant content cannot end with trailing whitespace"
            self._error(ex, 400, message=message)
        elif body.get("stream"):
            self._stream(ex, body)
        else:
            self._whole(ex, body)

    def _authorised(self, ex: Exchange) -> bool:
        bearer = ex.headers.get("Authorization", "")
        key = ex.headers.get("x-api-key") or bearer.removeprefix("Bearer ").strip()
        return key == self.valid_key

    def _request_id(self) -> str:
        return f"req_fake{next(self._ids):08d}"

    def _error(self, ex: Exchange, status: int, *, message: str | None = None) -> None:
        kind, default = ERRORS.get(status, ("api_error", "Internal server error"))
        request_id = self._request_id()
        payload = {
            "type": "error",
            "error": {"type": kind, "message": message or default},
            "request_id": request_id,
        }
        headers = {"request-id": request_id}
        if status == 429:
            headers["retry-after"] = "1"
        ex.send_json(status, payload, headers)

    def _input_tokens(self, body: dict[str, Any]) -> int:
        text = json.dumps(body.get("messages", [])) + json.dumps(body.get("system", ""))
        return max(1, len(text) // 4)

    def _message(self, body: dict[str, Any], content: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": f"msg_fake{next(self._ids):08d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": self._input_tokens(body), "output_tokens": 1},
        }

    def _whole(self, ex: Exchange, body: dict[str, Any]) -> None:
        message = self._message(body, [{"type": "text", "text": self.reply}])
        message["stop_reason"] = "end_turn"
        message["usage"]["output_tokens"] = len(self.chunks())
        ex.send_json(200, message, {"request-id": self._request_id()})

    def _stream(self, ex: Exchange, body: dict[str, Any]) -> None:
        chunks = self.chunks()
        # Like the real API: one delta is one token, and the reply stops at max_tokens.
        stop_reason = "max_tokens" if len(chunks) > body["max_tokens"] else "end_turn"
        chunks = chunks[: body["max_tokens"]]
        self.stream_began()
        started = time.monotonic()
        ex.begin_chunked("text/event-stream; charset=utf-8", {"request-id": self._request_id()})
        start = self._message(body, [])
        real_input = start["usage"]["input_tokens"]
        if self.gateway_usage or self.usage_unknown:
            start["usage"]["input_tokens"] = 0
        self._event(ex, "message_start", {"type": "message_start", "message": start})
        block = {"type": "text", "text": ""}
        self._event(
            ex,
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        )
        self._event(ex, "ping", {"type": "ping"})
        for index, text in enumerate(chunks):
            if index == self.cut_after:
                ex.cut()
                self.streams_finished += 1
                return
            if index == self.error_event_after:
                error = {"type": self.error_event_type, "message": self.error_event_message}
                self._event(ex, "error", {"type": "error", "error": error})
                ex.end_chunked()
                self.streams_finished += 1
                return
            self.paced(index, started)
            raw = self.raw_chunks.get(index)
            delta = {"type": "text_delta", "text": text if raw is None else _RAW}
            self._event(
                ex,
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": delta},
                raw,
            )
            self.chunks_sent += 1
        if self.cut_after is not None and self.cut_after >= len(chunks):
            ex.cut()
            self.streams_finished += 1
            return
        self._event(ex, "content_block_stop", {"type": "content_block_stop", "index": 0})
        if self.drop_stop:
            ex.end_chunked()
            self.streams_finished += 1
            return
        self._event(
            ex,
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": len(chunks)}
                | ({"input_tokens": real_input} if self.gateway_usage else {}),
            },
        )
        self._event(ex, "message_stop", {"type": "message_stop"})
        ex.end_chunked()
        self.streams_finished += 1

    @staticmethod
    def _event(ex: Exchange, name: str, data: dict[str, Any], raw: bytes | None = None) -> None:
        line = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
        if raw is not None:
            line = line.replace(json.dumps(_RAW).encode(), b'"' + raw + b'"', 1)
        ex.chunk(line)

    def _route_probe(self, ex: Exchange, method: str, path: str, body: dict[str, Any]) -> bool:
        """Answer what `workbench doctor` probes (issue 11); False leaves the request to `route`."""
        if self.not_found_everywhere:
            ex.send_json(404, {"detail": "Not Found"})
        elif (method, path) == ("GET", "/v1/models") and self.serves_models:
            if not self._authorised(ex):
                self._error(ex, 401)
                return True
            names = self.models if self.models is not None else self.listed_models
            data = [
                {
                    "type": "model",
                    "id": name,
                    "display_name": name.replace("-", " ").title(),
                    "created_at": "2026-09-01T00:00:00Z",
                }
                for name in names
            ]
            ex.send_json(
                200,
                {
                    "data": data,
                    "has_more": False,
                    "first_id": names[0] if names else None,
                    "last_id": names[-1] if names else None,
                },
            )
        elif (
            path == "/v1/messages"
            and self.rejects_empty_messages
            and body.get("messages") == []
            and self._authorised(ex)
        ):
            self._error(ex, 400)
        else:
            return False
        return True


def _ends_in_white_space(messages: list[dict[str, Any]]) -> bool:
    last = messages[-1] if messages else {}
    content = last.get("content")
    return (
        last.get("role") == "assistant" and isinstance(content, str) and content != content.rstrip()
    )


def main(argv: list[str] | None = None) -> None:
    """Serve a fake Anthropic API until killed, printing its URL."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.anthropic_server")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0 = any free)")
    parser.add_argument("--reply-file", type=Path, help="file whose text the model answers")
    parser.add_argument("--tokens-per-s", type=float, help="stream speed (default: full speed)")
    parser.add_argument("--chunk-chars", type=int, default=4, help="characters per text delta")
    parser.add_argument("--key", default="sk-test", help="the API key to accept")
    parser.add_argument(
        "--not-found-everywhere", action="store_true", help="answer 404 to every request"
    )
    args = parser.parse_args(argv)
    fake = FakeAnthropic(args.port)
    if args.reply_file:
        fake.reply = args.reply_file.read_text(encoding="utf-8")
    fake.tokens_per_s = args.tokens_per_s
    fake.chunk_chars = args.chunk_chars
    fake.valid_key = args.key
    fake.not_found_everywhere = args.not_found_everywhere
    fake.start()
    print(fake.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
