"""The Changes screen: review a reply's staged edits hunk by hunk, apply them, undo, send back.

The screen renders what its `StagingArea` (core) holds and turns keys into its verbs; every
verb is saved by the core at once. A refusal or failure of the core is shown as a
notification, never a crash.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from workbench.apply.changes import ChangeSet, Decision, EditFailure, FileChange
from workbench.apply.commits import ChangeActions, PlainChanges
from workbench.apply.follow_up import FollowUp, edit_parts
from workbench.apply.journal import NothingToUndo, UndoRefused
from workbench.apply.journal_entry import JournalEntry
from workbench.apply.session_changes import SessionChanges
from workbench.apply.staging_area import StagingArea
from workbench.project.files import ToolError
from workbench.screens.hunk_modals import EditHunkModal, NoteModal
from workbench.widgets.diff_rows import MINUS, clean
from workbench.widgets.diff_view import DiffView


def summary_text(changes: ChangeSet) -> str:
    """One line about the staged changes: files, lines, hunks by decision, failed edits."""
    decisions = Counter(h.decision for f in changes.files for h in f.hunks)
    lines = f"+{sum(f.added for f in changes.files)} {MINUS}{sum(f.removed for f in changes.files)}"
    files = len(changes.files)
    parts = [f"{files} file{'s' * (files != 1)}", lines]
    parts += [f"{decisions[d]} {d}" for d in ("pending", "accepted", "rejected", "applied")]
    failed = len(changes.failures)
    parts += [f"{failed} failed edit{'s' * (failed != 1)}"]
    parts += [f"reply: {changes.source}" if changes.source else ""]
    return "Changes · " + " · ".join(p for p in parts if p and not p.startswith("0 "))


def file_prompt(change: FileChange) -> Content:
    """A file in the list: its path, then its status, line counts and open hunks."""
    pending = sum(h.decision == "pending" for h in change.hunks)
    done = "applied" if all(h.decision == "applied" for h in change.hunks) else "decided"
    state = (f"{pending} pending", "$text-warning") if pending else (done, "$foreground-muted")
    added, removed = (
        (f"+{change.added}", "$text-success"),
        (f"{MINUS}{change.removed}", "$text-error"),
    )
    path, status = (clean(change.path), "bold"), (change.status, "$text-accent")
    return Content.assemble(path, "\n  ", status, "  ", added, " ", removed, "  ", state)


_KEYS = [
    # key, action, footer label, id (after "changes."), tooltip
    ("a", "decide('accepted')", "Accept", "accept", "Accept the change under the cursor"),
    ("r", "decide('rejected')", "Reject", "reject", "Reject the change under the cursor"),
    ("n", "reject_with_note", "Note", "note", "Reject the change and say why (sent back)"),
    ("e", "edit", "Edit", "edit", "Edit the change's new lines by hand, then accept it"),
    ("w", "apply", "Apply", "apply", "Write the accepted changes into the project"),
    ("u", "undo", "Undo", "undo", "Put the files back as they were before the last apply"),
    ("f", "follow_up", "Send back", "follow_up", "Send failed edits and notes to the model"),
    ("A", "decide_file('accepted')", "Accept file", "accept_file", "Accept the file's changes"),
    ("R", "decide_file('rejected')", "Reject file", "reject_file", "Reject the file's changes"),
    ("s", "side_by_side", "Split", "side_by_side", "Old and new side by side, or unified"),
    ("]", "step_file(1)", "Next file", "next_file", "Show the next file's changes"),
    ("[", "step_file(-1)", "Prev file", "previous_file", "Show the previous file's changes"),
    ("escape", "close", "Close", "close", "Back to the workbench"),
]


class ChangesScreen(Screen[str | None]):
    """The staged changes: a file list, the selected file's diff, and the edits that failed.

    Dismissed with the follow-up prompt to send to the Implement model (`f`), or None.
    """

    CSS_PATH = "changes.tcss"

    BINDINGS = [Binding(k, a, d, tooltip=t, id=f"changes.{i}") for k, a, d, i, t in _KEYS]

    def __init__(
        self,
        changes: ChangeActions | StagingArea,
        on_applied: Callable[[JournalEntry], object] | None = None,
    ) -> None:
        super().__init__()
        self.on_applied = on_applied
        """Told of each apply that wrote files (the workbench offers to run the checks)."""
        self.actions: ChangeActions = (
            PlainChanges(changes) if isinstance(changes, StagingArea) else changes
        )
        """Apply and undo as the session does them (with its git commits, when on)."""
        self.staging = self.actions.staging
        self._busy = False
        self.selected: str | None = None
        """Path of the file shown in the diff."""
        self._warned = 0
        self._cursor: int | None = None
        self._failures: list[EditFailure] = []

    def compose(self) -> ComposeResult:
        yield Static(id="changes-summary")
        with Horizontal(id="changes-body"):
            with Vertical(id="changes-side"):
                files = OptionList(id="changes-files")
                files.can_focus = False  # keys go to the diff; a click still picks a file
                files.border_title = "Files"
                yield files
                with VerticalScroll(id="changes-failures") as failures:
                    failures.can_focus = False
                    yield from self._failure_lines()
            yield DiffView(id="changes-diff")
        yield Footer()

    @property
    def diff(self) -> DiffView:
        """The diff of the selected file."""
        return self.query_one("#changes-diff", DiffView)

    def on_mount(self) -> None:
        self._to_pending()
        self.refresh_all()
        self.diff.focus()

    def refresh_all(self) -> None:
        """Redraw the summary, the file list, the failed edits and the diff from the core."""
        changes = self.staging.changes
        paths = [f.path for f in changes.files]
        if self.selected not in paths:
            self.selected = paths[0] if paths else None
        self.query_one("#changes-summary", Static).update(Content(summary_text(changes)))
        files = self.query_one("#changes-files", OptionList)
        files.set_options([Option(file_prompt(f), id=f.path) for f in changes.files])
        if self.selected is not None:
            files.highlighted = paths.index(self.selected)
        self._show_failures(changes)
        change = self._change()
        diff = self.diff
        if change is diff.change and change is not None and self._cursor is None:
            diff.refresh_change()
        else:
            diff.show(change, diff.cursor if self._cursor is None else self._cursor)
        self._cursor = None
        diff.empty_text = "No staged changes." if not paths else "No changes in this file."
        diff.border_title = (
            None if change is None else Content(f"{clean(change.path)} · {change.status}")
        )
        self._notify_warnings()

    def _failure_lines(self) -> list[Static]:
        self._failures = failures = self.staging.changes.failures
        lines: list[Static] = []
        for failure in failures:
            edit = failure.edit
            what = edit.kind.replace("_", " ")
            path = Content.assemble(
                ("✗ ", "$text-error"),
                (clean(edit.path), "bold"),
                (f" ({what})", "$foreground-muted"),
            )
            looked_for = next(
                (line.strip() for line in edit.search.splitlines() if line.strip()), ""
            )
            reason = clean(failure.reason) + (f"\n“{clean(looked_for)}”" if looked_for else "")
            lines.append(Static(path, classes="failure-path"))
            lines.append(Static(Content(reason), classes="failure-reason"))
        return lines

    def _show_failures(self, changes: ChangeSet) -> None:
        box = self.query_one("#changes-failures", VerticalScroll)
        box.display = bool(changes.failures)
        box.border_title = Content(f"Failed edits ({len(changes.failures)})")
        if changes.failures != self._failures:
            box.remove_children()
            box.mount_all(self._failure_lines())

    def _notify_warnings(self) -> None:
        for warning in self.staging.warnings[self._warned :]:
            self.notify(warning, title="Changes", severity="warning")
        self._warned = len(self.staging.warnings)

    def _change(self) -> FileChange | None:
        return None if self.selected is None else self.staging.changes.file(self.selected)

    def _select(self, path: str, cursor: int) -> None:
        """Show `path` with the cursor on its hunk `cursor` (at the next `refresh_all`)."""
        self.selected = path
        self._cursor = cursor

    @staticmethod
    def _first_pending(change: FileChange) -> int:
        return next((i for i, h in enumerate(change.hunks) if h.decision == "pending"), 0)

    @on(OptionList.OptionHighlighted, "#changes-files")
    def file_picked(self, event: OptionList.OptionHighlighted) -> None:
        """Show the diff of the file picked in the list."""
        path = event.option_id
        if path is not None and path != self.selected:
            change = self.staging.changes.file(path)
            self._select(path, 0 if change is None else self._first_pending(change))
            self.refresh_all()

    def _attempt(self, call: Callable[[], object]) -> bool:
        """Run a verb of the core; False (and a notification) when it refused or failed."""
        try:
            call()
        except Exception as error:  # whatever the core raises, the screen stays up
            self.notify(str(error) or type(error).__name__, title="Changes", severity="error")
            return False
        return True

    def _target(self) -> tuple[FileChange, int] | None:
        """The file and hunk index under the cursor, if it can still be decided on."""
        change = self._change()
        if change is None or not change.hunks:
            self.notify("No change is selected.", title="Changes", severity="warning")
            return None
        index = self.diff.cursor
        if change.hunks[index].decision == "applied":
            self.notify("This change is already applied; u undoes the apply.", title="Changes")
            return None
        return change, index

    def _to_pending(self, path: str = "", index: int = -1) -> None:
        """Select the next pending hunk after `path`'s hunk `index` (the first one without)."""
        order = [(f.path, i, h) for f in self.staging.changes.files for i, h in enumerate(f.hunks)]
        at = next((n for n, (p, i, _) in enumerate(order) if (p, i) == (path, index)), -1) + 1
        for next_path, next_index, hunk in order[at:] + order[:at]:
            if hunk.decision == "pending" and not hunk.problem:
                self._select(next_path, next_index)
                return

    def _decided(self, path: str, index: int, call: Callable[[], object]) -> None:
        """Run a decision of the core; then on to the next pending hunk, and redraw."""
        if self._attempt(call):
            self._to_pending(path, index)
            self.refresh_all()

    def action_decide(self, decision: Decision, note: str = "") -> None:
        """Accept or reject the hunk under the cursor."""
        target = self._target()
        if target is not None:
            change, index = target
            self._decided(
                change.path, index, lambda: self.staging.decide(change.path, index, decision, note)
            )

    def action_reject_with_note(self) -> None:
        """Ask why, then reject the hunk under the cursor with that note."""
        target = self._target()
        if target is None:
            return
        change, index = target
        title = (
            f"Reject the change to {clean(change.path)} at line {change.hunks[index].old_start + 1}"
        )

        def done(note: str | None) -> None:
            if note is not None:
                verb = self.staging.decide
                self._decided(
                    change.path, index, lambda: verb(change.path, index, "rejected", note)
                )

        self.app.push_screen(NoteModal(title), done)

    def action_decide_file(self, decision: Decision) -> None:
        """Accept or reject every open hunk of the selected file."""
        change = self._change()
        if change is not None:
            last = len(change.hunks) - 1
            self._decided(
                change.path, last, lambda: self.staging.decide_file(change.path, decision)
            )

    def action_edit(self) -> None:
        """Edit the new lines of the hunk under the cursor by hand; saving accepts it."""
        target = self._target()
        if target is None:
            return
        change, index = target
        hunk = change.hunks[index]
        title = f"Edit the change to {clean(change.path)} at line {hunk.old_start + 1}"

        def done(lines: list[str] | None) -> None:
            if lines is not None:
                verb = self.staging.edit_hunk
                self._decided(change.path, index, lambda: verb(change.path, index, lines))

        modal = EditHunkModal(title, hunk.final_lines, self.diff.language())
        self.app.push_screen(modal, done)

    async def action_apply(self) -> None:
        """Write the accepted hunks into the project and say what happened."""
        if self._busy:
            return
        self._busy = True
        try:
            result = await self.actions.apply_changes()
        except Exception as error:  # whatever the core raises, the screen stays up
            self.notify(str(error), title="Apply failed", severity="error")
        else:
            if result.written:
                notes = [result.message, result.entry.note if result.entry else ""]
                said = " ".join(["Wrote " + ", ".join(result.written) + ".", *filter(None, notes)])
                self.notify(said, title="Applied")
                if result.entry is not None and self.on_applied is not None:
                    self.on_applied(result.entry)
            elif result.review_again:
                self.notify(result.message, title="Review again", severity="warning")
                first = self.staging.changes.file(result.review_again[0])
                if first is not None:
                    self._select(first.path, self._first_pending(first))
            else:
                self.notify(result.message or "Nothing was written.", title="Apply")
        finally:
            self._busy = False
        self.refresh_all()

    async def action_undo(self) -> None:
        """Undo the last apply: the files (and the decisions) as they were before it."""
        if self._busy:
            return
        self._busy = True
        try:
            undone = await self.actions.undo_apply()
            entry = undone.entry
        except (UndoRefused, NothingToUndo) as error:
            self.notify(str(error), title="Undo", severity="warning")
        except Exception as error:  # whatever the core raises, the screen stays up
            self.notify(str(error), title="Undo failed", severity="error")
        else:
            restored = ", ".join(entry.paths) or "nothing"
            said = f"Undid apply {entry.id}: restored {restored}. {undone.message}".strip()
            self.notify(said, title="Undone")
        finally:
            self._busy = False
        self.refresh_all()

    def action_follow_up(self) -> None:
        """Send the failed edits and rejection notes back, and close."""
        text = FollowUp(edit_parts(self.staging.changes)).text
        if not text:
            self.notify("Nothing to send back.", title="Changes")
            return
        self.dismiss(text)

    def action_step_file(self, step: int) -> None:
        """Show the next (or previous) file."""
        paths = [f.path for f in self.staging.changes.files]
        if self.selected not in paths:
            return
        index = paths.index(self.selected) + step
        if 0 <= index < len(paths):
            change = self.staging.changes.files[index]
            self._select(change.path, self._first_pending(change))
            self.refresh_all()

    def action_side_by_side(self) -> None:
        """Show the diff side by side, or unified."""
        self.diff.toggle_side_by_side()

    def action_close(self) -> None:
        """Back to the workbench."""
        self.dismiss(None)


async def show_changes(
    app: App[object],
    changes: SessionChanges,
    follow_up: Callable[[str | None], Awaitable[None]],
    on_applied: Callable[[JournalEntry], object] | None = None,
) -> None:
    """Stage the newest Implement reply if it is not yet (saying so), then open the Changes view;
    `follow_up` gets what it is dismissed with."""
    staging = changes.staging
    if changes.reply() is None and not staging.changes.files and not staging.journal.entries():
        app.notify("No Implement reply to apply yet: send the spec first.", severity="warning")
        return
    if changes.needs_staging():
        left = sum(h.decision == "accepted" for _, h in changes.staging.changes.open_hunks)
        if left:
            app.notify(
                f"{left} accepted change(s) of an earlier reply were never applied; the newest "
                "reply's changes replace them.",
                severity="warning",
            )
        app.notify("Staging the Implement reply's edits...", timeout=3)
        try:
            await changes.stage()
        except ToolError as error:
            app.notify(str(error), severity="warning")
            return
    await app.push_screen(ChangesScreen(changes, on_applied), follow_up)
