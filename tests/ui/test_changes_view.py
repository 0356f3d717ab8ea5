"""The Changes screen with Pilot: decide hunk by hunk, edit one, apply, undo, send back."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Input, TextArea

from tests.ui.harness import wait_until
from workbench.apply.changes import load_changes
from workbench.apply.staging_area import StagingArea
from workbench.screens.changes import ChangesScreen, EditHunkModal, NoteModal
from workbench.widgets.diff_view import DiffView

GREET = 'def greet(name):\n    return "hello " + name\n\n\ndef add(a, b):\n    return a + b\n'
SETTINGS = "x = 1\ny = 2\nz = 3\n"
NOTE = "keep the plain sum"


def block(path: str, old: str, new: str) -> str:
    """One SEARCH/REPLACE edit as a model writes it."""
    return f"{path}\n```python\n<<<<<<< SEARCH\n{old}=======\n{new}>>>>>>> REPLACE\n```\n\n"


REPLY = (
    "Here are the edits.\n\n"
    + block("greet.py", '    return "hello " + name\n', '    return f"hello {name}"  # [bold]\n')
    + block("greet.py", "    return a + b\n", "    return sum((a, b))\n")
    + block("settings.py", "y = 2\n", "y = 22\n")
    + block("settings.py", "w = 0\n", "w = 1\n")
)
"""Four edits: three hunks in two files, and one whose lines are not in the file."""


def make_project(root: Path) -> Path:
    """A small project with two files (and a third the reply leaves alone)."""
    project = root / "project"
    project.mkdir()
    (project / "greet.py").write_text(GREET)
    (project / "settings.py").write_text(SETTINGS)
    (project / "README.md").write_text("# demo\n")
    return project


async def staged(root: Path, reply: str = REPLY) -> StagingArea:
    """A staging area over a new session folder with `reply` staged."""
    session = root / "session"
    session.mkdir()
    staging = StagingArea(session, make_project(root))
    await staging.stage(reply, "r1", source="qwen2.5-coder:14b, 09:30 UTC, spec v1")
    return staging


class ChangesApp(App[None]):
    """Just the Changes screen over a staging area; keeps the follow-ups it gets."""

    def __init__(self, staging: StagingArea) -> None:
        super().__init__()
        self.staging = staging
        self.follow_ups: list[str] = []

    def compose(self) -> ComposeResult:
        return []

    def on_mount(self) -> None:
        self.push_screen(ChangesScreen(self.staging), self.keep)

    def keep(self, text: str | None) -> None:
        if text is not None:
            self.follow_ups.append(text)


def changes_screen(app: App[None]) -> ChangesScreen:
    """The Changes screen (fails the test when it is not on top)."""
    screen = app.screen
    assert isinstance(screen, ChangesScreen)
    return screen


def shown(app: App[None]) -> str:
    """What the terminal shows right now."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def notices(app: App[None]) -> list[str]:
    """The notifications shown so far."""
    return [n.message for n in app._notifications]


async def test_decide_edit_apply_and_undo(tmp_path: Path) -> None:
    staging = await staged(tmp_path)
    project = staging.root
    before = {p.name: p.read_bytes() for p in project.iterdir()}
    app = ChangesApp(staging)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen")
        screen = changes_screen(app)
        diff = screen.query_one(DiffView)
        assert (screen.selected, diff.cursor) == ("greet.py", 0)
        assert "missing" not in shown(app)
        assert "Failed edits (1)" in shown(app)
        assert "SEARCH text is not in" in shown(app)
        await pilot.press("a")
        assert (screen.selected, diff.cursor) == ("greet.py", 1)  # next pending
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NoteModal), what="note modal")
        await pilot.press(*NOTE, "enter")
        await wait_until(pilot, lambda: app.screen is screen, what="note saved")
        assert screen.selected == "settings.py"  # the next pending hunk is in the next file
        hunks = load_changes(staging.folder).file("greet.py").hunks
        assert [(h.decision, h.note) for h in hunks] == [("accepted", ""), ("rejected", NOTE)]
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditHunkModal), what="editor")
        assert app.screen.query_one(TextArea).text == "y = 22"
        await pilot.press("end", *" + 1", "ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, what="edit saved")
        edited = staging.changes.file("settings.py").hunks[0]
        assert (edited.decision, edited.edited) == ("accepted", ["y = 22 + 1\n"])

        await pilot.press("w")
        await wait_until(pilot, lambda: any("Wrote" in n for n in notices(app)), what="applied")
        assert (project / "greet.py").read_text() == GREET.replace(
            '"hello " + name', 'f"hello {name}"  # [bold]'
        )
        assert (project / "settings.py").read_text() == "x = 1\ny = 22 + 1\nz = 3\n"
        assert (project / "README.md").read_bytes() == before["README.md"]
        assert "applied" in shown(app)

        await pilot.press("u")
        await wait_until(pilot, lambda: any("Undid" in n for n in notices(app)), what="undone")
        assert {p.name: p.read_bytes() for p in project.iterdir()} == before
        # The decisions are back as they were before the apply.
        assert staging.changes.file("settings.py").hunks[0].decision == "accepted"
        assert isinstance(app.screen, ChangesScreen)


async def test_follow_up_carries_the_failed_edit_and_the_note(tmp_path: Path) -> None:
    app = ChangesApp(await staged(tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NoteModal), what="note modal")
        app.screen.query_one(Input).value = NOTE
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="back")
        await pilot.press("f")
        await wait_until(pilot, lambda: app.follow_ups, what="the follow-up message")
        text = app.follow_ups[0]
        assert "could not be applied" in text
        assert "settings.py (replace)" in text
        assert 'greet.py line 2 (you proposed `return f"hello {name}"' in text
        assert text.split("greet.py line 2")[1].splitlines()[0].endswith(f": {NOTE}")
        assert not isinstance(app.screen, ChangesScreen)


