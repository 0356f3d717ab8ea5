"""The round history of a session: each Implement prompt, what was applied, how checks went."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from workbench.checks.rounds import Round
from workbench.screens.framed_modal import FramedModal

EMPTY = "No rounds yet: send the spec (ctrl+r), apply the reply's changes (F6), run the checks."
"""What the modal says when the session has no Implement prompt."""
HELP = "↑/↓ or j/k pick a round · d/u scroll its details · Esc closes"


def styled_details(text: str) -> Content:
    """A round's details as plain text (never markup), diff lines coloured by their sign."""
    parts: list[tuple[str, str] | str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith(("+++ ", "--- ")):
            parts.append((line, "$text-muted"))
        elif line.startswith("+"):
            parts.append((line, "$text-success"))
        elif line.startswith("-"):
            parts.append((line, "$text-error"))
        elif line.startswith("@@"):
            parts.append((line, "$text-accent"))
        elif line.startswith(("Round ", "Sent", "Apply ", "Applied:", "Checks", "Acceptance:")):
            parts.append((line, "bold"))
        else:
            parts.append(line)
    return Content.assemble(*parts)


class RoundsModal(FramedModal[None]):
    """The rounds of a session, newest last; the highlighted round's details below the list."""

    DEFAULT_CSS = """
    RoundsModal {
        & .rounds-title { text-style: bold; }
        & .rounds-help { color: $text-muted; margin: 0 0 1 0; }
        & #rounds-list {
            height: auto;
            max-height: 10;
            border: none;
            padding: 0;
            text-wrap: nowrap;
            text-overflow: ellipsis;
        }
        & #rounds-details {
            height: 1fr;
            border-top: solid $border;
            scrollbar-size-vertical: 1;
        }
        & .rounds-empty { color: $text-muted; }
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", tooltip="Back to the workbench"),
        Binding("j", "move(1)", "Next", tooltip="Highlight the next round", show=False),
        Binding("k", "move(-1)", "Previous", tooltip="Highlight the previous round", show=False),
        Binding("d", "scroll_details(1)", "Details down", tooltip="Scroll the details down"),
        Binding("u", "scroll_details(-1)", "Details up", tooltip="Scroll the details up"),
    ]

    def __init__(self, rounds: list[Round], details: Callable[[Round], str]) -> None:
        super().__init__()
        self.rounds = rounds
        """The rounds shown, oldest first."""
        self.details = details
        """Gives a round's details as plain text (it reads the journal: run off the UI)."""
        self.shown = ""
        """The details shown now, as plain text."""
        self._cache: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical():
            count = len(self.rounds)
            yield Static(
                Content(f"Rounds: {count} · newest last" if count else "Rounds"),
                classes="rounds-title",
            )
            if not self.rounds:
                yield Static(Content(EMPTY), classes="rounds-empty")
                return
            yield Static(Content(HELP), classes="rounds-help")
            yield OptionList(
                *[Option(Content(r.line()), id=str(r.number)) for r in self.rounds],
                id="rounds-list",
            )
            with VerticalScroll(id="rounds-details", can_focus=False):
                yield Static(id="rounds-details-text")

    def on_mount(self) -> None:
        if self.rounds:
            options = self.query_one("#rounds-list", OptionList)
            options.highlighted = len(self.rounds) - 1
            options.focus()

    @property
    def highlighted(self) -> Round | None:
        """The round whose details are shown (or being read)."""
        if not self.rounds:
            return None
        index = self.query_one("#rounds-list", OptionList).highlighted
        return None if index is None else self.rounds[index]

    @on(OptionList.OptionHighlighted, "#rounds-list")
    def round_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Show the details of the round just highlighted."""
        self.show_details(self.rounds[event.option_index])

    @work(exclusive=True, group="round-details")
    async def show_details(self, round_: Round) -> None:
        """Read the round's details in a thread (once per round) and show them."""
        text = self._cache.get(round_.number)
        if text is None:
            try:
                text = await asyncio.to_thread(self.details, round_)
            except OSError as error:
                text = f"Could not read round {round_.number}'s details: {error}\n"
            else:
                self._cache[round_.number] = text
        self.shown = text
        self.query_one("#rounds-details-text", Static).update(styled_details(text))
        self.query_one("#rounds-details", VerticalScroll).scroll_home(animate=False)

    def action_move(self, step: int) -> None:
        """Highlight the next (1) or previous (-1) round."""
        if self.rounds:
            options = self.query_one("#rounds-list", OptionList)
            if step > 0:
                options.action_cursor_down()
            else:
                options.action_cursor_up()

    def action_scroll_details(self, step: int) -> None:
        """Scroll the details a page down (1) or up (-1)."""
        if self.rounds:
            box = self.query_one("#rounds-details", VerticalScroll)
            if step > 0:
                box.scroll_page_down(animate=False)
            else:
                box.scroll_page_up(animate=False)

    def action_close(self) -> None:
        """Back to the workbench."""
        self.dismiss(None)
