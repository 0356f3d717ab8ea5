"""On screen: a session folder that cannot be written, and a `--continue` that skipped a damaged
session (issue 13, items 5 and 6)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, screen_text, wait_until
from workbench.__main__ import continue_last
from workbench.screens.send_review import SendReviewModal
from workbench.session.model import UserMessage
from workbench.session.store import SessionStore
from workbench.spec.template import new_spec

QUESTION = "what is in the session module?"


def make_session(project: Path, title: str) -> Path:
    """A closed session with a spec and one Explore message."""
    project.mkdir(parents=True, exist_ok=True)
    with SessionStore().create(project, new_spec(title)) as session:
        session.explore.append(UserMessage(id="m1", content=QUESTION))
        return session.folder


def files_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the folder with its bytes and time, and the folder's own time."""
    files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    return files | {".": (b"", folder.stat().st_mtime_ns)}


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A session whose folder refuses new files, for real: mode 0o555, or (as root, which
    ignores modes) the immutable attribute."""
    folder = make_session(tmp_path / "project", "Frozen work")
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
        if made.returncode != 0:
            pytest.skip(f"root, and chattr +i is refused here: {made.stderr!r}")
        try:
            yield folder
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)


def notices(app_text: str) -> str:
    """The text of the notifications on screen, as one line (they wrap in a narrow column)."""
    # A toast's lines start with its "▌" edge; the pane border may follow them on the right.
    parts = [line.split("▌", 1)[1].rstrip(" │─╮╯") for line in app_text.splitlines() if "▌" in line]
    return " ".join(" ".join(parts).split())


async def test_a_session_that_cannot_be_written_is_shown_read_only_and_left_untouched(
    ollama: FakeOllama, unwritable: Path
) -> None:
    before = files_of(unwritable)
    session = SessionStore().open(unwritable.name, view_if_not_writable=True)  # as `open` does
    app = make_test_app(make_settings(ollama.url), session=session)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        screen = main_screen(app)
        await wait_until(
            pilot, lambda: "Read-only session" in notices(screen_text(app)), what="notice"
        )
        text = screen_text(app)
        shown = notices(text)
        assert f"Session {unwritable.name} is open read-only: its folder" in shown
        assert "is not writable" in shown and "so nothing can be saved there" in shown
        assert "You can read it; nothing can be edited or sent." in shown
        assert "Or copy it somewhere writable and open the copy:" in shown
        assert "workbench · Frozen work · READ-ONLY, nothing is saved" in text
        assert "# Task: Frozen work" in text and QUESTION in text  # the session is shown
        assert "Read-only session: nothing can be sent" in text  # where one would type

        spec = screen.spec.text
        await pilot.press("f2", *"typed", "enter")  # nothing goes in: nothing to lose
        assert screen.spec.text == spec and not screen.spec.dirty
        await pilot.press("f1", *"hello", "enter")
        assert all(chat.input.text == "" for chat in screen.chats())
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not isinstance(app.screen, SendReviewModal)
        assert screen.chat("explore").messages[-1].content == QUESTION  # nothing was sent

        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running, what="quit")
    assert app.return_code in (None, 0)
    assert files_of(unwritable) == before


async def test_a_read_only_session_shows_no_misleading_journal_warning(
    ollama: FakeOllama, unwritable: Path
) -> None:
    session = SessionStore().open(unwritable.name, view_if_not_writable=True)
    app = make_test_app(make_settings(ollama.url), session=session)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_until(
            pilot, lambda: "Read-only session" in notices(screen_text(app)), what="notice"
        )
        await pilot.pause(0.2)
        assert "Saving works as before" not in notices(screen_text(app))


async def test_continue_says_on_screen_which_damaged_session_it_skipped(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    older = make_session(tmp_path / "project", "Older work")
    newest = make_session(tmp_path / "project", "Newest work")
    (newest / "session.json").write_bytes(b'{"id": "x",\n "title": "y"\n "created": ""}')
    later = time.time() + 60
    os.utime(newest / "session.json", (later, later))

    store = SessionStore()
    session, said = continue_last(store)  # what `workbench --continue` does before the app
    assert session is not None and session.id == older.name
    session.warnings.extend(said)
    app = make_test_app(make_settings(ollama.url), session=session)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_until(
            pilot, lambda: "Skipped session" in notices(screen_text(app)), what="notice"
        )
        shown = notices(screen_text(app))
        assert f"Skipped session {newest.name}" in shown
        assert "session.json is not valid JSON (Expecting ',' delimiter at line 3" in shown
        # The file lost the project folder: the command says to name it.
        assert f"workbench open {newest.name} --repair --project DIR" in shown
        assert f"Opened the next most recent session instead: Older work ({older.name})" in shown
        assert "workbench · Older work ·" in screen_text(app)
    assert json.loads((older / "session.json").read_text())["title"] == "Older work"
