"""A fake Ollama server speaking the real wire protocol (NDJSON chat streams), scriptable to fail.

Run it by hand for manual testing or benchmarks:
    python -m tests.fakes.ollama_server --port 11500 --tokens-per-s 40 --models qwen2.5-coder:7b
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.fakes.loopback import Exchange, LoopbackServer, closed_port_url

__all__ = ["DEFAULT_REPLY", "FakeOllama", "closed_port_url"]

DEFAULT_REPLY = """## Plan

Here is a **small** change, in three steps:

1. Read the file.
2. Apply the patch:

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```

3. Run the tests.

Done.
"""

_DIGEST = "sha256:" + "0123456789abcdef" * 4


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class FakeOllama(LoopbackServer):
    """A loopback Ollama: /api/version, /api/tags, /api/ps, /api/show and /api/chat."""

    label = "fake ollama"

    def __init__(self, port: int = 0, *, models: list[str] | None = None) -> None:
        super().__init__(port)
        self.models: list[str] = list(models or ["qwen2.5-coder:7b", "llama3.2:3b"])
        """Installed models; any other model name gets a 404 like real Ollama."""
        self.reply = DEFAULT_REPLY
        """The assistant's reply, unless `replies` has one for the model."""
        self.replies: dict[str, str] = {}
        """Per-model replies."""
        self.chunk_chars = 4
        """Characters per streamed chunk (one chunk counts as one token)."""
        self.cut_after: int | None = None
        """Close the connection after this many chunks, without the done line."""
        self.error_after: int | None = None
        """Send an `{"error": ...}` line after this many chunks, then end the stream."""
        self.error_message = "llama runner process has terminated: exit status 2"
        self.drop_done = False
        """End the stream cleanly but without the `done: true` line."""
        self.status_override: int | None = None
        """Answer /api/chat with this HTTP status and an `{"error": ...}` body."""
        self.status_message = "an unexpected error occurred"
        self.delay_first_s = 0.0
        """Seconds to wait before the response headers of /api/chat (model loading)."""
        self.version = "0.12.6"
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        """Every request: (method, path, JSON body)."""
        self._record_lock = threading.Lock()

    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every /api/chat request so far."""
        with self._record_lock:
            return [body for _, path, body in self.requests if path == "/api/chat"]

    def reply_for(self, model: str) -> str:
        """The text this model answers with."""
        return self.replies.get(model, self.reply)

    def chunks_for(self, model: str) -> list[str]:
        """The reply split into the chunks the stream will carry."""
        text, size = self.reply_for(model), max(1, self.chunk_chars)
        return [text[i : i + size] for i in range(0, len(text), size)]

    def record(self, ex: Exchange, method: str, path: str, body: dict[str, Any]) -> None:
        with self._record_lock:
            self.requests.append((method, path, body))

    def route(self, ex: Exchange, method: str, path: str, body: dict[str, Any]) -> None:
        if path == "/api/version" and method == "GET":
            ex.send_json(200, {"version": self.version})
        elif path == "/api/tags" and method == "GET":
            ex.send_json(200, {"models": [self._tag(name) for name in list(self.models)]})
        elif path == "/api/ps":
            ex.send_json(200, {"models": [self._running(name) for name in list(self.models)[:1]]})
        elif path == "/api/show" and method == "POST":
            self._show(ex, body.get("model") or body.get("name") or "")
        elif path == "/api/chat" and method == "POST":
            self._chat(ex, body)
        else:
            ex.send_json(404, {"error": "404 page not found"})

    def _details(self, name: str) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": name.split(":")[0].split(".")[0].split("-")[0] or "llama",
            "families": ["llama"],
            "parameter_size": "7.6B",
            "quantization_level": "Q4_K_M",
        }

    def _tag(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "model": name,
            "modified_at": "2026-10-01T12:00:00.000000000Z",
            "size": 4_683_087_332,
            "digest": _DIGEST,
            "details": self._details(name),
        }

    def _running(self, name: str) -> dict[str, Any]:
        return {
            **self._tag(name),
            "expires_at": "2099-01-01T00:00:00Z",
            "size_vram": 4_683_087_332,
            "context_length": 4096,
        }

    def _show(self, ex: Exchange, name: str) -> None:
        if name not in self.models:
            ex.send_json(404, {"error": f"model '{name}' not found"})
            return
        ex.send_json(
            200,
            {
                "modelfile": f"FROM {name}\n",
                "parameters": 'stop "<|im_end|>"',
                "template": "{{ .Prompt }}",
                "details": self._details(name),
                "model_info": {
                    "general.architecture": "qwen2",
                    "general.parameter_count": 7_615_616_512,
                    "qwen2.context_length": 32768,
                },
                "capabilities": ["completion", "tools", "insert"],
                "modified_at": "2026-10-01T12:00:00.000000000Z",
            },
        )

    def _chat(self, ex: Exchange, body: dict[str, Any]) -> None:
        model = str(body.get("model", ""))
        if self.delay_first_s:
            time.sleep(self.delay_first_s)
        if self.status_override is not None:
            ex.send_json(self.status_override, {"error": self.status_message})
            return
        if model not in self.models:
            ex.send_json(404, {"error": f"model '{model}' not found"})
            return
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        chunks = self.chunks_for(model)
        started = time.monotonic()
        final: dict[str, Any] = {
            "model": model,
            "created_at": _now(),
            "message": {"role": "assistant", "content": ""},
            "done_reason": "stop",
            "done": True,
            "total_duration": 0,
            "load_duration": 1_000_000,
            "prompt_eval_count": max(1, prompt_chars // 4),
            "prompt_eval_duration": 2_000_000,
            "eval_count": len(chunks),
            "eval_duration": 0,
        }
        # Real Ollama streams unless the request says `"stream": false`.
        if not body.get("stream", True):
            final["message"]["content"] = "".join(chunks)
            self._finish_timing(final, started)
            ex.send_json(200, final)
            return
        self.stream_began()
        ex.begin_chunked("application/x-ndjson")
        for index, text in enumerate(chunks):
            if index == self.cut_after:
                ex.cut()
                self.streams_finished += 1
                return
            if index == self.error_after:
                self._line(ex, {"error": self.error_message})
                ex.end_chunked()
                self.streams_finished += 1
                return
            self.paced(index, started)
            message = {"role": "assistant", "content": text}
            self._line(
                ex, {"model": model, "created_at": _now(), "message": message, "done": False}
            )
            self.chunks_sent += 1
        if self.cut_after is not None and self.cut_after >= len(chunks):
            ex.cut()
        else:
            if not self.drop_done:
                self._finish_timing(final, started)
                self._line(ex, final)
            ex.end_chunked()
        self.streams_finished += 1

    @staticmethod
    def _finish_timing(final: dict[str, Any], started: float) -> None:
        elapsed = int((time.monotonic() - started) * 1e9)
        final["eval_duration"] = elapsed
        final["total_duration"] = elapsed + final["load_duration"] + final["prompt_eval_duration"]

    @staticmethod
    def _line(ex: Exchange, payload: dict[str, Any]) -> None:
        # One JSON object per line and never a blank line: the client json-parses every line.
        ex.chunk(json.dumps(payload).encode() + b"\n")


def main(argv: list[str] | None = None) -> None:
    """Serve a fake Ollama until killed, printing its URL."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.ollama_server")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0 = any free)")
    parser.add_argument("--reply-file", type=Path, help="file whose text every model answers")
    parser.add_argument("--tokens-per-s", type=float, help="stream speed (default: full speed)")
    parser.add_argument("--chunk-chars", type=int, default=4, help="characters per chunk")
    parser.add_argument("--models", help="comma-separated installed models")
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    fake = FakeOllama(args.port, models=models)
    if args.reply_file:
        fake.reply = args.reply_file.read_text(encoding="utf-8")
    fake.tokens_per_s = args.tokens_per_s
    fake.chunk_chars = args.chunk_chars
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
