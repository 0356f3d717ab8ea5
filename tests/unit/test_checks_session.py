"""Runs of checks: `SessionChecks.run` events, stopping and cancelling, and the runs saved with
the session (read back, a corrupt file skipped with a warning)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shlex
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.unit.helpers import until
from tests.unit.test_checks_runner import HANGS, gone
from workbench.checks.config import CheckCommand
from workbench.checks.events import (
    CheckEvent,
    CheckFinished,
    CheckOutput,
    CheckStarted,
    RunFinished,
)
from workbench.checks.results import CheckRun, load_runs, save_run
from workbench.checks.runner import CheckResult
from workbench.checks.session_checks import ChecksRunning, SessionChecks
from workbench.settings import Settings


def python(name: str, script: str, timeout_s: float | None = None) -> CheckCommand:
    return CheckCommand(name, shlex.join([sys.executable, "-c", script]), timeout_s)


PASSES = python("passes", "print('all good')")
FAILS = python("fails", "import sys; print('1 failed'); sys.exit(1)")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    session = tmp_path / "session"
    session.mkdir()
    return session


@pytest.fixture
async def groups() -> AsyncIterator[list[int]]:
    started: list[int] = []
    yield started
    for pgid in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def result(name: str = "passes", status: str = "passed") -> CheckResult:
    return CheckResult(
        name=name,
        command=f"{name} --now",
        status=status,  # type: ignore[arg-type]
        exit_code=0 if status == "passed" else 1,
        duration_s=1.5,
        output_tail="ok\n",
        output_bytes=3,
        log_file="checks/0001-1.log",
        truncated=False,
    )


async def test_a_run_yields_each_check_in_order_and_is_saved_with_the_session(
    project: Path, folder: Path
) -> None:
    checks = SessionChecks(Settings(), project, folder)
    events: list[CheckEvent] = []
    saved_when_finished: list[int] = []
    async for event in checks.run(spec_version=3, apply_id="0002", commands=[PASSES, FAILS]):
        events.append(event)
        if isinstance(event, CheckFinished):
            (run,), _ = load_runs(folder)
            saved_when_finished.append(len(run.results))
    kinds = [type(e).__name__ for e in events]
    kinds = [k for i, k in enumerate(kinds) if k != "CheckOutput" or kinds[i - 1] != k]
    assert kinds == [
        "CheckStarted",
        "CheckOutput",
        "CheckFinished",
        "CheckStarted",
        "CheckOutput",
        "CheckFinished",
        "RunFinished",
    ]
    assert events[0] == CheckStarted(0, PASSES, "checks/0001-1.log")
    texts = [
        "".join(e.text for e in events if isinstance(e, CheckOutput) and e.index == i)
        for i in (0, 1)
    ]
    assert texts == ["all good\n", "1 failed\n"]
    assert isinstance(events[-2], CheckFinished) and events[-2].result.status == "failed"
    assert saved_when_finished == [1, 2]
    finished = events[-1]
    assert isinstance(finished, RunFinished) and not finished.stopped
    run = finished.run
    assert (run.id, run.spec_version, run.apply_id) == ("0001", 3, "0002")
    assert [r.status for r in run.results] == ["passed", "failed"]
    assert run.ended is not None and not run.passed
    assert checks.last_run() == run
    assert (folder / "checks" / "0001-1.log").read_text() == "all good\n"
    assert (folder / "checks" / "0001-2.log").read_text() == "1 failed\n"
    assert checks.log_path(run.results[1]) == folder / "checks" / "0001-2.log"
    # The next run is the next number.
    last = [e async for e in checks.run(commands=[PASSES])][-1]
    assert [r.id for r in checks.runs()] == ["0001", "0002"]
    assert isinstance(last, RunFinished) and checks.last_run() == last.run


async def test_the_configured_checks_run_with_their_timeouts(project: Path, folder: Path) -> None:
    (project / ".workbench.toml").write_text(
        "[checks]\ncommands = ["
        + json.dumps(shlex.join([sys.executable, "-c", "print('from the file')"]))
        + "]\n"
    )
    settings = Settings()
    settings.project.checks_timeout_s = 42
    checks = SessionChecks(settings, project, folder)
    assert checks.timeout_for(checks.config().commands[0]) == 42
    assert checks.timeout_for(CheckCommand("x", "x", 5)) == 5
    assert checks.after_apply == "ask"
    outputs = [e.text async for e in checks.run() if isinstance(e, CheckOutput)]
    assert "".join(outputs) == "from the file\n"


async def test_without_a_session_nothing_is_saved(project: Path, tmp_path: Path) -> None:
    checks = SessionChecks(Settings(), project, None)
    events = [e async for e in checks.run(commands=[PASSES])]
    assert events[0] == CheckStarted(0, PASSES, None)
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.run.id == ""
    assert finished.run.results[0].log_file is None
    assert checks.runs() == [] and checks.last_run() is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


async def test_stop_kills_the_running_check_and_runs_no_further_one(
    project: Path, folder: Path, groups: list[int]
) -> None:
    checks = SessionChecks(Settings(), project, folder)
    events: list[CheckEvent] = []
    text = ""
    async for event in checks.run(commands=[python("hangs", HANGS), PASSES]):
        events.append(event)
        if isinstance(event, CheckOutput):
            text += event.text
            if "child ignores" in text and "group " in text and checks.running:
                found = re.search(r"group (\d+)", text)
                assert found
                groups.append(int(found.group(1)))
                checks.stop()
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.stopped
    assert [type(e).__name__ for e in events if not isinstance(e, CheckOutput)] == [
        "CheckStarted",
        "CheckFinished",
        "RunFinished",
    ]
    assert [r.status for r in finished.run.results] == ["killed"]
    assert checks.last_run() == finished.run
    assert not checks.running
    await gone(groups[0])


async def test_cancelling_the_consumer_kills_the_check_and_saves_what_finished(
    project: Path, folder: Path, groups: list[int]
) -> None:
    checks = SessionChecks(Settings(), project, folder)
    seen: list[str] = []

    async def consume() -> None:
        async for event in checks.run(commands=[PASSES, python("hangs", HANGS), FAILS]):
            if isinstance(event, CheckOutput):
                seen.append(event.text)

    task = asyncio.create_task(consume())
    await until(lambda: "child ignores" in "".join(seen) and "group " in "".join(seen), "hang")
    found = re.search(r"group (\d+)", "".join(seen))
    assert found
    groups.append(int(found.group(1)))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await gone(groups[0])
    (run,) = checks.runs()
    assert [(r.name, r.status) for r in run.results] == [("passes", "passed"), ("hangs", "killed")]
    assert run.ended is not None
    assert not checks.running


async def test_leaving_the_loop_early_kills_the_check_and_saves_the_run(
    project: Path, folder: Path, groups: list[int]
) -> None:
    checks = SessionChecks(Settings(), project, folder)
    run = checks.run(commands=[python("hangs", HANGS)])
    text = ""
    async for event in run:
        if isinstance(event, CheckOutput):
            text += event.text
            if "child ignores" in text and "group " in text:
                break
    found = re.search(r"group (\d+)", text)
    assert found
    groups.append(int(found.group(1)))
    await run.aclose()
    await gone(groups[0])
    assert [r.status for r in checks.runs()[0].results] == ["killed"]


async def test_a_second_run_at_once_is_refused(project: Path, folder: Path) -> None:
    checks = SessionChecks(Settings(), project, folder)
    first = checks.run(commands=[PASSES])
    assert isinstance(await anext(first), CheckStarted)
    with pytest.raises(ChecksRunning):
        await anext(checks.run(commands=[PASSES]))
    rest = [e async for e in first]
    assert isinstance(rest[-1], RunFinished)


def test_proposals_and_the_saved_answer_go_through_the_project(project: Path) -> None:
    (project / "go.mod").write_text("module x\n")
    checks = SessionChecks(Settings(), project, None)
    assert checks.config().source == "none"
    assert [c.command for c in checks.proposals()] == ["go test ./..."]
    checks.save_answer(checks.proposals())
    config = checks.config()
    assert (config.source, [c.command for c in config.commands]) == (
        "saved for this project",
        ["go test ./..."],
    )


# --- The run files ----------------------------------------------------------------------------


def test_a_run_is_saved_as_readable_json_and_read_back(folder: Path) -> None:
    run = save_run(folder, CheckRun("", "2026-01-02T03:04:05+00:00", [result()], 2, "0007"))
    assert run.id == "0001"
    record = json.loads((folder / "checks" / "0001.json").read_text())
    assert record["version"] == 1 and record["results"][0]["status"] == "passed"
    assert (folder / "checks" / "0001.json").read_text().startswith('{\n  "version": 1,')
    runs, warnings = load_runs(folder)
    assert (runs, warnings) == ([run], [])
    second = save_run(folder, CheckRun("", "2026-01-02T03:05:00+00:00"))
    assert second.id == "0002"
    assert [r.id for r in load_runs(folder)[0]] == ["0001", "0002"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "unreadable"),
        ('{"version": 99, "id": "0002", "started": "x", "results": []}', "not a version 1"),
        ('{"version": 1, "id": "0009", "started": "x", "results": []}', "is not its file's name"),
        ('{"version": 1, "id": "0002", "started": "x", "results": [{"name": 1}]}', "unexpected"),
        ('{"version": 1, "id": "0002", "started": "x", "results": 3}', "unexpected 'results'"),
        (
            '{"version": 1, "id": "0002", "started": "x", "results": [], "spec_version": true}',
            "unexpected 'spec_version'",
        ),
    ],
)
def test_a_corrupt_run_file_is_skipped_with_a_warning(folder: Path, text: str, why: str) -> None:
    good = save_run(folder, CheckRun("", "2026-01-02T03:04:05+00:00", [result()]))
    (folder / "checks" / "0002.json").write_text(text)
    (folder / "checks" / "notes.json").write_text("ignored: not a run's name")
    runs, warnings = load_runs(folder)
    assert runs == [good]
    (warning,) = warnings
    assert warning.startswith("Skipped check run 0002: ") and why in warning
    assert str(folder / "checks" / "0002.json") in warning
    # A new run never takes the number of a file that is there, readable or not.
    assert save_run(folder, CheckRun("", "later")).id == "0003"


def test_a_bad_status_in_a_result_is_refused(folder: Path) -> None:
    save_run(folder, CheckRun("0001", "x", [result(status="passed")]))
    path = folder / "checks" / "0001.json"
    path.write_text(path.read_text().replace('"passed"', '"exploded"'))
    runs, warnings = load_runs(folder)
    assert runs == [] and "unknown status 'exploded'" in warnings[0]


def test_no_runs_yet_is_no_runs_and_no_warning(folder: Path) -> None:
    assert load_runs(folder) == ([], [])
