"""The Changes screen's dialogs about one hunk: a rejection's note, and a hand edit."""

from __future__ import annotations

from typing import TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static, TextArea

from workbench.screens.framed_modal import FramedModal

ResultT = TypeVar("ResultT")


class HunkModal(FramedModal[ResultT | None]):
    """A dialog about one hunk: its title, then the question; Esc closes and changes nothing."""

    DEFAULT_CSS = """
    HunkModal {
        & .modal-title { text-style: bold; }
        & .modal-help { color: $text-muted; margin: 0 0 1 0; }
    }
    """

    BINDINGS = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            tooltip="Close, change nothing",
            priority=True,  # before the editor's own use of escape
            id="changes.modal.cancel",
        )
    ]

    def __init__(self, title: str, help: str) -> None:
        super().__init__()
        self.title_text = title
        self.help_text = help

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.title_text), classes="modal-title")
            yield Static(Content(self.help_text), classes="modal-help")
            yield from self.compose_question()

    def compose_question(self) -> ComposeResult:
        """The widgets that ask (below the title)."""
        yield from ()

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)


class NoteModal(HunkModal[str]):
    """Asks why a change is rejected; the note goes back to the model with the follow-up."""

    DEFAULT_CSS = "NoteModal > Vertical { width: 72; height: auto; padding: 0 1 1 1; }"

    def __init__(self, title: str) -> None:
        super().__init__(title, "Why? It goes back to the model with the follow-up (f).")

    def compose_question(self) -> ComposeResult:
        yield Input(placeholder="Enter rejects, Esc cancels", id="note-input")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        """Reject with the note typed."""
        event.stop()
        self.dismiss(event.value.strip())


class EditHunkModal(HunkModal[list[str]]):
    """Edits the new side of a hunk by hand; saving accepts the hunk as edited."""

    DEFAULT_CSS = "EditHunkModal TextArea { height: 1fr; }"

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save and accept", id="changes.edit.save"),
    ]

    def __init__(self, title: str, lines: list[str], language: str | None) -> None:
        super().__init__(title, "ctrl+s saves and accepts · Esc cancels")
        self.text = "\n".join(line.rstrip("\r\n") for line in lines)
        self.language = language

    def compose_question(self) -> ComposeResult:
        area = TextArea(self.text, soft_wrap=False, tab_behavior="indent", show_line_numbers=True)
        if self.language in area.available_languages:
            area.language = self.language
        yield area

    def action_save(self) -> None:
        """Return the edited lines (none when the text is empty: the lines are removed)."""
        text = self.query_one(TextArea).text
        self.dismiss(text.split("\n") if text else [])
