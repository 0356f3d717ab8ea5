"""The status line: Ollama up or down, each pane's model, the last reply's figures, Claude cost."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from workbench.config import ModelRef
from workbench.ollama_monitor import OllamaMonitor, OllamaState
from workbench.providers.ollama import canonical_name
from workbench.session.model import AssistantMessage
from workbench.usage import describe_reply


class StatusBar(Static):
    """One line above the footer: renders what the Ollama monitor found, never polling itself."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self, monitor: OllamaMonitor, *, id: str | None = None):
        super().__init__(id=id)
        self.monitor = monitor
        """Polls Ollama; the line is rendered again when what it found changes."""
        self.models: dict[str, ModelRef] = {}
        """Pane name -> the model it uses."""
        self.last_reply: AssistantMessage | None = None
        self.cloud_cost = 0.0
        """USD spent on cloud models in this session."""
        self.warming: str | None = None
        """A model being loaded ahead of a send (warm-up)."""

    def on_mount(self) -> None:
        self.monitor.subscribe(self._ollama_changed)
        self._render_line()

    def on_unmount(self) -> None:
        self.monitor.unsubscribe(self._ollama_changed)

    def _ollama_changed(self, _state: OllamaState, _was_reachable: bool | None) -> None:
        self._render_line()

    def set_models(self, models: dict[str, ModelRef]) -> None:
        """Show the model each pane uses."""
        self.models = dict(models)
        self._render_line()

    def set_usage(self, last_reply: AssistantMessage | None, cloud_cost: float) -> None:
        """Show the figures of the last finished reply and the session's cloud cost."""
        self.last_reply, self.cloud_cost = last_reply, cloud_cost
        self._render_line()

    def set_warming(self, model: str | None) -> None:
        """Show that a model is being loaded ahead of the send; None when done."""
        self.warming = model
        self._render_line()

    def _render_line(self) -> None:
        parts: list[str | tuple[str, str]] = []
        state = self.monitor.state
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
