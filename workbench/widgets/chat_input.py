"""The multi-line input of a chat pane: Enter sends, ctrl+j inserts a newline."""

from __future__ import annotations

from collections.abc import Callable

from textual import events, work
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import TextArea

from workbench.widgets.file_completion import FileCompletion, ProjectFiles, active_reference, rank


class ChatInput(TextArea):
    """A TextArea where Enter submits and ctrl+j (works in tmux) starts a new line."""

    DEFAULT_CSS = """
    ChatInput {
        height: auto;
        min-height: 3;
        max-height: 12;
        border: tall $border-blurred;
        &:focus { border: tall $border; }
    }
    """

    BINDINGS = [
        Binding(
            "ctrl+j,shift+enter",
            "newline",
            "Newline",
            tooltip="Insert a line break (Enter sends)",
            id="input.newline",
        ),
    ]

    class Submitted(Message):
        """The user pressed Enter with text in the input."""

        def __init__(self, chat_input: ChatInput, text: str) -> None:
            super().__init__()
            self.chat_input = chat_input
            self.text = text

    def __init__(self, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(
            "",
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            placeholder=placeholder,
            compact=True,
        )
        self.above: Callable[[], Widget | None] | None = None
        """Finds the widget that Up on the first line moves to (the last message)."""
        self.completion: FileCompletion | None = None
        """The `@` file list this input drives, if any."""
        self.project_files: ProjectFiles | None = None
        """Where the `@` completion gets the project's files from."""

    @property
    def completing(self) -> bool:
        """True while the `@` file list is open."""
        return self.completion is not None and self.completion.is_open

    async def _on_key(self, event: events.Key) -> None:
        if self.completing and event.key in ("enter", "tab", "escape", "up", "down"):
            event.stop()
            event.prevent_default()
            assert self.completion is not None
            if event.key in ("up", "down"):
                self.completion.move(-1 if event.key == "up" else 1)
            elif event.key == "escape":
                self.completion.close()
            else:
                self.accept_completion()
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            if self.text.strip():
                self.post_message(self.Submitted(self, self.text))
            return
        await super()._on_key(event)

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._update_completion()

    def _on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        if self.completing:
            self._update_completion()

    def _typed_reference(self) -> tuple[int, str] | None:
        row, column = self.cursor_location
        return active_reference(self.document.get_line(row), column)

    def _update_completion(self) -> None:
        if self.completion is None or self.project_files is None:
            return
        typed = self._typed_reference()
        if typed is None:
            self.completion.close()
            return
        self._complete(typed[1])

    @work(exclusive=True, group="complete", exit_on_error=False)
    async def _complete(self, query: str) -> None:
        assert self.completion is not None and self.project_files is not None
        files = await self.project_files.files()
        if self._typed_reference() is not None:  # still typing the same reference
            self.completion.show(rank(files, query), query)

    def accept_completion(self) -> None:
        """Replace the `@query` being typed with the highlighted file's path."""
        assert self.completion is not None
        path = self.completion.chosen()
        typed = self._typed_reference()
        self.completion.close()
        if path is None or typed is None:
            return
        row, column = self.cursor_location
        self.replace(f"@{path} ", (row, typed[0]), (row, column))

    def action_newline(self) -> None:
        """Insert a line break at the cursor."""
        self.insert("\n")

    def action_cursor_up(self, select: bool = False) -> None:
        if not select and self.navigator.is_first_wrapped_line(self.cursor_location):
            target = self.above() if self.above is not None else None
            if target is not None:
                self.screen.set_focus(target)
            return
        super().action_cursor_up(select)
