"""Warm-up: load the Implement pane's local model while the spec is edited, so the send starts fast.

A 14-33B model takes seconds to tens of seconds to load; doing it while the human writes hides
that wait. Ollama loads a model on a generate request with an empty prompt, and keeps it for
the configured `keep_alive`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from textual.widget import Widget

from workbench.config import ModelRef, Settings
from workbench.providers.base import ErrorKind, ProviderError
from workbench.providers.ollama import canonical_name
from workbench.providers.router import ProviderRouter

RETRY_AFTER_S = 60.0
"""A model warmed (or tried) this recently is not asked for again on the next keystroke."""


class WarmUp:
    """Starts at most one warm-up request at a time, and not again soon after one."""

    def __init__(
        self,
        node: Widget,
        settings: Settings,
        router: ProviderRouter,
        *,
        on_change: Callable[[], None],
    ) -> None:
        self.node = node
        self.settings = settings
        self.router = router
        self.on_change = on_change
        """Called when a warm-up starts or ends (the status bar shows it)."""
        self.warming: str | None = None
        """The model being loaded right now."""
        self._asked: dict[str, float] = {}
        self._told_missing: set[str] = set()

    def spec_edited(self, model: ModelRef, loaded: Collection[str]) -> str:
        """The spec changed: load `model` unless it is in memory, remote, or just asked for.

        `loaded` holds the names of the models in memory as Ollama lists them ("x:latest").
        Called on every keystroke in the spec, so the cheap checks come first. Returns what was
        done: "started", or why not ("off", "remote", "loaded", "busy", "recent").
        """
        if not self.settings.ollama.warm_up:
            return "off"
        if model.provider != "ollama":
            return "remote"
        if canonical_name(model.name) in loaded:
            return "loaded"
        if self.warming is not None:
            return "busy"
        last = self._asked.get(model.name)
        if last is not None and time.monotonic() - last < RETRY_AFTER_S:
            return "recent"
        self._asked[model.name] = time.monotonic()

        async def warm() -> None:
            await self._warm(model)

        # A function, not a coroutine (see FileCompletion's driver for why the ignore).
        self.node.run_worker(
            warm,  # type: ignore[arg-type]
            group="warm-up",
            exclusive=True,
            exit_on_error=False,
        )
        return "started"

    async def _warm(self, model: ModelRef) -> None:
        self.warming = model.name
        self.on_change()
        try:
            options = self.settings.options_for(model)
            await self.router.ollama.warm_up(
                model.name, keep_alive=options.keep_alive, options=options
            )
        except ProviderError as error:
            # Ollama being down is on the status bar already; a missing model is worth a word.
            if error.kind == ErrorKind.MODEL_MISSING and model.name not in self._told_missing:
                self._told_missing.add(model.name)
                self.node.notify(
                    f"The Implement model {model.name} is not installed: ctrl+l pulls it.",
                    title="Warm-up",
                    severity="warning",
                    markup=False,
                )
        finally:
            self.warming = None
            self.on_change()
