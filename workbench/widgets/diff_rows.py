"""The rows of a staged file's diff, one per screen line of the DiffView, and their text."""

from __future__ import annotations

import textwrap
from typing import Literal, NamedTuple

from workbench.apply.changes import FileChange, Hunk
from workbench.apply.staging_area import side_by_side_rows
from workbench.textclean import sanitize

MINUS = "\N{MINUS SIGN}"
"""The sign of a removed-lines count (a hyphen reads as a dash)."""

RowKind = Literal[
    "header", "problem", "note", "notice", "gap", "context", "removed", "added", "pair"
]


class DiffRow(NamedTuple):
    """One screen line of the diff."""

    kind: RowKind
    hunk: int = -1
    """Index in the file's hunks of the hunk this row belongs to (-1: none)."""
    old_no: int = 0
    """1-based line number on the old side (0: none)."""
    new_no: int = 0
    """1-based line number on the new side (0: none)."""
    old: str | None = None
    """The old side's text (the only text of context, removed and message rows)."""
    new: str | None = None
    """The new side's text (added rows, and the right half of side-by-side rows)."""


def clean(line: str) -> str:
    """A line of a file or of model text, safe and one cell per column: no ending, no escape
    sequences or control characters, tabs expanded."""
    text = line.rstrip("\r\n")
    return text if text.isprintable() else sanitize(text).expandtabs(4)


def diff_rows(
    change: FileChange, side_by_side: bool, width: int = 80
) -> tuple[list[DiffRow], list[int]]:
    """The rows showing `change`, and the row of each hunk's header (by hunk index).

    Context lines the previous hunk already showed are not shown again; messages (notices,
    problems, notes) are wrapped to `width`.
    """
    rows: list[DiffRow] = []
    headers: list[int] = []

    def message(kind: RowKind, label: str, text: str, hunk: int = -1) -> None:
        parts = textwrap.wrap(clean(text), max(20, width - len(label) - 2)) or [""]
        for number, part in enumerate(parts):
            rows.append(
                DiffRow(kind, hunk, old=(label if number == 0 else " " * len(label)) + part)
            )

    if change.notice:
        message("notice", "• ", change.notice)
    shift = shown_until = end = 0
    for index, hunk in enumerate(change.hunks):
        if rows:
            rows.append(DiffRow("gap"))
        headers.append(len(rows))
        rows.append(DiffRow("header", index))
        if hunk.problem:
            message("problem", "⚠ ", hunk.problem, index)
        if hunk.decision == "rejected" and hunk.note:
            message("note", "✎ note: ", hunk.note, index)
        if hunk.decision == "applied":
            continue  # history: its header says what was written
        first = hunk.old_start - len(hunk.before)
        in_order = hunk.old_start >= end
        skip = min(len(hunk.before), max(0, shown_until - first)) if in_order else 0
        old_no, new_no = first + skip + 1, first + skip + 1 + shift
        pairs: list[tuple[str | None, str | None]] = [(x, x) for x in hunk.before[skip:]]
        if side_by_side:
            pairs += side_by_side_rows(hunk)
        else:
            pairs += [(x, None) for x in hunk.old_lines] + [(None, x) for x in hunk.final_lines]
        pairs += [(x, x) for x in hunk.after]
        for left, right in pairs:
            old = None if left is None else clean(left)
            new = None if right is None else clean(right)
            kind: RowKind = "context" if old == new else "pair"
            if not side_by_side and kind == "pair":
                kind = "removed" if new is None else "added"
            rows.append(
                DiffRow(
                    kind, index, old_no * (old is not None), new_no * (new is not None), old, new
                )
            )
            old_no += old is not None
            new_no += new is not None
        shift += len(hunk.final_lines) - len(hunk.old_lines)
        end = hunk.old_start + len(hunk.old_lines)
        shown_until = end + len(hunk.after)
    return rows, headers


def header_text(hunk: Hunk) -> tuple[str, str]:
    """A hunk's header without and with its decision: (`@@ line N · +a -b · origin · `, what)."""
    origin = ", ".join(hunk.origin) or "reply"
    what = hunk.decision + (" · edited by you" if hunk.edited is not None else "")
    counts = f"+{hunk.added} {MINUS}{hunk.removed}"
    return f"@@ line {hunk.old_start + 1} · {counts} · {origin} · ", what
