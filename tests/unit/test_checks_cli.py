"""`workbench check`: output and summary, exit codes 0/1/2/130, with and without a session."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.test_checks_runner import HANGS
from workbench.__main__ import main
from workbench.checks.results import load_runs
from workbench.session.store import SessionStore


def command(script: str) -> str:
    return shlex.join([sys.executable, "-c", script])


PASSES = command("print('2 passed')")
FAILS = command("import sys; print('1 failed'); sys.exit(3)")
TESTS = {"name": "tests", "command": PASSES}
LINT = {"name": "lint", "command": FAILS}


@pytest.fixture
def project(isolated_paths: Path) -> Path:
    folder = isolated_paths / "project"
    folder.mkdir()
    return folder


def checks_file(project: Path, *commands: str | dict[str, object]) -> None:
    entries = ", ".join(
        json.dumps(c)
        if isinstance(c, str)
        else "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in c.items()) + " }"
        for c in commands
    )
    (project / ".workbench.toml").write_text(f"[checks]\ncommands = [{entries}]\n")


def session_about(project: Path) -> tuple[str, Path]:
    with SessionStore().create(project, "# Task\n\nMake it pass.\n") as session:
        return session.id, session.folder


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_passing_checks_print_their_output_and_a_summary_and_exit_0(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checks_file(project, TESTS, {"name": "again", "command": PASSES})
    sid, folder = session_about(project)
    code, out, err = run(capsys, "check", "--project", str(project))
    assert code == 0, err
    assert out.startswith(f"$ {PASSES}\n2 passed\n$ {PASSES}\n2 passed\n\n")
    summary = out.split("\n\n", 1)[1].splitlines()
    assert len(summary) == 2
    assert re.fullmatch(
        rf"✓ tests  passed  \d+\.\d s  exit 0  log .*/{sid}/checks/0001-1\.log", summary[0]
    )
    assert re.fullmatch(r"✓ again  passed  \d+\.\d s  exit 0  log .*/0001-2\.log", summary[1])
    assert f"Checks from the project file {project / '.workbench.toml'}." in err
    assert f"Saved as check run 0001 of session {sid}." in err
    (saved,), warnings = load_runs(folder)
    assert [r.status for r in saved.results] == ["passed", "passed"] and warnings == []
    assert saved.apply_id is None
    assert (folder / "checks" / "0001-1.log").read_text() == "2 passed\n"


def test_a_failing_check_exits_1_and_says_how_each_ended(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checks_file(project, LINT, TESTS, "no-such-command-4711")
    sid, _folder = session_about(project)
    code, out, err = run(capsys, "check", sid)
    assert code == 1, err
    assert "$ " + FAILS + "\n1 failed\n" in out
    lines = out.split("\n\n")[-1].splitlines()
    assert re.match(r"✗ lint\s+failed\s+\d+\.\d s\s+exit 3\s+log ", lines[0])
    assert re.match(r"✓ tests\s+passed\s+\d+\.\d s\s+exit 0\s+log ", lines[1])
    assert re.match(
        r"✗ no-such-command-4711\s+error\s+\d+\.\d s\s+exit 127\s+command not found", lines[2]
    )


def test_no_checks_configured_exits_2_with_the_proposals_and_where_to_put_them(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text("[project]\ndependencies = ['pytest']\n[tool.ruff]\n")
    code, out, err = run(capsys, "check", "--project", str(project))
    assert code == 2
    assert out == ""
    assert f"no checks are configured for {project}." in err
    assert "Proposed from the project's files:\n  pytest -q\n  ruff check .\n" in err
    assert f"Put them in {project / '.workbench.toml'}" in err
    assert '[checks]\ncommands = ["pytest -q", "ruff check ."]\n' in err
    assert 'as checks = ["pytest -q", "ruff check ."]' in err
    # An empty list is a decision, said as such.
    checks_file(project)
    code, _out, err = run(capsys, "check", "--project", str(project))
    assert code == 2 and "the project file" in err and "lists no checks" in err


def test_without_a_session_the_checks_run_and_nothing_is_written(
    project: Path, isolated_paths: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checks_file(project, PASSES)
    code, out, err = run(capsys, "check", "--project", str(project))
    assert code == 0, err
    assert "2 passed\n" in out and " log " not in out
    assert f"No session about {project}: the run is not saved." in err
    assert not (isolated_paths / "data").exists()
    assert sorted(p.name for p in project.iterdir()) == [".workbench.toml"]


def test_a_session_open_in_a_running_workbench_is_checked_but_not_written(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checks_file(project, FAILS)
    sid, folder = session_about(project)
    with SessionStore().open(sid):  # held, as by a running workbench
        code, _out, err = run(capsys, "check", "--project", str(project))
    assert code == 1
    assert f"Session {sid} is open in a running workbench (pid {os.getpid()})" in err
    assert "the run is not saved in it" in err
    assert not (folder / "checks").exists()


def test_an_unknown_session_or_project_runs_nothing_and_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checks_file(project, PASSES)
    code, out, err = run(capsys, "check", "nosuchsession", "--project", str(project))
    assert (code, out) == (2, "") and err.startswith("workbench: ")
    code, out, err = run(capsys, "check", "--project", str(project / "missing"))
    assert (code, out) == (2, "") and "is not a directory" in err


def test_ctrl_c_kills_the_check_and_its_processes_saves_the_run_and_exits_130(
    project: Path,
) -> None:
    checks_file(project, TESTS, {"name": "hangs", "command": command(HANGS)}, TESTS)
    _sid, folder = session_about(project)
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "check", "--project", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pgid = None
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:  # the check's output, as it streams
            lines.append(line)
            if found := re.match(r"group (\d+)", line):
                pgid = int(found.group(1))
            if pgid and any("child ignores" in seen for seen in lines):
                break
        assert pgid is not None, "".join(lines)
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=60)
    finally:
        process.kill()
        if pgid:
            with pytest.raises(ProcessLookupError):
                wait_until_gone(pgid)
    assert process.returncode == 130, err
    assert re.search(r"✗ hangs\s+stopped\s+\d+\.\d s\s+exit -15\s+stopped\s+log ", rest)
    assert "Stopped (Ctrl+C): the running check and every process it started were killed." in err
    (saved,), _ = load_runs(folder)
    assert [r.status for r in saved.results] == ["passed", "killed"]  # the third never ran


def wait_until_gone(pgid: int) -> None:
    """Raise ProcessLookupError once no process of the group is left (within 20 s)."""
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        os.killpg(pgid, 0)
        time.sleep(0.02)
    os.killpg(pgid, signal.SIGKILL)  # still there: clean up, and the test fails
