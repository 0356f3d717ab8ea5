"""The first-run question about a project's checks, and the one after an apply."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static, TextArea

from workbench.checks.config import PROJECT_FILE, CheckCommand
from workbench.screens.framed_modal import FramedModal
from workbench.widgets.diff_rows import clean


class ChecksSetupModal(FramedModal[list[str] | None]):
    """Which commands check this project: proposed from its files, edited, saved once.

    Dismissed with the commands (maybe none: "this project has no checks") or None (ask again
    next time).
    """

    DEFAULT_CSS = """
    ChecksSetupModal {
        & > Vertical { height: auto; max-height: 90%; width: 80%; max-width: 100; }
        & .modal-title { text-style: bold; }
        & .modal-help { color: $text-muted; margin: 0 0 1 0; }
        & TextArea { height: 8; }
    }
    """

    BINDINGS = [
        Binding(
            "ctrl+s",
            "save",
            "Save and run",
            tooltip="Remember these checks, run them",
            priority=True,
        ),
        Binding(
            "ctrl+n",
            "none",
            "No checks",
            tooltip="This project has no checks: stop asking",
            priority=True,
        ),
        Binding("escape", "cancel", "Not now", tooltip="Close; ask again next time", priority=True),
    ]

    def __init__(self, proposals: list[CheckCommand], root: Path) -> None:
        super().__init__()
        self.proposals = proposals
        self.root = root

    def compose(self) -> ComposeResult:
        found = (
            "Proposed from its files; edit them, one command per line."
            if self.proposals
            else "Nothing was found in its files to propose; write one command per line."
        )
        with Vertical():
            yield Static(Content(f"Checks for {clean(str(self.root))}"), classes="modal-title")
            yield Static(
                Content(
                    f"No checks are set for this project. {found} They run in the project root "
                    "and are remembered for this project only (nothing is written into it; "
                    f"a {PROJECT_FILE} at its root, [checks] commands = [...], shares them "
                    "with your team)."
                ),
                classes="modal-help",
            )
            text = "".join(check.command + "\n" for check in self.proposals)
            yield TextArea(text, id="checks-commands", soft_wrap=False)
            yield Static(
                Content("ctrl+s save and run · ctrl+n no checks for this project · esc not now"),
                classes="modal-help",
            )

    def on_mount(self) -> None:
        editor = self.query_one(TextArea)
        editor.focus()
        editor.move_cursor(editor.document.end)

    def action_save(self) -> None:
        """Remember the commands written (none: the same as ctrl+n)."""
        lines = self.query_one(TextArea).text.splitlines()
        self.dismiss([line.strip() for line in lines if line.strip()])

    def action_none(self) -> None:
        """This project has no checks: remember that, stop asking."""
        self.dismiss([])

    def action_cancel(self) -> None:
        """Ask again next time."""
        self.dismiss(None)


class RunChecksModal(FramedModal[bool]):
    """After an apply: run the checks now? Enter runs them, Escape does not."""

    DEFAULT_CSS = """
    RunChecksModal {
        & > Vertical { height: auto; width: 70%; max-width: 90; }
        & .modal-title { text-style: bold; }
        & .modal-help { color: $text-muted; }
    }
    """

    BINDINGS = [
        Binding("enter,y", "answer(True)", "Run checks", tooltip="Run the checks now"),
        Binding("escape,n", "answer(False)", "Not now", tooltip="Do not run them now"),
    ]

    def __init__(self, commands: list[CheckCommand], apply_id: str) -> None:
        super().__init__()
        self.commands = commands
        self.apply_id = apply_id

    def compose(self) -> ComposeResult:
        names = (
            ", ".join(clean(c.command) for c in self.commands)
            or "none set for this project yet (Enter proposes some from its files)"
        )
        with Vertical():
            yield Static(
                Content(f"Applied ({self.apply_id}). Run the checks now?"), classes="modal-title"
            )
            yield Static(Content(f"Checks: {names}"), classes="modal-help")
            yield Static(
                Content(
                    "enter runs them · esc not now (the checks key runs them later) · "
                    '[project] checks_after_apply = "always" or "never" stops this question'
                ),
                classes="modal-help",
            )

    def action_answer(self, run: bool) -> None:
        """Close with the answer."""
        self.dismiss(run)
