"""AnthropicProvider driving the real `anthropic` SDK against the wire-level fake server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from tests.fakes.anthropic_server import FakeAnthropic, closed_port_url
from workbench.providers.anthropic import NO_KEY_MESSAGE, AnthropicProvider
from workbench.providers.base import (
    ChatMessage,
    ErrorKind,
    ModelOptions,
    ProviderError,
    StreamEvent,
    TextDelta,
    Usage,
)

MODEL = "claude-sonnet-5-5"
KEY = "sk-test"
HELLO = [ChatMessage("user", "Review this")]


def make(url: str, key: str | None = KEY, timeout_s: float = 5.0) -> AnthropicProvider:
    """A provider for tests: no retries, short timeouts."""
    return AnthropicProvider(key, base_url=url, max_retries=0, timeout_s=timeout_s, models=[MODEL])


@pytest.fixture
async def provider(fake_anthropic: FakeAnthropic) -> AsyncIterator[AnthropicProvider]:
    """A provider pointed at the fake with the key it accepts."""
    prov = make(fake_anthropic.url)
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


async def failure(prov: AnthropicProvider, key: str = KEY) -> tuple[list[str], ProviderError]:
    """Run a chat that must fail; check the key is nowhere in the message."""
    deltas, usage, error = await collect(prov.stream_chat(MODEL, HELLO))
    assert usage is None
    assert error is not None
    assert key not in error.message and key not in str(error)
    return deltas, error


async def test_streamed_reply_arrives_complete_in_order_with_usage(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider
) -> None:
    deltas, usage, error = await collect(provider.stream_chat(MODEL, HELLO))
    assert error is None
    assert deltas == fake_anthropic.chunks()
    assert usage is not None
    assert usage.model == MODEL
    assert usage.input_tokens is not None and usage.input_tokens > 0
    assert usage.output_tokens == len(deltas)
    assert usage.stop_reason == "end_turn"


async def test_a_gateway_s_input_count_in_message_delta_is_the_one_kept(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider
) -> None:
    """LiteLLM sends `input_tokens: 0` in message_start and the real count in message_delta."""
    _deltas, usage, _error = await collect(provider.stream_chat(MODEL, HELLO))
    assert usage is not None and usage.input_tokens
    counted = usage.input_tokens
    fake_anthropic.gateway_usage = True
    _deltas, usage, _error = await collect(provider.stream_chat(MODEL, HELLO))
    assert usage is not None and usage.input_tokens == counted


async def test_an_input_count_of_zero_is_unknown_not_zero(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake_anthropic.usage_unknown = True
    _deltas, usage, error = await collect(provider.stream_chat(MODEL, HELLO))
    assert error is None and usage is not None
    assert usage.input_tokens is None and usage.output_tokens


async def test_request_carries_model_messages_system_and_key(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider
) -> None:
    history = [ChatMessage("system", "House rules."), *HELLO, ChatMessage("assistant", "OK")]
    await collect(provider.stream_chat(MODEL, history, system="Be terse."))
    (request,) = fake_anthropic.requests
    assert request.body["model"] == MODEL
    assert request.body["stream"] is True
    assert request.body["max_tokens"] == provider.max_tokens
    assert request.body["system"] == "Be terse.\n\nHouse rules."
    assert request.body["messages"] == [
        {"role": "user", "content": "Review this"},
        {"role": "assistant", "content": "OK"},
    ]
    assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_options_max_tokens_overrides_the_default(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider
) -> None:
    options = ModelOptions(temperature=0.2, max_tokens=512, num_ctx=8192, keep_alive="30m")
    _, usage, error = await collect(provider.stream_chat(MODEL, HELLO, options=options))
    assert error is None and usage is not None
    (body,) = fake_anthropic.message_requests()
    assert body["max_tokens"] == 512
    # Current models answer 400 to `temperature`; the API has no context size or keep-alive.
    assert not {"temperature", "num_ctx", "keep_alive", "options"} & body.keys()


async def test_without_options_the_defaults_apply(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider
) -> None:
    await collect(provider.stream_chat(MODEL, HELLO, options=ModelOptions(num_ctx=4096)))
    (body,) = fake_anthropic.message_requests()
    assert body["max_tokens"] == provider.max_tokens
    assert "temperature" not in body


async def test_no_key_fails_without_network(fake_anthropic: FakeAnthropic) -> None:
    prov = make(fake_anthropic.url, key=None)
    _, error = await failure(prov)
    assert error.kind is ErrorKind.AUTH
    assert error.message == NO_KEY_MESSAGE
    assert fake_anthropic.requests == []
    assert "key=missing" in repr(prov)


async def test_rejected_key(fake_anthropic: FakeAnthropic) -> None:
    secret = "sk-ant-secret-123"
    prov = make(fake_anthropic.url, key=secret)
    _, error = await failure(prov, key=secret)
    assert error.kind is ErrorKind.AUTH
    assert "ANTHROPIC_API_KEY" in error.message
    assert secret not in repr(prov)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, ErrorKind.RATE_LIMITED),
        (529, ErrorKind.OVERLOADED),
        (500, ErrorKind.SERVER_ERROR),
        (400, ErrorKind.OTHER),
        (401, ErrorKind.AUTH),
        (404, ErrorKind.MODEL_MISSING),
    ],
)
async def test_http_errors_name_the_url(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider, status: int, kind: ErrorKind
) -> None:
    # A gateway user must be able to tell which server failed.
    fake_anthropic.status_override = status
    _, error = await failure(provider)
    assert error.kind is kind
    assert fake_anthropic.url in error.message


async def test_unknown_model(fake_anthropic: FakeAnthropic, provider: AnthropicProvider) -> None:
    fake_anthropic.models = ["claude-other"]
    _, error = await failure(provider)
    assert error.kind is ErrorKind.MODEL_MISSING
    assert MODEL in error.message


async def test_server_down_names_base_url() -> None:
    url = closed_port_url()
    _, error = await failure(make(url))
    assert error.kind is ErrorKind.UNREACHABLE
    assert url in error.message


async def test_timeout(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.delay_first_s = 1.0
    _, error = await failure(make(fake_anthropic.url, timeout_s=0.2))
    assert error.kind is ErrorKind.TIMEOUT


async def test_cut_stream_keeps_partial_text(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake_anthropic.cut_after = 3
    deltas, error = await failure(provider)
    assert deltas == fake_anthropic.chunks()[:3]
    assert error.kind is ErrorKind.STREAM_CUT
    assert "partial text is kept" in error.message


async def test_a_stream_cut_before_any_text_does_not_claim_text_was_kept(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake_anthropic.cut_after = 0
    deltas, error = await failure(provider)
    assert deltas == [] and error.kind is ErrorKind.STREAM_CUT
    assert "before any reply arrived" in error.message and "kept" not in error.message


async def test_stream_ending_without_stop_is_a_cut(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake_anthropic.drop_stop = True
    deltas, error = await failure(provider)
    assert "".join(deltas) == fake_anthropic.reply
    assert error.kind is ErrorKind.STREAM_CUT


@pytest.mark.parametrize(
    ("error_type", "kind"),
    [("overloaded_error", ErrorKind.OVERLOADED), ("api_error", ErrorKind.STREAM_CUT)],
)
async def test_error_event_mid_stream(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider, error_type: str, kind: ErrorKind
) -> None:
    fake_anthropic.error_event_after = 2
    fake_anthropic.error_event_type = error_type
    deltas, error = await failure(provider)
    assert len(deltas) == 2
    assert error.kind is kind
    assert "partial text is kept" in error.message


async def test_cancelling_the_consumer_closes_the_stream(
    fake_anthropic: FakeAnthropic, provider: AnthropicProvider
) -> None:
    fake_anthropic.reply = "word " * 2000
    fake_anthropic.tokens_per_s = 500
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in provider.stream_chat(MODEL, HELLO):
            first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(
        fake_anthropic.wait_until, lambda: fake_anthropic.streams_aborted
    )
    assert fake_anthropic.chunks_sent < len(fake_anthropic.chunks())


async def test_list_models_needs_no_network(fake_anthropic: FakeAnthropic) -> None:
    models = await make(fake_anthropic.url, key=None).list_models()
    assert [(m.name, m.provider) for m in models] == [(MODEL, "anthropic")]
    assert fake_anthropic.requests == []


def test_importing_the_providers_loads_neither_sdk_nor_textual() -> None:
    code = (
        "import sys, workbench.providers.anthropic, workbench.providers.ollama\n"
        "loaded = {'anthropic', 'ollama', 'textual'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_stall_mid_stream_is_a_timeout(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.tokens_per_s = 0.5  # the second delta comes 2 s later, long after the timeout
    deltas, error = await failure(make(fake_anthropic.url, timeout_s=0.2))
    assert deltas == fake_anthropic.chunks()[:1]
    assert error.kind is ErrorKind.TIMEOUT
    assert "partial text is kept" in error.message


def test_an_unknown_input_count_is_shown_as_unknown() -> None:
    from workbench.session.model import AssistantMessage
    from workbench.usage import describe_reply

    reply = AssistantMessage(id="r", content="x", input_tokens=None, output_tokens=12)
    assert describe_reply(reply).startswith("? in · 12 out")
