"""The status line: Ollama up or down, each pane's model, the last reply's figures, Claude cost."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

from textual import work
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import Static

from workbench.config import ModelRef
from workbench.providers.base import LoadedModel, ProviderError
from workbench.providers.ollama import canonical_name
from workbench.providers.router import ProviderRouter
from workbench.session.model import Message
from workbench.usage import describe_reply

FIRST_POLL_DELAY_S = 0.1
"""Seconds after start before the first poll (see `StatusBar.on_mount`)."""
POLL_TIMEOUT_S = 3.0
"""A server that has not answered a poll by then counts as unreachable (hung, overloaded)."""


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


class StatusBar(Static):
    """One line above the footer; polls Ollama in the background, never blocking the UI."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """

    class OllamaChanged(TextualMessage):
        """The Ollama server went up or down, or its loaded models changed."""

        def __init__(self, state: OllamaState, was_reachable: bool | None) -> None:
            super().__init__()
            self.state = state
            self.was_reachable = was_reachable
            """What the previous poll found (None before the first)."""

    def __init__(self, router: ProviderRouter, *, poll_interval_s: float, id: str | None = None):
        super().__init__(id=id)
        self.router = router
        self.poll_interval_s = poll_interval_s
        self.ollama = OllamaState()
        self.models: dict[str, ModelRef] = {}
        """Pane name -> the model it uses."""
        self.last_reply: Message | None = None
        self.cloud_cost = 0.0
        """USD spent on cloud models in this session."""
        self.warming: str | None = None
        """A model being loaded ahead of a send (warm-up)."""

    def on_mount(self) -> None:
        self._render_line()
        # The first poll imports the ollama client (~0.4 s of CPU in a thread): after the
        # first frame, so it does not hold that frame back.
        self.set_timer(FIRST_POLL_DELAY_S, self._tick)
        self.set_interval(self.poll_interval_s, self._tick)

    def _tick(self) -> None:
        # A poll still waiting on a slow server is left to finish (or time out), not restarted.
        if not any(w.group == "ollama-poll" and not w.is_finished for w in self.workers):
            self.poll()

    def set_models(self, models: dict[str, ModelRef]) -> None:
        """Show the model each pane uses."""
        self.models = dict(models)
        self._render_line()

    def set_usage(self, last_reply: Message | None, cloud_cost: float) -> None:
        """Show the figures of the last finished reply and the session's cloud cost."""
        self.last_reply, self.cloud_cost = last_reply, cloud_cost
        self._render_line()

    def set_warming(self, model: str | None) -> None:
        """Show that a model is being loaded ahead of the send; None when done (then re-poll)."""
        self.warming = model
        self._render_line()
        if model is None:
            self.poll()

    @work(exclusive=True, group="ollama-poll", exit_on_error=False)
    async def poll(self) -> None:
        """Ask Ollama for its version and loaded models (a few ms on a running server)."""
        state = OllamaState(checked_at=datetime.now(UTC))
        try:
            async with asyncio.timeout(POLL_TIMEOUT_S):
                await self._ask(state)
        except TimeoutError:
            if not state.reachable:
                state.reachable = False
                state.problem = f"Ollama did not answer within {POLL_TIMEOUT_S:g} s"
        except ProviderError as error:
            if state.reachable is None:
                state.reachable, state.problem = False, error.message
        self._publish(state)

    async def _ask(self, state: OllamaState) -> None:
        state.version = await self.router.ollama.version()
        state.reachable = True
        listed = await self.router.ollama.list_models()
        state.installed = {canonical_name(info.name) for info in listed}
        loaded = await self.router.ollama.loaded_models()
        state.loaded = {canonical_name(model.name): model for model in loaded}

    def _publish(self, state: OllamaState) -> None:
        changed = (state.reachable, state.version, set(state.loaded), state.installed) != (
            self.ollama.reachable,
            self.ollama.version,
            set(self.ollama.loaded),
            self.ollama.installed,
        )
        was_reachable, self.ollama = self.ollama.reachable, state
        self._render_line()
        if changed:
            self.post_message(self.OllamaChanged(state, was_reachable))

    def _render_line(self) -> None:
        parts: list[str | tuple[str, str]] = []
        state = self.ollama
        if state.reachable is None:
            parts.append(("… Ollama", "$text-muted"))
        elif state.reachable:
            parts += [("● ", "$success"), f"Ollama {state.version}".rstrip()]
        else:
            parts += [("✗ Ollama unreachable", "bold $error"), (" (ollama serve?)", "$error")]
        for pane, model in self.models.items():
            parts.append(f"  │  {pane.capitalize()}: {model.name}")
            name = canonical_name(model.name)
            if model.provider == "ollama" and name in state.loaded:
                parts.append((" (loaded)", "$success"))
            elif model.name == self.warming:
                parts.append((" (warming up…)", "$warning"))
            elif (
                model.provider == "ollama"
                and state.installed is not None
                and name not in state.installed
            ):
                parts.append((" (not installed: ctrl+l)", "$warning"))
        if self.last_reply is not None and (figures := describe_reply(self.last_reply)):
            parts.append(f"  │  last reply: {figures}")
        if self.cloud_cost:
            parts.append(f"  │  Claude ${self.cloud_cost:.3f}")
        self.update(Content.assemble(*parts))
