"""The plain view of a message too large for markdown (workbench/chat/large_text.py)."""

from __future__ import annotations

import random

from workbench.chat.large_text import (
    LARGE_MESSAGE_CHARS,
    LONG_LINE_CHARS,
    TAIL_LINE_CHARS,
    TAIL_LINES,
    PlainTail,
    is_too_large,
    size_label,
)


def sample(rng: random.Random) -> str:
    lines = []
    for index in range(rng.randint(0, 400)):
        width = rng.choice([0, 5, 80, TAIL_LINE_CHARS - 1, TAIL_LINE_CHARS, 3 * TAIL_LINE_CHARS])
        lines.append(f"{index}:" + "x" * width)
    return "\n".join(lines)


def expected(text: str) -> str:
    keep = TAIL_LINE_CHARS // 2
    rows = []
    for line in text.split("\n")[-TAIL_LINES:]:
        if len(line) > TAIL_LINE_CHARS:
            line = f"{line[:keep]} … ({len(line) - 2 * keep:,} more characters) … {line[-keep:]}"
        rows.append(line)
    return "\n".join(rows)


def test_the_tail_is_the_same_however_the_text_is_cut_into_pieces() -> None:
    rng = random.Random(7)
    for _ in range(200):
        text = sample(rng)
        tail = PlainTail()
        at = 0
        while at < len(text):
            step = rng.choice([1, 3, 50, 4000])
            tail.add(text[at : at + step])
            at += step
        assert tail.shown() == expected(text)
        assert tail.chars == len(text)
        assert tail.lines == text.count("\n") + 1
        assert tail.longest_line == max(map(len, text.split("\n")))
        assert tail.too_large == is_too_large(text)


def test_what_counts_as_too_large() -> None:
    assert not is_too_large("short\n" * 100)
    assert is_too_large("a" * (LARGE_MESSAGE_CHARS + 1))
    assert is_too_large("x\n" + "a" * (LONG_LINE_CHARS + 1))
    assert not is_too_large("a" * LONG_LINE_CHARS)


def test_the_heading_says_the_size_and_what_is_shown() -> None:
    tail = PlainTail("é" * 5_000_000 + "\nlast")
    assert tail.heading().startswith("Large (10.0 MB, 2 lines): plain text")
    assert size_label(512) == "512 B" and size_label(200_000) == "200 KB"
