"""Warm-up: load the Implement pane's local model while the spec is edited, so the send starts fast.

A 14-33B model takes seconds to tens of seconds to load; doing it while the human writes hides
that wait. Ollama loads a model on a generate request with an empty prompt, and keeps it for
the configured `keep_alive`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection

from workbench.config import ModelRef, Settings
from workbench.ollama_monitor import OllamaMonitor
from workbench.providers.base import ErrorKind, ProviderError
from workbench.providers.ollama import canonical_name
from workbench.providers.router import ProviderRouter

RETRY_AFTER_S = 60.0
"""A model warmed (or tried) this recently is not asked for again on the next keystroke."""

log = logging.getLogger(__name__)


def _nothing() -> None:
    """The default `on_change`."""


def _say_nothing(_message: str) -> None:
    """The default `notify`."""


class WarmUp:
    """Runs at most one warm-up request at a time, and not again soon after one."""

    def __init__(
        self,
        settings: Settings,
        router: ProviderRouter,
        monitor: OllamaMonitor,
        *,
        on_change: Callable[[], None] = _nothing,
        notify: Callable[[str], None] = _say_nothing,
    ) -> None:
        self.settings = settings
        self.router = router
        self.monitor = monitor
        """Knows which models are loaded; polled again when a warm-up ends."""
        self.on_change = on_change
        """Called when a warm-up starts or ends (the status bar shows it)."""
        self.notify = notify
        """Told about a problem worth a word (the model is not installed)."""
        self.warming: str | None = None
        """The model being loaded right now."""
        self._task: asyncio.Task[None] | None = None
        self._asked: dict[str, float] = {}
        self._told_missing: set[str] = set()

    def spec_edited(self, model: ModelRef, loaded: Collection[str] | None = None) -> str:
        """The spec changed: load `model` unless it is in memory, remote, or just asked for.

        `loaded` holds the names of the models in memory as Ollama lists them ("x:latest");
        by default, what the monitor's last poll found. Called on every keystroke in the spec,
        so the cheap checks come first. Returns what was done: "started", or why not ("off",
        "remote", "loaded", "busy", "recent"). Needs a running loop to start a request.
        """
        if not self.settings.ollama.warm_up:
            return "off"
        if model.provider != "ollama":
            return "remote"
        if loaded is None:
            loaded = self.monitor.state.loaded.keys()
        if canonical_name(model.name) in loaded:
            return "loaded"
        if self.warming is not None:
            return "busy"
        last = self._asked.get(model.name)
        if last is not None and time.monotonic() - last < RETRY_AFTER_S:
            return "recent"
        self._asked[model.name] = time.monotonic()
        # Set before the task runs, so a keystroke in between finds it busy.
        self.warming = model.name
        self._task = asyncio.get_running_loop().create_task(
            self._warm(model), name=f"warm-up {model.name}"
        )
        self._task.add_done_callback(self._ended)
        self._changed()
        return "started"

    def cancel(self) -> None:
        """Stop waiting for a warm-up in flight (Ollama may still finish loading the model)."""
        if self._task is not None:
            self._task.cancel()

    async def wait(self) -> None:
        """Return once no warm-up is running (cancelled or not)."""
        task = self._task
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def _warm(self, model: ModelRef) -> None:
        options = self.settings.options_for(model)
        try:
            await self.router.ollama.warm_up(
                model.name, keep_alive=options.keep_alive, options=options
            )
        except ProviderError as error:
            # Ollama being down is on the status bar already; a missing model is worth a word.
            if error.kind == ErrorKind.MODEL_MISSING and model.name not in self._told_missing:
                self._told_missing.add(model.name)
                self._say(f"The Implement model {model.name} is not installed: ctrl+l pulls it.")

    def _ended(self, task: asyncio.Task[None]) -> None:
        # A done callback rather than a `finally`: it also runs for a task cancelled before
        # its first step, whose coroutine never started.
        if task is not self._task:
            return
        self._task, self.warming = None, None
        self._changed()
        if task.cancelled():
            return
        if (error := task.exception()) is not None:
            log.error("warm-up failed", exc_info=error)
        self.monitor.poll_soon()  # show the model loaded (or not) without waiting for a tick

    def _changed(self) -> None:
        try:
            self.on_change()
        except Exception:
            log.exception("warm-up on_change callback failed")

    def _say(self, message: str) -> None:
        try:
            self.notify(message)
        except Exception:
            log.exception("warm-up notify callback failed")
