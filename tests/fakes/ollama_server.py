"""A fake Ollama server speaking the real wire protocol (NDJSON chat streams), scriptable to fail.

Run it by hand for manual testing or benchmarks:
    python -m tests.fakes.ollama_server --port 11500 --tokens-per-s 40 --models qwen2.5-coder:7b
    python -m tests.fakes.ollama_server --models llama3.2:3b --loaded llama3.2:3b --pull-delay 0.05
    python -m tests.fakes.ollama_server --tool-script rounds.json --no-tools llama3.2:3b

A tool script (`FakeOllama.tool_script`, or a JSON list in a file) scripts tool calling: each
answered /api/chat request takes the next round, e.g.
    [[{"name": "read_file", "arguments": {"path": "src/app.py"}}], "It defines `main`."]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.fakes.loopback import ClientGone, Exchange, LoopbackServer, closed_port_url

__all__ = [
    "DEFAULT_CAPABILITIES",
    "DEFAULT_REPLY",
    "FakeOllama",
    "LoadedState",
    "ToolRound",
    "closed_port_url",
    "model_digest",
    "no_tools_error",
]

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

_RAW = "<raw chunk>"
"""Stands in the JSON of a line for the raw bytes of `FakeOllama.raw_chunks`."""
_DIGEST = "sha256:" + "0123456789abcdef" * 4
_DEFAULT_KEEP_ALIVE = timedelta(minutes=5)
_FOREVER = datetime(2318, 1, 1, tzinfo=UTC)  # what real Ollama reports for keep_alive -1
_REAL_SIZES = {"3b": "3.1B", "7b": "7.6B", "14b": "14.8B", "32b": "32.8B"}
DEFAULT_PULLABLE = {
    "qwen2.5-coder:3b",
    "qwen2.5-coder:7b",
    "qwen2.5-coder:14b",
    "qwen2.5-coder:32b",
    "llama3.2:1b",
    "llama3.2:3b",
    "llama3.2:latest",
    "deepseek-coder:6.7b",
    "deepseek-coder:33b",
}
"""Names the fake registry has, besides the installed models."""
DEFAULT_CAPABILITIES = ["completion", "tools", "insert"]
"""What /api/show reports for a model unless `FakeOllama.capabilities` says otherwise."""

ToolRound = list[dict[str, Any]] | str | dict[str, Any]
"""One scripted reply: tool calls (`{"name", "arguments"}`), text, or both
(`{"content": "...", "tool_calls": [...]}`)."""


def _now() -> str:
    return _iso(datetime.now(UTC))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def canonical(name: str) -> str:
    """The name Ollama stores a model under ("llama3.2" -> "llama3.2:latest")."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def qualified(name: str) -> str:
    """A model's full name, as Ollama's errors spell it: "registry.ollama.ai/library/x:latest"."""
    parts = canonical(name).split("/")
    if len(parts) == 1:
        parts.insert(0, "library")
    if len(parts) == 2:
        parts.insert(0, "registry.ollama.ai")
    return "/".join(parts)


def no_tools_error(name: str) -> str:
    """The error real Ollama answers (HTTP 400) when `tools` go to a model that cannot use them."""
    return f"{qualified(name)} does not support tools"


def model_digest(name: str, layer: int = 0) -> str:
    """A stable fake sha256 digest for a model's layer."""
    return "sha256:" + hashlib.sha256(f"{canonical(name)}#{layer}".encode()).hexdigest()


