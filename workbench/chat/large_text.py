"""Messages too large to lay out as markdown: what is shown of them instead.

A 10 MB reply parsed into markdown blocks is hundreds of thousands of widgets, and a reply that
is one 200 KB line is a single line Textual measures and wraps again on every write. Either
freezes the pane. Above a size (or with a line that long) a message is shown as plain text: its
last lines, each cut at a width, under a heading that says so. The whole text stays in the
transcript, and copy and the source view take all of it.

`PlainTail` takes a reply piece by piece in time proportional to the piece (never to what came
before), so a stream of any size costs the same per write.
"""

from __future__ import annotations

from collections import deque

LARGE_MESSAGE_CHARS = 100_000
"""Above this many characters a message is shown as plain text."""
LONG_LINE_CHARS = 5_000
"""A message with a line longer than this is shown as plain text too."""
TAIL_LINES = 100
"""How many of the last lines a plain message shows."""
TAIL_LINE_CHARS = 200
"""A longer line is shown as its first and last TAIL_LINE_CHARS / 2 characters, and how many
are left out between them (a reply that is one long line shows its newest text)."""


def longest_line(text: str) -> int:
    """The length of the longest line of `text`."""
    return max(map(len, text.split("\n")), default=0)


def is_too_large(text: str) -> bool:
    """True when `text` is shown as plain text rather than laid out as markdown."""
    if len(text) > LARGE_MESSAGE_CHARS:
        return True
    return len(text) > LONG_LINE_CHARS and longest_line(text) > LONG_LINE_CHARS


def size_label(size: int) -> str:
    """A byte count the way people read it: 512 B, 200 KB, 10.0 MB."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.0f} KB"
    return f"{size / 1_000_000:.1f} MB"


def _cut(head: str, length: int, end: str) -> str:
    """A line as shown: whole when short, else its start and its end around what is left out."""
    if length <= len(head):
        return head
    keep = TAIL_LINE_CHARS // 2
    return f"{head[:keep]} … ({length - keep - len(end):,} more characters) … {end}"


class PlainTail:
    """The last lines of a text that arrives in pieces, each line cut at TAIL_LINE_CHARS."""

    def __init__(self, text: str = "") -> None:
        self.chars = 0
        """Characters taken so far."""
        self.size = 0
        """Their size in UTF-8 bytes."""
        self.lines = 1
        """Lines so far (a text without a line break is one line)."""
        self.longest_line = 0
        """The longest line so far, the current one included."""
        self._done: deque[tuple[str, int, str]] = deque(maxlen=TAIL_LINES)
        """The last complete lines: their first TAIL_LINE_CHARS characters, full length, and
        last TAIL_LINE_CHARS / 2 characters."""
        self._head = ""
        """The first TAIL_LINE_CHARS characters of the line still arriving."""
        self._length = 0
        """The full length of the line still arriving."""
        self._end = ""
        """The last TAIL_LINE_CHARS / 2 characters of the line still arriving."""
        if text:
            self.add(text)

    def add(self, piece: str) -> None:
        """Take the next piece of the text (work proportional to the piece)."""
        self.chars += len(piece)
        self.size += len(piece.encode("utf-8", "surrogatepass"))
        parts = piece.split("\n")
        first, rest = parts[0], parts[1:]
        self._extend(first)
        if not rest:
            return
        self.lines += len(rest)
        # Only the last TAIL_LINES complete lines can still be shown; longer ones are counted.
        for part in rest[:-1]:
            self.longest_line = max(self.longest_line, len(part))
        self._done.append((self._head, self._length, self._end))
        keep = TAIL_LINE_CHARS // 2
        for part in rest[-(TAIL_LINES + 1) : -1]:
            self._done.append((part[:TAIL_LINE_CHARS], len(part), part[-keep:]))
        self._head, self._length, self._end = "", 0, ""
        self._extend(rest[-1])

    def _extend(self, text: str) -> None:
        if len(self._head) < TAIL_LINE_CHARS:
            self._head += text[: TAIL_LINE_CHARS - len(self._head)]
        self._length += len(text)
        self._end = (self._end + text[-(TAIL_LINE_CHARS // 2) :])[-(TAIL_LINE_CHARS // 2) :]
        self.longest_line = max(self.longest_line, self._length)

    @property
    def too_large(self) -> bool:
        """True once the text should be shown as plain text (see `is_too_large`)."""
        return self.chars > LARGE_MESSAGE_CHARS or self.longest_line > LONG_LINE_CHARS

    def heading(self) -> str:
        """One line saying what is shown and how to get the rest."""
        return (
            f"Large ({size_label(self.size)}, {self.lines:,} lines): plain text, the last "
            f"{TAIL_LINES} lines, long ones cut in the middle. "
            "s opens all of it, c copies it."
        )

    def shown(self) -> str:
        """The text shown: the last lines, each cut, with how much of a cut line is left out."""
        rows = [_cut(head, length, end) for head, length, end in self._done]
        rows.append(_cut(self._head, self._length, self._end))
        return "\n".join(rows[-TAIL_LINES:])
