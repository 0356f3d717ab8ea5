"""OllamaMonitor polling the wire-level fake: what it finds, who hears it, and never two at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.unit.helpers import until
from workbench.config import Settings
from workbench.ollama_monitor import OllamaMonitor, OllamaState
from workbench.providers.router import ProviderRouter

POLL_PATHS = ["/api/version", "/api/tags", "/api/ps"]


def router_for(url: str) -> ProviderRouter:
    settings = Settings()
    settings.ollama.host = url
    settings.ollama.connect_timeout_s = 2
    return ProviderRouter(settings)


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    server = FakeOllama(models=["qwen2.5-coder:7b", "llama3.2"], loaded=["qwen2.5-coder:7b"])
    server.start()
    yield server
    server.release()
    server.stop()


@pytest.fixture
async def router(fake: FakeOllama) -> AsyncIterator[ProviderRouter]:
    router = router_for(fake.url)
    yield router
    await router.aclose()


def poll_requests(fake: FakeOllama) -> list[str]:
    """The paths of the status requests the fake received, in order."""
    return [path for _, path, _ in fake.requests if path in POLL_PATHS]


async def test_a_poll_finds_the_version_and_the_installed_and_loaded_models(
    fake: FakeOllama, router: ProviderRouter
) -> None:
    monitor = OllamaMonitor(router, 5.0)
    assert monitor.state.reachable is None
    state = await monitor.poll()
    assert state is monitor.state
    assert (state.reachable, state.version, state.problem) == (True, "0.12.6", "")
    assert state.installed == {"qwen2.5-coder:7b", "llama3.2:latest"}
    assert set(state.loaded) == {"qwen2.5-coder:7b"}
    assert state.checked_at is not None
    assert poll_requests(fake) == POLL_PATHS


async def test_a_server_that_is_down_is_unreachable_with_the_reason(
    fake: FakeOllama, router: ProviderRouter
) -> None:
    fake.stop()
    state = await OllamaMonitor(router, 5.0).poll()
    assert state.reachable is False
    assert state.problem
    assert (state.installed, state.loaded) == (None, {})


async def test_subscribers_hear_the_server_go_down_come_back_and_go_again(
    fake: FakeOllama, router: ProviderRouter
) -> None:
    fake.stop()
    monitor = OllamaMonitor(router, 0.02)
    heard: list[tuple[bool | None, bool | None]] = []
    monitor.subscribe(lambda state, was: heard.append((state.reachable, was)))
    monitor.start()
    try:
        await until(lambda: len(heard) == 1)
        fake.start()
        await until(lambda: heard[-1][0] is True)
        fake.stop()
        await until(lambda: heard[-1][0] is False)
    finally:
        await monitor.stop()
    # Only changes are told: the polls in between found the same and stayed quiet. (A poll
    # racing the restart may see the server before its model list: that is a change too.)
    ups_and_downs = [heard[0]] + [
        h for h, before in zip(heard[1:], heard, strict=False) if h[0] != before[0]
    ]
    assert ups_and_downs == [(False, None), (True, False), (False, True)]
    assert len(heard) <= 4


async def test_a_change_of_loaded_models_is_told_and_every_poll_on_request(
    fake: FakeOllama, router: ProviderRouter
) -> None:
    monitor = OllamaMonitor(router, 5.0)
    changes: list[OllamaState] = []
    every: list[OllamaState] = []
    monitor.subscribe(lambda state, _was: changes.append(state))
    monitor.subscribe(lambda state, _was: every.append(state), every_poll=True)
    await monitor.poll()
    await monitor.poll()
    assert (len(changes), len(every)) == (1, 2)
    fake.load("llama3.2")
    await monitor.poll()
    assert len(changes) == 2
    assert set(changes[-1].loaded) == {"qwen2.5-coder:7b", "llama3.2:latest"}
    assert len(every) == 3


async def test_unsubscribed_callbacks_are_not_called(router: ProviderRouter) -> None:
    monitor = OllamaMonitor(router, 5.0)
    heard: list[OllamaState] = []

    def listener(state: OllamaState, _was: bool | None) -> None:
        heard.append(state)

    monitor.subscribe(listener)
    monitor.unsubscribe(listener)
    monitor.unsubscribe(listener)  # twice is harmless
    await monitor.poll()
    assert heard == []


async def test_a_hung_server_counts_as_unreachable_after_the_timeout(
    fake: FakeOllama, router: ProviderRouter
) -> None:
    fake.hold("/api/version")
    monitor = OllamaMonitor(router, 5.0, timeout_s=0.2)
    state = await monitor.poll()
    assert state.reachable is False
    assert state.problem == "Ollama did not answer within 0.2 s"
    fake.release()
    assert (await monitor.poll()).reachable is True


async def test_a_server_hung_after_answering_its_version_stays_reachable(
    fake: FakeOllama, router: ProviderRouter
) -> None:
    fake.hold("/api/ps")
    state = await OllamaMonitor(router, 5.0, timeout_s=0.2).poll()
    assert (state.reachable, state.version, state.problem) == (True, "0.12.6", "")
    assert state.loaded == {}


async def test_poll_soon_while_a_poll_is_in_flight_polls_once_more_after_it(
    fake: FakeOllama, router: ProviderRouter
) -> None:
    monitor = OllamaMonitor(router, 5.0)
    fake.hold("/api/version")
    monitor.poll_soon()
    await until(lambda: fake.bodies("/api/version"), "first poll reached the server")
    monitor.poll_soon()
    monitor.poll_soon()
    monitor.poll_soon()
    assert monitor.polling
    fake.release()
    await until(lambda: not monitor.polling, "polls done")
    # One poll after another, never interleaved, and the three requests made one more poll.
    assert poll_requests(fake) == POLL_PATHS * 2
    assert monitor.state.reachable is True


async def test_the_ticks_leave_a_slow_poll_to_finish(
    fake: FakeOllama, router: ProviderRouter
) -> None:
    # Ticks every 10 ms while the first poll waits 200 ms for a hung server.
    monitor = OllamaMonitor(router, 0.01, timeout_s=0.2)
    fake.hold("/api/version")
    requests_when_told: list[int] = []
    monitor.subscribe(lambda _s, _w: requests_when_told.append(len(fake.bodies("/api/version"))))
    monitor.start()
    try:
        await until(lambda: requests_when_told, "the first poll timed out")
    finally:
        await monitor.stop()
    assert requests_when_told[0] == 1
    assert monitor.state.reachable is False


async def test_the_first_poll_waits_until_after_start(
    fake: FakeOllama, router: ProviderRouter
) -> None:
    monitor = OllamaMonitor(router, 5.0)
    monitor.start()
    try:
        for _ in range(5):
            await asyncio.sleep(0)
        assert monitor.state.reachable is None
        assert poll_requests(fake) == []
        await until(lambda: monitor.state.reachable is not None, "first poll")
    finally:
        await monitor.stop()
    assert monitor.state.reachable is True


async def test_a_failing_subscriber_does_not_stop_the_polls(
    fake: FakeOllama, router: ProviderRouter, caplog: pytest.LogCaptureFixture
) -> None:
    monitor = OllamaMonitor(router, 0.01)
    every: list[OllamaState] = []

    def broken(_state: OllamaState, _was: bool | None) -> None:
        raise RuntimeError("subscriber bug")

    monitor.subscribe(broken, every_poll=True)
    monitor.subscribe(lambda state, _was: every.append(state), every_poll=True)
    monitor.start()
    try:
        await until(lambda: len(every) >= 3, "polls go on")
    finally:
        await monitor.stop()
    assert "subscriber bug" in caplog.text


async def test_stop_ends_a_poll_in_flight_and_later_requests_do_nothing(
    fake: FakeOllama, router: ProviderRouter
) -> None:
    monitor = OllamaMonitor(router, 0.01)
    fake.hold("/api/version")
    monitor.start()
    await until(lambda: fake.bodies("/api/version"), "a poll in flight")
    await monitor.stop()
    assert not monitor.polling
    monitor.poll_soon()
    assert not monitor.polling
    assert monitor.state.reachable is None
