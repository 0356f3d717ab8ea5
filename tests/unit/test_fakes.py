"""The fake servers themselves: wire shapes the real clients rely on, and the CLI entry points."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import (
    DEFAULT_CAPABILITIES,
    FakeOllama,
    no_tools_error,
    validation_error,
)

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


TOOL = {"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}


def test_ollama_tool_script_streams_calls_in_one_part_then_text(fake_ollama: FakeOllama) -> None:
    calls = [
        {"name": "read_file", "arguments": {"path": "src/app.py"}},
        {"name": "list_dir", "arguments": {}},
    ]
    fake_ollama.tool_script = [calls, "Found it."]
    body = {"model": "llama3.2:3b", "messages": [], "tools": [TOOL]}
    first = ndjson(httpx.post(f"{fake_ollama.url}/api/chat", json=body).text)
    assert [p["done"] for p in first] == [False, True]
    call_part, done = first
    message = call_part["message"]
    assert (message["role"], message["content"]) == ("assistant", "")
    assert [c["function"]["name"] for c in message["tool_calls"]] == ["read_file", "list_dir"]
    assert message["tool_calls"][0]["function"]["arguments"] == {"path": "src/app.py"}
    assert message["tool_calls"][1]["function"]["index"] == 1
    assert all(c["id"].startswith("call_") for c in message["tool_calls"])
    assert done["done_reason"] == "stop" and done.keys() >= DONE_FIELDS
    assert done["eval_count"] == 2
    second = ndjson(httpx.post(f"{fake_ollama.url}/api/chat", json=body).text)
    assert "".join(p["message"]["content"] for p in second) == "Found it."
    assert not any("tool_calls" in p["message"] for p in second)
    third = ndjson(httpx.post(f"{fake_ollama.url}/api/chat", json=body).text)
    assert "".join(p["message"]["content"] for p in third) == fake_ollama.reply
    assert fake_ollama.tool_script == []


def test_ollama_tool_round_without_streaming(fake_ollama: FakeOllama) -> None:
    fake_ollama.tool_script = [{"content": "Looking.", "tool_calls": [{"name": "list_dir"}]}]
    body = {"model": "llama3.2:3b", "messages": [], "tools": [TOOL], "stream": False}
    reply = httpx.post(f"{fake_ollama.url}/api/chat", json=body).json()
    assert reply["message"]["content"] == "Looking."
    (call,) = reply["message"]["tool_calls"]
    assert call["function"] == {"name": "list_dir", "arguments": {}}


def test_ollama_capabilities_and_the_no_tools_error(fake_ollama: FakeOllama) -> None:
    url = fake_ollama.url
    fake_ollama.capabilities["llama3.2:3b"] = ["completion"]
    fake_ollama.tool_script = ["kept for the next answered request"]

    def capabilities(model: str) -> object:
        return httpx.post(f"{url}/api/show", json={"model": model}).json()["capabilities"]

    assert capabilities("llama3.2:3b") == ["completion"]
    assert capabilities("qwen2.5-coder:7b") == DEFAULT_CAPABILITIES
    body = {"model": "llama3.2:3b", "messages": [], "tools": [TOOL]}
    refused = httpx.post(f"{url}/api/chat", json=body)
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "registry.ollama.ai/library/llama3.2:3b does not support tools"
    }
    assert (
        no_tools_error("team/coder")
        == "registry.ollama.ai/team/coder:latest does not support tools"
    )
    assert fake_ollama.tool_script == ["kept for the next answered request"]
    # An empty tool list is no tool list, as in Ollama.
    plain = httpx.post(f"{url}/api/chat", json={**body, "tools": []})
    assert plain.status_code == 200
    assert fake_ollama.tool_script == []


def test_ollama_cli_tool_options(tmp_path: Path) -> None:
    script = tmp_path / "rounds.json"
    script.write_text(json.dumps([[{"name": "list_dir", "arguments": {}}]]), encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.ollama_server",
            *("--models", "a:1b,b:2b", "--no-tools", "b:2b", "--tool-script", str(script)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        body = {"model": "b:2b", "messages": [], "tools": [TOOL], "stream": False}
        assert httpx.post(f"{url}/api/chat", json=body).status_code == 400
        reply = httpx.post(f"{url}/api/chat", json={**body, "model": "a:1b"}).json()
        assert reply["message"]["tool_calls"][0]["function"]["name"] == "list_dir"
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def ndjson(raw: str) -> list[dict[str, Any]]:
    """Parse an NDJSON body, failing on a blank line as the ollama client would."""
    lines = raw.split("\n")
    assert lines[-1] == ""
    return [json.loads(line) for line in lines[:-1]]


def test_ollama_tags_details_default_from_the_name_and_can_be_set(
    fake_ollama: FakeOllama,
) -> None:
    fake_ollama.models = ["qwen2.5-coder:14b", "llama3.2:3b-instruct-q8_0", "mistral"]
    fake_ollama.model_details["mistral"] = {"parameter_size": "7.2B", "quantization_level": "Q5_0"}
    tags = httpx.get(f"{fake_ollama.url}/api/tags").json()["models"]
    sizes = [(t["details"]["parameter_size"], t["details"]["quantization_level"]) for t in tags]
    assert sizes == [("14.8B", "Q4_K_M"), ("3.1B", "Q8_0"), ("7.2B", "Q5_0")]


def test_ollama_ps_lists_loaded_models_and_chat_or_warm_up_loads(
    fake_ollama: FakeOllama,
) -> None:
    url = fake_ollama.url
    assert httpx.get(f"{url}/api/ps").json() == {"models": []}
    chat = {"model": "llama3.2:3b", "messages": [], "stream": False, "keep_alive": "1h"}
    httpx.post(f"{url}/api/chat", json=chat)
    (running,) = httpx.get(f"{url}/api/ps").json()["models"]
    assert running["model"] == "llama3.2:3b"
    assert {"expires_at", "size_vram", "context_length", "size", "digest"} <= running.keys()
    warm = httpx.post(f"{url}/api/generate", json={"model": "qwen2.5-coder:7b", "prompt": ""})
    assert warm.json().items() >= {"response": "", "done": True, "done_reason": "load"}.items()
    assert set(fake_ollama.loaded) == {"llama3.2:3b", "qwen2.5-coder:7b"}
    httpx.post(f"{url}/api/generate", json={"model": "qwen2.5-coder:7b", "keep_alive": 0})
    assert set(fake_ollama.loaded) == {"llama3.2:3b"}  # keep_alive 0 unloads, as in Ollama
    missing = httpx.post(f"{url}/api/generate", json={"model": "x", "prompt": ""})
    assert (missing.status_code, missing.json()) == (404, {"error": "model 'x' not found"})
    bad = httpx.post(f"{url}/api/generate", json={"model": "llama3.2:3b", "keep_alive": "-1"})
    assert bad.status_code == 400 and "missing unit" in bad.json()["error"]
    keep_alives = [body.get("keep_alive") for body in fake_ollama.generate_requests()]
    assert keep_alives == [None, 0, None, "-1"]


def test_ollama_pull_streams_progress_like_the_real_server(fake_ollama: FakeOllama) -> None:
    fake_ollama.pull_layers = [1000, 10]
    fake_ollama.pull_steps = 2
    with httpx.stream("POST", f"{fake_ollama.url}/api/pull", json={"model": "llama3.2"}) as r:
        assert r.headers["content-type"] == "application/x-ndjson"
        parts = ndjson(r.read().decode())
    first, second = (str(p["digest"]) for p in parts[1:4:2])
    assert parts == [
        {"status": "pulling manifest"},
        {"status": f"pulling {first[7:19]}", "digest": first, "total": 1000, "completed": 500},
        {"status": f"pulling {first[7:19]}", "digest": first, "total": 1000, "completed": 1000},
        {"status": f"pulling {second[7:19]}", "digest": second, "total": 10, "completed": 5},
        {"status": f"pulling {second[7:19]}", "digest": second, "total": 10, "completed": 10},
        {"status": "verifying sha256 digest"},
        {"status": "writing manifest"},
        {"status": "success"},
    ]
    assert "llama3.2:latest" in fake_ollama.models
    assert fake_ollama.pulls_started == fake_ollama.pulls_finished == ["llama3.2"]


def test_ollama_pull_of_an_unknown_name_fails_inside_the_stream(fake_ollama: FakeOllama) -> None:
    # Real Ollama answers 200 and reports the failure as an error line.
    with httpx.stream("POST", f"{fake_ollama.url}/api/pull", json={"model": "nope:1b"}) as r:
        assert r.status_code == 200
        parts = ndjson(r.read().decode())
    assert parts == [
        {"status": "pulling manifest"},
        {"error": "pull model manifest: file does not exist"},
    ]
    assert "nope:1b" not in fake_ollama.models and fake_ollama.pulls_finished == []


def sse_events(raw: str) -> Iterator[tuple[str, dict[str, object]]]:
    """Parse an SSE body into (event name, data) pairs."""
    for block in raw.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        yield fields["event"], json.loads(fields["data"])


def test_anthropic_stream_event_sequence(fake_anthropic: FakeAnthropic) -> None:
    body = {"model": "m", "max_tokens": 1000, "stream": True, "messages": HI}
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


HI = [{"role": "user", "content": "hi"}]


def test_anthropic_stops_at_max_tokens_like_the_real_api(fake_anthropic: FakeAnthropic) -> None:
    body = {"model": "m", "max_tokens": 3, "stream": True, "messages": HI}
    url = f"{fake_anthropic.url}/v1/messages"
    with httpx.stream("POST", url, json=body, headers={"x-api-key": "sk-test"}) as response:
        events = list(sse_events(response.read().decode()))
    assert sum(name == "content_block_delta" for name, _ in events) == 3
    [delta] = [data for name, data in events if name == "message_delta"]
    assert delta["delta"] == {"stop_reason": "max_tokens", "stop_sequence": None}


def test_anthropic_refuses_a_prefill_ending_in_white_space(fake_anthropic: FakeAnthropic) -> None:
    messages = [*HI, {"role": "assistant", "content": "Hello "}]
    body = {"model": "m", "max_tokens": 10, "stream": True, "messages": messages}
    url = f"{fake_anthropic.url}/v1/messages"
    response = httpx.post(url, json=body, headers={"x-api-key": "sk-test"})
    assert response.status_code == 400
    assert "trailing whitespace" in response.json()["error"]["message"]


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


def test_ollama_cli_loaded_and_pull_options() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.ollama_server",
            *(
                "--models",
                "a:1b,b:2b",
                "--loaded",
                "b:2b",
                "--pull-delay",
                "0",
                "--pull-steps",
                "1",
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert [m["name"] for m in httpx.get(f"{url}/api/ps").json()["models"]] == ["b:2b"]
        pulled = httpx.post(f"{url}/api/pull", json={"model": "llama3.2:1b"}).text
        assert ndjson(pulled)[-1] == {"status": "success"}
        tags = [m["name"] for m in httpx.get(f"{url}/api/tags").json()["models"]]
        assert tags == ["a:1b", "b:2b", "llama3.2:1b"]
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_ollama_pull_can_lie_and_paths_can_have_fixed_answers(fake_ollama: FakeOllama) -> None:
    url = fake_ollama.url
    fake_ollama.pull_lies = True
    lie = httpx.post(f"{url}/api/pull", json={"model": "nope:1b"})
    assert (lie.status_code, lie.json()) == (200, {"status": "success"})
    assert not fake_ollama.installed("nope:1b") and fake_ollama.pulls_finished == []
    fake_ollama.fixed_answers = {
        "/api/pull": (422, validation_error("body", "name")),
        "/api/version": (200, "<html>proxy</html>"),
    }
    refused = httpx.post(f"{url}/api/pull", json={"model": "llama3.2:1b"})
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": [
            {"type": "missing", "loc": ["body", "name"], "msg": "Field required", "input": None}
        ]
    }
    page = httpx.get(f"{url}/api/version")
    assert (
        page.headers["content-type"].startswith("text/html") and page.text == "<html>proxy</html>"
    )


def test_anthropic_model_list_empty_messages_and_a_gateways_404s(
    fake_anthropic: FakeAnthropic,
) -> None:
    url, key = fake_anthropic.url, {"x-api-key": "sk-test"}
    listing = httpx.get(f"{url}/v1/models?limit=1", headers=key).json()
    assert [m["id"] for m in listing["data"]] == fake_anthropic.listed_models
    assert {"type", "id", "display_name", "created_at"} <= listing["data"][0].keys()
    assert listing["has_more"] is False
    assert httpx.get(f"{url}/v1/models").status_code == 401
    fake_anthropic.rejects_empty_messages = True
    empty = httpx.post(
        f"{url}/v1/messages", json={"model": "m", "max_tokens": 1, "messages": []}, headers=key
    )
    assert (empty.status_code, empty.json()["error"]["type"]) == (400, "invalid_request_error")
    fake_anthropic.serves_models = False
    assert httpx.get(f"{url}/v1/models", headers=key).status_code == 404
    fake_anthropic.not_found_everywhere = True
    body = {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}
    gone = httpx.post(f"{url}/v1/messages", json=body, headers=key)
    assert (gone.status_code, gone.json()) == (404, {"detail": "Not Found"})
    assert fake_anthropic.streams_started == 0


def test_cli_options_for_servers_imitating_ollama_and_a_broken_gateway() -> None:
    ollama = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.ollama_server",
            *("--version", "proxy 1", "--pull-lies"),
            *("--answer", '/api/show=422:{"detail": "no"}', "--answer", "/api/ps=500:boom"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    gateway = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.anthropic_server", "--not-found-everywhere"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert ollama.stdout is not None and gateway.stdout is not None
        url = ollama.stdout.readline().strip()
        assert httpx.get(f"{url}/api/version").json() == {"version": "proxy 1"}
        assert httpx.post(f"{url}/api/pull", json={"model": "x:1b"}).json()["status"] == "success"
        assert "x:1b" not in httpx.get(f"{url}/api/tags").text
        show = httpx.post(f"{url}/api/show", json={"model": "x"})
        assert (show.status_code, show.json()) == (422, {"detail": "no"})
        assert (httpx.get(f"{url}/api/ps").status_code, httpx.get(f"{url}/api/ps").text) == (
            500,
            "boom",
        )
        gateway_url = gateway.stdout.readline().strip()
        assert httpx.post(f"{gateway_url}/v1/messages", json={}).status_code == 404
    finally:
        for proc in (ollama, gateway):
            proc.terminate()
            proc.wait(timeout=5)
