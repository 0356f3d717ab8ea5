"""The staged changes of a session: files, their hunks, and the user's decision on each.

Nothing here writes into the project: a `ChangeSet` is what a reply proposes and what the user
decided, saved in the session folder (`changes.json`) so it survives a restart. `FileChange.render`
gives the bytes a file gets from its accepted hunks; `rebase` re-fits the hunks when the file
changed on disk since they were made. Core module: never imports textual.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from workbench.apply.edits import Edit
from workbench.apply.filetext import FileText
from workbench.fileio import atomic_write
from workbench.session.ids import now_iso

CHANGES_VERSION = 1
CHANGES_FILE = "changes.json"
CONTEXT_LINES = 3
"""Unchanged lines kept on each side of a hunk, shown around it and used to find it again."""

Decision = Literal["pending", "accepted", "rejected", "applied"]
FileStatus = Literal["new", "modified", "deleted"]


@dataclass(kw_only=True)
class Hunk:
    """One contiguous change to a file, decided on by itself."""

    old_start: int
    """0-based index of the first replaced line in the file as it was staged (its base)."""
    old_lines: list[str]
    """The base lines this hunk replaces (endings kept); empty for a pure insertion."""
    new_lines: list[str]
    """The lines the reply proposes instead."""
    before: list[str] = field(default_factory=list)
    """Up to CONTEXT_LINES unchanged base lines just above."""
    after: list[str] = field(default_factory=list)
    """Up to CONTEXT_LINES unchanged base lines just below."""
    origin: list[str] = field(default_factory=list)
    """How it was made: "exact", "tolerant", "whole file", "diff", "plan", "model <name>"."""
    reply_id: str = ""
    """The reply it came from."""
    decision: Decision = "pending"
    note: str = ""
    """Why it was rejected, in the user's words; sent back with the next follow-up."""
    edited: list[str] | None = None
    """The new side as the user edited it by hand; used instead of `new_lines`."""
    decided_at: str = ""
    problem: str = ""
    """Why it cannot be accepted as it is (its lines are gone from the file); empty when fine."""

    @property
    def final_lines(self) -> list[str]:
        """The lines this hunk writes when accepted."""
        return self.edited if self.edited is not None else self.new_lines

    @property
    def added(self) -> int:
        """Lines added (the `+` count)."""
        return len(self.final_lines)

    @property
    def removed(self) -> int:
        """Lines removed (the `-` count)."""
        return len(self.old_lines)

    def decide(self, decision: Decision, note: str = "") -> None:
        """Record the user's decision (and a rejection's note)."""
        self.decision = decision
        self.note = note if decision == "rejected" else ""
        self.decided_at = now_iso()


@dataclass(kw_only=True)
class FileChange:
    """A file the reply changes, creates or deletes, and its hunks in file order."""

    path: str
    """POSIX, relative to the project root."""
    status: FileStatus
    hunks: list[Hunk]
    base_sha256: str | None
    """sha256 of the file the hunks were made from; None for a new file."""
    encoding: str = "utf-8"
    bom: str = ""
    """The byte-order mark as latin-1 text ("" for none), so the file is written back as read."""
    newline: str = "\n"
    notice: str = ""
    """Something the user should know about this file (e.g. it was re-diffed)."""

    @property
    def added(self) -> int:
        """Lines added by all its hunks."""
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        """Lines removed by all its hunks."""
        return sum(h.removed for h in self.hunks)

    def file_text(self, lines: list[str]) -> FileText:
        """A FileText with this file's encoding for `lines`."""
        return FileText(
            lines=lines,
            encoding=self.encoding,
            bom=self.bom.encode("latin-1"),
            newline=self.newline,
        )

    def render(self, base: list[str], decisions: tuple[Decision, ...] = ("accepted",)) -> list[str]:
        """The file's lines when its hunks decided as in `decisions` are applied to `base`."""
        out: list[str] = []
        at = 0
        for hunk in self.hunks:
            if hunk.problem or hunk.decision == "applied":
                continue  # lines not where it says (never written), or history
            out += base[at : hunk.old_start]
            end = hunk.old_start + len(hunk.old_lines)
            out += hunk.final_lines if hunk.decision in decisions else base[hunk.old_start : end]
            at = end
        out += base[at:]
        if out and base and not base[-1].endswith("\n") and out[-1] == base[-1] + self.newline:
            out[-1] = base[-1]  # the file had no newline at its end, and its last line stayed
        return out

    def mark_applied(self, written: FileText) -> None:
        """After the accepted hunks were written as `written`: they become "applied", and the
        hunks still open are moved to where their lines now are."""
        shift = 0
        for hunk in self.hunks:
            if hunk.problem or hunk.decision == "applied":
                continue
            if hunk.decision == "accepted":
                hunk.decision = "applied"
                hunk.decided_at = now_iso()
                shift += len(hunk.final_lines) - len(hunk.old_lines)
            else:
                hunk.old_start += shift
                with_context(written.lines, hunk)
        self.base_sha256 = written.sha256 if written.sha256 else None
        if self.status == "new":
            self.status = "modified"


