"""What a run of checks yields while it runs: the Checks view renders these, `workbench check`
prints them. Core module: never imports textual."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.checks.config import CheckCommand
from workbench.checks.results import CheckRun
from workbench.checks.runner import CheckResult


@dataclass(frozen=True)
class CheckStarted:
    """Check number `index` (0-based, in the run's order) started."""

    index: int
    check: CheckCommand
    log_file: str | None
    """Where its full output goes, relative to the session folder; None: no log is kept."""


@dataclass(frozen=True)
class CheckOutput:
    """More output of check `index`: plain text, escape codes removed, bounded over the run."""

    index: int
    text: str


@dataclass(frozen=True)
class CheckFinished:
    """Check `index` ended; the run is saved with its result already."""

    index: int
    result: CheckResult


@dataclass(frozen=True)
class RunFinished:
    """Every check ran (or the run was stopped); the run is saved already (unless no session)."""

    run: CheckRun
    stopped: bool = False
    """The run was stopped (`SessionChecks.stop`): the checks after the killed one did not run."""


CheckEvent = CheckStarted | CheckOutput | CheckFinished | RunFinished
"""Anything `SessionChecks.run` yields."""
