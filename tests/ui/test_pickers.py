"""Model picker, session picker, palette actions, themes, and following the end of a reply."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import ProgressBar, Static

from tests.fakes.ollama_server import FakeOllama, LoadedState
from tests.ui.harness import main_screen, make_settings, make_test_app, wait_until
from workbench.app import WorkbenchApp
from workbench.model_catalog import CatalogGroup, ModelEntry
from workbench.screens.model_picker import ModelPickerModal
from workbench.session.store import SessionStore
from workbench.spec.template import new_spec


def palette_options(app: WorkbenchApp) -> list[str]:
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    options = palette.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def picker_text(app: WorkbenchApp) -> str:
    picker = app.screen
    assert isinstance(picker, ModelPickerModal)
    table = picker.table
    # A heading reads "# ⚡ fast"; a model's line, its cells.
    rows = [
        f"# {row.title}"
        if isinstance(row, CatalogGroup)
        else "  ".join(str(cell) for cell in table.get_row_at(index)).strip()
        for index, row in enumerate(picker.rows)
    ]
    title = str(picker.query_one(".picker-title", Static).render())
    status = str(picker.query_one("#pull-status", Static).render())
    return "\n".join([title, *rows, status])


def row_of(app: WorkbenchApp, name: str) -> int:
    picker = app.screen
    assert isinstance(picker, ModelPickerModal)
    return next(
        i
        for i, row in enumerate(picker.rows)
        if isinstance(row, ModelEntry) and row.ref.name == name
    )


def entry(app: WorkbenchApp, name: str) -> ModelEntry:
    picker = app.screen
    assert isinstance(picker, ModelPickerModal)
    return next(e for e in picker.entries if e.ref.name == name)


async def open_picker(pilot, pane_key: str = "f3") -> ModelPickerModal:
    app = pilot.app
    await pilot.press(pane_key, "ctrl+l")
    await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal))
    await wait_until(pilot, lambda: "Enter picks" in picker_text(app), what="models listed")
    return app.screen


async def test_model_picker_shows_state_size_and_memory_and_sets_the_model(
    ollama: FakeOllama,
) -> None:
    ollama.models = ["qwen2.5-coder:7b", "qwen2.5-coder:14b", "llama3.2:3b"]
    ollama.model_details["qwen2.5-coder:14b"] = {
        "parameter_size": "14.8B",
        "quantization_level": "Q4_K_M",
    }
    in_four_minutes = datetime.now(UTC) + timedelta(minutes=4, seconds=20)
    ollama.loaded = {"qwen2.5-coder:14b": LoadedState(in_four_minutes, 9_000_000_000)}
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        picker = await open_picker(pilot)
        rows = picker_text(app).splitlines()
        assert rows[1] == "# ⚡ fast"
        assert rows[2].split()[:5] == ["qwen2.5-coder:7b", "fast", "installed", "7.6B", "Q4_K_M"]
        assert "not installed" in rows[3] and "qwen2.5-coder:3b" in rows[3]
        assert rows[4] == "# ◆ quality"
        assert rows[5].split()[:5] == ["●", "qwen2.5-coder:14b", "quality", "installed", "14.8B"]
        assert rows[5].endswith("9.0 GB VRAM · 4 min left")
        assert "qwen2.5-coder:32b" in rows[6] and "not installed" in rows[6]
        assert rows[7] == "# ☁ cloud"
        assert rows[8].split() == ["claude-sonnet-5-5", "cloud", "no", "API", "key", "set"]
        assert rows[9] == "# other installed"
        assert rows[10].split()[:2] == ["llama3.2:3b", "installed"]
        # The cursor starts on the pane's current model; Enter on another picks it.
        assert picker.table.cursor_row == row_of(app, "qwen2.5-coder:14b") == 4
        picker.table.move_cursor(row=row_of(app, "llama3.2:3b"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ModelPickerModal))
        assert "llama3.2:3b" in str(screen.chat("implement").border_title)
        assert app.session.meta.models["implement"].name == "llama3.2:3b"
        assert screen.chat("explore").model.name == "qwen2.5-coder:7b"


async def test_model_picker_says_when_ollama_is_down() -> None:
    app = make_test_app(make_settings("http://127.0.0.1:1"))
    async with app.run_test(size=(160, 48)) as pilot:
        await open_picker(pilot, "f1")
        text = picker_text(app)
        assert "Ollama is unreachable: start it with `ollama serve`" in text
        assert "unknown (Ollama down)" in text


async def test_pull_from_the_picker_to_completion(ollama: FakeOllama) -> None:
    ollama.models = ["qwen2.5-coder:7b", "qwen2.5-coder:14b"]
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        picker = await open_picker(pilot)
        picker.table.move_cursor(row=row_of(app, "qwen2.5-coder:32b"))
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: "Pulled qwen2.5-coder:32b" in picker_text(app))
        assert ollama.pulls_finished == ["qwen2.5-coder:32b"]
        await wait_until(pilot, lambda: entry(app, "qwen2.5-coder:32b").state == "installed")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ModelPickerModal))
        assert main_screen(app).chat("implement").model.name == "qwen2.5-coder:32b"


async def test_escape_cancels_a_pull_and_a_second_closes(ollama: FakeOllama) -> None:
    ollama.models = ["qwen2.5-coder:7b", "qwen2.5-coder:14b"]
    ollama.pull_delay_s = 0.2
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        picker = await open_picker(pilot)
        picker.table.move_cursor(row=row_of(app, "qwen2.5-coder:32b"))
        await pilot.press("enter")  # Enter on a missing model pulls it
        await wait_until(pilot, lambda: "%" in picker_text(app), what="progress")
        assert picker.query_one(ProgressBar).has_class("-pulling")
        await pilot.press("escape")
        await wait_until(pilot, lambda: "cancelled" in picker_text(app))
        await wait_until(pilot, lambda: ollama.pulls_aborted == ["qwen2.5-coder:32b"])
        assert "qwen2.5-coder:32b" not in ollama.models
        assert isinstance(app.screen, ModelPickerModal)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ModelPickerModal))
        assert main_screen(app).chat("implement").model.name == "qwen2.5-coder:14b"


async def test_session_picker_opens_another_session(ollama: FakeOllama) -> None:
    store = SessionStore()
    other = store.create(Path("/tmp/other"), "# Task: The other one\n\nNotes.\n")
    other.close()
    app = make_test_app(make_settings(ollama.url), spec=new_spec("Current"))
    first = app.session
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await wait_until(pilot, lambda: len(palette_options(app)) == 1, what="listed")
        assert "The other one" in palette_options(app)[0]  # the open session is not offered
        await pilot.press(*"other one")
        await wait_until(pilot, lambda: len(palette_options(app)) == 1, what="filtered")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.meta.id == other.meta.id, what="switch")
        await wait_until(pilot, lambda: app.main_screen is not None)
        await pilot.pause()
        assert main_screen(app).spec.text == "# Task: The other one\n\nNotes.\n"
        # The first session was released: it can be opened again right away.
        store.open(first.meta.id).close()


async def test_every_action_is_in_the_command_palette(ollama: FakeOllama) -> None:
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await wait_until(pilot, lambda: len(palette_options(app)) > 8)
        titles = {option.split("\n")[0] for option in palette_options(app)}
        for title in (
            "Explore",
            "Spec",
            "Implement",
            "Zoom",
            "Send spec",
            "Next model",
            "Models",
            "Save spec",
            "Promote",
            "Stop reply",
            "Sessions",
            "Theme",
        ):
            assert title in titles, title
        await pilot.press(*"zoom", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, CommandPalette))
        await pilot.pause()
        assert main_screen(app).has_class("-zoomed")


async def test_themes_are_loaded_broken_ones_reported_and_the_choice_remembered(
    ollama: FakeOllama, isolated_paths: Path
) -> None:
    themes = isolated_paths / "config" / "themes"
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#336699"\ndark = true\n')
    (themes / "broken.toml").write_text('name = "broken"\nprimary = "not a colour"\n')
    store = SessionStore()
    session = store.create(Path("/tmp/demo-project"), new_spec())
    app = WorkbenchApp(make_settings(ollama.url), session, store=store)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert {"workbench-dark", "workbench-light", "mine"} <= set(app.available_themes)
        assert app.theme == "workbench-dark"
        notices = [n.message for n in app._notifications]
        assert any("broken.toml" in n and "not a colour" in n for n in notices), notices
        app.theme = "mine"
        await pilot.pause()
    config = tomllib.loads((isolated_paths / "config" / "config.toml").read_text())
    assert config["theme"] == "mine"


async def test_a_streaming_reply_is_followed_unless_the_user_scrolls_up(
    ollama: FakeOllama,
) -> None:
    ollama.reply = "".join(f"line {n}\n\n" for n in range(300))
    ollama.tokens_per_s = 400
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        messages = screen.chat("explore").message_list
        await pilot.press(*"long", "enter")
        await wait_until(pilot, lambda: messages.max_scroll_y > 40, what="overflow")
        await pilot.pause(0.2)
        assert messages.scroll_y >= messages.max_scroll_y - 2  # following the end
        messages.scroll_to(y=0, animate=False, immediate=True)
        messages.release_anchor()
        await wait_until(pilot, lambda: not screen.chat("explore").is_streaming, timeout=20)
        await pilot.pause()
        assert messages.scroll_y < 5  # the user's position is kept


async def test_a_new_session_starts_from_the_chosen_template(ollama: FakeOllama) -> None:
    from workbench.spec.templates import get_template

    app = make_test_app(make_settings(ollama.url), spec=new_spec("Current"))
    first = app.session
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("ctrl+p", *"new session")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await wait_until(pilot, lambda: any("New session" in o for o in palette_options(app)))
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(palette_options(app)) >= 3, what="templates")
        assert any("new session: bugfix" in o for o in palette_options(app))
        await pilot.press(*"bugfix")
        await wait_until(pilot, lambda: len(palette_options(app)) == 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.meta.id != first.meta.id, what="switch")
        await pilot.pause()
        bugfix = get_template("bugfix")
        assert bugfix is not None
        assert main_screen(app).spec.text == bugfix.text
        assert app.session.meta.project_dir == first.meta.project_dir


async def test_export_and_copy_from_the_palette(ollama: FakeOllama) -> None:
    app = make_test_app(make_settings(ollama.url), spec=new_spec("Exported") + "\nBody.\n")
    async with app.run_test(size=(160, 48)) as pilot:
        copied: list[str] = []
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        for command in ("Export session", "Copy spec", "Copy payload"):
            await pilot.press("ctrl+p", *command)
            await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
            await wait_until(
                pilot, lambda c=command: any(o.startswith(c) for o in palette_options(app))
            )
            await pilot.press("enter")
            await wait_until(pilot, lambda: not isinstance(app.screen, CommandPalette))
        exported = (app.session.folder / "export.md").read_text()
        assert "Exported" in exported and "Body." in exported
        assert copied[0] == main_screen(app).spec.text
        assert copied[1].startswith("[system]\n") and "[user]\n# Task: Exported" in copied[1]


async def test_keys_are_remapped_from_the_config_and_help_follows(ollama: FakeOllama) -> None:
    from workbench.screens.send_review import SendReviewModal

    settings = make_settings(ollama.url)
    settings.keys = {"spec.send": "f12", "model.pick": "f11", "no.such.binding": "f7"}
    app = make_test_app(settings, spec=new_spec("Keys") + "\nDo it.\n")
    # Wide enough for the whole footer, so the remapped keys' places in it are on screen.
    async with app.run_test(size=(190, 48)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        notices = [n.message for n in app._notifications]
        assert any("no.such.binding: no key binding has this id" in n for n in notices)
        bound = {key: active.binding.id for key, active in screen.active_bindings.items()}
        assert bound.get("f12") == "spec.send" and "ctrl+r" not in bound  # the old key is free
        await pilot.press("f12")
        await wait_until(pilot, lambda: isinstance(app.screen, SendReviewModal), what="review")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        # The footer and the palette's help are read from the live bindings.
        footer = "\n".join(s.text for s in screen._compositor.render_strips()[-1:])
        assert "f12 Send spec" in footer and "f11 Models" in footer
        commands = {c.title: c.help for c in app.get_system_commands(screen)}
        assert commands["Send spec"].endswith("[f12]")
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal), what="picker")
