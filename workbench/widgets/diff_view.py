"""The diff of one staged file, hunk by hunk, fast on huge diffs (Textual's Line API).

The diff is a list of rows, one per screen line (built by `diff_rows`); only the rows on screen
become `Strip`s, and those are cached until the width, the horizontal scroll or the content
changes. Changed lines are highlighted one line at a time with pygments when they come into view
(lexing a 5,000-line file at once takes ~0.4 s, a line ~0.1 ms); while a held key scrolls page
after page, lines not highlighted yet show plain until the scrolling settles. Model text is shown
as plain text (never as markup) with escape sequences and control characters removed."""

from __future__ import annotations

from pathlib import PurePosixPath

from pygments.lexer import Lexer
from pygments.lexers import get_all_lexers, get_lexer_by_name, get_lexer_for_filename
from pygments.token import _TokenType
from pygments.util import ClassNotFound
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.highlight import HighlightTheme
from textual.markup import parse_style
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style
from textual.timer import Timer

from workbench.apply.changes import FileChange
from workbench.widgets.diff_rows import DiffRow, diff_rows, header_text

SIDE_BY_SIDE_WIDTH = 120
"""The narrowest DiffView shown side by side (unless toggled): two halves of ~60 columns
leave ~50 columns of code each, enough for most lines."""

SETTLE_S = 0.1
"""How long after the last scroll the page shown and the next one are highlighted."""
CODE_ROWS = frozenset({"context", "removed", "added", "pair"})
SIGNS = {"removed": "-", "added": "+", "context": " "}


def lexer_for(path: str) -> Lexer | None:
    """The pygments lexer for a file name, if any. Pygments' lookup compiles the patterns of
    all its lexers (~170 ms), so plain `*.ext` and exact names are tried first."""
    name = PurePosixPath(path).name
    found = [
        aliases[0]
        for _, aliases, patterns, _ in get_all_lexers(plugins=False)
        if aliases
        and any(
            name.endswith(p[1:]) if p.startswith("*.") and "*" not in p[1:] else name == p
            for p in patterns
        )
    ]
    try:
        if len(found) == 1:
            return get_lexer_by_name(found[0], stripnl=False)
        return get_lexer_for_filename(path, stripnl=False) if found else None
    except ClassNotFound:
        return None


