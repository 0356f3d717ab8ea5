"""What a reply asks to change: one `Edit` per search/replace block, file, diff or plan item.

Core module: never imports textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

EditKind = Literal[
    "replace", "whole_file", "diff", "add_import", "add_line", "remove_line", "model_edit", "delete"
]
"""What the edit does:

- replace: `search` -> `replace` (a SEARCH/REPLACE block, or a plan's "replace");
- whole_file: the file becomes `replace` (a fenced block with its path; creates new files);
- diff: `diff` holds one file's unified-diff hunks (the lines from the first `@@` on);
- add_import: the line `replace` is added after the file's last import (or at the top);
- add_line: the line `replace` is added at `position` ("start" or "end");
- remove_line: the line(s) equal to `search` (stripped) are removed;
- model_edit: `instruction` in plain words; the fast model carries it out;
- delete: the file is deleted.
"""

EditFormat = Literal["search_replace", "fenced_file", "unified_diff", "json_plan"]
"""How the reply wrote the edit."""


@dataclass(frozen=True, kw_only=True)
class Edit:
    """One change a reply asks for, as written; nothing is resolved against the disk yet."""

    path: str
    """The path as the reply wrote it (POSIX, usually relative to the project root)."""
    kind: EditKind
    format: EditFormat
    search: str = ""
    """replace / remove_line: the text to find."""
    replace: str = ""
    """replace: the new text; whole_file: the whole new file; add_import / add_line: the line."""
    position: Literal["start", "end"] = "end"
    """add_line: where the line goes."""
    instruction: str = ""
    """model_edit: what to do, in plain words."""
    diff: str = ""
    """diff: this file's hunks (from the first `@@` line on), as written."""
    new_file: bool = False
    """The reply says the file is new (a diff from /dev/null, "new file" wording)."""
    incomplete: bool = False
    """The edit's block never ended (an unclosed fence or SEARCH block): never applied."""
    line: int = 0
    """1-based line of the reply where the edit starts (to point the user at it)."""


@dataclass(frozen=True, kw_only=True)
class ParseProblem:
    """Something in a reply that looked like an edit but could not be read as one."""

    line: int
    """1-based line of the reply."""
    message: str
    """What was wrong, in one sentence."""


@dataclass(kw_only=True)
class ParsedReply:
    """The edits found in one reply, in reply order, and what could not be read."""

    edits: list[Edit] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
