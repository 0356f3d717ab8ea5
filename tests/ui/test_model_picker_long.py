"""The model picker over a wrapper's long list: tiers first, full names, filter as you type."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.fakes.ollama_server import FakeOllama, LoadedState
from tests.ui.harness import main_screen, make_settings, make_test_app, wait_until
from tests.ui.test_snapshots import PROJECT, then_steady
from workbench.app import WorkbenchApp
from workbench.config import Settings, TierSettings
from workbench.model_catalog import CatalogGroup, ModelEntry
from workbench.screens.model_picker import ModelPickerModal, fit_columns

LONG_NAME = "openrouter/perplexity/llama-3.1-sonar-large-128k-online"
TWO_TIERS = "local/qwen2.5-coder:7b"
MISSING = "qwen2.5-coder:32b"
WRAPPER_MODELS = [
    "local/gemma-3-270m",
    TWO_TIERS,
    "local/llama3.2:3b",
    "local/phi4-mini:3.8b",
    "local/mistral-small3.1:24b",
    "openrouter/anthropic/claude-3.5-sonnet-20241022",
    "openrouter/anthropic/claude-3.5-haiku-20241022",
    "openrouter/anthropic/claude-3-opus-20240229",
    "openrouter/openai/gpt-4o-2024-11-20",
    "openrouter/openai/gpt-4o-mini-2024-07-18",
    "openrouter/openai/o3-mini-high",
    "openrouter/google/gemini-2.0-flash-exp:free",
    "openrouter/google/gemini-exp-1206:free",
    "openrouter/google/gemma-2-27b-it",
    "openrouter/meta-llama/llama-3.3-70b-instruct",
    "openrouter/meta-llama/llama-3.1-405b-instruct",
    "openrouter/meta-llama/llama-3.1-8b-instruct:free",
    "openrouter/mistralai/mistral-large-2411",
    "openrouter/mistralai/codestral-2501",
    "openrouter/mistralai/ministral-8b",
    "openrouter/qwen/qwen-2.5-coder-32b-instruct",
    "openrouter/qwen/qwq-32b-preview",
    "openrouter/qwen/qwen-2.5-72b-instruct",
    "openrouter/deepseek/deepseek-chat-v3",
    "openrouter/deepseek/deepseek-r1",
    "openrouter/deepseek/deepseek-r1-distill-llama-70b",
    "openrouter/nvidia/llama-3.1-nemotron-70b-instruct",
    "openrouter/microsoft/phi-4",
    "openrouter/cohere/command-r-plus-08-2024",
    "openrouter/x-ai/grok-2-1212",
    "openrouter/amazon/nova-pro-v1",
    LONG_NAME,
    "openrouter/nousresearch/hermes-3-llama-3.1-405b",
    "openrouter/liquid/lfm-40b",
    "openrouter/sao10k/l3.3-euryale-70b",
    "openrouter/eva-unit-01/eva-qwen-2.5-72b",
    "openrouter/minimax/minimax-01",
]
"""What ollama-proxy-plus lists in /api/tags: 37 names, most far longer than 25 characters."""
TIERED = {"local/gemma-3-270m", TWO_TIERS, "openrouter/qwen/qwen-2.5-coder-32b-instruct"}
"""The installed models some tier lists (the others are "other installed")."""


@pytest.fixture
def wrapper() -> Iterator[FakeOllama]:
    """A fake Ollama listing what the wrapper lists; one model in memory, anything pullable."""
    server = FakeOllama(models=list(WRAPPER_MODELS))
    server.loaded = {"local/gemma-3-270m": LoadedState()}
    server.pullable = None
    server.start()
    yield server
    server.stop()


def wrapper_settings(url: str) -> Settings:
    """Tiers over the wrapper's names: one model in fast and quality, one not installed."""
    settings = make_settings(url)
    settings.tiers["fast"] = TierSettings("ollama", ["local/gemma-3-270m", TWO_TIERS])
    settings.tiers["quality"] = TierSettings(
        "ollama", ["openrouter/qwen/qwen-2.5-coder-32b-instruct", TWO_TIERS, MISSING]
    )
    return settings


def picker(app: WorkbenchApp) -> ModelPickerModal:
    screen = app.screen
    assert isinstance(screen, ModelPickerModal)
    return screen


def shown(app: WorkbenchApp) -> list[list[str]]:
    """The table's lines as text cells, headings included."""
    table = picker(app).table
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def headings(app: WorkbenchApp) -> list[str]:
    return [row.title for row in picker(app).rows if isinstance(row, CatalogGroup)]


def names(app: WorkbenchApp) -> list[str]:
    return [row.ref.name for row in picker(app).rows if isinstance(row, ModelEntry)]


def highlighted(app: WorkbenchApp) -> str:
    row = picker(app).rows[picker(app).table.cursor_row]
    assert isinstance(row, ModelEntry), "the cursor is on a heading"
    return row.ref.name


