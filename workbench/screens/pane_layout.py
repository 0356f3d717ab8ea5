"""The three panes on the main screen: the focused one's border, zooming one, the title bar.

The active pane's border is set inline, not by a `:focus-within` rule (see main.tcss).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.color import Color
from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from workbench.screens.main import MainScreen


def short_path(path: str) -> str:
    """A path with the home folder written as ~."""
    home = str(Path.home())
    return "~" + path[len(home) :] if path.startswith(home + "/") or path == home else path


def title_text(screen: MainScreen) -> Content:
    """The title bar: the session, its project folder, and whether a pane is zoomed."""
    meta = screen.session.meta
    zoomed = " · zoomed: ctrl+f shows all panes" if screen.has_class("-zoomed") else ""
    return Content(f"workbench · {meta.title} · {short_path(meta.project_dir)}{zoomed}")


def refresh_title(screen: MainScreen) -> None:
    """Show the current title text in the title bar."""
    screen.query_one("#title-bar", Static).update(title_text(screen))


def paint_active_pane(screen: MainScreen) -> None:
    """Highlight the border of the pane that holds the focus (inline: see main.tcss)."""
    variables = screen.app.get_css_variables()
    active = screen.painted_pane = screen.focused_pane_id()
    for pane in screen.query(".pane"):
        is_active = pane.id == active
        border = variables["border" if is_active else "border-blurred"]
        pane.styles.border = ("round", Color.parse(border))
        title = Color.parse(variables["foreground"])
        if not is_active:
            title = title.blend(Color.parse(variables["background"]), 0.4)
        pane.styles.border_title_color = title
        pane.styles.border_title_style = "bold" if is_active else "none"


def zoom(screen: MainScreen, pane_id: str) -> None:
    """Show only the pane `pane_id`, full width."""
    screen.add_class("-zoomed")
    for pane in screen.query(".pane"):
        pane.set_class(pane.id == pane_id, "-zoomed")
    refresh_title(screen)


def toggle_zoom(screen: MainScreen) -> None:
    """Show only the focused pane, full width; again to show all three."""
    if screen.has_class("-zoomed"):
        screen.remove_class("-zoomed")
        for pane in screen.query(".pane"):
            pane.remove_class("-zoomed")
        refresh_title(screen)
    else:
        zoom(screen, screen.focused_pane_id() or "explore")
