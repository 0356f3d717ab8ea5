"""The checks of one session's project: which commands, running them, and the runs saved.

`SessionChecks` is what the Checks view and `workbench check` drive, like `SessionChanges` for
applies: `run()` runs the commands one after another and yields events as they go, saving the
run with the session after each check. Core module: never imports textual.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from workbench.checks.config import (
    CheckCommand,
    ChecksConfig,
    load_checks,
    save_checks_for_project,
)
from workbench.checks.detect import propose_checks
from workbench.checks.events import (
    CheckEvent,
    CheckFinished,
    CheckOutput,
    CheckStarted,
    RunFinished,
)
from workbench.checks.results import CheckRun, load_runs, log_name, save_run
from workbench.checks.runner import OUTPUT_LIMIT, CheckResult, run_check
from workbench.settings import ChecksAfterApply, Settings


class ChecksRunning(RuntimeError):
    """A run was asked for while another one of the same `SessionChecks` is going."""


class SessionChecks:
    """The checks of a project, run for a session (or for no session: nothing is saved)."""

    def __init__(self, settings: Settings, root: Path, session_folder: Path | None) -> None:
        self.settings = settings
        self.root = root
        """The project root: where the checks run and where their config is looked for."""
        self.session_folder = session_folder
        """Where runs and logs are saved; None: nowhere (no session)."""
        self.warnings: list[str] = []
        """Run files the last `runs()` skipped, and why."""
        self._active = False
        self._stopping = False
        self._current: asyncio.Task[CheckResult] | None = None

    def config(self) -> ChecksConfig:
        """The project's checks and where they came from (read afresh each time)."""
        return load_checks(self.settings, self.root)

    def proposals(self) -> list[CheckCommand]:
        """Checks proposed from the project's files, for when none are configured."""
        return propose_checks(self.root)

    def save_answer(self, commands: Sequence[CheckCommand | str]) -> Path:
        """Remember the checks a person chose (maybe none) for this project; the file written."""
        return save_checks_for_project(self.root, commands)

    @property
    def after_apply(self) -> ChecksAfterApply:
        """Whether checks run after an apply: "ask", "always" or "never"."""
        return self.settings.project.checks_after_apply

    @property
    def running(self) -> bool:
        """Whether a run is going."""
        return self._active

    def timeout_for(self, check: CheckCommand) -> float:
        """Seconds `check` may run: its own timeout, else `[project] checks_timeout_s`."""
        return check.timeout_s or self.settings.project.checks_timeout_s

    def stop(self) -> None:
        """Kill the running check (its whole process group); the run ends after it.

        The run still yields the killed check's `CheckFinished` and a `RunFinished` with
        `stopped` set. Does nothing when no run is going.
        """
        if not self._active:
            return
        self._stopping = True
        if self._current is not None:
            self._current.cancel()

    def runs(self) -> list[CheckRun]:
        """The session's saved runs, oldest first (unreadable ones are named in `warnings`)."""
        if self.session_folder is None:
            return []
        runs, self.warnings = load_runs(self.session_folder)
        return runs

    def last_run(self) -> CheckRun | None:
        """The newest saved run, if any."""
        runs = self.runs()
        return runs[-1] if runs else None

    def log_path(self, result: CheckResult) -> Path | None:
        """The full path of a result's log, when it has one."""
        if self.session_folder is None or result.log_file is None:
            return None
        return self.session_folder / result.log_file

    async def run(
        self,
        spec_version: int | None = None,
        apply_id: str | None = None,
        *,
        commands: Sequence[CheckCommand] | None = None,
        output_limit: int | None = OUTPUT_LIMIT,
    ) -> AsyncGenerator[CheckEvent, None]:
        """Run the project's checks (or `commands`) one after another, yielding events.

        `CheckStarted`, its `CheckOutput`s and `CheckFinished` per check, then `RunFinished`;
        the run is saved before each `CheckFinished` and before `RunFinished`. Cancelling the
        consumer (or closing this iterator early) kills the running check and saves the run
        with what finished and the killed check. `output_limit` bounds each check's
        `CheckOutput` text (None: no bound, as `workbench check` prints everything).
        ChecksRunning if a run is going already.
        """
        if self._active:
            raise ChecksRunning("the checks are running already")
        self._active, self._stopping = True, False
        checks = list(self.config().commands if commands is None else commands)
        folder = self.session_folder
        run = CheckRun("", _now(), [], spec_version, apply_id)
        finished = False
        try:
            if folder is not None:
                run = save_run(folder, run)
            for index, check in enumerate(checks):
                if self._stopping:
                    break
                log = log_name(run.id, index) if folder is not None else None
                yield CheckStarted(index, check, log)
                output: asyncio.Queue[str | None] = asyncio.Queue()
                self._current = task = asyncio.create_task(
                    run_check(
                        check,
                        self.root,
                        timeout_s=self.timeout_for(check),
                        log_path=None if folder is None or log is None else folder / log,
                        log_name=log,
                        on_output=output.put_nowait,
                        output_limit=output_limit,
                    )
                )
                task.add_done_callback(partial(_end_of_output, output))
                while (text := await output.get()) is not None:
                    yield CheckOutput(index, text)
                self._current = None
                result = task.result() if not task.cancelled() else _not_started(check)
                run = replace(run, results=[*run.results, result])
                if folder is not None:
                    save_run(folder, run)
                yield CheckFinished(index, result)
            run = replace(run, ended=_now())
            if folder is not None:
                save_run(folder, run)
            finished = True
            yield RunFinished(run, stopped=self._stopping)
        finally:
            if not finished:
                await self._abandon(run, checks)
            self._current = None
            self._active = False

    async def _abandon(self, run: CheckRun, checks: list[CheckCommand]) -> None:
        """The consumer went away mid-run: kill the running check, save what there is."""
        task, self._current = self._current, None
        try:
            if task is not None:
                task.cancel()  # a task that ended already keeps its result
                try:
                    result = await task
                except asyncio.CancelledError:
                    if not task.cancelled():
                        raise  # cancelled once more while killing: the kill goes on in `task`
                    result = _not_started(checks[len(run.results)])
                run = replace(run, results=[*run.results, result])
        finally:
            if self.session_folder is not None and run.id:
                save_run(self.session_folder, replace(run, ended=_now()))


def _end_of_output(output: asyncio.Queue[str | None], _task: object) -> None:
    output.put_nowait(None)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _not_started(check: CheckCommand) -> CheckResult:
    """The result of a check stopped before its command started."""
    return CheckResult(
        name=check.name,
        command=check.command,
        status="killed",
        exit_code=None,
        duration_s=0.0,
        output_tail="",
        output_bytes=0,
        log_file=None,
        truncated=False,
        error="stopped before it started",
    )
