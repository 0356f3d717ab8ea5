"""A message's markdown source in a read-only editor, to select part of it from the keyboard."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static, TextArea

from workbench.clipboard import copy_text
from workbench.screens.framed_modal import FramedModal
from workbench.widgets.large_text import ScaledTextArea


class SourceSelectModal(FramedModal[str | None]):
    """Select with shift+arrows (or the mouse); p promotes the selection, c copies it."""

    DEFAULT_CSS = """
    SourceSelectModal {
        & > Vertical { height: 80%; }
        & .source-help { color: $text-muted; }
        & TextArea { height: 1fr; }
    }
    """

    BINDINGS = [
        Binding("p", "promote", "Promote selection", tooltip="Promote the selected source"),
        Binding("c", "copy", "Copy selection", tooltip="Copy the selected source"),
        Binding("escape", "close", "Close", tooltip="Close without promoting"),
    ]

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content(
                    "Select with shift+arrows (or the mouse) · p promotes the selection · "
                    "c copies it · Esc closes"
                ),
                classes="source-help",
            )
            # Plain and unwrapped above LARGE_TEXT_CHARS, so a huge message opens at once.
            yield ScaledTextArea(
                self.source, language="markdown", read_only=True, soft_wrap=True, id="source"
            )

    @property
    def selected(self) -> str:
        """The selected source text ("" when nothing is selected)."""
        return self.query_one("#source", TextArea).selected_text

    def action_promote(self) -> None:
        """Close and promote the selection."""
        if not self.selected.strip():
            self.notify("Select some text first (shift+arrows).", severity="warning")
            return
        self.dismiss(self.selected)

    def action_copy(self) -> None:
        """Copy the selection."""
        if self.selected:
            copy_text(self.app, self.selected, "the selection")

    def action_close(self) -> None:
        """Close without promoting."""
        self.dismiss(None)
