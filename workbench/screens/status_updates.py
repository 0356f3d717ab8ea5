"""What the main screen tells the status bar (models, last reply, cost) and what it hears back.

Functions over a `MainScreen`; its handlers call them when a reply ends, a model changes or
Ollama comes and goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.session.model import CHAT_PANES
from workbench.usage import session_cost
from workbench.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from workbench.screens.main import MainScreen


def refresh_status(screen: MainScreen) -> None:
    """Show each pane's model, the last reply's figures and the cloud cost."""
    messages = [m for pane in CHAT_PANES for m in screen.chat(pane).messages]
    replies = [m for m in messages if m.role == "assistant" and m.status != "streaming"]
    last = max(replies, key=lambda m: (m.created, m.id), default=None)
    cost = session_cost(messages, screen.settings.models)
    screen.status_bar.set_models({pane: screen.chat(pane).model for pane in CHAT_PANES})
    screen.status_bar.set_usage(last, cost)


def ollama_changed(screen: MainScreen, event: StatusBar.OllamaChanged) -> None:
    """When Ollama is back, say how many prompts marked not sent can be retried now."""
    if event.was_reachable is False and event.state.reachable:
        failed = [
            m for pane in CHAT_PANES for m in screen.chat(pane).messages if m.status == "failed"
        ]
        if failed:
            screen.notify(
                f"Ollama is reachable again: r on a message marked not sent retries it "
                f"({len(failed)} waiting).",
                title="Ollama is back",
                timeout=10,
            )
