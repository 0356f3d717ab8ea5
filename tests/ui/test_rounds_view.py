"""The round history modal with Pilot: two rounds, the details following the highlight.

The rounds come from the real core (a session, two applies through a StagingArea, two check
runs); nothing on screen depends on tmp_path or the clock, so the snapshot is steady.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tests.ui.harness import wait_until
from tests.unit.test_rounds import APP, FIRST, SECOND, apply_reply, check, run, transcript
from workbench.apply.journal import Journal
from workbench.checks.rounds import Round, load_rounds, round_details
from workbench.screens.rounds import EMPTY, RoundsModal
from workbench.session.store import SessionStore

SIZE = (100, 30)


def history(tmp_path: Path) -> tuple[list[Round], Callable[[Round], str]]:
    """Two rounds (a spec send and a follow-up), each applied and checked; and their details."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(APP)
    session = SessionStore(tmp_path / "sessions").create(project, "# Task\n")
    with session:
        first = apply_reply(session, project, FIRST, "r1")
        run(session.folder, "2026-01-01T10:10:00+00:00", first.id, check("failed"))
        second = apply_reply(session, project, SECOND, "r2")
        run(session.folder, "2026-01-01T11:10:00+00:00", second.id, check("passed"))
    rounds, warnings = load_rounds(session.folder, transcript())
    assert not warnings
    journal = Journal(session.folder)
    return rounds, lambda round_: round_details(round_, journal, root=project)


class RoundsApp(App[None]):
    """Just the rounds modal; remembers that it was closed."""

    def __init__(self, rounds: list[Round], details: Callable[[Round], str]) -> None:
        super().__init__()
        self.rounds = rounds
        self.details = details
        self.closed = False

    def compose(self) -> ComposeResult:
        return []

    def on_mount(self) -> None:
        self.push_screen(RoundsModal(self.rounds, self.details), self.done)

    def done(self, _: None) -> None:
        self.closed = True


def modal(app: App[None]) -> RoundsModal:
    screen = app.screen
    assert isinstance(screen, RoundsModal)
    return screen


async def shown(pilot: Pilot[None], start: str) -> None:
    """Wait until the details shown start with `start`."""
    await wait_until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, RoundsModal) and modal(pilot.app).shown.startswith(start)
        ),
        what=f"details starting {start!r}",
    )


async def test_the_details_follow_the_highlight(tmp_path: Path) -> None:
    app = RoundsApp(*await asyncio.to_thread(history, tmp_path))  # history runs its own loop
    async with app.run_test(size=SIZE) as pilot:
        await shown(pilot, "Round 2: follow-up")  # the newest round is highlighted first
        assert "+twenty" in modal(app).shown
        assert "pytest: passed, exit 0" in modal(app).shown
        await pilot.press("k")
        await shown(pilot, "Round 1: spec v1")
        assert "+ten" in modal(app).shown and "+twenty" not in modal(app).shown
        assert "pytest: failed, exit 1" in modal(app).shown
        await pilot.press("down")
        await shown(pilot, "Round 2: follow-up")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.closed, what="modal closed")


async def test_no_rounds_says_how_to_make_one() -> None:
    app = RoundsApp([], lambda round_: "")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, RoundsModal), what="modal")
        assert str(app.screen.query_one(".rounds-empty").render()) == EMPTY
        await pilot.press("j", "escape")
        await wait_until(pilot, lambda: app.closed, what="modal closed")


def test_rounds_snapshot(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    """100x30: two rounds, the follow-up highlighted, its diff and check below."""

    async def run_before(pilot: Pilot[None]) -> None:
        await shown(pilot, "Round 2: follow-up")
        await pilot.pause()

    app = RoundsApp(*history(tmp_path))
    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)
