"""`@` file completion: a list of the project's files, fuzzy-matched to what follows the `@`."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

from textual import events
from textual.content import Content
from textual.fuzzy import Matcher
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option

from workbench.project.files import list_project_files

MAX_SHOWN = 10
"""Files listed at once (the best matches)."""
LISTING_TTL_S = 10.0
"""The project's file list is read again after this long (files come and go while you work)."""

_TOKEN = re.compile(r"(?:^|(?<=\s))@(\S*)$")


def active_reference(line: str, column: int) -> tuple[int, str] | None:
    """The `@query` being typed at `column` of `line`: (column of the `@`, query), or None."""
    found = _TOKEN.search(line[:column])
    if found is None:
        return None
    return found.start(), found.group(1)


def rank(files: list[str], query: str, limit: int = MAX_SHOWN) -> list[str]:
    """The files that match `query` best (fuzzy, Textual's matcher); all files for ""."""
    if not query:
        return files[:limit]
    matcher = Matcher(query)
    scored = [(matcher.match(path), -len(path), path) for path in files]
    best = sorted((s for s in scored if s[0] > 0), reverse=True)[:limit]
    return [path for _score, _length, path in best]


class ProjectFiles:
    """The project's files (respecting .gitignore), listed in a thread and kept for a while."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: list[str] = []
        self._read_at: float | None = None
        self._lock = asyncio.Lock()

    async def files(self) -> list[str]:
        """The relative paths of the project's files (read again when older than the TTL)."""
        async with self._lock:
            fresh = self._read_at is not None and time.monotonic() - self._read_at < LISTING_TTL_S
            if not fresh:
                listing = await asyncio.to_thread(list_project_files, self.root)
                self._files = listing
                self._read_at = time.monotonic()
            return self._files


class FileCompletion(OptionList):
    """The completion list shown above an input while an `@path` is being typed."""

    DEFAULT_CSS = """
    FileCompletion {
        display: none;
        height: auto;
        max-height: 12;
        border: round $accent;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        background: $surface;
        &.-open { display: block; }
    }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id, classes="file-completion")
        self.can_focus = False
        self.border_title = "attach a file"
        self.border_subtitle = "↑↓ · Enter/Tab picks · Esc closes"
        self.paths: list[str] = []

    @property
    def is_open(self) -> bool:
        """True while the list is shown."""
        return self.has_class("-open")

    def show(self, paths: list[str], query: str) -> None:
        """List `paths` (best first), or a line saying nothing matches."""
        self.paths = paths
        self.clear_options()
        if paths:
            self.add_options([Option(Content(path)) for path in paths])
            self.highlighted = 0
        else:
            self.add_option(Option(Content(f"No project file matches “{query}”"), disabled=True))
        self.add_class("-open")

    def close(self) -> None:
        """Hide the list."""
        self.remove_class("-open")
        self.paths = []

    def move(self, step: int) -> None:
        """Highlight the next (+1) or previous (-1) file."""
        if self.paths:
            current = self.highlighted or 0
            self.highlighted = (current + step) % len(self.paths)

    def chosen(self) -> str | None:
        """The highlighted file."""
        if not self.paths or self.highlighted is None:
            return None
        return self.paths[self.highlighted]


class CompletionDriver:
    """Drives a FileCompletion from a TextArea: opens it on `@`, filters it, inserts the path."""

    def __init__(self, text_area: TextArea, completion: FileCompletion, files: ProjectFiles):
        self.text_area = text_area
        self.completion = completion
        self.files = files

    @property
    def open(self) -> bool:
        """True while the list is shown."""
        return self.completion.is_open

    def handle_key(self, key: str) -> bool:
        """Up/Down/Enter/Tab/Escape act on the open list; True when the key was used."""
        if not self.open or key not in ("enter", "tab", "escape", "up", "down"):
            return False
        if key in ("up", "down"):
            self.completion.move(-1 if key == "up" else 1)
        elif key == "escape":
            self.completion.close()
        else:
            self.accept()
        return True

    def typed(self) -> tuple[int, str] | None:
        """The `@query` at the cursor: (column of the `@`, query), or None."""
        row, column = self.text_area.cursor_location
        return active_reference(self.text_area.document.get_line(row), column)

    def update(self) -> None:
        """Open, filter or close the list after the text or the cursor changed."""
        typed = self.typed()
        if typed is None:
            self.completion.close()
            return
        query = typed[1]

        async def show() -> None:
            await self._show(query)

        # A function, not a coroutine: a worker replaced before it starts must not leave an
        # un-awaited coroutine behind. (mypy cannot pick a branch of Textual's WorkType union.)
        self.text_area.run_worker(
            show,  # type: ignore[arg-type]
            group="complete",
            exclusive=True,
            exit_on_error=False,
        )

    async def _show(self, query: str) -> None:
        files = await self.files.files()
        if self.typed() is not None:  # still typing the same reference
            self.completion.show(rank(files, query), query)

    def accept(self) -> None:
        """Replace the `@query` being typed with the highlighted file's path."""
        path = self.completion.chosen()
        typed = self.typed()
        self.completion.close()
        if path is None or typed is None:
            return
        row, column = self.text_area.cursor_location
        self.text_area.replace(f"@{path} ", (row, typed[0]), (row, column))


class CompletingTextArea(TextArea):
    """A TextArea in which `@` completes a project file (when it has a `completer`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.completer: CompletionDriver | None = None
        """Drives the `@` file list, when the session has a project."""

    def completion_key(self, event: events.Key) -> bool:
        """Let the open file list take the key; True (and the key is used up) if it did."""
        if self.completer is not None and self.completer.handle_key(event.key):
            event.stop()
            event.prevent_default()
            return True
        return False

    async def _on_key(self, event: events.Key) -> None:
        if not self.completion_key(event):
            await super()._on_key(event)

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        if self.completer is not None:
            self.completer.update()

    def _on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        if self.completer is not None and self.completer.open:
            self.completer.update()
