"""The three panes side by side: the focused one's border is lit, a zoomed one stands alone."""

from __future__ import annotations

from textual.color import Color
from textual.containers import Horizontal
from textual.reactive import reactive


class PaneRow(Horizontal):
    """Holds the panes (`.pane` children); `active` and `zoomed` name one by its id."""

    active: reactive[str | None] = reactive(None, init=False)
    """The pane holding the focus: its border is painted inline (see main.tcss for why)."""
    zoomed: reactive[str | None] = reactive(None, init=False)
    """The pane shown alone, full width; None shows all of them."""

    def watch_active(self) -> None:
        self.paint()

    def watch_zoomed(self, zoomed: str | None) -> None:
        self.set_class(zoomed is not None, "-zoomed")
        for pane in self.query_children(".pane"):
            pane.set_class(pane.id == zoomed, "-zoomed")

    def paint(self) -> None:
        """Highlight the active pane's border and title, dim the others (theme colours)."""
        variables = self.app.get_css_variables()
        for pane in self.query_children(".pane"):
            is_active = pane.id == self.active
            border = variables["border" if is_active else "border-blurred"]
            pane.styles.border = ("round", Color.parse(border))
            title = Color.parse(variables["foreground"])
            if not is_active:
                title = title.blend(Color.parse(variables["background"]), 0.4)
            pane.styles.border_title_color = title
            pane.styles.border_title_style = "bold" if is_active else "none"
