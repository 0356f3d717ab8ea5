"""The scaled documents give exactly what Textual's Document and WrappedDocument give, edit after
edit, including when the widest line shrinks; large texts are fitted plain."""

from __future__ import annotations

import random

import pytest
from textual.widgets.text_area import Document, Location, WrappedDocument

from workbench.widgets.large_text import (
    LARGE_TEXT_CHARS,
    ScaledDocument,
    ScaledWrappedDocument,
    fit_to_size,
)

TEXT = "# Title\n\nshort\n\ta tab\tand more\nthe widest line of them all, by far\n\nend"

Edit = tuple[Location, Location, str]

EDITS: list[Edit] = [
    ((2, 5), (2, 5), " and longer"),  # type at the end of a line
    ((4, 0), (4, 35), "narrow"),  # the widest line shrinks: another is widest now
    ((0, 0), (0, 0), "x" * 60),  # a new widest line
    ((0, 10), (3, 2), ""),  # delete across lines, through the widest
    ((1, 0), (1, 0), "one\ntwo\n\tthree\tfour\n"),  # insert lines with tabs
    ((0, 0), (0, 0), "\n"),  # Enter at the top
    ((6, 3), (6, 3), "日本語テキスト" * 5),  # double-width characters
    ((6, 0), (7, 0), ""),  # delete that line again
    ((99, 0), (99, 0), "past the end"),  # beyond the last line (clamped like Textual)
]


def check_same(scaled: ScaledDocument, plain: Document, tab_width: int = 4) -> None:
    assert scaled.lines == plain.lines
    assert scaled.text == plain.text
    assert scaled.get_size(tab_width) == plain.get_size(tab_width)
    assert scaled.end == plain.end


def check_same_wrap(scaled: ScaledWrappedDocument, plain: WrappedDocument) -> None:
    assert scaled.height == plain.height
    assert scaled._wrap_offsets == plain._wrap_offsets
    assert scaled._offset_to_line_info == plain._offset_to_line_info
    assert scaled._line_index_to_offsets == plain._line_index_to_offsets
    assert scaled._tab_width_cache == plain._tab_width_cache
    middle = plain.document.line_count // 2
    for location in [(0, 0), (middle, len(plain.document[middle]) // 2), plain.document.end]:
        assert scaled.location_to_offset(location) == plain.location_to_offset(location)


def apply(edit: Edit, *pairs: tuple[Document, WrappedDocument]) -> None:
    start, end, text = edit
    for document, wrapped in pairs:
        result = document.replace_range(start, end, text)
        wrapped.wrap_range(start, end, result.end_location)


@pytest.mark.parametrize("width", [0, 12])
def test_scaled_documents_match_textual_through_a_sequence_of_edits(width: int) -> None:
    scaled, plain = ScaledDocument(TEXT), Document(TEXT)
    scaled_wrap = ScaledWrappedDocument(scaled, width=width, tab_width=4)
    plain_wrap = WrappedDocument(plain, width=width, tab_width=4)
    check_same(scaled, plain)
    check_same_wrap(scaled_wrap, plain_wrap)
    for edit in EDITS:
        apply(edit, (scaled, scaled_wrap), (plain, plain_wrap))
        check_same(scaled, plain)
        check_same_wrap(scaled_wrap, plain_wrap)
    assert scaled.get_size(8) == plain.get_size(8)  # another tab width: measured afresh
    for new_width in (0, 7, 0, 0):  # a repeat wrap at the same width changes nothing
        scaled_wrap.wrap(new_width, 4)
        plain_wrap.wrap(new_width, 4)
        check_same_wrap(scaled_wrap, plain_wrap)


def test_the_widest_line_shrinking_is_measured_again() -> None:
    scaled, plain = ScaledDocument("a\n" + "w" * 50 + "\n" + "m" * 30), Document("")
    assert scaled.get_size(4).width == 51 - 1
    scaled.replace_range((1, 10), (1, 50), "")
    assert scaled.get_size(4).width == 30
    scaled.replace_range((2, 0), (2, 30), "")
    assert scaled.get_size(4).width == 10
    plain = Document(scaled.text)
    assert scaled.get_size(4) == plain.get_size(4)


def test_random_edits_keep_the_scaled_documents_equal() -> None:
    rng = random.Random(13)
    text = "".join(rng.choice("ab \t\n") for _ in range(2_000))
    scaled, plain = ScaledDocument(text), Document(text)
    scaled_wrap, plain_wrap = ScaledWrappedDocument(scaled), WrappedDocument(plain)
    check_same(scaled, plain)
    for _ in range(300):
        end_row = rng.randrange(plain.line_count)
        start_row = rng.randrange(end_row + 1)
        start = (start_row, rng.randrange(len(plain[start_row]) + 1))
        end = (end_row, rng.randrange(len(plain[end_row]) + 1))
        if end < start:
            start, end = end, start
        inserted = "".join(rng.choice("xy\t\n") for _ in range(rng.randrange(4)))
        apply((start, end, inserted), (scaled, scaled_wrap), (plain, plain_wrap))
        check_same(scaled, plain)
        check_same_wrap(scaled_wrap, plain_wrap)


def test_large_texts_are_fitted_plain_and_small_ones_as_asked() -> None:
    assert fit_to_size("# small", "markdown") == ("markdown", True, False)
    assert fit_to_size("x" * LARGE_TEXT_CHARS, "markdown", False) == ("markdown", False, False)
    assert fit_to_size("x" * (LARGE_TEXT_CHARS + 1), "markdown") == (None, False, True)
