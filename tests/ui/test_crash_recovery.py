"""A workbench killed mid-reply loses at most the last second of it, and the session reopens."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, screen_text, wait_until
from workbench.session.store import SessionLockedError, SessionStore
from workbench.session.transcript import RECOVERED_NOTE

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Walk me through the session module"
LONG_REPLY = "".join(
    f"{n}. Step {n}: read `part_{n}.py` and note what it exports.\n" for n in range(1, 200)
)
"""About 60 s of streaming at the pace below: the kill always lands mid-reply."""
TOKENS_PER_S = 20
FOLLOW_UP = "Which step matters most?"
FOLLOW_UP_REPLY = "Step 1: everything else builds on it."


def chunk_lines(transcript: Path) -> int:
    """How many streaming checkpoints the transcript holds so far."""
    try:
        text = transcript.read_text(encoding="utf-8")
    except FileNotFoundError:
        return 0
    # Matched as text: the line being written right now may be incomplete.
    return text.count('"type": "chunk"')


async def kill_mid_reply(ollama: FakeOllama, sessions: Path, log: Path) -> tuple[str, int]:
    """Run the app in a child, SIGKILL it mid-reply; return (session id, characters sent)."""
    with log.open("wb") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.crash_child", ollama.url, QUESTION],
            cwd=ROOT,
            env=os.environ.copy(),  # WORKBENCH_DATA_DIR / CONFIG_DIR point into tmp_path
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60

    async def until(condition: Callable[[], bool], what: str) -> None:
        while not condition():
            assert child.poll() is None, f"the app exited early:\n{log.read_text()}"
            assert loop.time() < deadline, f"timed out waiting for {what}:\n{log.read_text()}"
            await asyncio.sleep(0.01)

    try:
        await until(
            lambda: any(chunk_lines(p) >= 2 for p in sessions.glob("*/explore.jsonl")),
            "two checkpoints",
        )
        (folder,) = [path.parent for path in sessions.glob("*/explore.jsonl")]

        # While it runs, a second workbench cannot open the session.
        with pytest.raises(SessionLockedError) as locked:
            SessionStore().open(folder.name)
        assert locked.value.pid == child.pid

        # Kill 1.25 s after a checkpoint: only text since a later checkpoint may be lost.
        target = ollama.chunks_sent + int(TOKENS_PER_S * 1.25)
        await until(lambda: ollama.chunks_sent >= target, "1.25 s more of the reply")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert ollama.streams_finished == 0, "the reply finished before the kill"
    return folder.name, ollama.chunks_sent * ollama.chunk_chars


async def test_kill_9_mid_reply_keeps_the_streamed_text(ollama: FakeOllama, tmp_path: Path) -> None:
    ollama.reply = LONG_REPLY
    ollama.tokens_per_s = TOKENS_PER_S
    session_id, sent = await kill_mid_reply(
        ollama, tmp_path / "data" / "sessions", tmp_path / "child.log"
    )

    # The dead process's lock is gone; the reply comes back as an interrupted message.
    session = SessionStore().open(session_id)
    messages, warnings = session.explore.load()
    assert warnings == []
    question, reply = messages
    assert (question.role, question.content) == ("user", QUESTION)
    assert (reply.role, reply.status, reply.note) == ("assistant", "interrupted", RECOVERED_NOTE)
    assert reply.content and LONG_REPLY.startswith(reply.content)
    # At most about a second of streaming is lost (checkpoints come every 0.5 s by default).
    lost = sent - len(reply.content)
    assert 0 <= lost <= TOKENS_PER_S * 1.0 * ollama.chunk_chars + 4 * ollama.chunk_chars

    # Reopened in a new workbench: the reply is shown, marked, and the chat goes on.
    ollama.tokens_per_s = None
    ollama.reply = FOLLOW_UP_REPLY
    app = make_test_app(make_settings(ollama.url), session=session)
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await wait_until(pilot, lambda: len(explore.views()) == 2, what="the transcript")
        recovered = explore.views()[1]
        assert recovered.query_one(".message-header").has_class("-interrupted")
        shown = screen_text(app)
        assert "· interrupted" in shown
        assert RECOVERED_NOTE in shown
        assert "Step 1: read part_1.py" in shown  # rendered: no backticks

        await pilot.press(*FOLLOW_UP, "enter")
        await wait_until(
            pilot,
            lambda: len(explore.messages) == 4 and explore.messages[-1].status == "done",
            what="the answer to the follow-up",
        )
        assert FOLLOW_UP_REPLY in screen_text(app)
        # The model was given the recovered text as the earlier answer.
        sent_history = ollama.chat_requests()[-1]["messages"]
        assert {"role": "assistant", "content": reply.content} in sent_history
        assert sent_history[-1] == {"role": "user", "content": FOLLOW_UP}
    session.close()

    assert reply.model == "qwen2.5-coder:7b"
    assert "qwen2.5-coder:7b · interrupted" in shown


async def test_a_second_workbench_cannot_open_an_open_session(ollama: FakeOllama) -> None:
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test() as pilot:
        with pytest.raises(SessionLockedError, match="already open in another workbench"):
            SessionStore().open(app.session.id)
        await pilot.press("ctrl+q")
    # Quitting releases it.
    SessionStore().open(app.session.id).close()
