"""The fake servers themselves: wire shapes the real clients rely on, and the CLI entry points."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama

DONE_FIELDS = {
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
}


def test_ollama_stream_is_ndjson_without_blank_lines(fake_ollama: FakeOllama) -> None:
    body = {"model": "llama3.2:3b", "messages": [{"role": "user", "content": "hi"}]}
    with httpx.stream("POST", f"{fake_ollama.url}/api/chat", json=body) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        assert response.headers["transfer-encoding"] == "chunked"
        raw = response.read().decode()
    lines = raw.split("\n")
    assert lines[-1] == ""
    parts = [json.loads(line) for line in lines[:-1]]  # a blank line would fail here
    assert all(p["model"] == "llama3.2:3b" and p["message"]["role"] == "assistant" for p in parts)
    assert [p["done"] for p in parts] == [False] * (len(parts) - 1) + [True]
    assert parts[-1].keys() >= DONE_FIELDS and parts[-1]["done_reason"] == "stop"
    assert "".join(p["message"]["content"] for p in parts) == fake_ollama.reply
    assert fake_ollama.chat_requests() == [body]


def test_ollama_non_streaming_chat_and_other_endpoints(fake_ollama: FakeOllama) -> None:
    url = fake_ollama.url
    body = {"model": "llama3.2:3b", "messages": [], "stream": False}
    reply = httpx.post(f"{url}/api/chat", json=body).json()
    assert reply["done"] is True and reply["message"]["content"] == fake_ollama.reply
    assert reply.keys() >= DONE_FIELDS
    tag = httpx.get(f"{url}/api/tags").json()["models"][0]
    assert {"name", "model", "modified_at", "size", "digest", "details"} <= tag.keys()
    assert httpx.get(f"{url}/api/ps").json() == httpx.post(f"{url}/api/ps").json()
    missing = httpx.post(f"{url}/api/show", json={"model": "x"})
    assert (missing.status_code, missing.json()) == (404, {"error": "model 'x' not found"})
    assert httpx.get(f"{url}/api/nothing").status_code == 404
    assert [(m, p) for m, p, _ in fake_ollama.requests][:2] == [
        ("POST", "/api/chat"),
        ("GET", "/api/tags"),
    ]


def sse_events(raw: str) -> Iterator[tuple[str, dict[str, object]]]:
    """Parse an SSE body into (event name, data) pairs."""
    for block in raw.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        yield fields["event"], json.loads(fields["data"])


def test_anthropic_stream_event_sequence(fake_anthropic: FakeAnthropic) -> None:
    body = {"model": "m", "max_tokens": 10, "stream": True, "messages": []}
    headers = {"x-api-key": "sk-test"}
    url = f"{fake_anthropic.url}/v1/messages"
    with httpx.stream("POST", url, json=body, headers=headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(response.read().decode()))
    names = [name for name, _ in events]
    deltas = len(fake_anthropic.chunks())
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        *["content_block_delta"] * deltas,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert all(data["type"] == name for name, data in events)
    assert fake_anthropic.requests[0].headers["x-api-key"] == "sk-test"


def test_anthropic_errors_have_real_bodies(fake_anthropic: FakeAnthropic) -> None:
    url = f"{fake_anthropic.url}/v1/messages"
    body = {"model": "m", "max_tokens": 10, "messages": []}
    denied = httpx.post(url, json=body, headers={"x-api-key": "wrong"})
    assert denied.status_code == 401
    assert denied.json()["type"] == "error"
    assert denied.json()["error"]["type"] == "authentication_error"
    fake_anthropic.status_override = 529
    busy = httpx.post(url, json=body, headers={"authorization": "Bearer sk-test"})
    assert (busy.status_code, busy.json()["error"]["type"]) == (529, "overloaded_error")
    fake_anthropic.status_override = None
    whole = httpx.post(url, json=body, headers={"x-api-key": "sk-test"}).json()
    assert whole["content"] == [{"type": "text", "text": fake_anthropic.reply}]
    assert whole["stop_reason"] == "end_turn"


@pytest.mark.parametrize(
    ("module", "path"),
    [("tests.fakes.ollama_server", "/api/tags"), ("tests.fakes.anthropic_server", "/v1/messages")],
)
def test_cli_prints_url_and_serves(module: str, path: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--tokens-per-s", "1000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        response = httpx.request("GET" if "tags" in path else "POST", url + path, json={})
        assert response.status_code in (200, 401)
    finally:
        proc.terminate()
        proc.wait(timeout=5)
