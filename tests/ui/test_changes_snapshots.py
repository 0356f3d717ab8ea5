"""Snapshots of the Changes screen (`pytest --snapshot-update` to accept).

The screen shows no clock, no absolute path and no toast: the project lives in tmp_path, which
only appears as relative paths, and `steady` drops the notifications before the picture.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from tests.ui.harness import wait_until
from tests.ui.test_changes_view import REPLY, ChangesApp, staged
from tests.ui.test_snapshots import steady
from workbench.screens.changes import ChangesScreen, NoteModal

UNIFIED = (100, 32)
WIDE = (160, 40)


def changes_app(tmp_path: Path) -> ChangesApp:
    """The Changes screen over the test reply: three hunks in two files, one failed edit."""
    return ChangesApp(asyncio.run(staged(tmp_path, REPLY)))


def then_steady(
    before: Callable[[Pilot[None]], Awaitable[None]] | None = None,
) -> Callable[[Pilot[None]], Awaitable[None]]:
    """A `run_before` that waits for the Changes screen, runs `before`, then calls `steady`."""

    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen")
        if before is not None:
            await before(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen")
        steady(pilot)
        await pilot.pause()

    return run_before


def test_changes_unified(snap_compare, tmp_path: Path) -> None:
    """~100 columns: the file list, the failed edit and a unified diff, cursor on hunk 1."""
    assert snap_compare(changes_app(tmp_path), run_before=then_steady(), terminal_size=UNIFIED)


def test_changes_side_by_side(snap_compare, tmp_path: Path) -> None:
    """~160 columns: old and new side by side; the first hunk accepted, the cursor moved on."""

    async def accept(pilot: Pilot[None]) -> None:
        await pilot.press("a")

    app = changes_app(tmp_path)
    assert snap_compare(app, run_before=then_steady(accept), terminal_size=WIDE)


def test_changes_rejected_with_note(snap_compare, tmp_path: Path) -> None:
    """n on the second hunk: rejected, its note under the header; the next file shown."""

    async def reject(pilot: Pilot[None]) -> None:
        await pilot.press("j", "n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NoteModal), what="modal")
        await pilot.press(*"keep the plain sum", "enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChangesScreen))
        await pilot.press("[")

    app = changes_app(tmp_path)
    assert snap_compare(app, run_before=then_steady(reject), terminal_size=UNIFIED)


def test_changes_failed_edits(snap_compare, tmp_path: Path) -> None:
    """Edits that produced no hunk are listed with why: a missing file, text not found."""
    reply = (
        REPLY + "missing.py\n```python\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```\n"
    )
    app = ChangesApp(asyncio.run(staged(tmp_path, reply)))
    assert snap_compare(app, run_before=then_steady(), terminal_size=UNIFIED)
