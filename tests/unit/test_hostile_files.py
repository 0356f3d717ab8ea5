"""Hostile files in the project never hang a tool, an attachment, a search or the exit.

A named pipe (FIFO) or a socket is refused before it is opened: opening a FIFO for reading waits
for a writer that never comes. A catastrophic regex runs in a child process that a time limit or
a `Cancel` kills. Work stuck in a thread does not keep the process alive after it is done.

Each blocking call runs in a daemon thread joined with a generous bound, so that a regression
fails the test instead of hanging the run.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.project import make_project
from workbench.project import ToolError, load_attachment, run_tool, search
from workbench.project.attach import load_entries, pending_attachments
from workbench.project.attachments import AttachmentError
from workbench.project.background import Cancel
from workbench.project.text_search import ENGINE_VARIABLE, resolve_engine

HANG_GUARD_S = 10.0
"""A call that has not returned by then is taken to hang (the real figures are milliseconds)."""
LONG_LINE = "a" * 5000 + "!"
"""`(a+)+$` backtracks through 2^5000 ways of splitting this line before it gives up."""
CATASTROPHIC = "(a+)+$"


def returns(call: Callable[[], Any]) -> Any:
    """`call()`'s result (or exception), failing the test if it has not returned in time."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)
    assert not thread.is_alive(), "the call hung"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """The fixture project with a FIFO, a socket and a FIFO in place of a tracked file."""
    root = make_project(tmp_path)
    os.mkfifo(root / "pipe")
    os.mkfifo(root / "src" / "app.fifo")
    (root / "src" / "app.py").unlink()
    os.mkfifo(root / "src" / "app.py")  # tracked by git: the listing still names it
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(os.fspath(root / "sock"))
    yield root
    server.close()


@pytest.mark.parametrize(("path", "kind"), [("pipe", "a named pipe (FIFO)"), ("sock", "a socket")])
def test_read_file_refuses_a_pipe_or_socket_without_opening_it(
    project: Path, path: str, kind: str
) -> None:
    result = returns(lambda: run_tool(project, "read_file", {"path": path}))
    assert not result.ok
    assert result.text == f"Error: {path} is {kind}, not a regular file: it was not read."


def test_a_tracked_file_replaced_by_a_pipe_is_refused_too(project: Path) -> None:
    result = returns(lambda: run_tool(project, "read_file", {"path": "src/app.py"}))
    assert not result.ok and "named pipe" in result.text


def test_list_dir_and_search_pass_over_pipes_and_refuse_one_named_outright(
    project: Path,
) -> None:
    listed = returns(lambda: run_tool(project, "list_dir", {"path": "src"}))
    assert listed.ok and "src/auth/" in listed.text
    refused = returns(lambda: run_tool(project, "list_dir", {"path": "pipe"}))
    assert not refused.ok and "named pipe" in refused.text

    for engine in ("python", "auto"):
        # src/app.py (tracked, now a FIFO) is in the listing: it is skipped, not waited on.
        found = returns(lambda engine=engine: search(project, "def ", engine=engine))
        assert "src/auth/session.py:" in found and "src/app.py" not in found
    named = returns(lambda: run_tool(project, "search", {"pattern": "x", "path": "pipe"}))
    assert named.text == "Error: pipe is a named pipe (FIFO), not a regular file: not searched."


def test_an_attachment_of_a_pipe_is_refused_with_a_reason(project: Path) -> None:
    with pytest.raises(AttachmentError) as refused:
        returns(lambda: load_attachment(project, "pipe", summarize_over_bytes=50_000))
    assert str(refused.value) == (
        "@pipe: it is a named pipe (FIFO), not a regular file: it was not read"
    )

    async def attach() -> list[Any]:
        async def never(_instructions: str, _text: str) -> str:
            raise AssertionError("nothing to summarize")

        entries = pending_attachments("what is in @pipe and @README.md?")
        return await load_entries(entries, project, summarize_over_bytes=50_000, ask=never)

    pipe, readme = returns(lambda: asyncio.run(attach()))
    assert pipe.error == "it is a named pipe (FIFO), not a regular file: it was not read"
    assert readme.error is None and readme.text.startswith("# Fixture")


