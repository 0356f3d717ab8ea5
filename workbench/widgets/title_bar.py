"""The line above the panes: the session's title, its project, and whether a pane is zoomed."""

from __future__ import annotations

from pathlib import Path

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static


def short_path(path: str) -> str:
    """A path with the home folder written as ~."""
    home = str(Path.home())
    return "~" + path[len(home) :] if path.startswith(home + "/") or path == home else path


class TitleBar(Static):
    """Shows `title` and `project`; `zoomed` adds how to get the other panes back."""

    title: reactive[str] = reactive("")
    project: reactive[str] = reactive("")
    zoomed: reactive[bool] = reactive(False)

    def render(self) -> Content:
        zoomed = " · zoomed: ctrl+f shows all panes" if self.zoomed else ""
        return Content(f"workbench · {self.title} · {short_path(self.project)}{zoomed}")