@dataclass(kw_only=True)
class EditFailure:
    """An edit that produced no hunk, and why; listed, never dropped."""

    edit: Edit
    reason: str
    reply_id: str = ""


@dataclass(kw_only=True)
class ChangeSet:
    """What one or more Implement replies propose, as files of hunks, and what failed."""

    reply_id: str = ""
    """The reply staged last."""
    source: str = ""
    """That reply in a few words for people: "qwen2.5-coder:14b, 05:50, spec v1"."""
    reply_chars: int | None = None
    """The length of the reply's text when staged: a reply continued since (it was cut at
    its token limit) has grown and is staged again. None in files from before."""
    files: list[FileChange] = field(default_factory=list)
    failures: list[EditFailure] = field(default_factory=list)
    created: str = ""

    def file(self, path: str) -> FileChange | None:
        """The change to `path`, if any."""
        return next((f for f in self.files if f.path == path), None)

    @property
    def open_hunks(self) -> list[tuple[FileChange, Hunk]]:
        """Hunks not applied yet, with their files."""
        return [(f, h) for f in self.files for h in f.hunks if h.decision != "applied"]

    @property
    def accepted(self) -> list[FileChange]:
        """Files with at least one accepted, unapplied hunk."""
        return [f for f in self.files if any(h.decision == "accepted" for h in f.hunks)]


def changes_path(session_folder: Path) -> Path:
    """Where a session keeps its staged changes."""
    return session_folder / CHANGES_FILE


def dump_changes(changes: ChangeSet) -> bytes:
    """The change set as the bytes of `changes.json`."""
    data = {"version": CHANGES_VERSION, **asdict(changes)}
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def save_changes(session_folder: Path, changes: ChangeSet) -> None:
    """Write the change set atomically into the session folder."""
    atomic_write(changes_path(session_folder), dump_changes(changes))


class ChangesUnreadable(Exception):
    """`changes.json` exists but cannot be read; the message says why."""


def load_changes(session_folder: Path) -> ChangeSet:
    """The session's staged changes (empty when there are none); ChangesUnreadable if corrupt."""
    path = changes_path(session_folder)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ChangeSet()
    except OSError as error:
        raise ChangesUnreadable(f"{path} cannot be read: {error.strerror or error}") from None
    return parse_changes(raw, str(path))


def parse_changes(raw: bytes, shown_as: str) -> ChangeSet:
    """A change set from the bytes of a `changes.json`."""
    try:
        data: Any = json.loads(raw.decode("utf-8"))
        if data.get("version", 1) > CHANGES_VERSION:
            raise ChangesUnreadable(f"{shown_as} was written by a newer workbench")
        files = [
            FileChange(
                **{k: v for k, v in f.items() if k != "hunks"},
                hunks=[Hunk(**h) for h in f["hunks"]],
            )
            for f in data["files"]
        ]
        failures = [
            EditFailure(edit=Edit(**f["edit"]), reason=f["reason"], reply_id=f.get("reply_id", ""))
            for f in data["failures"]
        ]
        return ChangeSet(
            reply_id=data.get("reply_id", ""),
            source=data.get("source", ""),
            reply_chars=data.get("reply_chars"),
            files=files,
            failures=failures,
            created=data.get("created", ""),
        )
    except ChangesUnreadable:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ChangesUnreadable(f"{shown_as} is unreadable ({error})") from None


def hunks_from_lines(
    base: list[str], final: list[str], provenance: list[int], deleted_by: dict[int, int]
) -> list[tuple[int, list[str], list[str], set[int]]]:
    """The contiguous changes between `base` and `final`: (old start, old lines, new lines, edits).

    `provenance[j]` says where final line j came from: i >= 0 is base line i kept as it was,
    -(e + 1) a line written by edit e. `deleted_by` maps removed base lines to their edit.
    """
    out: list[tuple[int, list[str], list[str], set[int]]] = []
    at = 0
    new: list[str] = []
    edits: set[int] = set()
    start = 0

    def close(upto: int) -> None:
        nonlocal new, edits
        old = base[start:upto]
        if old or new:
            edits.update(deleted_by.get(i, -1) for i in range(start, upto))
            edits.discard(-1)
            out.append((start, old, new, edits))
        new, edits = [], set()

    for j, source in enumerate(provenance):
        if source >= 0:
            if source > at or new:
                close(source)
            at = source + 1
            start = at
        else:
            if not new:
                start = at
            new.append(final[j])
            edits.add(-source - 1)
    if at < len(base) or new:
        start = start if new else at
        close(len(base))
    return out


def with_context(base: list[str], hunk: Hunk) -> None:
    """Fill the hunk's `before`/`after` from `base`."""
    hunk.before = base[max(0, hunk.old_start - CONTEXT_LINES) : hunk.old_start]
    end = hunk.old_start + len(hunk.old_lines)
    hunk.after = base[end : end + CONTEXT_LINES]
