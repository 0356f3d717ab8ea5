"""One check as a real subprocess: how it ends, its output streamed and bounded, and killing it
with every process it started (by a cancel and by the timeout)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.unit.helpers import until
from workbench.checks.config import CheckCommand
from workbench.checks.runner import (
    LOG_HEAD,
    LOG_TAIL,
    OUTPUT_LIMIT,
    TAIL,
    CheckResult,
    _Cleaner,
    run_check,
)


def python(script: str) -> CheckCommand:
    """A check running `script` with this interpreter."""
    return CheckCommand.of(shlex.join([sys.executable, "-c", script]), name="script")


class Collected:
    """What `on_output` was handed."""

    def __init__(self) -> None:
        self.chunks: list[str] = []

    def __call__(self, text: str) -> None:
        self.chunks.append(text)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


async def run(
    check: CheckCommand, root: Path, log: Path | None = None, **options: object
) -> tuple[CheckResult, Collected]:
    seen = Collected()
    result = await run_check(
        check,
        root,
        timeout_s=options.pop("timeout_s", 60),  # type: ignore[arg-type]
        log_path=log,
        on_output=seen,
        **options,  # type: ignore[arg-type]
    )
    return result, seen


async def test_a_passing_check_streams_its_output_and_keeps_a_log(tmp_path: Path) -> None:
    log = tmp_path / "session" / "checks" / "0001-1.log"
    check = python("import sys; print('out'); print('err', file=sys.stderr); print('end')")
    result, seen = await run(check, tmp_path, log, log_name="checks/0001-1.log")
    assert (result.status, result.exit_code, result.error) == ("passed", 0, None)
    assert result.passed
    assert seen.text == "out\nerr\nend\n"  # stderr joins stdout, in the order written
    assert log.read_text() == "out\nerr\nend\n"
    assert result.output_tail == "out\nerr\nend\n"
    assert (result.output_bytes, result.log_file, result.truncated) == (
        12,
        "checks/0001-1.log",
        False,
    )
    assert (result.name, result.command) == ("script", check.command)
    assert result.duration_s >= 0


async def test_a_failing_check_keeps_its_exit_code(tmp_path: Path) -> None:
    result, seen = await run(python("import sys; print('1 failed'); sys.exit(3)"), tmp_path)
    assert (result.status, result.exit_code, result.error) == ("failed", 3, None)
    assert seen.text == "1 failed\n" and result.log_file is None


async def test_a_command_that_does_not_exist_is_an_error_saying_so(tmp_path: Path) -> None:
    result, seen = await run(CheckCommand.of("no-such-command-4711 --check"), tmp_path)
    assert (result.status, result.exit_code) == ("error", 127)
    assert result.error is not None and "command not found" in result.error
    assert "no-such-command-4711" in seen.text and "not found" in seen.text


async def test_a_check_that_cannot_start_is_an_error_with_the_reason(tmp_path: Path) -> None:
    log = tmp_path / "checks" / "1.log"
    result, seen = await run(CheckCommand.of("true"), tmp_path / "gone", log)
    assert (result.status, result.exit_code) == ("error", None)
    assert result.error is not None and result.error.startswith("cannot start it: ")
    assert "gone" in result.error
    assert seen.chunks == [] and not log.exists() and result.log_file is None


async def test_a_check_runs_in_the_project_root_without_a_terminal_or_stdin(tmp_path: Path) -> None:
    script = (
        "import os, sys; print(os.getcwd()); print(sys.stdin.read() == '', sys.stdout.isatty());"
        "print(os.environ['PYTHONUNBUFFERED'], os.environ['PAGER']);"
        # A session of its own, whose leader (the shell) leads the process group.
        f"print(os.getsid(0) == os.getpgid(0) != {os.getpgid(0)})"
    )
    result, seen = await run(python(script), tmp_path)
    assert result.passed
    assert seen.text == f"{tmp_path}\nTrue False\n1 cat\nTrue\n"


async def test_output_arrives_while_the_check_runs(tmp_path: Path) -> None:
    # The check waits for a file that only the test writes once it has seen the first line:
    # had the output come only at the end, it would have timed out.
    go = tmp_path / "go"
    script = (
        "import os, time\nprint('first', flush=True)\n"
        f"while not os.path.exists({str(go)!r}): time.sleep(0.01)\nprint('second')"
    )
    seen = Collected()

    def on_output(text: str) -> None:
        seen(text)
        if "first" in seen.text:
            go.touch()

    result = await run_check(
        python(script), tmp_path, timeout_s=20, log_path=None, on_output=on_output
    )
    assert result.passed
    assert seen.text == "first\nsecond\n"


async def test_escape_codes_are_stripped_from_what_is_shown_logged_and_kept(
    tmp_path: Path,
) -> None:
    script = (
        "import sys\nw = sys.stdout.write\n"
        r"w('\x1b[31mred\x1b[0m \x1b]0;title\x07plain\r\n')"
        "\nsys.stdout.flush()\n"
        r"w('\x1b[1')"  # a sequence cut between two writes
        "\nsys.stdout.flush()\n"
        r"w('mbold\x1b[0m\n\x9b2J')"
    )
    log = tmp_path / "check.log"
    result, seen = await run(python(script), tmp_path, log)
    assert result.passed
    assert seen.text == "red plain\nbold\n"
    assert log.read_text() == seen.text == result.output_tail
    assert "\x1b" not in seen.text


def test_the_cleaner_removes_a_sequence_cut_between_chunks_then_goes_fast_again() -> None:
    cleaner = _Cleaner()
    assert cleaner.feed("plain\n") == "plain\n"
    assert cleaner.feed("a\x1b[3") == "a"
    assert cleaner.feed("1mred") == "red"
    assert cleaner.feed("x" * 100) == "x" * 100
    assert cleaner.feed("\x1b]0;ti") == ""
    assert cleaner.feed("tle\x07") + cleaner.flush() == ""
    assert cleaner.feed("tab\tok\x07\r\n") == "tab\tok\n"


# --- Killing: the whole process group, by a cancel and by the timeout --------------------------

# The check starts a child that ignores SIGTERM (only SIGKILL stops it), says its process group
# and hangs: only a kill of the whole group, escalated to SIGKILL, leaves nothing behind.
HANGS = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time\\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\\n"
    "print('child ignores SIGTERM', flush=True)\\ntime.sleep(600)"])
print(f"group {os.getpgid(0)}", flush=True)
time.sleep(600)
"""


