"""A 5 MB spec opens plain (no highlighting, no soft wrap), says so, and takes typing as usual."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, wait_until
from workbench.session.store import SessionStore
from workbench.widgets.large_text import ScaledDocument

LINE = "- a note about the codebase that goes on for a while, as notes do\n"
HUGE = "## Task\n\nAdd refresh tokens.\n\n## Codebase Notes\n\n" + LINE * (5_000_000 // len(LINE))


async def test_a_5_mb_spec_opens_plain_and_typing_at_the_end_is_saved(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    spec_path = tmp_path / "project" / "context.md"
    spec_path.parent.mkdir()
    spec_path.write_text(HUGE)
    settings = make_settings(ollama.url)
    settings.autosave_delay_s = 0.2
    app = make_test_app(settings, session=SessionStore().open(spec_path))
    async with app.run_test(size=(160, 48)) as pilot:
        spec = main_screen(app).spec
        editor = spec.editor
        assert editor.plain and editor.language is None and not editor.soft_wrap
        assert isinstance(editor.document, ScaledDocument)
        assert "plain text (large)" in str(spec.border_subtitle)
        await wait_until(
            pilot,
            lambda: any("This spec is 5.0 MB" in n.message for n in app._notifications),
            what="the notice",
        )
        notice = next(n.message for n in app._notifications if "5.0 MB" in n.message)
        assert "highlighting and soft wrap are off above 512 KB" in notice

        await pilot.press("f2", "ctrl+end")  # as in any editor
        assert editor.cursor_location == editor.document.end
        await pilot.press(*"done.")
        await wait_until(pilot, lambda: spec_path.read_text().endswith("done."), what="autosave")
        assert spec_path.read_text() == HUGE + "done."
        assert not spec.dirty
        await pilot.press("ctrl+home")
        assert editor.cursor_location == (0, 0)
