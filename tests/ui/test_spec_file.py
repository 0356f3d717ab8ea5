"""The spec file is shared with other tools: outside changes are taken in, never overwritten."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, wait_until
from workbench.screens.conflict import SpecConflictModal
from workbench.session.store import SessionStore

ORIGINAL = "## Codebase Notes\n\n- auth in src/auth\n\n## Task\n\nAdd refresh tokens.\n"


def change_on_disk(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def external(tmp_path: Path) -> Path:
    path = tmp_path / "project" / "context.md"
    path.parent.mkdir()
    path.write_text(ORIGINAL)
    return path


async def test_an_outside_change_is_reloaded_when_nothing_is_unsaved(
    ollama: FakeOllama, external: Path
) -> None:
    session = SessionStore().open(external)
    app = make_test_app(make_settings(ollama.url), session=session)
    async with app.run_test(size=(160, 48)) as pilot:
        spec = main_screen(app).spec
        assert spec.text == ORIGINAL
        change_on_disk(external, ORIGINAL + "\n- added in vim\n")
        await wait_until(pilot, lambda: "added in vim" in spec.text, what="reload")
        assert external.read_text() == ORIGINAL + "\n- added in vim\n"


@pytest.mark.parametrize("choice", ["m", "f"])
async def test_an_outside_change_during_unsaved_edits_asks_and_loses_nothing(
    ollama: FakeOllama, external: Path, choice: str
) -> None:
    settings = make_settings(ollama.url)
    settings.autosave_delay_s = 60
    session = SessionStore().open(external)
    app = make_test_app(settings, session=session)
    async with app.run_test(size=(160, 48)) as pilot:
        spec = main_screen(app).spec
        await pilot.press("f2", *"MINE ")
        theirs = ORIGINAL + "\n- THEIRS\n"
        change_on_disk(external, theirs)
        await wait_until(pilot, lambda: isinstance(app.screen, SpecConflictModal), what="ask")
        assert external.read_text() == theirs  # nothing overwritten while asking
        await pilot.press(choice)
        await pilot.pause()
        if choice == "m":
            assert external.read_text().startswith("MINE ")
            assert "THEIRS" not in external.read_text()
        else:
            assert spec.text == theirs and external.read_text() == theirs
            backups = list(session.folder.glob("context-backup-*.md"))
            assert len(backups) == 1 and backups[0].read_text().startswith("MINE ")
