"""The Ollama monitor: polls the server in the background and tells subscribers what changed.

One poll asks for the version, the installed models (/api/tags) and the loaded ones (/api/ps):
a few ms on a running server. The status bar renders `OllamaMonitor.state`; the warm-up, the
model picker and the palette read it; the screen hears when Ollama comes back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from workbench.providers.base import LoadedModel, ProviderError
from workbench.providers.ollama import canonical_name
from workbench.providers.router import ProviderRouter

FIRST_POLL_DELAY_S = 0.1
"""Seconds after `OllamaMonitor.start` before the first poll (see there)."""
POLL_TIMEOUT_S = 3.0
"""A server that has not answered a poll by then counts as unreachable (hung, overloaded)."""

log = logging.getLogger(__name__)


@dataclass
class OllamaState:
    """What the last poll of the Ollama server found."""

    reachable: bool | None = None
    """None until the first poll has answered."""
    version: str = ""
    loaded: dict[str, LoadedModel] = field(default_factory=dict)
    """Models in memory right now, by name (from /api/ps)."""
    installed: set[str] | None = None
    """Names of the installed models (from /api/tags); None when unknown."""
    problem: str = ""
    """Why the server could not be reached (the provider's message)."""
    checked_at: datetime | None = None


OllamaListener = Callable[[OllamaState, bool | None], None]
"""Called with the new state and what the poll before it found (None before the first)."""


class OllamaMonitor:
    """Polls Ollama every `poll_interval_s` on the running loop, never two polls at once."""

    def __init__(
        self,
        router: ProviderRouter,
        poll_interval_s: float,
        *,
        timeout_s: float = POLL_TIMEOUT_S,
        first_poll_delay_s: float = FIRST_POLL_DELAY_S,
    ) -> None:
        self.router = router
        self.poll_interval_s = poll_interval_s
        self.timeout_s = timeout_s
        """A poll not answered by then finds the server unreachable."""
        self.first_poll_delay_s = first_poll_delay_s
        self.state = OllamaState()
        """What the last poll found."""
        self._listeners: list[tuple[OllamaListener, bool]] = []
        """(callback, every_poll) in the order they subscribed."""
        self._lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._again = False
        """`poll_soon` was called while a poll was in flight: poll once more after it."""
        self._stopped = False

    # -- subscribers -------------------------------------------------------------------------

    def subscribe(self, callback: OllamaListener, *, every_poll: bool = False) -> None:
        """Call `callback(state, was_reachable)` after each poll whose result changed.

        A change is the server going up or down, another version, or other models installed
        or loaded. With `every_poll`, it is called after every poll instead.
        """
        self._listeners.append((callback, every_poll))

    def unsubscribe(self, callback: OllamaListener) -> None:
        """Stop calling `callback` (no error if it was not subscribed)."""
        self._listeners = [entry for entry in self._listeners if entry[0] != callback]

    # -- polling -----------------------------------------------------------------------------

    async def poll(self) -> OllamaState:
        """Poll once now (after any poll in flight) and return what it found."""
        async with self._lock:
            state = OllamaState(checked_at=datetime.now(UTC))
            try:
                async with asyncio.timeout(self.timeout_s):
                    await self._ask(state)
            except TimeoutError:
                if not state.reachable:
                    state.reachable = False
                    state.problem = f"Ollama did not answer within {self.timeout_s:g} s"
            except ProviderError as error:
                if state.reachable is None:
                    state.reachable, state.problem = False, error.message
            self._publish(state)
            return state

    async def _ask(self, state: OllamaState) -> None:
        state.version = await self.router.ollama.version()
        state.reachable = True
        listed = await self.router.ollama.list_models()
        state.installed = {canonical_name(info.name) for info in listed}
        loaded = await self.router.ollama.loaded_models()
        state.loaded = {canonical_name(model.name): model for model in loaded}

    def _publish(self, state: OllamaState) -> None:
        previous = self.state
        changed = (state.reachable, state.version, set(state.loaded), state.installed) != (
            previous.reachable,
            previous.version,
            set(previous.loaded),
            previous.installed,
        )
        self.state = state
        for callback, every_poll in list(self._listeners):
            if changed or every_poll:
                try:
                    callback(state, previous.reachable)
                except Exception:
                    # One broken subscriber must not stop the polls the others rely on.
                    log.exception("Ollama monitor subscriber %r failed", callback)

    @property
    def polling(self) -> bool:
        """Whether a background poll is in flight (or about to run again)."""
        return self._poller is not None

    def poll_soon(self) -> None:
        """Poll now in the background (after a pull or a warm-up); once more if one is running.

        Calls made while a poll is in flight add up to one more poll after it. Needs a running
        loop; does nothing once the monitor is stopped.
        """
        if self._stopped:
            return
        if self._poller is not None:
            self._again = True
            return
        self._poller = asyncio.get_running_loop().create_task(
            self._poll_until_settled(), name="ollama-poll"
        )

    async def _poll_until_settled(self) -> None:
        try:
            while True:
                self._again = False
                await self.poll()
                if not self._again or self._stopped:
                    return
        finally:
            self._poller = None

    def start(self) -> None:
        """Poll in the background: first after `first_poll_delay_s`, then every interval.

        The first poll imports the ollama client (~0.4 s of CPU, in a thread): the delay
        keeps that off the first frame of the UI.
        """
        self._stopped = False
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.get_running_loop().create_task(
                self._tick_forever(), name="ollama-monitor"
            )

    async def _tick_forever(self) -> None:
        await asyncio.sleep(self.first_poll_delay_s)
        while True:
            # A poll still waiting on a slow server is left to finish (or time out), not repeated.
            if self._poller is None:
                self.poll_soon()
            await asyncio.sleep(self.poll_interval_s)

    def close(self) -> None:
        """Stop polling now, without waiting for a poll in flight to wind down."""
        self._stopped = True
        for task in (self._ticker, self._poller):
            if task is not None:
                task.cancel()
        self._ticker = None

    async def stop(self) -> None:
        """Stop polling and wait until no poll is running."""
        tasks = [task for task in (self._ticker, self._poller) if task is not None]
        self.close()
        await asyncio.gather(*tasks, return_exceptions=True)
