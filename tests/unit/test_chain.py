"""stream_chain: the first model of the chain that can answer does, through the real clients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama, closed_port_url
from workbench.config import ModelRef, Settings, TierSettings, load_settings
from workbench.providers.base import ChatMessage, ErrorKind, ProviderError, TextDelta, Usage
from workbench.providers.chain import Attempt, Switched, stream_chain
from workbench.providers.fallback import fallback_chain
from workbench.providers.router import ProviderRouter

HELLO = [ChatMessage("user", "hello")]
Q14 = ModelRef("ollama", "qwen2.5-coder:14b", "quality")


def settings_for(ollama_url: str, anthropic: FakeAnthropic | None = None) -> Settings:
    env = {"OLLAMA_HOST": ollama_url}
    if anthropic is not None:
        env |= {"ANTHROPIC_BASE_URL": anthropic.url, "ANTHROPIC_API_KEY": "sk-test"}
    settings, problems = load_settings(Path("/nonexistent.toml"), env=env)
    assert not problems
    settings.anthropic.max_retries = 0
    settings.tiers = {
        "quality": TierSettings(
            "ollama", ["qwen2.5-coder:14b", "qwen2.5-coder:32b"], fallback="cloud"
        ),
        "cloud": TierSettings("anthropic", ["claude-sonnet-5-5"]),
    }
    return settings


async def run(
    settings: Settings,
    *,
    allow: bool = True,
    listed: bool = False,
    after_listing: Callable[[], object] | None = None,
) -> tuple[list[object], list[ModelRef]]:
    """Events of the chain for Q14, and the models consent was asked for.

    `listed`: the installed models were listed first (as the app's monitor does), then
    `after_listing` ran (to change what is installed behind the list's back).
    """
    router = ProviderRouter(settings)
    asked: list[ModelRef] = []
    if listed:
        await router.ollama.list_models()
        if after_listing is not None:
            after_listing()

    async def consent(model: ModelRef, attempts: tuple[Attempt, ...]) -> bool:
        asked.append(model)
        return allow

    events: list[object] = []
    try:
        stream = stream_chain(
            router,
            fallback_chain(settings, Q14),
            HELLO,
            system_for=lambda ref: "system",
            options_for=settings.options_for,
            consent=consent,
        )
        async for event in stream:
            events.append(event)
    finally:
        await router.aclose()
    return events, asked


def text(events: list[object]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_first_model_answers_without_a_switch(fake_ollama: FakeOllama) -> None:
    fake_ollama.models = ["qwen2.5-coder:14b"]
    fake_ollama.reply = "hi"
    events, asked = await run(settings_for(fake_ollama.url))
    assert text(events) == "hi" and not asked
    assert not any(isinstance(e, Switched) for e in events)
    assert isinstance(events[-1], Usage) and events[-1].model == "qwen2.5-coder:14b"


async def test_missing_model_moves_to_the_next_of_the_tier(fake_ollama: FakeOllama) -> None:
    fake_ollama.models = ["qwen2.5-coder:32b"]
    events, asked = await run(settings_for(fake_ollama.url))
    switch = next(e for e in events if isinstance(e, Switched))
    assert switch.model.name == "qwen2.5-coder:32b"
    assert switch.summary == "qwen2.5-coder:14b not installed"
    assert [r["model"] for r in fake_ollama.chat_requests()] == [
        "qwen2.5-coder:14b",
        "qwen2.5-coder:32b",
    ]
    assert not asked


async def test_server_down_skips_its_models_and_asks_before_claude(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.reply = "from claude"
    events, asked = await run(settings_for(closed_port_url(), fake_anthropic))
    assert [m.name for m in asked] == ["claude-sonnet-5-5"]
    switch = next(e for e in events if isinstance(e, Switched))
    assert switch.summary == "qwen2.5-coder:14b server unreachable"
    assert text(events) == "from claude"


async def test_declined_consent_raises_the_first_error(fake_anthropic: FakeAnthropic) -> None:
    with pytest.raises(ProviderError) as caught:
        await run(settings_for(closed_port_url(), fake_anthropic), allow=False)
    assert caught.value.kind == ErrorKind.UNREACHABLE
    assert "Not sent to claude-sonnet-5-5" in caught.value.message
    assert not fake_anthropic.message_requests()


async def test_all_missing_lists_what_was_tried(fake_ollama: FakeOllama) -> None:
    fake_ollama.models = []
    settings = settings_for(fake_ollama.url)
    settings.tiers["quality"].fallback = None
    with pytest.raises(ProviderError) as caught:
        await run(settings)
    assert caught.value.kind == ErrorKind.MODEL_MISSING
    assert "ollama pull qwen2.5-coder:14b" in caught.value.message
    assert "Also tried the fallback models: qwen2.5-coder:32b not installed." in str(
        caught.value.message
    )


async def test_a_cut_stream_is_not_retried_elsewhere(fake_ollama: FakeOllama) -> None:
    fake_ollama.models = ["qwen2.5-coder:14b", "qwen2.5-coder:32b"]
    fake_ollama.cut_after = 3
    events: list[object] = []
    with pytest.raises(ProviderError) as caught:
        router = ProviderRouter(settings_for(fake_ollama.url))
        try:
            settings = router.settings
            async for event in stream_chain(
                router,
                fallback_chain(settings, Q14),
                HELLO,
                system_for=lambda ref: None,
                options_for=settings.options_for,
                consent=lambda model, attempts: _never(),
            ):
                events.append(event)
        finally:
            await router.aclose()
    assert caught.value.kind == ErrorKind.STREAM_CUT
    assert len(fake_ollama.chat_requests()) == 1  # the partial reply stays with its model
    assert text(events)


async def _never() -> bool:
    raise AssertionError("consent must not be asked")


async def test_a_model_the_server_does_not_list_is_not_asked(fake_ollama: FakeOllama) -> None:
    # A server imitating Ollama answered HTTP 500 to a model its list did not have.
    fake_ollama.models = ["qwen2.5-coder:32b"]
    fake_ollama.missing_status = 500
    events, _ = await run(settings_for(fake_ollama.url), listed=True)
    switch = next(e for e in events if isinstance(e, Switched))
    assert switch.model.name == "qwen2.5-coder:32b"
    assert "not installed" in switch.summary
    assert [body["model"] for body in fake_ollama.chat_requests()] == ["qwen2.5-coder:32b"]


async def test_a_server_error_moves_to_the_next_model(fake_ollama: FakeOllama) -> None:
    # Not listed yet: the request is made, fails with HTTP 500, and the next model answers.
    fake_ollama.models = ["qwen2.5-coder:32b"]
    fake_ollama.missing_status = 500
    events, _ = await run(settings_for(fake_ollama.url))
    switch = next(e for e in events if isinstance(e, Switched))
    assert switch.model.name == "qwen2.5-coder:32b"
    assert "server error" in switch.summary
    assert text(events) == fake_ollama.reply


async def test_no_listed_model_gives_up_without_a_request(fake_ollama: FakeOllama) -> None:
    fake_ollama.models = ["llama3.2:3b"]
    settings = settings_for(fake_ollama.url)
    settings.tiers["quality"].fallback = None
    with pytest.raises(ProviderError) as raised:
        await run(settings, listed=True)
    assert raised.value.kind is ErrorKind.MODEL_MISSING
    assert "qwen2.5-coder:14b" in raised.value.message and fake_ollama.url in raised.value.message
    assert fake_ollama.chat_requests() == []


async def test_a_model_installed_since_the_last_list_is_found_and_asked(
    fake_ollama: FakeOllama,
) -> None:
    fake_ollama.models = ["qwen2.5-coder:32b"]
    events, _ = await run(
        settings_for(fake_ollama.url),
        listed=True,  # the status bar's last poll, then a pull in another terminal:
        after_listing=lambda: fake_ollama.models.append("qwen2.5-coder:14b"),
    )
    assert not any(isinstance(e, Switched) for e in events)
    assert [body["model"] for body in fake_ollama.chat_requests()] == ["qwen2.5-coder:14b"]
