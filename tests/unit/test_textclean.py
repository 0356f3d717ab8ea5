"""Model output shown in the terminal carries no escape sequences, whole or split over chunks."""

from __future__ import annotations

import random

import pytest

from workbench.textclean import StreamSanitizer, sanitize

ESC = "\x1b"

NASTY = (
    f"Hello {ESC}[1;31mred{ESC}[0m and {ESC}]0;pwned title\x07window, "
    f"{ESC}]8;;https://example.com{ESC}\\link{ESC}]8;;{ESC}\\ done.\r\n"
    f"\x9b2Jclear {ESC}P1$r0m{ESC}\\dcs {ESC}_apc{ESC}\\ {ESC}7{ESC}(Bsaved\n"
    "tab\there\x00\x07\x08 end\rover ✓ 日本語"
)
NASTY_CLEAN = "Hello red and window, link done.\nclear dcs  saved\ntab\there endover ✓ 日本語"


def test_sanitize_removes_every_kind_of_sequence_and_keeps_the_text() -> None:
    assert sanitize(NASTY) == NASTY_CLEAN


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"{ESC}[31mred{ESC}[0m", "red"),  # CSI colour
        (f"{ESC}[2J{ESC}[H{ESC}[?1049hscreen", "screen"),  # clear, home, alternate screen
        (f"{ESC}]52;c;SGVsbG8=\x07paste", "paste"),  # OSC 52 clipboard write, BEL-terminated
        (f"{ESC}]0;title{ESC}\\text", "text"),  # OSC terminated by ST
        ("\x9d0;title\x9ctext", "text"),  # 8-bit OSC and ST
        ("\x9b31mred", "red"),  # 8-bit CSI
        (f"{ESC}Pq#0;2;0;0;0{ESC}\\after", "after"),  # DCS (sixel)
        (f"{ESC}^privacy{ESC}\\x", "x"),  # PM
        (f"{ESC}=keypad{ESC}>", "keypad"),  # two-character sequences
        ("bell\x07 and nul\x00 and del\x7f", "bell and nul and del"),
        ("line one\r\nline two\r\n", "line one\nline two\n"),
        ("50%\r100%", "50%100%"),  # a lone CR would overwrite the line; dropped
        ("keep\ttabs\nand newlines", "keep\ttabs\nand newlines"),
        ("```python\nprint('hi')\n```", "```python\nprint('hi')\n```"),
    ],
)
def test_sanitize_cases(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean


def test_osc_cancelled_by_a_new_sequence_does_not_eat_the_following_text() -> None:
    # A terminal abandons an OSC when a new ESC sequence starts; so must we.
    assert sanitize(f"{ESC}]0;unterminated{ESC}[31mvisible") == "visible"


def test_stream_removes_sequences_split_at_every_possible_point() -> None:
    for cut in range(len(NASTY) + 1):
        cleaner = StreamSanitizer()
        out = cleaner.feed(NASTY[:cut]) + cleaner.feed(NASTY[cut:]) + cleaner.flush()
        assert out == NASTY_CLEAN, f"split at {cut}"


def test_stream_in_random_small_chunks_matches_whole_text() -> None:
    rng = random.Random(7)
    for _ in range(200):
        cleaner = StreamSanitizer()
        out, rest = [], NASTY
        while rest:
            size = rng.randint(1, 6)
            out.append(cleaner.feed(rest[:size]))
            rest = rest[size:]
        out.append(cleaner.flush())
        assert "".join(out) == NASTY_CLEAN


def test_stream_shows_plain_text_immediately() -> None:
    cleaner = StreamSanitizer()
    assert cleaner.feed("def f():") == "def f():"
    assert cleaner.feed("\n    return 1") == "\n    return 1"


def test_stream_holds_back_only_the_incomplete_sequence() -> None:
    cleaner = StreamSanitizer()
    assert cleaner.feed(f"before{ESC}[3") == "before"
    assert cleaner.feed("1mafter") == "after"


def test_a_stray_escape_does_not_hold_the_reply_forever() -> None:
    cleaner = StreamSanitizer()
    assert cleaner.feed(f"start {ESC}]") == "start "
    shown = cleaner.feed("x" * 100)
    # Past the bound the introducer is dropped and the text is shown, not swallowed.
    assert shown == "x" * 100


def test_flush_releases_text_held_back_at_the_end_of_the_reply() -> None:
    cleaner = StreamSanitizer()
    assert cleaner.feed(f"answer {ESC}]not a real sequence") == "answer "
    assert cleaner.flush() == "not a real sequence"
    assert cleaner.flush() == ""
