"""Quit always quits: whatever work is stuck, ctrl+q leaves the terminal as it was and the process
gone, after saving what can be saved.

Each test runs the real app in a real terminal (a pty) in a process of its own, gets some work
stuck, presses ctrl+q and waits for the process to end: a generous 10 s bound only tells an exit
from a hang (the figure itself is printed; it is well under 2 s). The terminal is clean when its
modes are back to what they were (echo, line editing) and the app left the alternate screen.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.fakes.project import make_project
from tests.ui.harness import FAST, QUALITY
from workbench.project.text_search import ENGINE_VARIABLE

ROOT = Path(__file__).resolve().parents[2]
EXIT_BOUND_S = 10.0
"""Far above the 2 s a quit may take: reaching it means the process hangs."""
READY = b"Ollama 0.12.6"
"""Drawn once the main screen is up and has heard from the server (the status bar)."""
CTRL_Q, F1, F2, ENTER = b"\x11", b"\x1bOP", b"\x1bOQ", b"\r"
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
ENTER_ALT_SCREEN = b"\x1b[?1049h"

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@dataclass
class Terminal:
    """A process running in a pty of its own, and everything it wrote there."""

    process: subprocess.Popen[bytes]
    master: int
    slave: int
    modes_before: list[object]
    output: bytearray = field(default_factory=bytearray)
    closed: threading.Event = field(default_factory=threading.Event)

    def drain(self) -> None:
        """Read what the app writes (a full pty would block it) until closed."""
        while not self.closed.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    return

    def wait_for(self, text: bytes, what: str) -> None:
        deadline = time.monotonic() + 20
        while text not in self.output:
            assert self.process.poll() is None, f"the app ended early:\n{self.screen()}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{self.screen()}"
            time.sleep(0.05)

    def press(self, *keys: bytes) -> None:
        """Press each key (or type each text) at a person's pace."""
        for key in keys:
            os.write(self.master, key)
            time.sleep(0.3)

    def quit(self) -> float | None:
        """Press ctrl+q; the seconds until the process ended, None if it did not in 10 s."""
        started = time.monotonic()
        os.write(self.master, CTRL_Q)
        try:
            self.process.wait(EXIT_BOUND_S)
        except subprocess.TimeoutExpired:
            return None
        return time.monotonic() - started

    def screen(self) -> str:
        return self.output[-3000:].decode("utf-8", "replace")

    def is_clean(self) -> bool:
        """Whether the terminal's modes are back and the alternate screen was left."""
        modes_back = termios.tcgetattr(self.slave) == self.modes_before
        left = self.output.rfind(LEAVE_ALT_SCREEN) > self.output.rfind(ENTER_ALT_SCREEN) >= 0
        return modes_back and left


