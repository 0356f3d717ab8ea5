"""WarmUp loading the Implement model through the real client against the wire-level fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.unit.helpers import until
from workbench.config import ModelRef, Settings, TierSettings
from workbench.ollama_monitor import OllamaMonitor
from workbench.providers.router import ProviderRouter
from workbench.warm_up import WarmUp

QUALITY = ModelRef("ollama", "qwen2.5-coder:14b", "quality")
MISSING = ModelRef("ollama", "qwen2.5-coder:32b", "quality")
CLOUD = ModelRef("anthropic", "claude-sonnet-5-5", "cloud")


class Recorder:
    """The UI's side: what `on_change` saw of `warming`, and the notices."""

    def __init__(self) -> None:
        self.warming: list[str | None] = []
        self.notices: list[str] = []
        self.warm_up: WarmUp | None = None

    def changed(self) -> None:
        assert self.warm_up is not None
        self.warming.append(self.warm_up.warming)


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    server = FakeOllama(models=["qwen2.5-coder:7b", "qwen2.5-coder:14b"])
    server.start()
    yield server
    server.release()
    server.stop()


@pytest.fixture
def settings(fake: FakeOllama) -> Settings:
    settings = Settings()
    settings.ollama.host = fake.url
    settings.ollama.connect_timeout_s = 2
    settings.tiers = {
        "fast": TierSettings("ollama", ["qwen2.5-coder:7b"]),
        "quality": TierSettings(
            "ollama", [QUALITY.name, MISSING.name], keep_alive="30m", num_ctx=8192
        ),
        "cloud": TierSettings("anthropic", [CLOUD.name]),
    }
    return settings


@pytest.fixture
async def router(settings: Settings) -> AsyncIterator[ProviderRouter]:
    router = ProviderRouter(settings)
    yield router
    await router.aclose()


@pytest.fixture
async def monitor(router: ProviderRouter) -> AsyncIterator[OllamaMonitor]:
    monitor = OllamaMonitor(router, 5.0)
    yield monitor
    await monitor.stop()


@pytest.fixture
def ui() -> Recorder:
    return Recorder()


@pytest.fixture
def warm_up(
    settings: Settings, router: ProviderRouter, monitor: OllamaMonitor, ui: Recorder
) -> WarmUp:
    warm_up = WarmUp(settings, router, monitor, on_change=ui.changed, notify=ui.notices.append)
    ui.warm_up = warm_up
    return warm_up


async def test_a_warm_up_loads_the_model_as_the_send_will_want_it(
    fake: FakeOllama, warm_up: WarmUp, monitor: OllamaMonitor, ui: Recorder
) -> None:
    assert warm_up.spec_edited(QUALITY) == "started"
    assert warm_up.warming == QUALITY.name
    await warm_up.wait()
    [request] = fake.generate_requests()
    assert (request["model"], request["prompt"], request["keep_alive"]) == (QUALITY.name, "", "30m")
    assert request["options"] == {"num_ctx": 8192, "num_predict": 1}
    assert warm_up.warming is None
    assert ui.warming == [QUALITY.name, None]
    assert ui.notices == []
    # The monitor is asked at once, so the status line shows the model loaded.
    await until(lambda: QUALITY.name in monitor.state.loaded, "monitor saw it loaded")
    assert warm_up.spec_edited(QUALITY) == "loaded"


async def test_a_server_that_generates_on_an_empty_prompt_makes_one_token_at_most(
    fake: FakeOllama, warm_up: WarmUp
) -> None:
    """An imitation of Ollama generated 399 tokens for a warm-up, and the send queued behind."""
    fake.generates_on_empty_prompt = True
    fake.reply = "a long answer nobody asked for " * 50
    assert warm_up.spec_edited(QUALITY) == "started"
    await warm_up.wait()
    assert fake.warm_up_tokens == [1]


async def test_no_warm_up_when_switched_off(
    fake: FakeOllama, settings: Settings, warm_up: WarmUp, ui: Recorder
) -> None:
    settings.ollama.warm_up = False
    assert warm_up.spec_edited(QUALITY) == "off"
    assert (warm_up.warming, ui.warming, fake.generate_requests()) == (None, [], [])


