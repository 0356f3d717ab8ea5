"""Hostile files in the project, through the app: a named pipe the model reads or the user
attaches, and a catastrophic regex in the Python search, which neither freezes the keys nor
outlives its time limit or Escape."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.fakes.project import make_project
from tests.ui.harness import main_screen, make_settings, make_test_app, screen_text, wait_until
from workbench.project.text_search import ENGINE_VARIABLE

LONG_LINE = "a" * 5000 + "!"
CATASTROPHIC = "(a+)+$"
"""On LONG_LINE Python's regex engine backtracks through 2^5000 splits: it never ends."""

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def tool_results(request: dict) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "tool"]


def scan_children() -> list[int]:
    """Pids of this process's running search children (`python ... scan.py`)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue  # ended meanwhile
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == os.getpid() and state != "Z" and b"scan.py" in command:
            found.append(int(entry))
    return found


async def test_a_pipe_the_model_reads_or_the_user_attaches_is_refused(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    project = make_project(tmp_path)
    os.mkfifo(project / "pipe")
    ollama.tool_script = [[{"name": "read_file", "arguments": {"path": "pipe"}}], "A pipe."]
    app = make_test_app(make_settings(ollama.url), project=project)
    async with app.run_test(size=(200, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await pilot.press(*"what is in @pipe ?", "enter")
        await wait_until(
            pilot,
            lambda: not explore.is_streaming and explore.messages[-1].role == "assistant",
            what="the reply",
        )
        # The model read the refusal and answered; nothing waited on the pipe.
        assert tool_results(ollama.chat_requests()[-1]) == [
            "Error: pipe is a named pipe (FIFO), not a regular file: it was not read."
        ]
        assert explore.messages[-1].content == "A pipe."
        # The attachment says why it was not attached.
        question = explore.messages[0]
        assert question.role == "user" and question.attachments
        assert question.attachments[0].error == (
            "it is a named pipe (FIFO), not a regular file: it was not read"
        )
        await wait_until(pilot, lambda: "✗ @pipe: it is a named pipe" in screen_text(app))
        assert "▸ tool read_file path=pipe · refused" in screen_text(app)


def hostile_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENGINE_VARIABLE, "python")  # as on a machine without ripgrep
    project = make_project(tmp_path)
    (project / "long.txt").write_text(LONG_LINE + "\n")
    return project


async def test_a_catastrophic_search_stops_at_its_time_limit_and_keys_answer_meanwhile(
    ollama: FakeOllama, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = hostile_project(tmp_path, monkeypatch)
    ollama.tool_script = [[{"name": "search", "arguments": {"pattern": CATASTROPHIC}}], "Done."]
    app = make_test_app(make_settings(ollama.url), project=project)
    async with app.run_test(size=(200, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        access = explore.conversation.project_access
        assert access is not None
        access.search_time_limit_s = 3.0
        await pilot.press(*"find it", "enter")
        await wait_until(pilot, scan_children, what="the search to start")
        # Typing echoes while the regex runs (it used to hold the interpreter).
        await pilot.press(*"next question")
        assert explore.input.text == "next question"
        assert scan_children(), "the search ended before the keys were tried"
        await wait_until(
            pilot,
            lambda: not explore.is_streaming and explore.messages[-1].role == "assistant",
            timeout=20,
            what="the reply after the time limit",
        )
        (result,) = tool_results(ollama.chat_requests()[-1])
        assert result.startswith("Error: The search took longer than 3 s and was stopped.")
        assert explore.messages[-1].content == "Done."
        assert "▸ tool search pattern=(a+)+$ · refused" in screen_text(app)
        assert not scan_children()


async def test_escape_kills_a_catastrophic_search_at_once(
    ollama: FakeOllama, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = hostile_project(tmp_path, monkeypatch)
    ollama.tool_script = [[{"name": "search", "arguments": {"pattern": CATASTROPHIC}}], "Done."]
    app = make_test_app(make_settings(ollama.url), project=project)
    async with app.run_test(size=(200, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await pilot.press(*"find it", "enter")
        await wait_until(pilot, scan_children, what="the search to start")
        await pilot.press(*"more")
        assert explore.input.text == "more"  # keys answer while the regex runs
        await pilot.press("escape")
        await wait_until(pilot, lambda: not explore.is_streaming, what="the reply to stop")
        await wait_until(pilot, lambda: not scan_children(), what="the search to be killed")
        # Stopped before any text came: the question is kept, to be sent again (r).
        assert explore.messages[-1].note == "Stopped before any reply arrived."
        assert "Stopped before any reply arrived." in screen_text(app)
        assert len(ollama.chat_requests()) == 1  # no result went back: the reply was stopped
        # The pane answers as before.
        await pilot.press("!")
        assert explore.input.text == "more!"
