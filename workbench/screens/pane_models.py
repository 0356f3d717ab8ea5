"""Which model each chat pane uses: the one it starts with, the next of its tier, any picked.

The model keys (ctrl+n, ctrl+l) act on the focused chat pane, else the last one used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.config import ModelRef, Settings, models_for_pane, tier_of
from workbench.screens.model_picker import ModelPickerModal
from workbench.session.model import Pane
from workbench.session.store import Session

if TYPE_CHECKING:
    from workbench.screens.main import MainScreen


def initial_model(settings: Settings, session: Session, pane: Pane) -> ModelRef:
    """The model a pane starts with: the session's choice, else its tier's first model."""
    choice = session.meta.models.get(pane)
    candidates = models_for_pane(settings, pane)
    if choice is not None:
        for ref in candidates:
            if ref.provider == choice.provider and ref.name == choice.name:
                return ref
        default_tier = "fast" if pane == "explore" else "quality"
        tier = tier_of(settings, choice.provider, choice.name) or default_tier
        return ModelRef(choice.provider, choice.name, tier)
    return candidates[0]


def cycle_model(screen: MainScreen) -> None:
    """Switch the chat pane to the next model of its tier list."""
    pane = screen.target_chat()
    models = models_for_pane(screen.settings, pane.pane)
    names = [(m.provider, m.name) for m in models]
    current = (pane.model.provider, pane.model.name)
    index = (names.index(current) + 1) % len(models) if current in names else 0
    pane.set_model(models[index])
    screen.notify(f"{pane.label}: {models[index].name} ({models[index].tier})")


def pick_model(screen: MainScreen) -> None:
    """Open the model picker for the chat pane (state, sizes, memory, pulls)."""
    pane = screen.target_chat()

    def picked(model: ModelRef | None) -> None:
        screen.status_bar.poll()  # a pull may have installed a model
        if model is not None:
            pane.set_model(model)
            screen.notify(f"{pane.label}: {model.name}")

    picker = ModelPickerModal(
        screen.settings,
        screen.router,
        pane_label=pane.label,
        current=pane.model,
        loaded=list(screen.status_bar.ollama.loaded.values()),
    )
    screen.app.push_screen(picker, picked)