async def test_no_warm_up_for_a_cloud_model(warm_up: WarmUp) -> None:
    assert warm_up.spec_edited(CLOUD) == "remote"
    assert warm_up.warming is None


async def test_a_loaded_model_is_not_warmed_again(
    fake: FakeOllama, warm_up: WarmUp, monitor: OllamaMonitor
) -> None:
    assert warm_up.spec_edited(QUALITY, loaded={QUALITY.name}) == "loaded"
    fake.load(QUALITY.name)
    await monitor.poll()
    assert warm_up.spec_edited(QUALITY) == "loaded"  # read from the monitor
    assert fake.generate_requests() == []


async def test_one_warm_up_at_a_time_and_not_again_soon_after(
    fake: FakeOllama, warm_up: WarmUp
) -> None:
    assert warm_up.spec_edited(QUALITY) == "started"
    assert warm_up.spec_edited(QUALITY) == "busy"
    assert warm_up.spec_edited(MISSING) == "busy"
    await warm_up.wait()
    # Ollama unloaded it again (or the poll has not seen it yet): not asked again so soon.
    assert warm_up.spec_edited(QUALITY, loaded=()) == "recent"
    assert len(fake.generate_requests()) == 1


async def test_a_missing_model_is_reported_once_with_how_to_pull_it(
    fake: FakeOllama, warm_up: WarmUp, ui: Recorder
) -> None:
    assert warm_up.spec_edited(MISSING) == "started"
    await warm_up.wait()
    assert ui.notices == [f"The Implement model {MISSING.name} is not installed: ctrl+l pulls it."]
    assert warm_up.warming is None
    assert ui.warming == [MISSING.name, None]


async def test_ollama_down_during_a_warm_up_is_left_to_the_status_line(
    fake: FakeOllama, warm_up: WarmUp, ui: Recorder
) -> None:
    fake.stop()
    assert warm_up.spec_edited(QUALITY) == "started"
    await warm_up.wait()
    assert (warm_up.warming, ui.notices) == (None, [])


async def test_cancel_stops_a_warm_up_in_flight(
    fake: FakeOllama, warm_up: WarmUp, monitor: OllamaMonitor, ui: Recorder
) -> None:
    fake.hold("/api/generate")
    assert warm_up.spec_edited(QUALITY) == "started"
    await until(lambda: fake.generate_requests(), "the request reached Ollama")
    warm_up.cancel()
    await warm_up.wait()
    assert warm_up.warming is None
    assert ui.warming == [QUALITY.name, None]
    assert not monitor.polling  # nothing new to see: not polled
    # Free again for the next keystroke (once the retry pause is over).
    assert warm_up.spec_edited(QUALITY, loaded=()) == "recent"


async def test_cancel_before_the_request_started_still_ends_the_warm_up(
    fake: FakeOllama, warm_up: WarmUp, ui: Recorder
) -> None:
    assert warm_up.spec_edited(QUALITY) == "started"
    warm_up.cancel()
    await warm_up.wait()
    assert (warm_up.warming, ui.warming) == (None, [QUALITY.name, None])
    assert fake.generate_requests() == []


async def test_cancel_with_nothing_running_is_harmless(warm_up: WarmUp, ui: Recorder) -> None:
    warm_up.cancel()
    await warm_up.wait()
    assert (warm_up.warming, ui.warming) == (None, [])


async def test_a_broken_ui_callback_does_not_leave_the_warm_up_stuck(
    fake: FakeOllama, settings: Settings, router: ProviderRouter, monitor: OllamaMonitor
) -> None:
    def broken() -> None:
        raise RuntimeError("the status bar is gone")

    warm_up = WarmUp(settings, router, monitor, on_change=broken)
    assert warm_up.spec_edited(QUALITY) == "started"
    await warm_up.wait()
    assert warm_up.warming is None
    assert len(fake.generate_requests()) == 1
