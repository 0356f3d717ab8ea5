"""Cutting a unified diff in a reply into one part per file, with its `@@` hunks.

Core module: never imports textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workbench.apply.filetext import split_lines
from workbench.apply.reply_paths import clean_path

DIFF_LINE_STARTS = (
    "+",
    "-",
    " ",
    "@@",
    "\\",
    "diff ",
    "index ",
    "new file mode",
    "deleted file mode",
)
"""How the lines of a unified diff begin (to see where a diff outside a fence ends)."""


@dataclass
class DiffFile:
    """One file's part of a unified diff."""

    path: str
    """From the `+++` header (the `---` one for a deletion), without `a/`/`b/`; "" if none."""
    index: int
    """Where the part starts, within the diff's lines."""
    new_file: bool = False
    """The diff is from /dev/null (or says "new file mode")."""
    deleted: bool = False
    """The diff is to /dev/null (or says "deleted file mode")."""
    headed: bool = False
    """The part had `---`/`+++` headers."""
    hunks: list[str] = field(default_factory=list)
    """The lines from the first `@@` on."""


def diff_path(raw: str) -> str:
    """The path of a `---`/`+++`/`diff --git` name, without its timestamp and `a/`/`b/` prefix."""
    path = raw.split("\t", 1)[0].strip().strip("\"'")
    if path != "/dev/null" and path[:2] in ("a/", "b/"):
        path = path[2:]
    return clean_path(path)


def is_file_header(lines: list[str], index: int) -> bool:
    """Whether line `index` starts a file's header (`diff --git`, or `---` over `+++`)."""
    line = lines[index]
    if line.startswith("diff --git "):
        return True
    return (
        line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ ")
    )


def starts_like_diff(lines: list[str]) -> bool:
    """Whether text (a fence with no language) begins like a unified diff."""
    shown = [line for line in lines[:3] if line.strip()]
    return bool(shown) and (shown[0].startswith("@@ ") or is_file_header(shown, 0))


def split_diff(lines: list[str]) -> list[DiffFile]:
    """A unified diff cut per file; lines before a first `@@` other than headers are skipped."""
    files: list[DiffFile] = []
    current: DiffFile | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("diff --git "):
            current = DiffFile(diff_path(line.split()[-1]), index)
            files.append(current)
        elif is_file_header(lines, index):
            if current is None or current.hunks or current.headed:
                current = DiffFile("", index)
                files.append(current)
            old, new = diff_path(line[4:]), diff_path(lines[index + 1][4:])
            current.headed, current.new_file = True, old == "/dev/null"
            current.deleted = new == "/dev/null"
            current.path = old if current.deleted else new
            index += 1
        elif line.startswith("@@") or (current is not None and current.hunks):
            if current is None:
                current = DiffFile("", index)
                files.append(current)
            current.hunks.append(line)
        elif current is not None and line.startswith(("new file mode", "deleted file mode")):
            current.new_file = current.new_file or line.startswith("new")
            current.deleted = current.deleted or line.startswith("deleted")
        index += 1
    for part in files:
        while part.hunks and not part.hunks[-1].strip():
            part.hunks.pop()
    return files


HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def diff_hunks(diff: str) -> list[tuple[int, list[str], list[str], str]]:
    """A unified diff's hunks as (0-based old start, old lines, new lines, the hunk as written)."""
    hunks: list[tuple[int, list[str], list[str], str]] = []
    raw: list[str] = []
    for line in split_lines(diff):
        header = HUNK_HEADER.match(line)
        if header:
            raw = [line]
            # "-5,0" inserts after line 5; "-5,2" replaces lines 5 and 6.
            first = int(header.group(1)) if header.group(2) == "0" else int(header.group(1)) - 1
            hunks.append((max(first, 0), [], [], ""))
            continue
        if not hunks or line.startswith("\\"):
            continue  # before the first hunk, or "\ No newline at end of file"
        start, old, new, _ = hunks[-1]
        raw.append(line)
        hunks[-1] = (start, old, new, "".join(raw))
        body = line[1:] if line[:1] in (" ", "-", "+") else line
        if not body.endswith("\n"):
            body += "\n"
        if line.startswith("-"):
            old.append(body)
        elif line.startswith("+"):
            new.append(body)
        else:  # context (a blank context line often loses its leading space)
            old.append(body)
            new.append(body)
    return hunks
