"""What an apply wrote, as a unified diff: made at apply time, read back from the journal.

`StagingArea.apply` saves `files_diff` of its writes as the entry's `applied.diff` extra;
`applied_diff` reads it back, or rebuilds it for entries written before that extra existed
(from the saved before-bytes and the file as it is now, while it is still as the apply left
it). Works without git. Core module: never imports textual.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from pathlib import Path

from workbench.apply.filetext import split_lines
from workbench.apply.journal import Journal
from workbench.apply.journal_entry import JournalEntry, JournalFile
from workbench.project.files import ToolError, confine
from workbench.session.store import SessionError, read_meta

APPLIED_DIFF_EXTRA = "applied.diff"
"""The name under which an apply's journal entry keeps the diff of what it wrote."""
DIFF_CONTEXT = 3
"""Lines of unchanged text around each change in the diff."""
MAX_DIFF_BYTES = 2 * 1024 * 1024
"""A file bigger than this (before or after) gets one line in the diff, not its lines."""
NO_NEWLINE = "\\ No newline at end of file\n"
_HUNK = re.compile(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def file_diff(path: str, before: bytes | None, after: bytes | None) -> str:
    """One file's change as a unified diff (`a/path` → `b/path`, /dev/null for new or deleted);
    a binary or over-large file gets one line saying it changed; "" when nothing changed."""
    if before == after:
        return ""
    if _binary_or_large(before) or _binary_or_large(after):
        return f"Binary or large file {path} changed\n"
    old = split_lines(_text(before))
    new = split_lines(_text(after))
    lines = difflib.unified_diff(
        old,
        new,
        fromfile="/dev/null" if before is None else f"a/{path}",
        tofile="/dev/null" if after is None else f"b/{path}",
        n=DIFF_CONTEXT,
        lineterm="\n",
    )
    out: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:  # the last line of a text without a final newline: say so, as git does
            out += [line + "\n", NO_NEWLINE]
    if not out:  # an empty file created, or emptied: the headers alone say which
        out = [f"--- {'/dev/null' if before is None else 'a/' + path}\n"]
        out.append(f"+++ {'/dev/null' if after is None else 'b/' + path}\n")
    return "".join(out)


def files_diff(changes: list[tuple[str, bytes | None, bytes | None]]) -> str:
    """The diffs of several files, each `(path, before, after)`, one after another."""
    return "".join(file_diff(path, before, after) for path, before, after in changes)


def diff_counts(diff: str) -> tuple[int, int]:
    """(added, removed) lines in a unified diff, counted inside its `@@` hunks only."""
    added = removed = 0
    old_left = new_left = 0
    for line in diff.split("\n"):
        if old_left <= 0 and new_left <= 0:
            match = _HUNK.match(line)
            if match:
                old_left = int(match.group(1) or 1)
                new_left = int(match.group(2) or 1)
            continue
        if line.startswith("-"):
            removed += 1
            old_left -= 1
        elif line.startswith("+"):
            added += 1
            new_left -= 1
        elif line.startswith(" "):
            old_left -= 1
            new_left -= 1
    return added, removed


def applied_diff(journal: Journal, entry: JournalEntry, *, root: Path | None = None) -> str:
    """What `entry`'s apply wrote, as a unified diff (also for an undone apply).

    The diff saved with the apply when there is one; for older entries it is rebuilt from the
    saved before-bytes and each file as it is now in the project (`root`, by default the
    session's project), and a file changed since is named instead of diffed.
    """
    saved = journal.extra(entry, APPLIED_DIFF_EXTRA)
    if saved is not None:
        return saved.decode("utf-8", errors="replace")
    if root is None:
        root = project_root(journal.folder.parent)
    return "".join(_rebuilt(journal, entry, file, root) for file in entry.files)


def session_diff(session_folder: Path, apply_ids: list[str], *, root: Path | None = None) -> str:
    """The diffs of several applies of a session, in the order of `apply_ids`, joined."""
    journal = Journal(session_folder)
    entries = {entry.id: entry for entry in journal.entries()}
    out: list[str] = []
    for apply_id in apply_ids:
        entry = entries.get(apply_id)
        if entry is None:
            out.append(f"Apply {apply_id} is not in the journal; its diff is not known.\n")
        else:
            out.append(applied_diff(journal, entry, root=root))
    return "".join(out)


def project_root(session_folder: Path) -> Path | None:
    """The project a session is about, from its session.json; None if that cannot be read."""
    try:
        return Path(read_meta(session_folder).project_dir)
    except SessionError:
        return None


def _rebuilt(journal: Journal, entry: JournalEntry, file: JournalFile, root: Path | None) -> str:
    """One file's diff for an entry without a saved diff, or a line saying why it is unknown."""
    unknown = f"{file.path} changed since the apply; its diff is not known\n"
    try:
        before = journal.before_bytes(entry, file)
    except OSError:
        return f"{file.path}: its copy from before the apply is missing; its diff is not known\n"
    if _sha(before) != file.before_sha256:
        return f"{file.path}: its copy from before the apply is damaged; its diff is not known\n"
    if root is None:
        return f"{file.path}: the project folder is not known; its diff is not known\n"
    try:
        real, _ = confine(root, file.path)
        current = real.read_bytes() if os.path.lexists(real) else None
    except (OSError, ToolError):
        return unknown
    if _sha(current) != file.after_sha256:
        return unknown
    return file_diff(file.path, before, current)


def _binary_or_large(data: bytes | None) -> bool:
    return data is not None and (len(data) > MAX_DIFF_BYTES or b"\x00" in data[:8192])


def _text(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8", errors="replace")


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()
