"""The model picker (ctrl+l): the tiers' models, then the other installed ones, filtered as you
type; missing ones are pulled with progress."""

from __future__ import annotations

import asyncio
import contextlib
import re

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.scalar import Scalar
from textual.widgets import DataTable, Footer, Input, ProgressBar, Static
from textual.worker import Worker

from workbench.config import ModelRef, Settings
from workbench.model_catalog import (
    CatalogGroup,
    ModelEntry,
    build_catalog,
    cell_width,
    group_catalog,
    middle_ellipsis,
)
from workbench.providers.base import LoadedModel, ModelInfo, ProviderError, PullProgress
from workbench.providers.router import ProviderRouter
from workbench.pull import download_size, pull_model
from workbench.screens.framed_modal import FramedModal
from workbench.textclean import sanitize
from workbench.widgets.live_keys import live_key

COLUMNS = ("", "Model", "Tiers", "State", "Size", "In memory")
"""Column titles, in order on screen."""
DROPPED_FIRST = ("Size", "In memory", "Tiers")
"""Columns given up, in this order, while the Model column is narrower than `NAME_ROOM`."""
NAME_ROOM = 32
"""Cells the Model column should get (or the longest name, if shorter) before anything else."""
CELL_PADDING = 1
"""The table's blank cells either side of each column."""
MIN_ROOM = 66
"""The narrowest the table gets (when the screen allows), so the title line fits above it."""

Row = ModelEntry | CatalogGroup
"""A line of the table: a model, or the heading of a group (which cannot be picked)."""


def pull_line(model: str, progress: PullProgress) -> str:
    """ "Pulling qwen2.5-coder:14b: pulling 6a1f… 42% (3.8 of 9.0 GB)"."""
    text = f"Pulling {model}: {sanitize(progress.status)}"
    if progress.total and progress.completed is not None:
        done, total = download_size(progress.completed), download_size(progress.total)
        text += f" {progress.fraction or 0:.0%} ({done} of {total})"
    return text


def cells(entry: ModelEntry) -> dict[str, str]:
    """The text of each column for one model (the name uncut)."""
    return {
        "Model": sanitize(entry.ref.name),
        "Tiers": entry.tiers_label,
        "State": entry.status,
        "Size": entry.size,
        "In memory": entry.memory().removeprefix("loaded · "),
    }


def natural_widths(entries: list[ModelEntry]) -> dict[str, int]:
    """Each column's width with every cell whole."""
    wanted = {title: cell_width(title) for title in COLUMNS}
    for entry in entries:
        for title, text in cells(entry).items():
            wanted[title] = max(wanted[title], cell_width(text))
    wanted[""] = 1
    return wanted


def table_width(widths: dict[str, int]) -> int:
    """Cells a table with these columns takes."""
    return sum(width + 2 * CELL_PADDING for width in widths.values())


def fit_columns(entries: list[ModelEntry], room: int) -> dict[str, int]:
    """Each shown column's width in `room` cells: the Model column takes what the others leave,
    and the least useful columns go when it would be too narrow for the names."""
    wanted = natural_widths(entries)
    name_room = min(NAME_ROOM, wanted["Model"])
    shown = [title for title in COLUMNS if title != "Model"]

    def left_for_names() -> int:
        return room - table_width({title: wanted[title] for title in shown}) - 2 * CELL_PADDING

    for title in DROPPED_FIRST:
        if left_for_names() >= name_room:
            break
        shown.remove(title)
    widths = {title: wanted[title] for title in shown}
    widths["Model"] = max(min(left_for_names(), wanted["Model"]), 8)
    # What the names leave goes to the last column, so the cursor spans the whole table.
    last = next(title for title in reversed(COLUMNS) if title in widths)
    widths[last] += max(0, left_for_names() - widths["Model"])
    return {title: widths[title] for title in COLUMNS if title in widths}


def _same(row: Row, model: ModelEntry | ModelRef | None) -> bool:
    """True when `row` shows `model` (whatever tier it is picked for)."""
    if not isinstance(row, ModelEntry) or model is None:
        return False
    ref = model.ref if isinstance(model, ModelEntry) else model
    return (row.ref.provider, row.ref.name) == (ref.provider, ref.name)