def count_text(app: WorkbenchApp) -> str:
    return str(picker(app).query_one("#match-count", Static).render())


async def open_picker(pilot: Pilot[None], pane_key: str = "f3") -> ModelPickerModal:
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    await pilot.press(pane_key, "ctrl+l")
    await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerModal), what="picker")
    await wait_until(pilot, lambda: len(picker(app).entries) == 39, what="models listed")
    await pilot.pause()
    return picker(app)


async def move_to(pilot: Pilot[None], name: str) -> None:
    """Press Down (or Up) until the cursor is on `name`."""
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    order = names(app)
    key = "down" if order.index(name) > order.index(highlighted(app)) else "up"
    while highlighted(app) != name:
        await pilot.press(key)


async def test_tiers_first_then_other_installed_one_row_per_model(wrapper: FakeOllama) -> None:
    app = make_test_app(wrapper_settings(wrapper.url))
    async with app.run_test(size=(160, 48)) as pilot:
        await open_picker(pilot)
        assert headings(app) == ["⚡ fast", "◆ quality", "☁ cloud", "other installed"]
        order = names(app)
        assert order[:6] == [
            "local/gemma-3-270m",
            TWO_TIERS,
            "openrouter/qwen/qwen-2.5-coder-32b-instruct",
            MISSING,
            "claude-sonnet-5-5",
            "local/llama3.2:3b",
        ]
        # Each model once, the installed ones in no tier in the wrapper's order.
        assert order[5:] == [name for name in WRAPPER_MODELS if name not in TIERED]
        lines = shown(app)
        assert [line[1] for line in lines[:4]] == [
            "⚡ fast",
            "local/gemma-3-270m",
            TWO_TIERS,
            "◆ quality",
        ]
        two_tiers = lines[2]
        assert two_tiers[2] == "fast, quality" and two_tiers[3] == "installed"
        assert lines[5][1:4] == [MISSING, "quality", "not installed"]
        assert lines[1][-1].strip() == "4.7 GB VRAM · kept loaded"
        # The cursor starts on the pane's model; Up and Down skip the headings.
        assert highlighted(app) == "openrouter/qwen/qwen-2.5-coder-32b-instruct"
        await pilot.press("up")
        assert highlighted(app) == TWO_TIERS
        await pilot.press("up", "up", "up")
        assert highlighted(app) == "local/gemma-3-270m"
        assert picker(app).table.cursor_row == 1
        await pilot.press("down", "down", "down", "down")
        assert highlighted(app) == "claude-sonnet-5-5"
        await pilot.press("down")
        assert highlighted(app) == "local/llama3.2:3b"
        assert count_text(app) == "39 models"


async def test_a_long_name_is_cut_in_the_middle_and_picked_whole(wrapper: FakeOllama) -> None:
    app = make_test_app(wrapper_settings(wrapper.url))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_picker(pilot)
        width = screen.table.columns["Model"].width
        assert 24 <= width < len(LONG_NAME)
        line = shown(app)[[*map(str, screen.rows)].index(str(entry_of(app, LONG_NAME)))]
        cut = line[1]
        assert len(cut) == width and "…" in cut
        head, tail = cut.split("…")
        assert LONG_NAME.startswith(head) and LONG_NAME.endswith(tail) and len(tail) > len(head)
        # The modal fits the terminal, the whole width of the table in view.
        frame = screen.query_one("Vertical")
        assert frame.region.right <= 80 and frame.region.bottom <= 24
        assert sum(c.get_render_width(screen.table) for c in screen.table.columns.values()) <= (
            screen.table.size.width
        )
        await move_to(pilot, LONG_NAME)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ModelPickerModal))
        model = main_screen(app).chat("implement").model
        assert (model.name, model.tier) == (LONG_NAME, "")


def entry_of(app: WorkbenchApp, name: str) -> ModelEntry:
    return next(e for e in picker(app).entries if e.ref.name == name)


async def test_typing_filters_backspace_widens_escape_clears_then_closes(
    wrapper: FakeOllama,
) -> None:
    app = make_test_app(wrapper_settings(wrapper.url))
    async with app.run_test(size=(160, 48)) as pilot:
        await open_picker(pilot)
        await pilot.press(*"SONnet")
        await wait_until(pilot, lambda: len(names(app)) == 2, what="filtered")
        assert names(app) == [
            "claude-sonnet-5-5",
            "openrouter/anthropic/claude-3.5-sonnet-20241022",
        ]
        assert headings(app) == ["☁ cloud", "other installed"]
        assert highlighted(app) == "claude-sonnet-5-5"  # the pane's model was filtered out
        assert count_text(app) == "2 of 39 · Escape clears"
        assert picker(app).filter_text == "SONnet"
        await pilot.press("backspace", "backspace", "backspace")
        await wait_until(pilot, lambda: len(names(app)) == 3, what="widened")
        assert LONG_NAME in names(app)  # "sonar"
        await pilot.press(*"zzz")
        await wait_until(pilot, lambda: not names(app), what="nothing left")
        assert count_text(app) == "no name matches · Escape clears"
        await pilot.press("enter")  # nothing to pick: the picker stays
        assert isinstance(app.screen, ModelPickerModal)
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(names(app)) == 39, what="cleared")
        assert picker(app).filter_text == ""
        assert isinstance(app.screen, ModelPickerModal)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ModelPickerModal))
        model = main_screen(app).chat("implement").model
        assert model.name == "openrouter/qwen/qwen-2.5-coder-32b-instruct"


