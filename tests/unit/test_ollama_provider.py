"""OllamaProvider driving the real `ollama` client against the wire-level fake server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.fakes.ollama_server import FakeOllama, closed_port_url
from workbench.providers.base import (
    ChatMessage,
    ErrorKind,
    ProviderError,
    StreamEvent,
    TextDelta,
    Usage,
)
from workbench.providers.ollama import OllamaProvider

MODEL = "qwen2.5-coder:7b"
HELLO = [ChatMessage("user", "Say hello")]


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
            else:
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


@pytest.mark.parametrize(
    ("status", "kind"), [(500, ErrorKind.OTHER), (503, ErrorKind.OVERLOADED), (401, ErrorKind.AUTH)]
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