class ModelPickerModal(FramedModal[ModelRef | None]):
    """The models by tier, then the other installed ones; typing filters them, Enter picks one
    and a missing one is pulled."""

    DEFAULT_CSS = """
    ModelPickerModal {
        padding: 1 2;
        & > Vertical { width: 100%; height: auto; max-height: 100%; }
        & .picker-title { color: $text-muted; padding: 0 0 1 0; }
        & #filter-row { height: 1; margin: 0 0 1 0; }
        & #filter { width: 1fr; }
        & #match-count { width: auto; color: $text-muted; padding: 0 0 0 2; }
        & DataTable { height: auto; }
        & DataTable > .datatable--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & #pull-status { display: none; padding: 1 0 0 0; }
        & #pull-status.-shown { display: block; }
        & #pull-status.-error { color: $error; }
        & ProgressBar { display: none; margin: 0 0 1 0; }
        & ProgressBar.-pulling { display: block; }
        & Footer { dock: none; }
    }
    """

    BINDINGS = [
        Binding(
            "enter",
            "choose",
            "Pick",
            tooltip="Use the highlighted model in the pane (a missing one is pulled first)",
            priority=True,  # before the filter's own Enter
            id="model_picker.pick",
        ),
        Binding(
            "ctrl+d",
            "pull",
            "Pull",
            tooltip="Download the highlighted model into Ollama",
            priority=True,  # the filter would delete a character: it is typed at the end
            id="model_picker.pull",
        ),
        Binding(
            "escape",
            "close",
            "Close",
            tooltip="Cancel a running pull, else clear the filter, else close",
            id="model_picker.close",
        ),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
    ]

    def __init__(
        self,
        settings: Settings,
        router: ProviderRouter,
        *,
        pane_label: str,
        current: ModelRef,
        loaded: list[LoadedModel] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.router = router
        self.pane_label = pane_label
        self.current = current
        self.loaded = loaded or []
        self.entries: list[ModelEntry] = []
        """Every model, in the catalog's order (filtered or not)."""
        self.rows: list[Row] = []
        """What each line of the table shows, headings included."""
        self._pull: Worker[None] | None = None
        self._pulling: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content(f"Model for {self.pane_label} · asking Ollama…"), classes="picker-title"
            )
            with Horizontal(id="filter-row"):
                yield Input(
                    placeholder="Type to filter the models by name", id="filter", compact=True
                )
                yield Static(id="match-count")
            table: DataTable[Content] = DataTable(cursor_type="row", zebra_stripes=False)
            table.can_focus = False  # the filter keeps the keys; the table follows Up and Down
            table.cell_padding = CELL_PADDING
            yield table
            yield Static(id="pull-status")
            yield ProgressBar(total=None, show_eta=False)
            yield Footer()

    def on_mount(self) -> None:
        self.refresh_models()

    @property
    def table(self) -> DataTable[Content]:
        """The list of models."""
        return self.query_one(DataTable)

    @property
    def filter_text(self) -> str:
        """What is typed in the filter."""
        return self.query_one("#filter", Input).value

    @work(exclusive=True, group="models", exit_on_error=False)
    async def refresh_models(self) -> None:
        """Ask Ollama what is installed and loaded, then fill the table."""
        installed: list[ModelInfo] | None
        try:
            installed = await self.router.installed_ollama_models()
        except ProviderError:
            installed = None
        if installed is not None:
            # What is in memory is a detail: without it the installed list still stands.
            with contextlib.suppress(ProviderError):
                self.loaded = await self.router.ollama.loaded_models()
        self.entries = build_catalog(self.settings, installed, self.loaded)
        self._fill()
        pick = live_key(self, "model_picker.pick") or "Enter"
        title = f"Model for {self.pane_label} · {pick.capitalize()} picks"
        title += f" · {live_key(self, 'model_picker.pull')} pulls a missing model"
        if installed is None:
            title += " · Ollama is unreachable: start it with `ollama serve`"
        self.query_one(".picker-title", Static).update(Content(title))

    def on_resize(self, event: events.Resize) -> None:
        # The columns are fitted to the table's width, known once the new layout is done.
        self.call_after_refresh(self._fill)

    def _fit_height(self) -> None:
        """Let the list grow until the frame fills the screen, the lines around it in view."""
        # CSS cannot say "auto, but no taller than what the other lines leave" in a frame that
        # is itself auto: measure those lines (the title may wrap, the pull lines come and go).
        frame = self.query_one(Vertical)
        table = self.table
        around = sum(
            child.outer_size.height + child.styles.margin.height
            for child in frame.children
            if child is not table and child.display
        )
        room = self.content_region.height - frame.styles.gutter.height - around
        if table.styles.max_height != Scalar.from_number(max(room, 3)):
            table.styles.max_height = max(room, 3)

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._fill()

    def _fill(self) -> None:
        """Show the models matching the filter under their headings, keeping the cursor's."""
        table = self.table
        keep = self._highlighted()
        groups = group_catalog(self.entries, self.filter_text)
        # The frame is as wide as the table with whole names, or the screen if that is less.
        frame = self.query_one(Vertical)
        scrollbar = table.styles.scrollbar_size_vertical  # the list may grow one
        most = self.content_region.width - frame.styles.gutter.width - scrollbar
        room = min(max(table_width(natural_widths(self.entries)), MIN_ROOM), most)
        frame.styles.width = room + scrollbar + frame.styles.gutter.width
        widths = fit_columns(self.entries, room)
        table.clear(columns=True)
        for title, width in widths.items():
            table.add_column(title, width=width, key=title)
        self.rows = []
        for group in groups:
            self._add(Content(), Content.styled(group.title, "bold $text-accent"))
            self.rows.append(group)
            for entry in group.entries:
                self._add(*self._cells(entry, widths))
                self.rows.append(entry)
        self._count(sum(len(group.entries) for group in groups))
        self.call_after_refresh(self._fit_height)
        target = next((i for i, row in enumerate(self.rows) if _same(row, keep)), None)
        if target is None:
            target = next((i for i, row in enumerate(self.rows) if self._is_current(row)), None)
        if target is None:
            target = next((i for i, row in enumerate(self.rows) if isinstance(row, ModelEntry)), 0)
        self._move_to(target)

    def _add(self, *row: Content) -> None:
        table = self.table
        padded = list(row) + [Content()] * (len(table.columns) - len(row))
        table.add_row(*padded, key=str(table.row_count))

    def _cells(self, entry: ModelEntry, widths: dict[str, int]) -> list[Content]:
        text = cells(entry)
        name = Content(middle_ellipsis(text["Model"], widths["Model"]))
        words = self.filter_text.split()
        if words:
            # What the filter matched, where the cut name still shows it.
            typed = re.compile("|".join(map(re.escape, words)), re.IGNORECASE)
            name = name.highlight_regex(typed, style="bold underline")
        row = [Content("●" if self._is_current(entry) else ""), name]
        for title in widths:
            if title == "State":
                state = Content(text[title])
                warn = entry.state in ("missing", "no-key", "unknown")
                row.append(state.stylize("$text-warning") if warn else state)
            elif title not in ("", "Model"):
                row.append(Content(text[title]))
        return row

    def _is_current(self, row: Row) -> bool:
        return isinstance(row, ModelEntry) and _same(row, self.current)

    def _count(self, shown: int) -> None:
        count = self.query_one("#match-count", Static)
        total = len(self.entries)
        if not self.filter_text.strip():
            count.update(Content(f"{total} models"))
        elif shown:
            count.update(Content(f"{shown} of {total} · Escape clears"))
        else:
            count.update(Content.styled("no name matches · Escape clears", "$text-warning"))

    def _highlighted(self) -> ModelEntry | None:
        row = self.table.cursor_row
        found = self.rows[row] if 0 <= row < len(self.rows) else None
        return found if isinstance(found, ModelEntry) else None

    def _move_to(self, row: int) -> None:
        """Put the cursor on `row`, with the heading just above it in view."""
        table = self.table
        if not self.rows:
            return
        table.move_cursor(row=row, animate=False)
        if row > 0 and isinstance(self.rows[row - 1], CatalogGroup):
            top = row - 1
            self.call_after_refresh(
                lambda: table.scroll_to(y=top, animate=False) if table.scroll_y > top else None
            )

    def action_move(self, step: int) -> None:
        """Move the cursor `step` models down (up when negative), over the headings."""
        picks = [i for i, row in enumerate(self.rows) if isinstance(row, ModelEntry)]
        if not picks:
            return
        row = self.table.cursor_row
        if step > 0:
            later = [i for i in picks if i > row]
            target = later[min(step, len(later)) - 1] if later else picks[-1]
        else:
            earlier = [i for i in picks if i < row]
            target = earlier[-min(-step, len(earlier))] if earlier else picks[0]
        self._move_to(target)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        # A click on a heading lands on the heading's first model: headings cannot be picked.
        # (The table's cursor now, not the event's: a refill moves it on from the first line.)
        row = self.table.cursor_row
        if 0 <= row < len(self.rows) - 1 and isinstance(self.rows[row], CatalogGroup):
            self.table.move_cursor(row=row + 1, animate=False)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_choose()

    def action_choose(self) -> None:
        """Pick the highlighted model; a missing one is pulled first."""
        entry = self._highlighted()
        if entry is None:
            return
        if entry.can_pull:
            self.action_pull()
            return
        if entry.state == "no-key":
            self.notify(
                "Set ANTHROPIC_API_KEY (or api_key under [anthropic]) to use Claude models.",
                severity="warning",
            )
        if self._pulling is not None:
            self.notify(f"Pulling {self._pulling}: wait for it, or Escape cancels it.")
            return
        # A model in several tiers keeps the pane's tier (its settings) when that is one of them.
        self.dismiss(entry.ref_in(self.current.tier))

    def action_pull(self) -> None:
        """Start downloading the highlighted model, with progress below the list."""
        entry = self._highlighted()
        if entry is None:
            return
        if self._pulling is not None:
            self.notify(f"Already pulling {self._pulling}: Escape cancels it.")
            return
        if not entry.can_pull:
            self.notify(f"{entry.ref.name} is {entry.status}: nothing to pull.")
            return
        self._pulling = entry.ref.name
        self._pull = self._run_pull(entry.ref.name)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#pull-status", Static)
        status.set_class(error, "-error")
        status.set_class(bool(text), "-shown")
        status.update(Content(text))
        self.call_after_refresh(self._fit_height)

    @work(exclusive=True, group="pull", exit_on_error=False)
    async def _run_pull(self, model: str) -> None:
        bar = self.query_one(ProgressBar)
        self._status(f"Pulling {model}: starting… (Escape cancels)")
        bar.update(total=None, progress=0)
        bar.add_class("-pulling")
        self.call_after_refresh(self._fit_height)
        try:
            # The server's model list must have it afterwards (imitations claim success).
            async for progress in pull_model(self.router.ollama, model):
                self._status(pull_line(model, progress) + "  (Escape cancels)")
                if progress.total:
                    bar.update(total=progress.total, progress=progress.completed or 0)
            self._status(f"Pulled {model}: Enter picks it.")
            self.notify(f"Pulled {model}.")
        except ProviderError as error:
            self._status(sanitize(error.message), error=True)
        except asyncio.CancelledError:
            key = live_key(self, "model_picker.pull")
            self._status(f"Pull of {model} cancelled; {key} resumes it later.")
            raise
        finally:
            bar.remove_class("-pulling")
            self.call_after_refresh(self._fit_height)
            self._pulling = None
        self.refresh_models()

    def action_close(self) -> None:
        """Cancel a running pull, else clear the filter, else close the picker."""
        if self._pull is not None and not self._pull.is_finished:
            self._pull.cancel()
            return
        field = self.query_one("#filter", Input)
        if field.value:
            field.value = ""
            return
        self.dismiss(None)
