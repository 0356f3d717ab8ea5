"""Benchmark the Checks view on a check that prints 50 MB: does the UI keep answering?

    .venv/bin/python bench/bench_checks_view.py            # a table on stdout
    .venv/bin/python bench/bench_checks_view.py --mb 200

Three figures for the same command (a Python script writing N MB of 1 KB lines):
- the floor: the command alone, output to /dev/null (wall time);
- the core: `SessionChecks.run` with no UI (wall time, longest event-loop stall);
- the app: the real WorkbenchApp headless, the Checks view running it (wall time, longest
  event-loop stall seen by a 10 ms timer, lines kept by the view, session folder size).

A stall is the longest gap between two ticks of a 10 ms timer, minus 10 ms: how long a keystroke
could wait. No fake server is needed: checks never talk to a model.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = """import sys
line = "x" * 1023 + "\\n"
for _ in range({lines}):
    sys.stdout.write(line)
"""


class Ticks:
    """The longest gap between ticks of a 10 ms asyncio timer."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.01)
            last = now

    def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
        return self.worst * 1000


async def core(project: Path, command: str, folder: Path) -> tuple[float, float]:
    from workbench.checks.config import CheckCommand
    from workbench.checks.session_checks import SessionChecks
    from workbench.config import load_settings

    settings, _ = load_settings(Path("/nonexistent/config.toml"), env={})
    checks = SessionChecks(settings, project, folder)
    ticks = Ticks()
    ticks.start()
    started = time.perf_counter()
    async for _event in checks.run(commands=[CheckCommand.of(command)]):
        pass
    return time.perf_counter() - started, ticks.stop()


async def app(project: Path) -> tuple[float, float, int, int]:
    from textual.widgets import Log

    from workbench.app import WorkbenchApp
    from workbench.config import load_settings
    from workbench.screens.checks import ChecksScreen
    from workbench.session.store import SessionStore

    settings, _ = load_settings(Path("/nonexistent/config.toml"), env={})
    store = SessionStore()
    session = store.create(project, "# Task: bench\n")
    workbench = WorkbenchApp(settings, session, store=store, remember_theme_changes=False)
    async with workbench.run_test(size=(160, 48)) as pilot:
        await pilot.press("f7")
        while not isinstance(workbench.screen, ChecksScreen):
            await pilot.pause(0.01)
        view = workbench.screen
        ticks = Ticks()
        ticks.start()
        started = time.perf_counter()
        view.action_run()
        while view.run is None:
            await asyncio.sleep(0.01)
        wall = time.perf_counter() - started
        stall = ticks.stop()
        lines = view.query_one(Log).line_count
        size = sum(f.stat().st_size for f in session.folder.rglob("*") if f.is_file())
    return wall, stall, lines, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50, help="megabytes the check prints")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["WORKBENCH_DATA_DIR"] = str(root / "data")
        os.environ["WORKBENCH_CONFIG_DIR"] = str(root / "config")
        project = root / "project"
        project.mkdir()
        (project / "big.py").write_text(SCRIPT.format(lines=args.mb * 1024))
        command = f"{sys.executable} big.py"
        (project / ".workbench.toml").write_text(f"[checks]\ncommands = [{command!r}]\n")
        started = time.perf_counter()
        subprocess.run(command, shell=True, cwd=project, stdout=subprocess.DEVNULL, check=True)
        floor = time.perf_counter() - started
        (root / "core").mkdir()
        core_wall, core_stall = asyncio.run(core(project, command, root / "core"))
        app_wall, app_stall, lines, size = asyncio.run(app(project))
    print(f"check printing {args.mb} MB")
    print(f"{'':34}{'wall s':>8}{'worst stall ms':>16}")
    print(f"{'floor: command > /dev/null':34}{floor:8.2f}{'-':>16}")
    print(f"{'core: SessionChecks.run, no UI':34}{core_wall:8.2f}{core_stall:16.0f}")
    print(f"{'app: Checks view':34}{app_wall:8.2f}{app_stall:16.0f}")
    print(f"view keeps {lines:,} lines; session folder {size / 1024 / 1024:.1f} MB")


if __name__ == "__main__":
    main()
