"""The Checks view: the project's checks run one after another, their output as it arrives.

The screen renders the events of `SessionChecks.run` (core) and turns keys into its verbs: run,
stop (Escape kills the running check's whole process group), send the failures back, judge the
acceptance items. The run is a worker of this screen: the view cannot close while it goes, and
quitting the app kills it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Log, OptionList, Static
from textual.widgets.option_list import Option

from workbench.checks.config import CheckCommand
from workbench.checks.events import CheckFinished, CheckOutput, CheckStarted, RunFinished
from workbench.checks.results import CheckRun
from workbench.checks.runner import CheckResult
from workbench.checks.session_checks import ChecksRunning, SessionChecks
from workbench.widgets.diff_rows import clean

LOG_LINES = 5_000
"""The most output lines the view keeps per check; the log file has the rest."""
GLYPHS = {
    "passed": ("✓", "$text-success"),
    "failed": ("✗", "$text-error"),
    "timed_out": ("✗", "$text-error"),
    "killed": ("■", "$text-warning"),
    "error": ("!", "$text-error"),
    "running": ("▶", "$text-accent"),
    "waiting": ("·", "$foreground-muted"),
}
STATUS_WORDS = {
    "passed": "passed",
    "failed": "failed",
    "timed_out": "timed out",
    "killed": "stopped",
    "error": "could not run",
    "running": "running",
    "waiting": "not run",
}

_KEYS = [
    # key, action, footer label, id (after "checks."), tooltip
    ("r", "run", "Run", "run", "Run the checks again"),
    ("e", "edit_checks", "Edit", "edit", "Change which commands check this project"),
    ("f", "follow_up", "Send back", "follow_up", "Send the failures to the Implement model"),
    ("v", "acceptance", "Acceptance", "acceptance", "Judge the spec's acceptance items"),
    ("h", "rounds", "Rounds", "rounds", "The round history: what was sent, changed, passed"),
    ("j,down", "step(1)", "Next", "next", "Show the next check's output"),
    ("k,up", "step(-1)", "Prev", "previous", "Show the previous check's output"),
    ("escape", "stop_or_close", "Stop/close", "close", "Stop the running check, else close"),
]


@dataclass
class CheckRow:
    """What the view knows about one check of the run."""

    check: CheckCommand
    state: str = "waiting"
    """waiting, running, or a finished status (passed, failed, ...)."""
    result: CheckResult | None = None
    output: list[str] = field(default_factory=list)
    """The output received so far (bounded by the core)."""
    log_file: str | None = None


class ChecksScreen(Screen[str | None]):
    """The checks of this round: a list with status, duration and exit code, and the selected
    check's output. Dismissed with "follow-up", "acceptance", "rounds" or None."""

    CSS_PATH = "checks.tcss"

    BINDINGS = [Binding(k, a, d, tooltip=t, id=f"checks.{i}") for k, a, d, i, t in _KEYS]

    def __init__(
        self,
        checks: SessionChecks,
        *,
        run_now: bool = False,
        spec_version: int | None = None,
        apply_id: str | None = None,
        last_run: CheckRun | None = None,
    ) -> None:
        super().__init__()
        self.checks = checks
        self.run_now = run_now
        self.spec_version = spec_version
        self.apply_id = apply_id
        self.rows: list[CheckRow] = []
        self.selected = 0
        self.run: CheckRun | None = last_run
        self.stopped = False
        if last_run is not None and not run_now:
            self.rows = [
                CheckRow(CheckCommand(r.name, r.command), r.status, r, [], r.log_file)
                for r in last_run.results
            ]
            for row in self.rows:
                if row.result is not None and row.result.output_tail:
                    row.output = [row.result.output_tail]

    def compose(self) -> ComposeResult:
        yield Static(id="checks-summary")
        with Horizontal(id="checks-body"):
            checks = OptionList(id="checks-list")
            checks.can_focus = False
            checks.border_title = "Checks"
            yield checks
            log = Log(max_lines=LOG_LINES, id="checks-output")
            log.border_title = "Output"
            yield log
        yield Static(id="checks-note")
        yield Footer()

    @property
    def output(self) -> Log:
        """The selected check's output."""
        return self.query_one("#checks-output", Log)

    def on_mount(self) -> None:
        self.output.focus()
        self.refresh_all(output=True)
        if self.run_now:
            self.action_run()

    # -- what is shown ----------------------------------------------------------------------

    def refresh_all(self, *, output: bool = False) -> None:
        """Redraw the summary, the list and the note from what is known; the output pane too
        when `output` (another check is selected): it is written again from the start."""
        self.query_one("#checks-summary", Static).update(Content(self._summary()))
        options = self.query_one("#checks-list", OptionList)
        options.clear_options()
        options.add_options([Option(self._row_prompt(row)) for row in self.rows])
        if self.rows:
            options.highlighted = self.selected
        self.query_one("#checks-note", Static).update(self._note())
        if output:
            self._show_output()

    def _summary(self) -> str:
        """The run's state first (it matters most at 80 columns), then the spec, the source."""
        config = self.checks.config()
        parts = ["Checks"]
        if self.checks.running:
            parts.append("running")
        elif self.run is not None and self.run.results:
            passed = sum(r.passed for r in self.run.results)
            total = len(self.run.results)
            state = "passed" if self.run.passed else ("stopped" if self.stopped else "failed")
            after = f" after apply {self.run.apply_id}" if self.run.apply_id else " (by hand)"
            parts.append(f"{state} ({passed} of {total} passed), run {self.run.id or '-'}{after}")
        if self.spec_version:
            parts.append(f"spec v{self.spec_version}")
        count = len(config.commands)
        if config.source == "none":
            parts.append("none configured for this project")
        else:
            parts.append(f"{count} command{'s' * (count != 1)} from {config.source}")
        return " · ".join(parts)

    @staticmethod
    def _row_prompt(row: CheckRow) -> Content:
        glyph, style = GLYPHS.get(row.state, ("?", "$foreground-muted"))
        facts = [STATUS_WORDS.get(row.state, row.state)]
        if row.result is not None:
            facts.append(f"{row.result.duration_s:.1f} s")
            if row.result.exit_code is not None:
                facts.append(f"exit {row.result.exit_code}")
        command = clean(row.check.command)
        shown = command if len(command) <= 60 else command[:59] + "…"
        return Content.assemble(
            (glyph, style),
            " ",
            (clean(row.check.name), "bold"),
            "  ",
            (STATUS_WORDS.get(row.state, row.state), style),
            "\n  ",
            (shown, "$foreground-muted"),
            "\n  ",
            ("  ".join(facts[1:]), "$foreground-muted"),
        )

    def _note(self) -> Content:
        row = self._row()
        if row is None:
            config = self.checks.config()
            if not config.commands and config.answered:
                return Content("No checks are set for this project: e sets some.")
            if not config.commands:
                return Content("No checks to run: r proposes some from the project's files.")
            return Content("Not run yet in this round: r runs them.")
        result = row.result
        if result is not None and result.error:
            return Content.assemble((clean(result.error), "$text-warning"))
        if result is not None and result.truncated:
            path = self._log_path(row)
            return Content.assemble(
                (
                    f"The output ({result.output_bytes:,} bytes) was more than this view shows: ",
                    "$text-warning",
                ),
                ("the whole of it is in ", "$text-warning"),
                (str(path) if path else "the log", "$text-accent"),
            )
        if row.log_file and (path := self._log_path(row)):
            return Content.assemble(
                ("Log: ", "$foreground-muted"), (str(path), "$foreground-muted")
            )
        return Content("")

    def _log_path(self, row: CheckRow) -> Path | None:
        folder = self.checks.session_folder
        return folder / row.log_file if folder is not None and row.log_file else None

    def _row(self) -> CheckRow | None:
        return self.rows[self.selected] if 0 <= self.selected < len(self.rows) else None

    def _show_output(self) -> None:
        log = self.output
        log.clear()
        row = self._row()
        if row is None:
            return
        log.border_title = f"Output · {row.check.command}"
        for text in row.output:
            log.write(text)

    # -- running ----------------------------------------------------------------------------

    def action_run(self) -> None:
        """Run the project's checks (asking which, the first time) unless they are running."""
        if self.checks.running:
            self.notify("The checks are running: Escape stops them.")
            return
        config = self.checks.config()
        for problem in config.problems:
            self.notify(str(problem), title="Checks", severity="warning", timeout=15)
        if not config.commands and config.answered:
            self.notify(
                f"No checks are set for this project ({config.source}): "
                f"{self._key('edit', 'e')} sets some.",
                title="Checks",
            )
            return
        if not config.commands:
            self._propose(None)
            return
        self._start(config.commands)

    def action_edit_checks(self) -> None:
        """Change the commands that check this project (saved for this project only)."""
        if self.checks.running:
            self.notify("Wait for the checks to finish, or stop them with Escape.")
            return
        config = self.checks.config()
        if config.source == "project file":
            self.notify(
                f"These checks come from {config.path}: edit that file (it wins).",
                title="Checks",
            )
            return
        self._propose(config.commands or None, run=False)

    def _propose(self, current: list[CheckCommand] | None, *, run: bool = True) -> None:
        """Ask which commands check the project: `current` ones, else proposals from its files."""
        from workbench.screens.checks_setup import ChecksSetupModal  # loaded on first use

        proposals = current if current is not None else self.checks.proposals()

        def chosen(commands: list[str] | None) -> None:
            if commands is None:
                return
            try:
                path = self.checks.save_answer(commands)
            except OSError as error:
                self.notify(f"Could not save the checks: {error}", severity="error")
                return
            if not commands:
                self.notify(f"No checks for this project (saved in {path}).")
                self.refresh_all()
                return
            self.notify(f"Saved the checks for this project in {path}.")
            if run:
                self._start(self.checks.config().commands)
            else:
                self.refresh_all()

        self.app.push_screen(ChecksSetupModal(proposals, self.checks.root), chosen)

    def _start(self, commands: list[CheckCommand]) -> None:
        self.rows = [CheckRow(check) for check in commands]
        self.selected, self.stopped, self.run = 0, False, None
        self.refresh_all(output=True)
        self._run_checks(commands)

    @work(group="checks", exclusive=True)
    async def _run_checks(self, commands: list[CheckCommand]) -> None:
        try:
            events = self.checks.run(self.spec_version, self.apply_id, commands=commands)
        except ChecksRunning:
            self.notify("The checks are running already.")
            return
        async for event in events:
            if isinstance(event, CheckStarted):
                row = self.rows[event.index]
                row.state, row.log_file = "running", event.log_file
                changed, self.selected = self.selected != event.index, event.index
                self.refresh_all(output=changed)
            elif isinstance(event, CheckOutput):
                self.rows[event.index].output.append(event.text)
                if event.index == self.selected:
                    self.output.write(event.text)
            elif isinstance(event, CheckFinished):
                row = self.rows[event.index]
                row.state, row.result = event.result.status, event.result
                self.refresh_all()
            elif isinstance(event, RunFinished):
                self.run, self.stopped = event.run, event.stopped
                self._finished(event.run)
        self.refresh_all()

    def _finished(self, run: CheckRun) -> None:
        failed = [r for r in run.results if not r.passed]
        if self.stopped:
            self.notify("Stopped the checks.", title="Checks", severity="warning")
        elif failed:
            first = run.results.index(failed[0])
            if first != self.selected:
                self.selected = first
                self.refresh_all(output=True)
            key = self._key("follow_up", "f")
            names = ", ".join(r.name for r in failed)
            self.notify(
                f"Failed: {names}. {key} sends the failure to the Implement model.",
                title="Checks",
                severity="error",
            )
        else:
            self.notify("Every check passed.", title="Checks")

    def _key(self, action: str, default: str) -> str:
        from workbench.widgets.live_keys import live_key

        return live_key(self, f"checks.{action}") or default

    # -- keys -------------------------------------------------------------------------------

    def action_step(self, step: int) -> None:
        """Show the next (or previous) check's output."""
        index = self.selected + step
        if 0 <= index < len(self.rows):
            self.selected = index
            self.refresh_all(output=True)

    def action_stop_or_close(self) -> None:
        """Stop the running check (and the run), else go back to the workbench."""
        if self.checks.running:
            self.checks.stop()
            self.notify("Stopping the check (its processes are killed)...")
            return
        self.dismiss(None)

    def action_follow_up(self) -> None:
        """Close and send this round's failures back to the Implement model (reviewed first)."""
        if self.checks.running:
            self.notify("Wait for the checks to finish, or stop them with Escape.")
            return
        if self.run is None or self.run.passed:
            self.notify("No failed check to send back.", title="Checks")
            return
        self.dismiss("follow-up")

    def action_rounds(self) -> None:
        """Close and show the round history."""
        if self.checks.running:
            self.notify("Wait for the checks to finish, or stop them with Escape.")
            return
        self.dismiss("rounds")

    def action_acceptance(self) -> None:
        """Close and judge the spec's acceptance items with the fast model."""
        if self.checks.running:
            self.notify("Wait for the checks to finish, or stop them with Escape.")
            return
        self.dismiss("acceptance")
