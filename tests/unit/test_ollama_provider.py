"""OllamaProvider driving the real `ollama` client against the wire-level fake server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.ollama_server import (
    FakeOllama,
    LoadedState,
    closed_port_url,
    model_digest,
    no_tools_error,
)
from workbench.providers.base import (
    ChatMessage,
    ErrorKind,
    ModelOptions,
    ProviderError,
    PullProgress,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolRequest,
    Usage,
)
from workbench.providers.ollama import OllamaProvider, ToolsUnsupportedError, canonical_name

MODEL = "qwen2.5-coder:7b"
HELLO = [ChatMessage("user", "Say hello")]
READ_FILE = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a text file of the project.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string", "description": "Relative path."}},
            "required": ["path"],
        },
    },
}
TOOLS = [READ_FILE]


@pytest.fixture
async def provider(fake_ollama: FakeOllama) -> AsyncIterator[OllamaProvider]:
    """A provider pointed at the fake."""
    prov = OllamaProvider(fake_ollama.url, timeout_s=5, connect_timeout_s=2)
    yield prov
    await prov.aclose()


async def collect(
    stream: AsyncIterator[StreamEvent],
) -> tuple[list[str], Usage | None, ProviderError | None]:
    """Drain a stream into (delta texts, usage, error)."""
    deltas: list[str] = []
    usage: Usage | None = None
    try:
        async for event in stream:
            if isinstance(event, TextDelta):
                deltas.append(event.text)
            elif isinstance(event, Usage):
                usage = event
    except ProviderError as exc:
        return deltas, usage, exc
    return deltas, usage, None


async def test_streamed_reply_arrives_complete_in_order_with_usage(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    deltas, usage, error = await collect(provider.stream_chat(MODEL, HELLO))
    assert error is None
    assert deltas == fake_ollama.chunks_for(MODEL)
    assert "".join(deltas) == fake_ollama.reply
    assert usage is not None
    assert usage.model == MODEL
    assert usage.output_tokens == len(deltas)
    assert usage.input_tokens is not None and usage.input_tokens > 0
    assert usage.stop_reason == "stop"
    assert usage.duration_s >= 0


async def test_request_carries_model_messages_and_system(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    history = [*HELLO, ChatMessage("assistant", "Hello"), ChatMessage("user", "Again")]
    await collect(provider.stream_chat(MODEL, history, system="Be brief."))
    (body,) = fake_ollama.chat_requests()
    assert body["model"] == MODEL
    assert body["stream"] is True
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say hello"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Again"},
    ]


async def test_per_model_reply(fake_ollama: FakeOllama, provider: OllamaProvider) -> None:
    fake_ollama.replies["llama3.2:3b"] = "Only this."
    deltas, _, _ = await collect(provider.stream_chat("llama3.2:3b", HELLO))
    assert "".join(deltas) == "Only this."


async def test_chunks_arrive_incrementally_when_paced(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.tokens_per_s = 50
    total = len(fake_ollama.chunks_for(MODEL))
    async for event in provider.stream_chat(MODEL, HELLO):
        # The first delta reaches us while the server is still writing the rest.
        assert isinstance(event, TextDelta)
        assert fake_ollama.chunks_sent < total
        break


async def test_list_models_version_and_show(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    models = await provider.list_models()
    assert [m.name for m in models] == fake_ollama.models
    first = models[0]
    assert first.provider == "ollama"
    assert first.parameter_size == "7.6B"
    assert first.quantization == "Q4_K_M"
    assert first.size_bytes and first.size_bytes > 0
    assert await provider.version() == fake_ollama.version
    info = await provider.show(MODEL)
    assert "completion" in info["capabilities"]
    assert info["context_length"] == 32768


async def test_missing_model_says_how_to_pull(provider: OllamaProvider) -> None:
    _, _, error = await collect(provider.stream_chat("nope:1b", HELLO))
    assert error is not None and error.kind is ErrorKind.MODEL_MISSING
    assert "ollama pull nope:1b" in error.message
    with pytest.raises(ProviderError) as shown:
        await provider.show("nope:1b")
    assert shown.value.kind is ErrorKind.MODEL_MISSING


async def test_server_down_names_url_and_fix() -> None:
    url = closed_port_url()
    prov = OllamaProvider(url, timeout_s=5, connect_timeout_s=2)
    _, _, error = await collect(prov.stream_chat(MODEL, HELLO))
    assert error is not None and error.kind is ErrorKind.UNREACHABLE
    assert url in error.message and "ollama serve" in error.message
    for call in (prov.list_models(), prov.version()):
        with pytest.raises(ProviderError) as down:
            await call
        assert down.value.kind is ErrorKind.UNREACHABLE


async def test_server_goes_down_and_comes_back(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    assert await provider.list_models()
    fake_ollama.stop()
    with pytest.raises(ProviderError) as down:
        await provider.list_models()
    assert down.value.kind is ErrorKind.UNREACHABLE
    fake_ollama.start()
    assert await provider.list_models()


async def test_cut_stream_keeps_partial_text(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.cut_after = 3
    deltas, usage, error = await collect(provider.stream_chat(MODEL, HELLO))
    assert deltas == fake_ollama.chunks_for(MODEL)[:3]
    assert usage is None
    assert error is not None and error.kind is ErrorKind.STREAM_CUT
    assert "partial text is kept" in error.message


async def test_a_stream_cut_before_any_text_does_not_claim_text_was_kept(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    """Bug: with the server stopped before any text, the notice said the partial text was kept."""
    fake_ollama.cut_after = 0
    deltas, usage, error = await collect(provider.stream_chat(MODEL, HELLO))
    assert deltas == [] and usage is None
    assert error is not None and error.kind is ErrorKind.STREAM_CUT
    assert "before any reply arrived" in error.message
    assert "kept" not in error.message and "mid-reply" not in error.message


async def test_stream_ending_without_done_is_a_cut(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.drop_done = True
    deltas, usage, error = await collect(provider.stream_chat(MODEL, HELLO))
    assert "".join(deltas) == fake_ollama.reply
    assert usage is None
    assert error is not None and error.kind is ErrorKind.STREAM_CUT


async def test_error_line_mid_stream(fake_ollama: FakeOllama, provider: OllamaProvider) -> None:
    fake_ollama.error_after = 2
    deltas, _, error = await collect(provider.stream_chat(MODEL, HELLO))
    assert len(deltas) == 2
    assert error is not None and error.kind is ErrorKind.OTHER
    assert fake_ollama.error_message in error.message


async def test_a_line_the_client_cannot_read_is_named_not_a_pydantic_dump(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.malformed_after = 2
    deltas, _, error = await collect(provider.stream_chat(MODEL, HELLO))
    assert len(deltas) == 2
    assert error is not None and error.kind is ErrorKind.BAD_REPLY
    assert fake_ollama.url in error.message and "cannot read" in error.message
    assert "message" in error.message and "partial text is kept" in error.message
    assert "pydantic" not in error.message and "validation error" not in error.message


async def test_the_server_timing_of_the_generation_is_reported(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.tokens_per_s = 200
    _, usage, _ = await collect(provider.stream_chat(MODEL, HELLO))
    assert usage is not None and usage.generation_s is not None
    # eval_duration counts the generation only; the wall time adds the rest.
    assert 0 < usage.generation_s <= usage.duration_s


@pytest.mark.parametrize(
    ("status", "kind"),
    [(500, ErrorKind.SERVER_ERROR), (503, ErrorKind.OVERLOADED), (401, ErrorKind.AUTH)],
)
async def test_http_errors_carry_server_message(
    fake_ollama: FakeOllama, provider: OllamaProvider, status: int, kind: ErrorKind
) -> None:
    fake_ollama.status_override = status
    fake_ollama.status_message = "runner exploded"
    _, _, error = await collect(provider.stream_chat(MODEL, HELLO))
    assert error is not None and error.kind is kind
    assert "runner exploded" in error.message


async def test_read_timeout(fake_ollama: FakeOllama) -> None:
    fake_ollama.delay_first_s = 1.0
    prov = OllamaProvider(fake_ollama.url, timeout_s=0.2, connect_timeout_s=2)
    _, _, error = await collect(prov.stream_chat(MODEL, HELLO))
    assert error is not None and error.kind is ErrorKind.TIMEOUT


async def test_cancelling_the_consumer_closes_the_stream(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.reply = "word " * 2000
    fake_ollama.tokens_per_s = 500
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in provider.stream_chat(MODEL, HELLO):
            first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(fake_ollama.wait_until, lambda: fake_ollama.streams_aborted)
    assert fake_ollama.chunks_sent < len(fake_ollama.chunks_for(MODEL))


async def test_aclose_closes_the_stream(fake_ollama: FakeOllama, provider: OllamaProvider) -> None:
    fake_ollama.reply = "word " * 2000
    fake_ollama.tokens_per_s = 500
    stream = provider.stream_chat(MODEL, HELLO)
    assert isinstance(await anext(stream), TextDelta)
    await stream.aclose()  # type: ignore[attr-defined]
    assert await asyncio.to_thread(fake_ollama.wait_until, lambda: fake_ollama.streams_aborted)


async def test_stall_mid_stream_is_a_timeout(fake_ollama: FakeOllama) -> None:
    fake_ollama.tokens_per_s = 0.5  # the second chunk comes 2 s later, long after the timeout
    prov = OllamaProvider(fake_ollama.url, timeout_s=0.2, connect_timeout_s=2)
    deltas, _, error = await collect(prov.stream_chat(MODEL, HELLO))
    assert deltas == fake_ollama.chunks_for(MODEL)[:1]
    assert error is not None and error.kind is ErrorKind.TIMEOUT


async def test_options_and_keep_alive_reach_the_server(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    options = ModelOptions(temperature=0.3, num_ctx=16384, max_tokens=256, keep_alive="30m")
    _, usage, error = await collect(provider.stream_chat(MODEL, HELLO, options=options))
    assert error is None and usage is not None
    (body,) = fake_ollama.chat_requests()
    assert body["options"] == {"temperature": 0.3, "num_ctx": 16384, "num_predict": 256}
    assert body["keep_alive"] == "30m"


async def test_unset_options_are_left_to_the_server(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    await collect(provider.stream_chat(MODEL, HELLO))
    await collect(provider.stream_chat(MODEL, HELLO, options=ModelOptions(num_ctx=8192)))
    plain, partial = fake_ollama.chat_requests()
    assert "options" not in plain and "keep_alive" not in plain
    assert partial["options"] == {"num_ctx": 8192}
    assert "keep_alive" not in partial


async def test_keep_alive_forever_is_sent_as_a_number(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    # The server reads a JSON string as a Go duration, which "-1" is not.
    await collect(provider.stream_chat(MODEL, HELLO, options=ModelOptions(keep_alive="-1")))
    (body,) = fake_ollama.chat_requests()
    assert body["keep_alive"] == -1
    (loaded,) = await provider.loaded_models()
    assert loaded.expires_at is not None and loaded.expires_at.year > 2100


async def test_loaded_models_are_parsed_from_ps(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    assert await provider.loaded_models() == []
    expires = datetime(2030, 5, 1, 12, 30, tzinfo=UTC)
    fake_ollama.loaded[MODEL] = LoadedState(
        expires_at=expires, size_vram=1_000_000, context_length=8192
    )
    (model,) = await provider.loaded_models()
    assert model.name == MODEL
    assert model.expires_at == expires and model.expires_at.tzinfo is not None
    assert model.vram_bytes == 1_000_000
    assert model.size_bytes and model.size_bytes > 0
    assert model.context_length == 8192


async def test_a_chat_loads_its_model_for_keep_alive(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    before = datetime.now(UTC)
    await collect(provider.stream_chat(MODEL, HELLO, options=ModelOptions(keep_alive="10m")))
    (model,) = await provider.loaded_models()
    assert model.name == MODEL and model.expires_at is not None
    assert model.expires_at - before >= timedelta(minutes=10)


async def test_warm_up_loads_the_model_with_an_empty_generate(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    await provider.warm_up(MODEL, keep_alive="1h")
    (body,) = fake_ollama.generate_requests()
    assert (body["model"], body["prompt"], body["keep_alive"]) == (MODEL, "", "1h")
    assert [m.name for m in await provider.loaded_models()] == [MODEL]
    assert fake_ollama.chat_requests() == []


async def test_warm_up_of_a_missing_model_says_how_to_pull(provider: OllamaProvider) -> None:
    with pytest.raises(ProviderError) as missing:
        await provider.warm_up("nope:1b")
    assert missing.value.kind is ErrorKind.MODEL_MISSING
    assert "ollama pull nope:1b" in missing.value.message


async def test_warm_up_with_the_server_down() -> None:
    prov = OllamaProvider(closed_port_url(), timeout_s=5, connect_timeout_s=2)
    with pytest.raises(ProviderError) as down:
        await prov.warm_up(MODEL)
    assert down.value.kind is ErrorKind.UNREACHABLE


async def test_pull_reports_progress_then_the_model_is_installed(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    new = "qwen2.5-coder:14b"
    steps = [step async for step in provider.pull(new)]
    assert steps[0] == PullProgress("pulling manifest")
    assert [s.status for s in steps[-3:]] == [
        "verifying sha256 digest",
        "writing manifest",
        "success",
    ]
    weights = [s for s in steps if s.digest == model_digest(new)]
    assert len(weights) == fake_ollama.pull_steps
    assert weights[0].status == f"pulling {model_digest(new)[7:19]}"
    assert [s.completed for s in weights] == sorted(s.completed or 0 for s in weights)
    assert weights[-1].fraction == 1.0 and weights[-1].total == fake_ollama.pull_layers[0]
    assert fake_ollama.pulls_finished == [new]
    assert new in [m.name for m in await provider.list_models()]


async def test_pull_of_an_unknown_model_is_a_clear_error(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    seen: list[str] = []
    with pytest.raises(ProviderError) as unknown:
        async for step in provider.pull("qwen9-coder:7b"):
            seen.append(step.status)
    assert seen == ["pulling manifest"]
    assert unknown.value.kind is ErrorKind.MODEL_MISSING
    assert "no model 'qwen9-coder:7b'" in unknown.value.message
    assert "ollama.com/library" in unknown.value.message
    assert "qwen9-coder:7b" not in fake_ollama.models


async def test_pull_failing_on_the_server_passes_the_reason_on(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.pull_error = (
        "pull model manifest: dial tcp: lookup registry.ollama.ai: no such host"
    )
    with pytest.raises(ProviderError) as failed:
        async for _ in provider.pull("llama3.2:1b"):
            pass
    assert failed.value.kind is ErrorKind.OTHER
    assert "could not download 'llama3.2:1b'" in failed.value.message
    assert "no such host" in failed.value.message


async def test_pull_with_the_server_down_says_how_to_start_it() -> None:
    url = closed_port_url()
    prov = OllamaProvider(url, timeout_s=5, connect_timeout_s=2)
    with pytest.raises(ProviderError) as down:
        async for _ in prov.pull(MODEL):
            pass
    assert down.value.kind is ErrorKind.UNREACHABLE
    assert url in down.value.message and "ollama serve" in down.value.message


async def test_cancelling_a_pull_closes_the_download(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.pull_steps = 1000
    fake_ollama.pull_delay_s = 0.002
    new = "qwen2.5-coder:32b"
    layer_started = asyncio.Event()

    async def consume() -> None:
        async for step in provider.pull(new):
            if step.digest:
                layer_started.set()

    task = asyncio.create_task(consume())
    await layer_started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(fake_ollama.wait_until, lambda: fake_ollama.pulls_aborted)
    assert fake_ollama.pulls_aborted == [new]
    assert fake_ollama.pulls_finished == []
    assert new not in fake_ollama.models


def test_canonical_name_adds_the_latest_tag() -> None:
    assert canonical_name("llama3.2") == "llama3.2:latest"
    assert canonical_name("qwen2.5-coder:7b") == "qwen2.5-coder:7b"
    assert (
        canonical_name("registry.local:5000/team/coder") == "registry.local:5000/team/coder:latest"
    )


async def events(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    """Every event of a stream that must succeed."""
    return [event async for event in stream]


async def test_tool_calls_arrive_as_one_request_before_usage(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.tool_script = [
        [
            {"name": "read_file", "arguments": {"path": "src/app.py"}},
            {"name": "read_file", "arguments": {"path": "README.md"}},
        ]
    ]
    got = await events(provider.stream_chat(MODEL, HELLO, tools=TOOLS))
    request, usage = got
    assert request == ToolRequest(
        (
            ToolCall("read_file", {"path": "src/app.py"}),
            ToolCall("read_file", {"path": "README.md"}),
        )
    )
    assert isinstance(usage, Usage) and usage.stop_reason == "stop"
    assert usage.output_tokens == 2
    (body,) = fake_ollama.chat_requests()
    assert body["tools"] == TOOLS


async def test_text_and_tool_calls_in_one_reply(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.tool_script = [
        {"content": "Let me look.", "tool_calls": [{"name": "read_file", "arguments": {}}]}
    ]
    got = await events(provider.stream_chat(MODEL, HELLO, tools=TOOLS))
    text = "".join(e.text for e in got if isinstance(e, TextDelta))
    assert text == "Let me look."
    assert [type(e) for e in got[-2:]] == [ToolRequest, Usage]
    assert got[-2] == ToolRequest((ToolCall("read_file", {}),))


async def test_tool_turns_go_back_in_ollamas_wire_format(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    call = ToolCall("read_file", {"path": "src/app.py"})
    history = [
        *HELLO,
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", "def main(): ...", tool_name="read_file"),
    ]
    deltas, usage, error = await collect(provider.stream_chat(MODEL, history, tools=TOOLS))
    assert error is None and usage is not None
    assert "".join(deltas) == fake_ollama.reply  # the script is empty: the normal reply
    (body,) = fake_ollama.chat_requests()
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "tool_calls": [
                {"function": {"name": "read_file", "arguments": {"path": "src/app.py"}}}
            ],
        },
        {"role": "tool", "content": "def main(): ...", "tool_name": "read_file"},
    ]


async def test_a_plain_chat_yields_no_tool_request(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    got = await events(provider.stream_chat(MODEL, HELLO))
    assert not any(isinstance(e, ToolRequest) for e in got)
    assert not fake_ollama.chat_requests()[0].get("tools")


async def test_a_model_without_tool_support_is_a_distinct_error(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.capabilities[MODEL] = ["completion"]
    _, usage, error = await collect(provider.stream_chat(MODEL, HELLO, tools=TOOLS))
    assert usage is None
    assert isinstance(error, ToolsUnsupportedError)
    assert error.kind is ErrorKind.OTHER and error.model == MODEL
    assert no_tools_error(MODEL) == f"registry.ollama.ai/library/{MODEL} does not support tools"
    assert no_tools_error(MODEL) in error.message
    assert f"ollama show {MODEL}" in error.message
    # Without tools the same model answers.
    deltas, _, error = await collect(provider.stream_chat(MODEL, HELLO))
    assert error is None and "".join(deltas) == fake_ollama.reply


async def test_supports_tools_reads_the_capabilities(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.capabilities["llama3.2:3b"] = ["completion"]
    assert await provider.supports_tools(MODEL) is True
    assert await provider.supports_tools("llama3.2:3b") is False
    assert await provider.supports_tools("nope:1b") is None  # not installed: unknown
    fake_ollama.capabilities[MODEL] = []  # an old server reports no capabilities
    assert await provider.supports_tools(MODEL) is None


async def test_supports_tools_is_unknown_with_the_server_down() -> None:
    prov = OllamaProvider(closed_port_url(), timeout_s=5, connect_timeout_s=2)
    assert await prov.supports_tools(MODEL) is None


async def test_a_stream_cut_after_tool_calls_is_a_cut(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.tool_script = [[{"name": "read_file", "arguments": {"path": "x"}}]]
    fake_ollama.drop_done = True
    got: list[StreamEvent] = []
    with pytest.raises(ProviderError) as cut:
        async for event in provider.stream_chat(MODEL, HELLO, tools=TOOLS):
            got.append(event)
    assert cut.value.kind is ErrorKind.STREAM_CUT
    assert got == []  # calls of an unfinished reply are not handed out
