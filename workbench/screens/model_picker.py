"""The model picker (ctrl+l): every model with its state; missing ones are pulled with progress."""

from __future__ import annotations

import asyncio
import contextlib

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Footer, ProgressBar, Static
from textual.worker import Worker

from workbench.config import ModelRef, Settings
from workbench.model_catalog import ModelEntry, build_catalog
from workbench.providers.base import LoadedModel, ModelInfo, ProviderError, PullProgress
from workbench.providers.router import ProviderRouter
from workbench.pull import download_size
from workbench.screens.framed_modal import FramedModal
from workbench.textclean import sanitize

COLUMNS = (("", 1), ("Model", 24), ("Tier", 9), ("State", 22), ("Size", 20), ("In memory", 28))
"""Column titles and widths (fixed: auto widths shrink to the titles when the table refills)."""


def pull_line(model: str, progress: PullProgress) -> str:
    """ "Pulling qwen2.5-coder:14b: pulling 6a1f… 42% (3.8 of 9.0 GB)"."""
    text = f"Pulling {model}: {sanitize(progress.status)}"
    if progress.total and progress.completed is not None:
        done, total = download_size(progress.completed), download_size(progress.total)
        text += f" {progress.fraction or 0:.0%} ({done} of {total})"
    return text


class ModelPickerModal(FramedModal[ModelRef | None]):
    """Lists the tiers' models and the installed ones; Enter picks, p pulls a missing one."""

    DEFAULT_CSS = """
    ModelPickerModal {
        & > Vertical { width: 128; height: auto; max-height: 90%; }
        & .picker-title { color: $text-muted; padding: 0 0 1 0; }
        & DataTable { height: auto; max-height: 24; }
        & #pull-status { padding: 1 0 0 0; }
        & #pull-status.-error { color: $error; }
        & ProgressBar { display: none; margin: 0 0 1 0; }
        & ProgressBar.-pulling { display: block; }
        & Footer { dock: none; }
    }
    """

    BINDINGS = [
        Binding("enter", "choose", "Pick", tooltip="Use the highlighted model in the pane"),
        Binding("p", "pull", "Pull", tooltip="Download the highlighted model into Ollama"),
        Binding("escape", "close", "Close", tooltip="Close; while a pull runs, cancel it"),
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
        self._pull: Worker[None] | None = None
        self._pulling: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content(f"Model for {self.pane_label} · asking Ollama…"), classes="picker-title"
            )
            table: DataTable[Content] = DataTable(cursor_type="row", zebra_stripes=False)
            for label, width in COLUMNS:
                table.add_column(label, width=width)
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
        title = f"Model for {self.pane_label} · Enter picks · p pulls a missing model"
        if installed is None:
            title += " · Ollama is unreachable: start it with `ollama serve`"
        self.query_one(".picker-title", Static).update(Content(title))

    def _fill(self) -> None:
        table = self.table
        row = table.cursor_row
        table.clear()
        current_row = 0
        for index, entry in enumerate(self.entries):
            is_current = (entry.ref.provider, entry.ref.name) == (
                self.current.provider,
                self.current.name,
            )
            if is_current:
                current_row = index
            state = Content(entry.status)
            if entry.state in ("missing", "no-key", "unknown"):
                state = state.stylize("$warning")
            table.add_row(
                Content("●" if is_current else ""),
                Content(entry.ref.name),
                Content(entry.badge),
                state,
                Content(entry.size),
                Content(entry.memory().removeprefix("loaded · ")),
                key=str(index),
            )
        table.move_cursor(row=row if row > 0 else current_row)

    def _highlighted(self) -> ModelEntry | None:
        row = self.table.cursor_row
        return self.entries[row] if 0 <= row < len(self.entries) else None

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
        self.dismiss(entry.ref)

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

    @work(exclusive=True, group="pull", exit_on_error=False)
    async def _run_pull(self, model: str) -> None:
        status = self.query_one("#pull-status", Static)
        bar = self.query_one(ProgressBar)
        status.remove_class("-error")
        status.update(Content(f"Pulling {model}: starting… (Escape cancels)"))
        bar.add_class("-pulling")
        bar.update(total=None, progress=0)
        try:
            async for progress in self.router.ollama.pull(model):
                status.update(Content(pull_line(model, progress) + "  (Escape cancels)"))
                if progress.total:
                    bar.update(total=progress.total, progress=progress.completed or 0)
            status.update(Content(f"Pulled {model}: Enter picks it."))
            self.notify(f"Pulled {model}.")
        except ProviderError as error:
            status.add_class("-error")
            status.update(Content(sanitize(error.message)))
        except asyncio.CancelledError:
            status.update(Content(f"Pull of {model} cancelled; p resumes it later."))
            raise
        finally:
            bar.remove_class("-pulling")
            self._pulling = None
        self.refresh_models()

    def action_close(self) -> None:
        """Cancel a running pull, or close the picker."""
        if self._pull is not None and not self._pull.is_finished:
            self._pull.cancel()
            return
        self.dismiss(None)