def left_behind(session_id: int) -> list[str]:
    """The command lines of live processes still in the app's session (its children)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[3]) == session_id and stat[0] != "Z":  # fields: state ppid pgrp session
            found.append(command.replace(b"\0", b" ").decode(errors="replace"))
    return found


@pytest.fixture
def run_in_terminal() -> Iterator[object]:
    """Starts commands in ptys (160x48); kills whatever is left of them at the end."""
    terminals: list[Terminal] = []

    def start(args: list[str], cwd: Path, env: dict[str, str]) -> Terminal:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
        process = subprocess.Popen(
            args,
            cwd=cwd,
            env={**os.environ, "TERM": "xterm-256color", **env},
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        terminal = Terminal(process, master, slave, termios.tcgetattr(slave))
        threading.Thread(target=terminal.drain, daemon=True).start()
        terminals.append(terminal)
        return terminal

    yield start
    for terminal in terminals:
        for _command in left_behind(terminal.process.pid):
            os.killpg(terminal.process.pid, signal.SIGKILL)
            break
        if terminal.process.poll() is None:
            terminal.process.kill()
            terminal.process.wait()
        terminal.closed.set()
        time.sleep(0.1)
        os.close(terminal.master)
        os.close(terminal.slave)


def cli_config(tmp_path: Path) -> None:
    """The user config the CLI reads (WORKBENCH_CONFIG_DIR points into tmp_path)."""
    folder = Path(os.environ["WORKBENCH_CONFIG_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(
        "[ollama]\nwarm_up = false\n"
        f'[tiers.fast]\nprovider = "ollama"\nmodels = ["{FAST[0]}"]\n'
        f'[tiers.quality]\nprovider = "ollama"\nmodels = ["{QUALITY[0]}"]\n'
    )


def only_session() -> Path:
    (folder,) = (Path(os.environ["WORKBENCH_DATA_DIR"]) / "sessions").iterdir()
    return folder


def test_quit_during_a_catastrophic_search_saves_and_exits_at_once(
    ollama: FakeOllama, tmp_path: Path, run_in_terminal
) -> None:
    project = make_project(tmp_path)
    (project / "long.txt").write_text("a" * 5000 + "!\n")
    ollama.tool_script = [[{"name": "search", "arguments": {"pattern": "(a+)+$"}}], "Done."]
    cli_config(tmp_path)
    terminal = run_in_terminal(
        [sys.executable, "-m", "workbench"],
        project,
        {"OLLAMA_HOST": ollama.url, ENGINE_VARIABLE: "python"},
    )
    terminal.wait_for(READY, "the main screen")
    terminal.press(F2, b"Keep this line.")
    terminal.press(F1, b"find it", ENTER)
    deadline = time.monotonic() + 20
    while not ollama.chat_requests():
        assert time.monotonic() < deadline, "the question never reached the server"
        time.sleep(0.05)
    time.sleep(1.0)  # the search starts at once, and runs for up to 10 s
    searching = any("scan.py" in c for c in left_behind(terminal.process.pid))

    took = terminal.quit()

    assert took is not None, f"still running {EXIT_BOUND_S} s after ctrl+q:\n{terminal.screen()}"
    print(f"\nquit during a catastrophic search: {took:.2f} s")
    assert searching, "the search was not running in a child process"
    assert len(ollama.chat_requests()) == 1  # it never finished: no result went back
    assert terminal.process.returncode == 0
    assert terminal.is_clean()
    assert b"Session saved" in terminal.output  # the CLI finished normally, not cut short
    assert left_behind(terminal.process.pid) == []  # the search child was killed
    folder = only_session()
    assert "Keep this line." in (folder / "context.md").read_text()
    assert '"find it"' in (folder / "explore.jsonl").read_text()


def test_quit_while_the_server_never_answers(tmp_path: Path, run_in_terminal) -> None:
    server = FakeOllama(models=[*FAST, *QUALITY])
    server.hold("/api/chat")
    server.start()
    try:
        cli_config(tmp_path)
        project = make_project(tmp_path)
        terminal = run_in_terminal(
            [sys.executable, "-m", "workbench"], project, {"OLLAMA_HOST": server.url}
        )
        terminal.wait_for(READY, "the main screen")
        terminal.press(F1, b"hello?", ENTER)
        deadline = time.monotonic() + 20
        while not server.chat_requests():
            assert time.monotonic() < deadline, "the question never reached the server"
            time.sleep(0.05)

        took = terminal.quit()

        assert took is not None, f"still running after ctrl+q:\n{terminal.screen()}"
        print(f"\nquit while the server never answers: {took:.2f} s")
        assert terminal.process.returncode == 0 and terminal.is_clean()
        assert '"hello?"' in (only_session() / "explore.jsonl").read_text()
    finally:
        server.release()
        server.stop()


@pytest.mark.parametrize(
    ("how", "cut_short"),
    [
        ("thread", False),  # a thread worker blocked opening a named pipe
        ("task", True),  # a task that ignores cancelling: the event loop can never close
    ],
)
def test_quit_with_work_stuck_for_ever(
    ollama: FakeOllama, tmp_path: Path, run_in_terminal, how: str, cut_short: bool
) -> None:
    project = make_project(tmp_path)
    os.mkfifo(project / "pipe")
    terminal = run_in_terminal(
        [sys.executable, "-m", "tests.ui.quit_child", ollama.url, os.fspath(project), how],
        ROOT,
        {},
    )
    terminal.wait_for(READY, "the main screen")
    terminal.press(F2, b"Typed before quitting.")

    took = terminal.quit()

    assert took is not None, f"still running after ctrl+q:\n{terminal.screen()}"
    print(f"\nquit with a stuck {how}: {took:.2f} s")
    assert terminal.is_clean()
    assert "Typed before quitting." in (only_session() / "context.md").read_text()
    if cut_short:  # the guard ended it, and said so
        assert terminal.process.returncode == 1
        assert b"quitting took over 1.5 s (some work was stuck)" in terminal.output
    else:
        assert terminal.process.returncode == 0 and b"run returned 0" in terminal.output
    assert left_behind(terminal.process.pid) == []
