"""The Checks view in the app: the first-run question, a hang stopped by Escape and by the
timeout, and a check printing 50 MB (the view stays bounded, the log takes the rest)."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Log

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, screen_text, wait_until
from tests.ui.test_snapshots import steady
from workbench.app import WorkbenchApp
from workbench.checks.config import saved_checks_path
from workbench.checks.results import CheckRun
from workbench.checks.runner import CheckResult
from workbench.checks.session_checks import SessionChecks
from workbench.config import load_settings
from workbench.screens.checks import LOG_LINES, ChecksScreen
from workbench.screens.checks_setup import ChecksSetupModal

SPEC = "# Task: T\n\n## What I want\n\nX.\n\n## Acceptance\n\n- it works\n"
BIG_SCRIPT = """import sys

line = "x" * 1023 + "\\n"
for _ in range(51200):
    sys.stdout.write(line)
"""
"""Prints 50 MB."""


def project_with(tmp_path: Path, *commands: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    if commands:
        listed = ", ".join(repr(c) for c in commands)
        (project / ".workbench.toml").write_text(f"[checks]\ncommands = [{listed}]\n")
    return project


async def open_checks(pilot: object, app: WorkbenchApp) -> ChecksScreen:
    await pilot.press("f7")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, ChecksScreen), what="Checks view")  # type: ignore[arg-type]
    return app.screen  # type: ignore[return-value]


async def test_first_run_proposes_checks_and_saves_the_answer_for_this_project_only(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    project = project_with(tmp_path)
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '-q'\n")
    before = sorted(p.name for p in project.iterdir())
    app = make_test_app(make_settings(ollama.url), project=project, spec=SPEC)
    async with app.run_test(size=(120, 36)) as pilot:
        checks = await open_checks(pilot, app)
        assert "none configured for this project" in screen_text(app)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ChecksSetupModal), what="ask")
        assert "pytest" in app.screen.query_one("TextArea").text  # type: ignore[attr-defined]
        await pilot.press("ctrl+n")  # this project has no checks
        await wait_until(pilot, lambda: app.screen is checks, what="answered")
        assert saved_checks_path(project).is_file()
        assert sorted(p.name for p in project.iterdir()) == before  # nothing written into it
        await pilot.press("r")  # answered: not asked again
        await pilot.pause(0.2)
        assert app.screen is checks
        assert "No checks are set for this project" in screen_text(app)


async def test_escape_kills_a_hanging_check_and_the_timeout_kills_another(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    # The check starts a child that would outlive a plain kill of the shell.
    project = project_with(tmp_path, "sleep 60 & sleep 60; wait")
    settings = make_settings(ollama.url)
    app = make_test_app(settings, project=project, spec=SPEC)
    async with app.run_test(size=(120, 36)) as pilot:
        checks = await open_checks(pilot, app)
        await pilot.press("r")
        await wait_until(pilot, lambda: checks.checks.running, what="running")
        assert "running" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: checks.run is not None, what="stopped")
        assert [r.status for r in checks.run.results] == ["killed"]  # type: ignore[union-attr]
        assert app.screen is checks  # Escape stopped the run; it did not close the view
        assert "stopped" in screen_text(app)

        settings.project.checks_timeout_s = 0.5
        await pilot.press("r")
        await wait_until(pilot, lambda: checks.run is not None and not checks.checks.running)
        [result] = checks.run.results  # type: ignore[union-attr]
        assert result.status == "timed_out"
        assert "timed out" in screen_text(app)
        await pilot.press("escape")  # nothing runs: Escape closes
        await wait_until(pilot, lambda: app.screen is main_screen(app), what="closed")


async def test_fifty_megabytes_of_output_stay_out_of_the_view_and_the_session(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    project = project_with(tmp_path, f"{sys.executable} big.py")
    (project / "big.py").write_text(BIG_SCRIPT)
    app = make_test_app(make_settings(ollama.url), project=project, spec=SPEC)
    async with app.run_test(size=(120, 36)) as pilot:
        checks = await open_checks(pilot, app)
        await pilot.press("r")  # bench/bench_checks_view.py measures the stalls meanwhile
        await wait_until(pilot, lambda: checks.run is not None, timeout=60, what="finished")
        [result] = checks.run.results  # type: ignore[union-attr]
        assert result.status == "passed" and result.output_bytes == 50 * 1024 * 1024
        assert result.truncated
        assert checks.query_one(Log).line_count <= LOG_LINES
        text = screen_text(app)
        assert "more than this view shows" in text and "0001-1.log" in text
        session_bytes = sum(f.stat().st_size for f in app.session.folder.rglob("*") if f.is_file())
        assert session_bytes < 8 * 1024 * 1024  # the log keeps its head and tail only


class ChecksApp(App[None]):
    """The Checks view alone, over a saved run (as the app shows a round's last run)."""

    def __init__(self, checks: SessionChecks, run: CheckRun) -> None:
        super().__init__()
        self.checks, self.saved_run = checks, run

    def on_mount(self) -> None:
        self.push_screen(ChecksScreen(self.checks, spec_version=2, last_run=self.saved_run))


def failed_run() -> CheckRun:
    """A run after apply 0003: ruff passed, pytest failed, a slow check timed out."""
    failure = (
        "F.                                                                       [100%]\n"
        "=================================== FAILURES ===================================\n"
        "___________________________________ test_add ___________________________________\n"
        "\n    def test_add():\n>       assert add(2, 2) == 4\nE       assert 0 == 4\n"
        "E        +  where 0 = add(2, 2)\n\ntests/test_calc.py:5: AssertionError\n"
        "1 failed, 1 passed in 0.03s\n"
    )
    results = [
        CheckResult(
            "ruff check", "ruff check .", "passed", 0, 0.4, "All checks passed!\n", 19, None, False
        ),
        CheckResult("pytest", "pytest -q", "failed", 1, 2.1, failure, len(failure), None, False),
        CheckResult(
            "make slow",
            "make slow",
            "timed_out",
            None,
            600.0,
            "building...\n",
            12,
            None,
            False,
            error="Killed after 600 s (the timeout).",
        ),
    ]
    return CheckRun(
        "0004", "2026-12-01T10:00:00+00:00", results, 2, "0003", "2026-12-01T10:10:00+00:00"
    )


def test_checks_view_snapshot(snap_compare, tmp_path: Path) -> None:
    """A failed run: each check's status, duration and exit code; the failure's output shown."""
    project = project_with(tmp_path, "ruff check .", "pytest -q", "make slow")
    settings, _ = load_settings(Path("/nonexistent/config.toml"), env={})
    checks = SessionChecks(settings, project, tmp_path / "session")

    async def select_failure(pilot: Pilot[None]) -> None:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChecksScreen))
        await pilot.press("j")
        steady(pilot)
        await pilot.pause()

    app = ChecksApp(checks, failed_run())
    assert snap_compare(app, run_before=select_failure, terminal_size=(110, 30))