async def test_enter_on_a_filtered_row_sets_it_and_a_model_in_two_tiers_keeps_the_panes(
    wrapper: FakeOllama,
) -> None:
    app = make_test_app(wrapper_settings(wrapper.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        # The model in fast and quality, picked from Implement (quality) and Explore (fast).
        for pane_key, pane, tier in (("f3", "implement", "quality"), ("f1", "explore", "fast")):
            await open_picker(pilot, pane_key)
            await pilot.press(*"coder:7", "enter")
            await wait_until(pilot, lambda: not isinstance(app.screen, ModelPickerModal))
            model = screen.chat(pane).model
            assert (model.name, model.tier) == (TWO_TIERS, tier)
        await open_picker(pilot)
        await pilot.press(*"grok", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ModelPickerModal))
        assert screen.chat("implement").model.name == "openrouter/x-ai/grok-2-1212"
        assert app.session.meta.models["implement"].name == "openrouter/x-ai/grok-2-1212"


async def test_pull_a_missing_model_found_with_the_filter(wrapper: FakeOllama) -> None:
    app = make_test_app(wrapper_settings(wrapper.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_picker(pilot)
        await pilot.press(*"coder:32")
        await wait_until(pilot, lambda: names(app) == [MISSING], what="filtered")
        assert headings(app) == ["◆ quality"]
        assert wrapper.pulls_started == []  # "p" was typed into the filter, not a pull
        await pilot.press("ctrl+d")
        status = screen.query_one("#pull-status", Static)
        await wait_until(pilot, lambda: f"Pulled {MISSING}" in str(status.render()), what="pull")
        assert wrapper.pulls_finished == [MISSING]
        await wait_until(pilot, lambda: entry_of(app, MISSING).state == "installed")
        assert names(app) == [MISSING] and picker(app).filter_text == "coder:32"
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ModelPickerModal))
        assert main_screen(app).chat("implement").model.name == MISSING


def test_columns_give_up_size_first_and_names_take_the_rest() -> None:
    from workbench.model_catalog import build_catalog
    from workbench.providers.base import ModelInfo

    settings = wrapper_settings("http://127.0.0.1:1")
    installed = [ModelInfo(name, "ollama", size_bytes=4_700_000_000) for name in WRAPPER_MODELS]
    entries = build_catalog(settings, installed)
    wide = fit_columns(entries, 150)
    assert list(wide) == ["", "Model", "Tiers", "State", "Size", "In memory"]
    assert wide["Model"] == len(LONG_NAME)  # every name whole
    assert sum(width + 2 for width in wide.values()) == 150  # the rest to the last column
    narrow = fit_columns(entries, 70)
    assert list(narrow) == ["", "Model", "Tiers", "State"]
    assert narrow["Model"] >= 32 and sum(width + 2 for width in narrow.values()) == 70


def long_list_app(url: str) -> WorkbenchApp:
    return make_test_app(wrapper_settings(url), project=PROJECT)


def test_long_list_wide(snap_compare, wrapper: FakeOllama) -> None:
    """ctrl+l over 37 installed models at 160x48: tiers first, whole names."""
    snap = then_steady(open_picker)
    assert snap_compare(long_list_app(wrapper.url), run_before=snap, terminal_size=(160, 48))


def test_long_list_narrow(snap_compare, wrapper: FakeOllama) -> None:
    """The same at 80x24: the modal fills the terminal, names cut in the middle."""
    snap = then_steady(open_picker)
    assert snap_compare(long_list_app(wrapper.url), run_before=snap, terminal_size=(80, 24))


def test_long_list_filtered(snap_compare, wrapper: FakeOllama) -> None:
    """ "claude" typed in the filter: only the matching models, under their headings."""

    async def filtered(pilot: Pilot[None]) -> None:
        await open_picker(pilot)
        await pilot.press(*"claude")
        await wait_until(pilot, lambda: len(names(pilot.app)) == 4, what="filtered")

    snap = then_steady(filtered)
    assert snap_compare(long_list_app(wrapper.url), run_before=snap, terminal_size=(160, 48))
