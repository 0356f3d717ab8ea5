"""Finding where an edit goes in a file: exactly, then tolerantly (indentation, trailing spaces).

Line endings never count as a difference: the model cannot see them. Core module: never imports
textual.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.apply.filetext import bare


@dataclass(frozen=True)
class Spot:
    """Where a block was found: lines [start, end) of the file."""

    start: int
    end: int
    tolerant: bool = False
    """Found only when ignoring indentation and trailing spaces."""
    indent_from: str = ""
    """The indentation the block was written with..."""
    indent_to: str = ""
    """...and the file's, which the replacement is moved to."""
    indents: tuple[tuple[str, str], ...] = ()
    """Each indentation of the block and the file's indentation on the same line (so four
    spaces can become a tab, and eight spaces two)."""


class NoMatch(Exception):
    """The block is not in the file (or is there more than once); the message says which."""

    def __init__(self, message: str, *, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _hits(keys: list[str], want: list[str]) -> list[int]:
    if not want:
        return []
    first, size = want[0], len(want)
    return [
        i for i in range(len(keys) - size + 1) if keys[i] == first and keys[i : i + size] == want
    ]


def _trim_blank(block: list[str]) -> tuple[int, int]:
    start, end = 0, len(block)
    while start < end and not block[start].strip():
        start += 1
    while end > start and not block[end - 1].strip():
        end -= 1
    return start, end


def _lines_list(places: list[int]) -> str:
    shown = ", ".join(str(i + 1) for i in places[:5])
    return shown + (", ..." if len(places) > 5 else "")


def locate(lines: list[str], block: list[str], *, near: int | None = None) -> Spot:
    """Where `block` is in `lines`: exactly, else ignoring indentation and trailing spaces.

    `near` (a 0-based line, from a diff's header) picks the nearest of several places; without
    it several places are an error, since guessing could change the wrong one.
    """
    want = [bare(line) for line in block]
    keys = [bare(line) for line in lines]
    hits = _hits(keys, want)
    if len(hits) == 1 or (hits and near is not None):
        start = min(hits, key=lambda i: abs(i - (near or 0)))
        return Spot(start, start + len(want))
    if hits:
        raise NoMatch(
            f"the SEARCH text is found {len(hits)} times (lines {_lines_list(hits)}); "
            "it must match one place: add a line or two around it",
            ambiguous=True,
        )
    a, b = _trim_blank(want)
    loose_want = [line.strip() for line in want[a:b]]
    loose_keys = [line.strip() for line in keys]
    loose = _hits(loose_keys, loose_want)
    if len(loose) > 1 and near is not None:
        loose = [min(loose, key=lambda i: abs(i - near))]
    if len(loose) == 1:
        start = loose[0]
        first = next((i for i, line in enumerate(loose_want) if line), 0)
        pairs = {
            _indent(want[a + i]): _indent(keys[start + i])
            for i, line in enumerate(loose_want)
            if line
        }
        return Spot(
            start,
            start + len(loose_want),
            tolerant=True,
            indent_from=_indent(want[a + first]),
            indent_to=_indent(keys[start + first]),
            indents=tuple(sorted(pairs.items(), key=lambda p: -len(p[0]))),
        )
    if loose:
        raise NoMatch(
            f"the SEARCH text is found {len(loose)} times when ignoring indentation (lines "
            f"{_lines_list(loose)}); it must match one place",
            ambiguous=True,
        )
    raise NoMatch("the SEARCH text is not in the file (not even ignoring indentation)")


def reindent(lines: list[str], spot: Spot) -> list[str]:
    """`lines` moved from the block's indentation to the file's (a tolerant match's replacement)."""
    if all(a == b for a, b in spot.indents) and spot.indent_from == spot.indent_to:
        return lines
    out = []
    for line in lines:
        indent = _indent(line)
        known = next(((a, b) for a, b in spot.indents if indent.startswith(a)), None)
        if not line.strip():
            out.append(line)
        elif known is not None and (known[0] or not spot.indent_from):
            out.append(known[1] + line[len(known[0]) :])
        elif line.startswith(spot.indent_from):
            out.append(spot.indent_to + line[len(spot.indent_from) :])
        else:
            out.append(spot.indent_to + line.lstrip(" \t"))
    return out


def closest_region(lines: list[str], block: list[str], *, margin: int = 5) -> tuple[int, int]:
    """The lines [start, end) most like `block` (most of its lines in a window of its size),
    widened by `margin`; (0, 0) when no line of `block` is in the file."""
    wanted = {line.strip() for line in block if line.strip()}
    size = max(1, len(block))
    keys = [line.strip() for line in lines]
    score = sum(1 for key in keys[:size] if key in wanted)
    best, best_at = score, 0
    for i in range(1, len(keys) - size + 1):
        score += (keys[i + size - 1] in wanted) - (keys[i - 1] in wanted)
        if score > best:
            best, best_at = score, i
    if best == 0:
        return 0, 0
    return max(0, best_at - margin), min(len(lines), best_at + size + margin)
