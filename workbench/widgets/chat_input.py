"""The multi-line input of a chat pane: Enter sends, ctrl+j inserts a newline."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

from workbench.widgets.file_completion import CompletingTextArea


class ChatInput(CompletingTextArea):
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

    async def _on_key(self, event: events.Key) -> None:
        if self.completion_key(event):
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            if self.text.strip():
                self.post_message(self.Submitted(self, self.text))
            return
        await super()._on_key(event)

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
