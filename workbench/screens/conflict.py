"""Asks what to do when context.md changed on disk while the editor had unsaved edits."""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from workbench.screens.framed_modal import FramedModal

Choice = Literal["mine", "theirs"]


class SpecConflictModal(FramedModal[Choice]):
    """Keep the editor's version (overwrite the file) or load the file's (editor kept as backup)."""

    DEFAULT_CSS = """
    SpecConflictModal {
        & > Vertical {
            width: 72;
            height: auto;
            padding: 1 2;
            border: thick $warning;
        }
        & .conflict-text { margin: 0 0 1 0; }
        & Horizontal { height: auto; align-horizontal: center; }
        & Button { margin: 0 1; }
    }
    """

    BINDINGS = [
        Binding("m", "choose('mine')", "Keep mine", tooltip="Overwrite the file with the editor"),
        Binding("f", "choose('theirs')", "Load file", tooltip="Load the file; back up the editor"),
    ]

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content(
                    f"{self.path} was changed outside workbench while the Spec pane had "
                    "unsaved edits. Nothing has been overwritten yet."
                ),
                classes="conflict-text",
            )
            with Horizontal():
                yield Button(Content("Keep mine (m)"), id="mine", variant="warning")
                yield Button(Content("Load the file's (f)"), id="theirs", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss("mine" if event.button.id == "mine" else "theirs")

    def action_choose(self, choice: Choice) -> None:
        """Close with the user's choice."""
        self.dismiss(choice)