async def test_nothing_to_send_back_or_undo_is_said_not_raised(tmp_path: Path) -> None:
    staging = await staged(tmp_path, block("greet.py", "    return a + b\n", "    return b + a\n"))
    app = ChangesApp(staging)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen")
        await pilot.press("f", "u", "w")
        await wait_until(pilot, lambda: len(notices(app)) == 3, what="three notices")
        said = " | ".join(notices(app))
        assert "Nothing to send back" in said
        assert "Nothing to undo" in said
        assert "Nothing accepted to apply" in said
        assert app.follow_ups == []
        assert isinstance(app.screen, ChangesScreen)


async def test_model_text_is_shown_as_text(tmp_path: Path) -> None:
    reply = block("greet.py", "    return a + b\n", "    return '[bold red]x[/]\x1b[31m'\n")
    app = ChangesApp(await staged(tmp_path, reply))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen")
        await pilot.pause()
        text = shown(app)
        assert "return '[bold red]x[/]'" in text  # the markup shown, the escape code gone
        assert "\x1b" not in text and "[31m" not in text


async def test_side_by_side_when_wide_and_toggled(tmp_path: Path) -> None:
    app = ChangesApp(await staged(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen")
        diff = changes_screen(app).query_one(DiffView)
        assert diff.side_by_side
        row = next(r for r in diff.rows if r.kind == "pair")
        assert (row.old, row.new) == (
            '    return "hello " + name',
            '    return f"hello {name}"  # [bold]',
        )
        await pilot.press("s")
        assert not diff.side_by_side
        assert [r.kind for r in diff.rows if r.hunk == 0][:4] == [
            "header",
            "context",
            "removed",
            "added",
        ]


async def test_bindings_can_be_remapped(tmp_path: Path) -> None:
    from workbench.keys import remappable_bindings

    known = remappable_bindings()
    assert {"changes.accept", "changes.apply", "changes.undo", "diff.next_hunk"} <= set(known)
    app = ChangesApp(await staged(tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen")
        app.set_keymap({"changes.accept": "y"})
        await pilot.press("a")  # no longer bound
        assert app.staging.changes.file("greet.py").hunks[0].decision == "pending"
        await pilot.press("y")
        assert app.staging.changes.file("greet.py").hunks[0].decision == "accepted"


async def test_the_cursor_moves_by_hunk_and_stays_on_screen(tmp_path: Path) -> None:
    lines = [f"value_{n} = {n}\n" for n in range(400)]
    reply = "".join(
        block("big.py", lines[n], lines[n].replace(" = ", " = 1 + ")) for n in range(0, 400, 20)
    )
    staging = await staged(tmp_path, "")
    (staging.root / "big.py").write_text("".join(lines))
    await staging.stage(reply, "r2")
    app = ChangesApp(staging)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen")
        diff = changes_screen(app).query_one(DiffView)
        assert len(diff.headers) == 20
        for expected in range(1, 15):
            await pilot.press("j")
            assert diff.cursor == expected
            top = diff.scroll_offset.y
            assert top <= diff.headers[expected] < top + diff.scrollable_content_region.height
        assert f"@@ line {14 * 20 + 1} " in shown(app)
        await pilot.press("k", "k")
        assert diff.cursor == 12
        assert "▶ @@ line 241 " in shown(app)


async def test_every_key_on_nothing_staged_is_harmless(tmp_path: Path) -> None:
    app = ChangesApp(await staged(tmp_path, "No edits in this reply."))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen")
        assert "No staged changes." in shown(app)
        await pilot.press(*"arAReufjks[]", "n", "e")
        await pilot.pause()
        assert isinstance(app.screen, ChangesScreen)  # no modal for a hunk that is not there
        assert "No change is selected." in notices(app)


async def test_the_screen_opens_on_the_first_pending_hunk(tmp_path: Path) -> None:
    staging = await staged(tmp_path)
    staging.decide("greet.py", 0, "accepted")
    app = ChangesApp(staging)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen")
        await pilot.pause()
        diff = changes_screen(app).query_one(DiffView)
        assert (changes_screen(app).selected, diff.cursor) == ("greet.py", 1)
        assert "▶ @@ line 6 " in shown(app)