async def group_of(seen: Collected) -> int:
    await until(lambda: "child ignores SIGTERM" in seen.text and "group " in seen.text, "ready")
    found = re.search(r"group (\d+)", seen.text)
    assert found
    return int(found.group(1))


async def gone(pgid: int) -> None:
    """Wait until no process of the group is left (a zombie counts until it is reaped)."""

    def dead() -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        return False

    await until(dead, f"process group {pgid} to end")


@pytest.fixture
async def groups() -> AsyncIterator[list[int]]:
    """Process groups a test started: killed afterwards whatever happened."""
    started: list[int] = []
    yield started
    for pgid in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


async def test_cancelling_kills_the_whole_process_group(tmp_path: Path, groups: list[int]) -> None:
    seen = Collected()
    log = tmp_path / "hang.log"
    task = asyncio.create_task(
        run_check(
            python(HANGS),
            tmp_path,
            timeout_s=600,
            log_path=log,
            on_output=seen,
            kill_grace_s=0.2,
        )
    )
    pgid = await group_of(seen)
    groups.append(pgid)
    task.cancel()
    result = await task
    assert (result.status, result.error) == ("killed", "stopped")
    assert result.exit_code == -signal.SIGTERM  # the shell's python died of the SIGTERM
    await gone(pgid)
    assert "child ignores SIGTERM" in log.read_text()


