"""Check runs saved with the session: `checks/0001.json` per run, `checks/0001-1.log` per check.

A run's JSON is written when the run starts (claiming its number), after each check and at the
end, each time in one step, so a crash loses at most the check that was running. A file that
cannot be read is skipped with a warning. Core module: never imports textual.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench.checks.runner import CheckResult, CheckStatus
from workbench.fileio import atomic_write, fsync_dir

CHECKS_DIR = "checks"
"""The runs' folder inside the session folder."""
RUN_VERSION = 1
"""The `version` field of a run's JSON."""
_STATUSES: tuple[CheckStatus, ...] = ("passed", "failed", "timed_out", "killed", "error")


@dataclass(frozen=True)
class CheckRun:
    """The checks run one after another, once: after an apply or by hand."""

    id: str
    """Its number in the session, "0001" ("" until it is saved)."""
    started: str
    """When it started, ISO 8601 in UTC."""
    results: list[CheckResult] = field(default_factory=list)
    """How each check ended, in the order they ran (those that ran)."""
    spec_version: int | None = None
    """The spec version whose code was checked, when known."""
    apply_id: str | None = None
    """The apply journal entry the run followed; None when run by hand."""
    ended: str | None = None
    """When the last check ended; None while it runs (or when workbench stopped first)."""

    @property
    def passed(self) -> bool:
        """Whether every check passed (and there was at least one)."""
        return bool(self.results) and all(result.passed for result in self.results)


def checks_folder(session_folder: Path) -> Path:
    """Where a session's runs and logs are."""
    return session_folder / CHECKS_DIR


def log_name(run_id: str, index: int) -> str:
    """The log of the run's check at `index` (0-based), relative to the session folder."""
    return f"{CHECKS_DIR}/{run_id}-{index + 1}.log"


def save_run(session_folder: Path, run: CheckRun) -> CheckRun:
    """Write `run` as `checks/<id>.json`; a run without an id gets the next free number."""
    folder = checks_folder(session_folder)
    if run.id:
        atomic_write(folder / f"{run.id}.json", _encode(run, run.id))
        return run
    run_id = _claim(folder, lambda number: _encode(run, number))
    return CheckRun(
        run_id, run.started, list(run.results), run.spec_version, run.apply_id, run.ended
    )


def load_runs(session_folder: Path) -> tuple[list[CheckRun], list[str]]:
    """Every readable run, oldest first, and a warning for each file that was skipped."""
    folder = checks_folder(session_folder)
    runs: list[CheckRun] = []
    warnings: list[str] = []
    if not folder.is_dir():
        return runs, warnings
    for path in sorted(folder.glob("*.json")):
        if not path.stem.isdigit():
            continue
        try:
            run = _from_json(json.loads(path.read_bytes()))
            if run.id != path.stem:
                raise ValueError(f"its id {run.id!r} is not its file's name")
        except (OSError, ValueError, KeyError, TypeError) as error:
            warnings.append(f"Skipped check run {path.stem}: {path} is unreadable ({error}).")
        else:
            runs.append(run)
    return sorted(runs, key=lambda run: int(run.id)), warnings


def _claim(folder: Path, data: Callable[[str], bytes]) -> str:
    """Write the run under the next free number, never over another run's file."""
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        taken = [int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit()]
        run_id = f"{max(taken, default=0) + 1:04d}"
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{run_id}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data(run_id))
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temp, 0o644)
            try:
                os.link(temp, folder / f"{run_id}.json")  # fails if another run took the number
            except FileExistsError:
                continue
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        fsync_dir(folder)
        return run_id


def _encode(run: CheckRun, run_id: str) -> bytes:
    """The run's JSON file, under the number `run_id`."""
    record = {
        "version": RUN_VERSION,
        "id": run_id,
        "started": run.started,
        "ended": run.ended,
        "spec_version": run.spec_version,
        "apply_id": run.apply_id,
        "results": [asdict(result) for result in run.results],
    }
    return json.dumps(record, indent=2, ensure_ascii=False).encode() + b"\n"


_OPTIONAL_STR = (str, type(None))
_RUN_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "started": str,
    "ended": _OPTIONAL_STR,
    "spec_version": (int, type(None)),
    "apply_id": _OPTIONAL_STR,
    "results": list,
}
_RESULT_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "command": str,
    "status": str,
    "exit_code": (int, type(None)),
    "duration_s": (int, float),
    "output_tail": str,
    "output_bytes": int,
    "log_file": _OPTIONAL_STR,
    "truncated": bool,
    "log_omitted_bytes": int,
    "error": _OPTIONAL_STR,
}


def _from_json(raw: Any) -> CheckRun:
    """The run in a parsed JSON file; ValueError, KeyError or TypeError if malformed."""
    if not isinstance(raw, dict) or raw.pop("version", None) != RUN_VERSION:
        raise ValueError(f"not a version {RUN_VERSION} check run")
    record = checked_record(raw, _RUN_TYPES)
    results = []
    for item in record.pop("results"):
        fields = checked_record(item, _RESULT_TYPES)
        if fields.get("status") not in _STATUSES:
            raise ValueError(f"unknown status {fields.get('status')!r}")
        results.append(CheckResult(**fields))
    return CheckRun(results=results, **record)


def checked_record(record: Any, types: Mapping[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """`record` if it is an object whose keys are among `types`, each value of its type."""
    if not isinstance(record, dict):
        raise TypeError(f"{record!r} is not an object")
    for key, value in record.items():
        wanted = types.get(key)
        if wanted is None or not isinstance(value, wanted) or _bool_for_number(value, wanted):
            raise TypeError(f"unexpected {key!r}: {value!r}")
    return record


def _bool_for_number(value: object, wanted: type | tuple[type, ...]) -> bool:
    """True for true/false where a number is wanted (a bool is an int to isinstance)."""
    return isinstance(value, bool) and bool not in (
        wanted if isinstance(wanted, tuple) else (wanted,)
    )
