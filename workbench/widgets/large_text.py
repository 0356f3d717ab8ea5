"""A TextArea that stays quick on multi-megabyte texts: plain, unwrapped, measured incrementally.

Textual's TextArea highlights with tree-sitter and soft-wraps every line, and its Document joins
all lines for `.text` and measures every line for `get_size` on each keystroke. Above
`LARGE_TEXT_CHARS` a `ScaledTextArea` shows the text plain and unwrapped, on documents that give
the same results as Textual's while doing work in proportion to the edit, not to the text.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from textual._cells import cell_len
from textual.expand_tabs import get_tab_widths
from textual.geometry import Size
from textual.widgets import TextArea
from textual.widgets.text_area import (
    Document,
    DocumentNavigator,
    EditResult,
    Location,
    WrappedDocument,
)

LARGE_TEXT_CHARS = 512_000
"""Texts longer than this open plain (no highlighting, no soft wrap)."""


def _width(line: str, tab_width: int) -> int:
    """The cells `line` takes on screen, as Textual's Document measures it."""
    return cell_len(line.expandtabs(tab_width))


class ScaledDocument(Document):
    """A Document whose `.text` is kept until the next edit and whose size is kept up to date
    by measuring only the lines an edit touched."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._text: str | None = None
        """The joined text, until the next edit."""
        self._tab_width: int | None = None
        """The tab width `_widest` was measured with (None: not measured yet)."""
        self._widest = 0
        """The width of the widest line, in cells."""

    @property
    def text(self) -> str:
        """The text of the document (joined once per edit, not once per call)."""
        if self._text is None:
            self._text = super().text
        return self._text

    def get_size(self, tab_width: int) -> Size:
        """The size (widest line in cells, line count), as `Document.get_size` gives it."""
        if self._tab_width != tab_width:
            self._widest = max((_width(line, tab_width) for line in self._lines), default=0)
            self._tab_width = tab_width
        return Size(self._widest, len(self._lines))

    def replace_range(self, start: Location, end: Location, text: str) -> EditResult:
        """Replace the text between `start` and `end`; measure only the lines that changed."""
        self._text = None
        tab_width = self._tab_width
        if tab_width is None:
            return super().replace_range(start, end, text)
        top_row = min(start, end)[0]
        bottom_row = min(max(start, end)[0], len(self._lines) - 1)
        old = max(
            (_width(line, tab_width) for line in self._lines[top_row : bottom_row + 1]), default=0
        )
        result = super().replace_range(start, end, text)
        new_rows = self._lines[top_row : result.end_location[0] + 1]
        new = max((_width(line, tab_width) for line in new_rows), default=0)
        if new >= self._widest:
            self._widest = new
        elif old >= self._widest:
            self._tab_width = None  # the widest line shrank or went: measure all on next ask
        return result


class ScaledWrappedDocument(WrappedDocument):
    """A WrappedDocument that maps an unwrapped document in one cheap pass, knows its height
    without adding it up, and does not redo a wrap it already has."""

    def wrap(self, width: int, tab_width: int | None = None) -> None:
        """Wrap at `width` (0: no wrapping), unless the document is wrapped so already."""
        tab = tab_width or self._tab_width
        if self._offset_to_line_info and width == self._width and tab == self._tab_width:
            return  # edits keep the wrap current through wrap_range
        if width:
            super().wrap(width, tab_width)
            return
        self._width = 0
        self._tab_width = tab
        lines = self.document.lines
        count = len(lines)
        self._wrap_offsets = [[] for _ in range(count)]
        self._offset_to_line_info = [(index, 0) for index in range(count)]
        self._line_index_to_offsets = [[index] for index in range(count)]
        # get_tab_widths gives [0] for a line without tabs and [] for an empty one.
        self._tab_width_cache = [
            [size for _, size in get_tab_widths(line, tab)] if "\t" in line else [0] if line else []
            for line in lines
        ]

    @property
    def height(self) -> int:
        """The height of the wrapped document: one row per wrapped section."""
        return len(self._offset_to_line_info)


class Fit(NamedTuple):
    """How a text is shown: highlighted and wrapped as asked, or plain when it is large."""

    language: str | None
    soft_wrap: bool
    plain: bool
    """True when the text is too large for highlighting and soft wrap."""


def fit_to_size(text: str, language: str | None, soft_wrap: bool = True) -> Fit:
    """The language and soft wrap to show `text` with: as asked, or plain above the limit."""
    if len(text) > LARGE_TEXT_CHARS:
        return Fit(None, False, True)
    return Fit(language, soft_wrap, False)


class ScaledTextArea(TextArea):
    """A TextArea that opens a text above `LARGE_TEXT_CHARS` plain and unwrapped, on documents
    whose cost per keystroke does not grow with the text."""

    def __init__(
        self, text: str = "", *, language: str | None = None, soft_wrap: bool = True, **kwargs: Any
    ) -> None:
        self._asked = (language, soft_wrap)
        """The language and soft wrap asked for (used while the text is small enough)."""
        fit = fit_to_size(text, language, soft_wrap)
        self.plain = fit.plain
        """True when the text was too large for highlighting and soft wrap."""
        # Textual builds the document up to three times while constructing: do it once, below.
        super().__init__("", language=fit.language, soft_wrap=fit.soft_wrap, **kwargs)
        self._set_document(text, fit.language)

    def _set_document(self, text: str, language: str | None) -> None:
        if language or len(text) <= LARGE_TEXT_CHARS:
            super()._set_document(text, language)
            return
        self._highlight_query = None
        document = ScaledDocument(text)
        self.document = document
        self.wrapped_document = ScaledWrappedDocument(document, tab_width=self.indent_width)
        self.navigator = DocumentNavigator(self.wrapped_document)
        self._build_highlight_map()
        self.move_cursor((0, 0))
        self._rewrap_and_refresh_virtual_size()

    def load_text(self, text: str) -> None:
        """Load `text` (clearing the undo history), plain if it is large and as asked if not."""
        fit = fit_to_size(text, *self._asked)
        self.plain = fit.plain
        self.set_reactive(TextArea.language, fit.language)
        self.set_reactive(TextArea.soft_wrap, fit.soft_wrap)
        super().load_text(text)

    def fits(self, text: str) -> bool:
        """True when `text` would be shown as the current text is (plain or not)."""
        return fit_to_size(text, *self._asked).plain == self.plain