async def test_the_timeout_kills_the_whole_process_group(tmp_path: Path, groups: list[int]) -> None:
    seen = Collected()
    task = asyncio.create_task(
        run_check(
            python(HANGS), tmp_path, timeout_s=1, log_path=None, on_output=seen, kill_grace_s=0.2
        )
    )
    pgid = await group_of(seen)
    groups.append(pgid)
    result = await task
    assert result.status == "timed_out"
    assert result.error == "timed out after 1 s: stopped"
    await gone(pgid)


# --- Bounded output: a check printing 50 MB ------------------------------------------------------

LINES = 500_000
FIFTY_MB = """
import sys
write = sys.stdout.write
for n in range(%d):
    write(f"{n:09d} " + "x" * 89 + "\\n")
write("THE END\\n")
"""


async def test_fifty_megabytes_of_output_stay_bounded_everywhere(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    result, seen = await run(python(FIFTY_MB % LINES), tmp_path, log, log_name="checks/0001-1.log")
    total = LINES * 100 + len("THE END\n")
    assert total > 50_000_000
    assert result.passed and result.output_bytes == total
    # The caller got at most the bound, lines kept whole, then one line saying where the rest is.
    shown = seen.text
    assert len(shown) <= OUTPUT_LIMIT
    assert shown.startswith("000000000 x") and result.truncated
    assert shown.endswith(
        "xxx\n[workbench: output past 2 MB goes to the log only: checks/0001-1.log]\n"
    )
    # The log: its head, a line saying what was left out, its tail.
    size = log.stat().st_size
    assert LOG_HEAD + LOG_TAIL < size <= LOG_HEAD + LOG_TAIL + 200
    text = log.read_text()
    assert text.startswith("000000000 x") and text.endswith(
        f"{LINES - 1:09d} {'x' * 89}\nTHE END\n"
    )
    assert result.log_omitted_bytes == total - LOG_HEAD - LOG_TAIL
    assert f"[workbench: {result.log_omitted_bytes:,} bytes of output left out here" in text
    # The tail kept in memory is the real end.
    assert len(result.output_tail.encode()) <= TAIL
    assert result.output_tail.endswith(f"{LINES - 1:09d} {'x' * 89}\nTHE END\n")


async def test_a_flood_of_colours_is_bounded_and_its_end_still_clean(tmp_path: Path) -> None:
    script = (
        "import sys\nw = sys.stdout.write\nfor n in range(150_000):\n"
        r"    w(f'\x1b[31m{n:06d}\x1b[0m ' + 'x' * 80 + '\n')"
        "\nw('THE END\\n')"
    )
    log = tmp_path / "colours.log"
    result, seen = await run(python(script), tmp_path, log)
    assert result.passed and result.output_bytes == 150_000 * 97 + 8
    assert len(seen.text) <= OUTPUT_LIMIT and "\x1b" not in seen.text
    text = log.read_text()
    assert "\x1b" not in text and log.stat().st_size <= LOG_HEAD + LOG_TAIL + 200
    assert text.endswith(f"149999 {'x' * 80}\nTHE END\n")
    assert result.output_tail.endswith(f"149999 {'x' * 80}\nTHE END\n")
    assert "\x1b" not in result.output_tail


async def test_without_a_limit_the_caller_gets_everything(tmp_path: Path) -> None:
    result, seen = await run(python(FIFTY_MB % 30_000), tmp_path, output_limit=None)
    assert result.passed and not result.truncated
    assert len(seen.text) == result.output_bytes == 30_000 * 100 + 8
    assert seen.text.endswith("THE END\n")


async def test_a_log_that_cannot_be_written_is_said_and_the_check_still_runs(
    tmp_path: Path,
) -> None:
    (tmp_path / "file").write_text("")
    result, seen = await run(python("print('ok')"), tmp_path, tmp_path / "file" / "check.log")
    assert (result.status, seen.text, result.log_file) == ("passed", "ok\n", None)
    assert result.error is not None and "the log could not be written" in result.error