def keep_alive_delta(value: object) -> timedelta | None:
    """Ollama's keep_alive as a duration: seconds or "5m"/"1h30m"; None = forever; <= 0 unloads.

    Raises ValueError for a string without a unit, as the real server's Go duration parser does.
    """
    if value is None:
        return _DEFAULT_KEEP_ALIVE
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None if value < 0 else timedelta(seconds=value)
    text = str(value).strip()
    parts = re.findall(r"(-?\d+(?:\.\d+)?)(ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"time: missing unit in duration {text!r}")
    unit = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    seconds = sum(float(n) * unit[u] for n, u in parts)
    return None if seconds < 0 else timedelta(seconds=seconds)


@dataclass
class LoadedState:
    """One model the fake holds "in memory", as /api/ps reports it."""

    expires_at: datetime = _FOREVER
    size_vram: int = 4_683_087_332
    context_length: int = 4096


class FakeOllama(LoopbackServer):
    """A loopback Ollama: /api/version, /tags, /ps, /show, /chat, /generate and /pull."""

    label = "fake ollama"

    def __init__(
        self,
        port: int = 0,
        *,
        models: list[str] | None = None,
        loaded: list[str] | None = None,
    ) -> None:
        super().__init__(port)
        self.models: list[str] = list(models or ["qwen2.5-coder:7b", "llama3.2:3b"])
        """Installed models; any other model name gets a 404 like real Ollama."""
        self.model_details: dict[str, dict[str, Any]] = {}
        """Per-model overrides of the `details` object (parameter_size, quantization_level...)."""
        self.loaded: dict[str, LoadedState] = {name: LoadedState() for name in loaded or []}
        """Models held in memory (/api/ps); chat and warm-up requests load theirs."""
        self.pullable: set[str] | None = set(DEFAULT_PULLABLE)
        """Names the registry has (plus installed models); None lets any name be pulled."""
        self.pull_layers: list[int] = [4_683_073_184, 1_482, 11_343, 487]
        """Bytes of each layer a pull downloads (the weights first, then small files)."""
        self.pull_steps = 4
        """Progress lines per layer."""
        self.pull_delay_s = 0.0
        """Seconds between pull progress lines, so a test can cancel mid-way."""
        self.pull_error: str | None = None
        """Fail every pull after the manifest with this error line (e.g. a network failure)."""
        self.pulls_started: list[str] = []
        """Models whose pull began streaming, in order."""
        self.pulls_finished: list[str] = []
        """Models pulled to the end ("success")."""
        self.pulls_aborted: list[str] = []
        """Models whose pull the client abandoned mid-way."""
        self.reply = DEFAULT_REPLY
        """The assistant's reply, unless `replies` has one for the model."""
        self.replies: dict[str, str] = {}
        """Per-model replies."""
        self.tool_script: list[ToolRound] = []
        """Scripted replies, consumed one per answered /api/chat request (any model): a list of
        tool calls (`{"name", "arguments"}`, streamed together in one part just before the done
        line, as Ollama does), a string (a text reply), or a dict with "content" and
        "tool_calls". Once it is used up, `reply`/`replies` answer again."""
        self.capabilities: dict[str, list[str]] = {}
        """Per-model capabilities for /api/show (default `DEFAULT_CAPABILITIES`); a chat offering
        `tools` to a model without "tools" gets Ollama's HTTP 400 (`no_tools_error`)."""
        self.chunk_chars = 4
        """Characters per streamed chunk (one chunk, or one tool call, counts as one token)."""
        self.cut_after: int | None = None
        """Close the connection after this many chunks, without the done line."""
        self.error_after: int | None = None
        """Send an `{"error": ...}` line after this many chunks, then end the stream."""
        self.error_message = "llama runner process has terminated: exit status 2"
        self.drop_done = False
        """End the stream cleanly but without the `done: true` line."""
        self.done_reason = "stop"
        """The final line's `done_reason`: "stop", or "length" for a reply cut at `num_predict`."""
        self.status_override: int | None = None
        """Answer /api/chat with this HTTP status and an `{"error": ...}` body."""
        self.status_message = "an unexpected error occurred"
        self.raw_chunks: dict[int, bytes] = {}
        """Chunk index -> bytes sent as that chunk's text, written between the JSON string's
        quotes as they are: JSON escapes as spelled (`b"\\ud800"`, a lone surrogate;
        `b"\\u0000"`, NUL; `b"\\u009b"`, C1 CSI) or bytes that are not UTF-8 (0xFF 0xFE)."""
        self.malformed_after: int | None = None
        """Send a line the client cannot read (no `message`) after this many chunks, then end."""
        self.missing_status = 404
        """HTTP status of a chat for a model that is not installed: 404 like Ollama, or 500
        like servers imitating it (ollama-proxy-plus)."""
        self.generates_on_empty_prompt = False
        """Generate on an empty /api/generate prompt, as servers imitating Ollama do (up to
        `options.num_predict` tokens, else the whole reply), instead of only loading."""
        self.warm_up_tokens: list[int] = []
        """Tokens generated for each empty-prompt /api/generate."""
        self.delay_first_s = 0.0
        """Seconds to wait before the response headers of /api/chat (model loading)."""
        self.version = "0.12.6"
        self._held: dict[str, threading.Event] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        """Every request: (method, path, JSON body)."""
        self._record_lock = threading.Lock()
        # Servers imitating Ollama, for `workbench pull` and `doctor` (issue 11).
        self.pull_lies = False
        """Answer every pull with "success" at once and install nothing (ollama-proxy-plus)."""
        self.fixed_answers: dict[str, tuple[int, Any]] = {}
        """Path -> (HTTP status, body) answered instead of the normal handling: a JSON body, or a
        str sent as text (HTML if it starts with "<"). E.g. `{"/api/pull": (422,
        validation_error("body", "name"))}` or `{"/api/version": (404, {"detail": "Not Found"})}`.
        """

    def hold(self, *paths: str) -> None:
        """Leave requests to these paths unanswered until `release()` (a hung server)."""
        for path in paths:
            self._held.setdefault(path, threading.Event())

    def release(self) -> None:
        """Answer the held requests, and hold no more."""
        held, self._held = self._held, {}
        for gate in held.values():
            gate.set()

    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every /api/chat request so far (with `options`, `keep_alive`)."""
        return self.bodies("/api/chat")

    def generate_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every /api/generate request (warm-ups have `prompt: ""`)."""
        return self.bodies("/api/generate")

    def bodies(self, path: str) -> list[dict[str, Any]]:
        """The JSON bodies of every request to `path` so far."""
        with self._record_lock:
            return [body for _, p, body in self.requests if p == path]

    def installed(self, name: str) -> bool:
        """Whether a model is installed ("llama3.2" matches "llama3.2:latest")."""
        return canonical(name) in {canonical(m) for m in list(self.models)}

    def load(self, name: str, keep_alive: object = None) -> None:
        """Hold a model in memory for `keep_alive` (default 5 min; <= 0 unloads it)."""
        try:
            delta = keep_alive_delta(keep_alive)
        except ValueError:
            delta = _DEFAULT_KEEP_ALIVE
        with self._record_lock:
            if delta is not None and delta <= timedelta(0):
                self.loaded.pop(name, None)
                return
            expires = _FOREVER if delta is None else datetime.now(UTC) + delta
            self.loaded[name] = LoadedState(expires_at=expires)

    def reply_for(self, model: str) -> str:
        """The text this model answers with."""
        return self.replies.get(model, self.reply)

    def chunks_for(self, model: str) -> list[str]:
        """The reply split into the chunks the stream will carry."""
        return self.split(self.reply_for(model))

    def split(self, text: str) -> list[str]:
        """Text cut into the chunks a stream carries."""
        size = max(1, self.chunk_chars)
        return [text[i : i + size] for i in range(0, len(text), size)]

    def capabilities_for(self, model: str) -> list[str]:
        """What /api/show reports the model can do."""
        for name in (model, canonical(model)):
            if name in self.capabilities:
                return list(self.capabilities[name])
        return list(DEFAULT_CAPABILITIES)

    def next_round(self, model: str) -> tuple[str, list[dict[str, Any]]]:
        """The text and tool calls of the next reply: the script's next round, else the reply."""
        with self._record_lock:
            step = self.tool_script.pop(0) if self.tool_script else None
        if step is None:
            return self.reply_for(model), []
        if isinstance(step, str):
            return step, []
        if isinstance(step, dict):
            return str(step.get("content", "")), list(step.get("tool_calls", []))
        return "", list(step)

    @staticmethod
    def wire_tool_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Tool calls as Ollama streams them (an id, and `function.index` when not 0)."""
        wire = []
        for index, call in enumerate(calls):
            function: dict[str, Any] = {"index": index} if index else {}
            function |= {"name": call["name"], "arguments": call.get("arguments", {})}
            digest = hashlib.sha256(f"{index}{call['name']}".encode()).hexdigest()
            wire.append({"id": f"call_{digest[:8]}", "function": function})
        return wire

    def record(self, ex: Exchange, method: str, path: str, body: dict[str, Any]) -> None:
        with self._record_lock:
            self.requests.append((method, path, body))

    def route(self, ex: Exchange, method: str, path: str, body: dict[str, Any]) -> None:
        gate = self._held.get(path)
        if gate is not None:
            gate.wait(timeout=30)  # bounded, so a test that forgets `release()` cannot hang
        if path in self.fixed_answers:
            self._send_fixed(ex, *self.fixed_answers[path])
            return
        if path == "/api/version" and method == "GET":
            ex.send_json(200, {"version": self.version})
        elif path == "/api/tags" and method == "GET":
            ex.send_json(200, {"models": [self._tag(name) for name in list(self.models)]})
        elif path == "/api/ps":
            with self._record_lock:
                loaded = dict(self.loaded)
            running = [self._running(name, state) for name, state in loaded.items()]
            ex.send_json(200, {"models": running})
        elif path == "/api/show" and method == "POST":
            self._show(ex, body.get("model") or body.get("name") or "")
        elif path == "/api/chat" and method == "POST":
            self._chat(ex, body)
        elif path == "/api/generate" and method == "POST":
            self._generate(ex, body)
        elif path == "/api/pull" and method == "POST":
            self._pull(ex, str(body.get("model") or body.get("name") or ""), body)
        else:
            ex.send_json(404, {"error": "404 page not found"})

    def _details(self, name: str) -> dict[str, Any]:
        tag = canonical(name).rsplit(":", 1)[1].lower()
        size = re.match(r"(\d+(?:\.\d+)?)b", tag)
        quant = re.search(r"(q\d\w*|fp16|bf16)$", tag)
        family = name.split(":")[0].split(".")[0].split("-")[0] or "llama"
        details = {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": (
                _REAL_SIZES.get(size.group(0), size.group(1).upper() + "B") if size else "7.6B"
            ),
            "quantization_level": quant.group(1).upper() if quant else "Q4_K_M",
        }
        return {**details, **self.model_details.get(name, {})}

    def _tag(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "model": name,
            "modified_at": "2026-10-01T12:00:00.000000000Z",
            "size": 4_683_087_332,
            "digest": _DIGEST,
            "details": self._details(name),
        }

    def _running(self, name: str, state: LoadedState) -> dict[str, Any]:
        tag = self._tag(name)
        del tag["modified_at"]
        return {
            **tag,
            "expires_at": _iso(state.expires_at),
            "size_vram": state.size_vram,
            "context_length": state.context_length,
        }

    def _show(self, ex: Exchange, name: str) -> None:
        if not self.installed(name):
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
                "capabilities": self.capabilities_for(name),
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
        if not self.installed(model):
            ex.send_json(self.missing_status, {"error": f"model '{model}' not found"})
            return
        if not self._keep_alive_ok(ex, body):
            return
        if body.get("tools") and "tools" not in self.capabilities_for(model):
            ex.send_json(400, {"error": no_tools_error(model)})
            return
        self.load(model, body.get("keep_alive"))
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        reply, calls = self.next_round(model)
        chunks = self.split(reply)
        done_reason = self.done_reason
        limit = (body.get("options") or {}).get("num_predict")
        if isinstance(limit, int) and 0 <= limit < len(chunks):
            # Like Ollama: one chunk is one token, and the reply stops at num_predict.
            chunks, done_reason = chunks[:limit], "length"
        started = time.monotonic()
        final: dict[str, Any] = {
            "model": model,
            "created_at": _now(),
            "message": {"role": "assistant", "content": ""},
            "done_reason": done_reason,
            "done": True,
            "total_duration": 0,
            "load_duration": 1_000_000,
            "prompt_eval_count": max(1, prompt_chars // 4),
            "prompt_eval_duration": 2_000_000,
            "eval_count": len(chunks) + len(calls),
            "eval_duration": 0,
        }
        # Real Ollama streams unless the request says `"stream": false`.
        if not body.get("stream", True):
            final["message"]["content"] = "".join(chunks)
            if calls:
                final["message"]["tool_calls"] = self.wire_tool_calls(calls)
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
            if index == self.malformed_after:
                # /api/generate's shape on /api/chat, as one imitation server streams it.
                self._line(ex, {"model": model, "created_at": _now(), "response": text})
                ex.end_chunked()
                self.streams_finished += 1
                return
            self.paced(index, started)
            raw = self.raw_chunks.get(index)
            message = {"role": "assistant", "content": text if raw is None else _RAW}
            line = {"model": model, "created_at": _now(), "message": message, "done": False}
            self._line(ex, line, raw)
            self.chunks_sent += 1
        if self.cut_after is not None and self.cut_after >= len(chunks):
            ex.cut()
        else:
            if calls:
                # Ollama parses tool calls out of the model's output and sends them in one part.
                wired = {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": self.wire_tool_calls(calls),
                }
                self._line(
                    ex, {"model": model, "created_at": _now(), "message": wired, "done": False}
                )
            if not self.drop_done:
                self._finish_timing(final, started)
                self._line(ex, final)
            ex.end_chunked()
        self.streams_finished += 1

    def _generate(self, ex: Exchange, body: dict[str, Any]) -> None:
        # Only what workbench uses: an empty prompt loads the model (Ollama's documented warm-up).
        model = str(body.get("model", ""))
        if not self.installed(model):
            ex.send_json(404, {"error": f"model '{model}' not found"})
            return
        if not self._keep_alive_ok(ex, body):
            return
        self.load(model, body.get("keep_alive"))
        if body.get("prompt"):
            text = "".join(self.chunks_for(model))
            reply = {"model": model, "created_at": _now(), "response": text, "done": True}
            ex.send_json(200, {**reply, "done_reason": "stop"})
            return
        if self.generates_on_empty_prompt:
            chunks = self.chunks_for(model)
            limit = (body.get("options") or {}).get("num_predict")
            if isinstance(limit, int) and limit >= 0:
                chunks = chunks[:limit]
            self.warm_up_tokens.append(len(chunks))
            reply = {"model": model, "created_at": _now(), "response": "".join(chunks)}
            ex.send_json(
                200, {**reply, "done": True, "done_reason": "length", "eval_count": len(chunks)}
            )
            return
        self.warm_up_tokens.append(0)
        load = {"model": model, "created_at": _now(), "response": "", "done": True}
        ex.send_json(200, {**load, "done_reason": "load"})

    @staticmethod
    def _keep_alive_ok(ex: Exchange, body: dict[str, Any]) -> bool:
        try:
            keep_alive_delta(body.get("keep_alive"))
        except ValueError as exc:
            ex.send_json(400, {"error": str(exc)})
            return False
        return True

    def _pull(self, ex: Exchange, name: str, body: dict[str, Any]) -> None:
        # Like real Ollama: a 200 NDJSON stream; failures after the start are `{"error"}` lines.
        with self._record_lock:
            self.pulls_started.append(name)
        if self.pull_lies:
            ex.send_json(200, {"status": "success"})
            return
        lines = self._pull_lines(name)
        if not body.get("stream", True):
            *_, last = lines
            self._pulled(name, last)
            ex.send_json(200 if "error" not in last else 500, last)
            return
        ex.begin_chunked("application/x-ndjson")
        try:
            for index, line in enumerate(lines):
                if index and self.pull_delay_s:
                    time.sleep(self.pull_delay_s)
                # The manifest is written before "success" is sent, as the real server does.
                self._pulled(name, line)
                self._line(ex, line)
            ex.end_chunked()
        except ClientGone:
            with self._record_lock:
                self.pulls_aborted.append(name)

    def _pulled(self, name: str, line: dict[str, Any]) -> None:
        if line.get("status") != "success":
            return
        with self._record_lock:
            self.pulls_finished.append(name)
            if not self.installed(name):
                self.models.append(canonical(name))

    def _pull_lines(self, name: str) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = [{"status": "pulling manifest"}]
        known = self.pullable is None or canonical(name) in {canonical(n) for n in self.pullable}
        if not (known or self.installed(name)):
            return [*lines, {"error": "pull model manifest: file does not exist"}]
        if self.pull_error:
            return [*lines, {"error": self.pull_error}]
        steps = max(1, self.pull_steps)
        for layer, total in enumerate(self.pull_layers):
            digest = model_digest(name, layer)
            status = f"pulling {digest.removeprefix('sha256:')[:12]}"
            for step in range(1, steps + 1):
                progress = {"digest": digest, "total": total, "completed": total * step // steps}
                lines.append({"status": status, **progress})
        statuses = ["verifying sha256 digest", "writing manifest", "success"]
        return lines + [{"status": status} for status in statuses]

    @staticmethod
    def _finish_timing(final: dict[str, Any], started: float) -> None:
        elapsed = int((time.monotonic() - started) * 1e9)
        final["eval_duration"] = elapsed
        final["total_duration"] = elapsed + final["load_duration"] + final["prompt_eval_duration"]

    @staticmethod
    def _line(ex: Exchange, payload: dict[str, Any], raw: bytes | None = None) -> None:
        # One JSON object per line and never a blank line: the client json-parses every line.
        data = json.dumps(payload).encode()
        if raw is not None:
            data = data.replace(json.dumps(_RAW).encode(), b'"' + raw + b'"', 1)
        ex.chunk(data + b"\n")

    @staticmethod
    def _send_fixed(ex: Exchange, status: int, body: Any) -> None:
        """One of `fixed_answers`: JSON, or text (a str; HTML when it starts with "<")."""
        if not isinstance(body, str):
            ex.send_json(status, body)
            return
        data = body.encode()
        ex.send_response(status)
        kind = "text/html" if body.lstrip().startswith("<") else "text/plain"
        ex.send_header("Content-Type", f"{kind}; charset=utf-8")
        ex.send_header("Content-Length", str(len(data)))
        ex.end_headers()
        ex.wfile.write(data)


def validation_error(*loc: str, msg: str = "Field required") -> dict[str, Any]:
    """FastAPI's HTTP 422 body for a request missing a field, as Python imitations answer."""
    detail = {"type": "missing", "loc": list(loc), "msg": msg, "input": None}
    return {"detail": [detail]}


def main(argv: list[str] | None = None) -> None:
    """Serve a fake Ollama until killed, printing its URL."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.ollama_server")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0 = any free)")
    parser.add_argument("--reply-file", type=Path, help="file whose text every model answers")
    parser.add_argument(
        "--reply-for",
        action="append",
        default=[],
        metavar="MODEL=FILE",
        help="file whose text this model answers (repeatable; wins over --reply-file)",
    )
    parser.add_argument("--tokens-per-s", type=float, help="stream speed (default: full speed)")
    parser.add_argument("--chunk-chars", type=int, default=4, help="characters per chunk")
    parser.add_argument("--models", help="comma-separated installed models")
    parser.add_argument("--loaded", help="comma-separated models held in memory (/api/ps)")
    parser.add_argument("--pullable", help="comma-separated names the registry has")
    parser.add_argument(
        "--pull-delay", type=float, default=0.0, help="seconds between pull progress lines"
    )
    parser.add_argument("--pull-steps", type=int, default=4, help="progress lines per layer")
    parser.add_argument(
        "--tool-script", type=Path, help="JSON file: a list of rounds (tool calls or text)"
    )
    parser.add_argument("--no-tools", help="comma-separated models whose capabilities lack tools")
    parser.add_argument("--version", help="what /api/version reports (default 0.12.6)")
    parser.add_argument(
        "--pull-lies", action="store_true", help='answer every pull "success", install nothing'
    )
    parser.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="PATH=STATUS:BODY",
        help="answer PATH with STATUS and BODY (JSON, else text) instead (repeatable)",
    )
    args = parser.parse_args(argv)

    def names(text: str | None) -> list[str] | None:
        return [m.strip() for m in text.split(",") if m.strip()] if text else None

    fake = FakeOllama(args.port, models=names(args.models), loaded=names(args.loaded))
    if args.pullable:
        fake.pullable = set(names(args.pullable) or [])
    fake.pull_delay_s = args.pull_delay
    fake.pull_steps = args.pull_steps
    if args.tool_script:
        fake.tool_script = list(json.loads(args.tool_script.read_text(encoding="utf-8")))
    for name in names(args.no_tools) or []:
        fake.capabilities[name] = ["completion", "insert"]
    if args.reply_file:
        fake.reply = args.reply_file.read_text(encoding="utf-8")
    for pair in args.reply_for:
        model, _, file = pair.partition("=")
        fake.replies[model] = Path(file).read_text(encoding="utf-8")
    fake.tokens_per_s = args.tokens_per_s
    fake.chunk_chars = args.chunk_chars
    fake.version = args.version or fake.version
    fake.pull_lies = args.pull_lies
    for answer in args.answer:
        path, _, reply = answer.partition("=")
        status, _, text = reply.partition(":")
        try:
            fake.fixed_answers[path] = (int(status), json.loads(text))
        except json.JSONDecodeError:
            fake.fixed_answers[path] = (int(status), text)
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