def test_a_pipe_named_gitignore_does_not_stop_the_listing_outside_git(tmp_path: Path) -> None:
    root = make_project(tmp_path, git=False)
    os.mkfifo(root / "data" / ".gitignore")
    listed = returns(lambda: run_tool(root, "list_dir", {"path": ".", "depth": 2}))
    assert listed.ok and "data/big.py" in listed.text


# A catastrophic regex in the Python engine


@pytest.fixture
def long_line(tmp_path: Path) -> Path:
    root = make_project(tmp_path)
    (root / "long.txt").write_text(LONG_LINE + "\n")
    return root


def test_a_catastrophic_regex_is_stopped_at_the_time_limit(long_line: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ToolError) as stopped:
        returns(lambda: search(long_line, CATASTROPHIC, engine="python", time_limit=0.5))
    assert str(stopped.value).startswith("The search took longer than 0.5 s and was stopped.")
    assert "(a+)+" in str(stopped.value)  # says what kind of pattern does this
    assert time.monotonic() - started < HANG_GUARD_S


def test_the_time_limit_reaches_the_model_as_a_tool_error(long_line: Path) -> None:
    arguments = {"pattern": CATASTROPHIC, "path": "long.txt"}
    result = returns(lambda: run_tool(long_line, "search", arguments, search_time_limit=0.5))
    assert not result.ok and "took longer than 0.5 s" in result.text
    # The model cannot lift the limit itself: the argument is not one of the tool's.
    sneaky = run_tool(long_line, "search", {**arguments, "time_limit": 999})
    assert not sneaky.ok and "no argument 'time_limit'" in sneaky.text


def test_cancel_kills_the_search_at_once(long_line: Path) -> None:
    cancel = Cancel()
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            search(long_line, CATASTROPHIC, engine="python", time_limit=600, cancel=cancel)
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + HANG_GUARD_S
    while not cancel.children and time.monotonic() < deadline:
        time.sleep(0.01)
    (child,) = cancel.children
    assert child.poll() is None  # still searching
    cancel.cancel()
    thread.join(HANG_GUARD_S)
    assert not thread.is_alive()
    assert str(outcome["error"]) == "The search was stopped."
    assert child.poll() is not None and not cancel.children


def test_the_engine_can_be_chosen_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_VARIABLE, "python")
    assert resolve_engine() == "python"
    monkeypatch.setenv(ENGINE_VARIABLE, "rg")
    assert resolve_engine() == "rg"
    assert resolve_engine("python") == "python"


# Work stuck in a thread does not keep the process alive

STUCK_IN_A_THREAD = """
import asyncio, os, sys
from workbench.project.background import DaemonExecutor

async def main():
    asyncio.get_running_loop().set_default_executor(DaemonExecutor(grace=0.1))
    asyncio.create_task(asyncio.to_thread(os.open, sys.argv[1], os.O_RDONLY))  # waits for ever
    await asyncio.sleep(0.2)
    print("done", flush=True)

asyncio.run(main())
"""

GUARDED = """
import re, sys, time
from workbench.project.background import exit_guard

exit_guard(0.3, lambda: 7)
if sys.argv[1] == "sleep":
    time.sleep(60)
else:
    re.match("(a+)+$", "a" * 5000 + "!")  # holds the interpreter: no Python thread runs
"""


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,  # TimeoutExpired fails the test: the process did not end
        check=False,
    )


def test_a_thread_stuck_on_a_pipe_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    done = run_python(STUCK_IN_A_THREAD, os.fspath(tmp_path / "pipe"))
    assert (done.returncode, done.stdout) == (0, "done\n")


def test_the_exit_guard_ends_a_stuck_process_with_the_status_it_is_given() -> None:
    done = run_python(GUARDED, "sleep")
    assert done.returncode == 7


def test_the_exit_guard_ends_a_process_whose_interpreter_is_held() -> None:
    done = run_python(GUARDED, "regex")
    assert done.returncode == 1
    assert "Timeout" in done.stderr  # faulthandler says where each thread was
