"""The status line: Ollama up or down, each pane's model, Claude cost, the last reply's figures."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from workbench.controller import SessionController
from workbench.ollama_monitor import OllamaState
from workbench.providers.ollama import canonical_name
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

    def __init__(self, session: SessionController, *, id: str | None = None):
        super().__init__(id=id)
        self.session = session
        """The session whose models, last reply, cost and warm-up it shows."""
        self.monitor = session.monitor
        """Polls Ollama; the line is rendered again when what it found changes."""

    def on_mount(self) -> None:
        self.monitor.subscribe(self._ollama_changed)
        self.session.warm_up.on_change = self.refresh_line
        self.refresh_line()

    def on_unmount(self) -> None:
        self.monitor.unsubscribe(self._ollama_changed)
        if self.session.warm_up.on_change == self.refresh_line:
            self.session.warm_up.on_change = lambda: None

    def _ollama_changed(self, _state: OllamaState, _was_reachable: bool | None) -> None:
        self.refresh_line()

    def refresh_line(self) -> None:
        """Render the line again from the session (a reply ended, a model changed, ...)."""
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
        session = self.session
        warming = session.warm_up.warming
        for pane, conversation in session.conversations.items():
            model = conversation.model
            parts.append(f"  │  {pane.capitalize()}: {model.name}")
            name = canonical_name(model.name)
            if model.provider == "ollama" and name in state.loaded:
                parts.append((" (loaded)", "$success"))
            elif model.name == warming:
                parts.append((" (warming up…)", "$warning"))
            elif (
                model.provider == "ollama"
                and state.installed is not None
                and name not in state.installed
            ):
                parts.append((" (not installed: ctrl+l)", "$warning"))
        last_reply, cloud_cost = session.last_reply(), session.cloud_cost()
        # The cost before the figures: on a narrow screen the end of the line is cut.
        if cloud_cost:
            parts.append(f"  │  Claude ${cloud_cost:.3f}")
        if last_reply is not None and (figures := describe_reply(last_reply)):
            parts.append(f"  │  last reply: {figures}")
        self.update(Content.assemble(*parts))
