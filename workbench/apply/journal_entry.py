"""The records of the apply journal: one `JournalEntry` per apply, one `JournalFile` per file,
and how they are read back from `entry.json` (strictly: a malformed entry is refused).

Core module: never imports textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

JOURNAL_VERSION = 1
"""The `version` field of entry.json."""
EntryState = Literal["writing", "applied", "undone"]
"""writing: the apply started and may have stopped half way; applied: done; undone: undone."""
_STATES: tuple[EntryState, ...] = ("writing", "applied", "undone")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


def plain_name(name: str) -> str:
    """`name` if it is a plain file name (for a blob inside an entry); ValueError otherwise."""
    if not _PLAIN_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a plain file name (letters, digits, '.', '_', '-').")
    return name


@dataclass(frozen=True, kw_only=True)
class JournalFile:
    """One file of an apply: its state before and after, and where its old bytes are kept."""

    path: str
    """POSIX, relative to the project root."""
    before_sha256: str | None
    """None: the file did not exist before the apply."""
    after_sha256: str | None
    """None: the apply deleted the file."""
    mode_before: int | None
    """Permission bits before the apply; None when the file did not exist."""
    blob: str | None
    """File name of the saved before-bytes in the entry's `before/` folder; None if none."""


@dataclass(frozen=True, kw_only=True)
class JournalEntry:
    """One apply: which files it wrote, whether it is still in place, and its git commits."""

    id: str
    """The entry's folder name, e.g. "0003"; ids grow with each apply."""
    time: str
    """When the apply started, ISO 8601 in UTC."""
    reply_id: str
    """The reply whose changes were applied."""
    files: list[JournalFile]
    state: EntryState
    commit: str | None = None
    """The git commit holding the apply, when one was made."""
    undo_commit: str | None = None
    """The git commit holding the undo, when one was made."""
    note: str = ""
    """Anything worth telling the user about this apply (a failed commit, a rollback)."""
    created_dirs: list[str] = field(default_factory=list)
    """Directories the apply created (POSIX, relative to the root); undo removes them if empty."""

    @property
    def paths(self) -> list[str]:
        """The paths of the entry's files, in apply order."""
        return [file.path for file in self.files]


def entry_from_json(raw: Any) -> JournalEntry:
    """The entry in a parsed entry.json; ValueError, KeyError or TypeError if malformed."""
    if not isinstance(raw, dict) or raw.pop("version", None) != JOURNAL_VERSION:
        raise ValueError(f"not a version {JOURNAL_VERSION} journal entry")
    if raw.get("state") not in _STATES:
        raise ValueError(f"unknown state {raw.get('state')!r}")
    files = [JournalFile(**_checked(file, _FILE_TYPES)) for file in raw.pop("files")]
    entry = JournalEntry(files=files, **_checked(raw, _ENTRY_TYPES))
    if not all(isinstance(directory, str) for directory in entry.created_dirs):
        raise TypeError("created_dirs holds something other than paths")
    for file in files:
        if file.blob is not None:
            plain_name(file.blob)  # a plain name inside before/, never a path
    return entry


_OPTIONAL_STR = (str, type(None))
_FILE_TYPES: dict[str, type | tuple[type, ...]] = {
    "path": str,
    "before_sha256": _OPTIONAL_STR,
    "after_sha256": _OPTIONAL_STR,
    "mode_before": (int, type(None)),
    "blob": _OPTIONAL_STR,
}
_ENTRY_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "time": str,
    "reply_id": str,
    "state": str,
    "commit": _OPTIONAL_STR,
    "undo_commit": _OPTIONAL_STR,
    "note": str,
    "created_dirs": list,
}


def _checked(record: Any, types: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """`record` if it is a dict whose keys are among `types`, each value of its type."""
    if not isinstance(record, dict):
        raise TypeError(f"{record!r} is not an object")
    for key, value in record.items():
        if key not in types or not isinstance(value, types[key]):
            raise TypeError(f"unexpected {key!r}: {value!r}")
    return record