class DiffView(ScrollView, can_focus=True):
    """One file's hunks as a diff: unified when narrow, side by side when wide, a hunk cursor."""

    COMPONENT_CLASSES = {
        f"diff-view--{name}"
        for name in (
            *("header", "cursor", "pending", "accepted", "rejected", "applied", "problem"),
            *("note", "context", "removed", "added", "gutter", "filler"),
        )
    }

    DEFAULT_CSS = """
    DiffView {
        background: $surface;
        & > .diff-view--header { background: $boost; color: $text-secondary; }
        & > .diff-view--cursor { background: $accent 35%; color: $text; text-style: bold; }
        & > .diff-view--pending { color: $text-warning; }
        & > .diff-view--accepted { color: $text-success; }
        & > .diff-view--rejected { color: $text-error; }
        & > .diff-view--applied { color: $text-muted; }
        & > .diff-view--problem { color: $text-error; text-style: bold; }
        & > .diff-view--note { color: $text-warning; text-style: italic; }
        & > .diff-view--context { color: $text-muted; }
        & > .diff-view--removed { background: $error 18%; }
        & > .diff-view--added { background: $success 18%; }
        & > .diff-view--gutter { color: $text-muted; }
        & > .diff-view--filler { background: $panel; }
    }
    """

    BINDINGS = [
        Binding(
            keys,
            f"move({step})",
            f"{word.title()} change",
            tooltip=f"Move the cursor to the file's {word} change and scroll to it",
            show=False,
            id=f"diff.{word}_hunk",
        )
        for keys, step, word in (("j,down", 1, "next"), ("k,up", -1, "previous"))
    ]

    cursor: reactive[int] = reactive(0, init=False)
    """Index of the hunk under the cursor."""

    def __init__(self, change: FileChange | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.change: FileChange | None = None
        self.empty_text = "No staged changes."
        """What the view says when it has no file."""
        self.side_by_side_choice: bool | None = None
        """The user's toggle: None follows the width (SIDE_BY_SIDE_WIDTH)."""
        self.rows: list[DiffRow] = []
        self.headers: list[int] = []
        self._shown_side_by_side = False
        self._lexer: Lexer | None = None
        self._tokens: dict[str, list[tuple[_TokenType, str]]] = {}
        self._token_styles: dict[tuple[str, _TokenType], RichStyle] = {}
        self._strips: dict[int, Strip] = {}
        self._styles: dict[tuple[str, ...], Style] = {}
        self._strips_key: tuple[int, int, int] = (0, 0, 0)
        self._digits = 3
        self._stale = True
        self._settle: Timer | None = None
        self._burst = False
        self._plain_shown = False
        self._ahead = 1
        self.show(change)

    @property
    def side_by_side(self) -> bool:
        """Whether the diff is shown side by side now."""
        if self.side_by_side_choice is not None:
            return self.side_by_side_choice
        return self.size.width >= SIDE_BY_SIDE_WIDTH

    def show(self, change: FileChange | None, cursor: int = 0) -> None:
        """Show another file's change (or none), the cursor on hunk `cursor`."""
        if change is not self.change or change is None:
            self._tokens.clear()
            self._lexer = None if change is None else lexer_for(change.path)
        self.change = change
        if self.is_mounted:
            self.scroll_to(0, 0, animate=False, immediate=True)
        self.set_reactive(DiffView.cursor, cursor)  # kept until the rows are built
        self.refresh_change()
        self.scroll_to_cursor()

    def refresh_change(self) -> None:
        """Rebuild the rows after the change's hunks or decisions changed."""
        self._stale = not self.size.width
        if self._stale:
            return  # built on the first resize, when the width (hence the layout) is known
        self._shown_side_by_side = side_by_side = self.side_by_side
        if self.change is None:
            self.rows, self.headers = [], []
        else:
            width = self.scrollable_content_region.width
            self.rows, self.headers = diff_rows(self.change, side_by_side, width)
        self.set_reactive(DiffView.cursor, self.validate_cursor(self.cursor))
        self._update_virtual_size()
        self._strips.clear()
        self.refresh()

    def toggle_side_by_side(self) -> None:
        """Switch between side by side and unified (then kept whatever the width)."""
        self.side_by_side_choice = not self.side_by_side
        self.refresh_change()
        self.scroll_to_cursor()

    def action_move(self, step: int) -> None:
        """Move the cursor `step` hunks down (or up)."""
        self.cursor = self.validate_cursor(self.cursor + step)

    def validate_cursor(self, cursor: int) -> int:
        """Keep the cursor on a hunk of the file."""
        return max(0, min(cursor, len(self.headers) - 1))

    def watch_cursor(self) -> None:
        self._strips.clear()
        self.refresh()
        self.scroll_to_cursor()

    def scroll_to_cursor(self) -> None:
        """Scroll so the cursor's hunk is on screen (its header at the top if it is too tall)."""
        if not self.headers or not self.size.height:
            return
        top = self.headers[self.cursor]
        after = self.cursor + 1
        bottom = self.headers[after] - 1 if after < len(self.headers) else len(self.rows)
        height = self.scrollable_content_region.height
        y = self.scroll_offset.y
        if top < y or bottom - top > height:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif bottom > y + height:
            self.scroll_to(y=bottom - height, animate=False, immediate=True)

    def on_resize(self) -> None:
        if (
            self._stale
            or self.side_by_side != self._shown_side_by_side
            or any(row.kind in {"note", "problem", "notice"} for row in self.rows)
        ):
            self.refresh_change()  # another layout, or messages to wrap again
        else:
            self._update_virtual_size()
        self.scroll_to_cursor()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        line = offset.y + self.scroll_offset.y
        if 0 <= line < len(self.rows) and self.rows[line].hunk >= 0:
            self.cursor = self.rows[line].hunk

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._token_styles.clear()
        self._styles.clear()
        self._strips.clear()

    def _code_width(self, width: int) -> int:
        """Cells left for code in a line `width` cells wide (in its left half, side by side)."""
        if self._shown_side_by_side:
            return (width - 1) // 2 - self._digits - 3
        return width - 2 * self._digits - 4

    def _update_virtual_size(self) -> None:
        numbers = (max(row.old_no, row.new_no) for row in self.rows)
        self._digits = max(3, len(str(max(numbers, default=0))))
        code = [row.old or row.new or "" for row in self.rows if row.kind in CODE_ROWS]
        code += [row.new for row in self.rows if row.kind == "pair" and row.new]
        widest = max((len(t) if t.isascii() else cell_len(t) for t in code), default=0)
        width = self.scrollable_content_region.width
        extra = max(0, widest - self._code_width(width))
        self.virtual_size = Size(width + extra, len(self.rows))

    def render_line(self, y: int) -> Strip:
        if self._stale:
            self.refresh_change()  # laid out before the resize event came: build the rows now
        width = self.scrollable_content_region.width
        scroll_x, line = self.scroll_offset
        key = (width, scroll_x, self.cursor)
        if key != self._strips_key:
            self._strips.clear()
            self._strips_key = key
        line += y
        strip = self._strips.get(line)
        if strip is None:
            segments = self._render_row(line, width, scroll_x)
            strip = Strip(Segment.simplify(segments)).crop_extend(0, width, None)
            self._strips[line] = strip  # same-style neighbours merged: less to composite
        return strip

    def _style(self, *names: str) -> Style:
        style = self._styles.get(names)
        if style is None:
            classes = (f"diff-view--{name}" for name in names)
            style = self._styles[names] = self.get_visual_style(*classes)
        return style

    def _line(self, text: str, style: Style, width: int) -> list[Segment]:
        return [Segment(text, style.rich_style), Segment(" " * width, style.rich_style)]

    def _render_row(self, line: int, width: int, scroll_x: int) -> list[Segment]:
        if line >= len(self.rows):
            return self._line(f" {self.empty_text}" if line == 0 else "", self._style(), width)
        row = self.rows[line]
        if row.kind == "header":
            return self._render_header(row.hunk, width)
        if row.kind in {"note", "problem", "notice", "gap"}:
            kind = {"problem": "problem", "gap": "context"}.get(row.kind, "note")
            return self._line(f"  {row.old or ''}", self._style(kind), width)
        digits = self._digits
        if not self._shown_side_by_side:
            text, kind = (row.new, "added") if row.kind == "added" else (row.old, row.kind)
            old, new = str(row.old_no or ""), str(row.new_no or "")
            numbers = f"{old:>{digits}} {new:>{digits}} {SIGNS[kind]} "
            return self._half(kind, numbers, text, width, scroll_x)
        half = (width - 1) // 2
        left, right = ("removed", "added") if row.kind == "pair" else ("context", "context")
        rule = Segment("│", self._style("gutter").rich_style)
        old_numbers = f"{row.old_no:>{digits}} {SIGNS[left]} "
        new_numbers = f"{row.new_no:>{digits}} {SIGNS[right]} "
        return [
            *self._half(left, old_numbers, row.old, half, scroll_x),
            rule,
            *self._half(right, new_numbers, row.new, width - 1 - half, scroll_x),
        ]

    def _half(
        self, kind: str, numbers: str, text: str | None, width: int, scroll_x: int
    ) -> list[Segment]:
        """Line numbers and a line of code scrolled by `scroll_x`, `width` cells in all."""
        if text is None:
            return [Segment(" " * width, self._style("filler").rich_style)]
        background = self._style(kind).rich_style
        gutter = Segment(numbers, self._style(kind, "gutter").rich_style)
        room = width - len(numbers)
        size = len(text) if text.isascii() else cell_len(text)
        if scroll_x or size > room:  # the rare case: cut the line
            cut = Strip(self._code_segments(kind, text)).crop_extend(
                scroll_x, scroll_x + room, background
            )
            return [gutter, *cut]
        return [gutter, *self._code_segments(kind, text), Segment(" " * (room - size), background)]

    def _code_segments(self, kind: str, text: str) -> list[Segment]:
        """`text` highlighted over the row's background (context lines stay plain and dim);
        plain for now while a key scrolls page after page (see `watch_scroll_y`)."""
        plain = [Segment(text, self._style(kind).rich_style)]
        if self._lexer is None or kind == "context" or not text.strip():
            return plain
        tokens = self._tokens.get(text)
        if tokens is None:
            if self._burst:
                self._plain_shown = True
                return plain
            tokens = self._lexed(self._lexer, text)
        return [Segment(value, self._token_style(kind, token_type)) for token_type, value in tokens]

    def _lexed(self, lexer: Lexer, text: str) -> list[tuple[_TokenType, str]]:
        tokens = self._tokens.get(text)
        if tokens is None:  # unprocessed: a third cheaper, and the line is clean already
            tokens = self._tokens[text] = [
                (token_type, value.rstrip("\n"))
                for _, token_type, value in lexer.get_tokens_unprocessed(text + "\n")
                if value.rstrip("\n")
            ]
        return tokens

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """A scroll soon after another (a held key) shows lines not highlighted yet as plain
        text: lexing is most of a page's cost (~0.1 ms a line). When the scrolling settles,
        the page shown and the next one are highlighted."""
        super().watch_scroll_y(old_value, new_value)
        self._ahead = 1 if new_value >= old_value else -1
        self._burst = self._settle is not None
        if self._settle is not None:
            self._settle.stop()
        self._settle = self.set_timer(SETTLE_S, self._highlight_settled)

    def _highlight_settled(self) -> None:
        self._settle = None
        self._burst = False
        if self._lexer is None:
            return
        height = self.scrollable_content_region.height
        top = self.scroll_offset.y
        for start in (top, max(0, top + self._ahead * height)):
            for row in self.rows[start : start + height]:
                if row.kind in {"removed", "added", "pair"}:
                    for text in (row.old, row.new):
                        if text is not None and text.strip():
                            self._lexed(self._lexer, text)
        if self._plain_shown:
            self._plain_shown = False
            self._strips.clear()
            self.refresh()

    def _token_style(self, kind: str, token_type: _TokenType) -> RichStyle:
        style = self._token_styles.get((kind, token_type))
        if style is None:
            found: _TokenType | None = token_type
            spec = ""
            while found is not None and not (spec := HighlightTheme.STYLES.get(found, "")):
                found = found.parent
            style = (self._style(kind) + parse_style(spec)).rich_style
            self._token_styles[kind, token_type] = style
        return style

    def _render_header(self, index: int, width: int) -> list[Segment]:
        assert self.change is not None
        hunk = self.change.hunks[index]
        here = index == self.cursor
        base = self._style("header", "cursor") if here else self._style("header")
        text, what = header_text(hunk)
        decided = base + self.get_visual_style(f"diff-view--{hunk.decision}", partial=True)
        return [
            Segment(("▶ " if here else "  ") + text, base.rich_style),
            Segment(what, decided.rich_style),
            Segment(" " * width, base.rich_style),
        ]

    def language(self) -> str | None:
        """The pygments name of the file's language (e.g. "python"), if it has one."""
        return self._lexer.aliases[0] if self._lexer is not None and self._lexer.aliases else None
