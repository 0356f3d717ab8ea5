"""A session's staging area: stage a reply's edits, decide on hunks, apply, undo.

The one object the Changes view and `workbench changes/apply/undo` both use: it owns the
session's `ChangeSet` (saved after every decision) and its `Journal`. Core module: never
imports textual.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

from workbench.apply.changes import (
    ChangeSet,
    ChangesUnreadable,
    Decision,
    FileChange,
    Hunk,
    dump_changes,
    load_changes,
    parse_changes,
    save_changes,
)
from workbench.apply.filetext import FileText, decode, read_file_text
from workbench.apply.journal import (
    ChangedOnDisk,
    Journal,
    PlannedWrite,
    apply_writes,
    undo_last,
)
from workbench.apply.journal_entry import JournalEntry
from workbench.apply.parse import parse_edits
from workbench.apply.rebase import rebase
from workbench.apply.round_diff import APPLIED_DIFF_EXTRA as APPLIED_DIFF_EXTRA
from workbench.apply.round_diff import files_diff
from workbench.apply.stage import ModelEditor, stage_reply
from workbench.project.files import ToolError, confine

CHANGES_EXTRA = "changes.json"
"""The name under which an apply's journal entry keeps the change set as it was before."""
MATCHED_LINES = 1_000
"""The most lines a side of a hunk may have for `side_by_side_rows` to match them (difflib)."""


@dataclass(kw_only=True)
class ApplyResult:
    """What an apply did: the journal entry, and the files it had to leave for another look."""

    entry: JournalEntry | None = None
    written: list[str] = field(default_factory=list)
    review_again: list[str] = field(default_factory=list)
    """Files that changed on disk since their diff: re-diffed, some decisions to make again."""
    message: str = ""


class StagingArea:
    """The staged changes of one session and what was applied from them."""

    def __init__(self, session_folder: Path, project_root: Path) -> None:
        self.folder = session_folder
        self.root = project_root
        self.journal = Journal(session_folder)
        self.warnings: list[str] = []
        try:
            self.changes = load_changes(session_folder)
        except ChangesUnreadable as error:
            self.warnings.append(f"{error}; the staged changes start empty (the file is kept).")
            self.changes = ChangeSet()

    def save(self) -> None:
        """Write the change set to the session folder."""
        save_changes(self.folder, self.changes)

    async def stage(
        self,
        reply_text: str,
        reply_id: str,
        *,
        cut: bool = False,
        editor: ModelEditor | None = None,
        source: str = "",
    ) -> ChangeSet:
        """Stage a reply's edits, replacing what was staged and not applied; saved."""
        parsed = parse_edits(reply_text)
        self.changes = await stage_reply(
            self.root, parsed, reply_id=reply_id, cut=cut, editor=editor
        )
        self.changes.source = source
        self.changes.reply_chars = len(reply_text)
        self.save()
        return self.changes

    def decide(self, path: str, index: int, decision: Decision, note: str = "") -> Hunk:
        """Accept or reject one hunk (with a note when rejected); saved."""
        hunk = self._hunk(path, index)
        if hunk.problem and decision == "accepted":
            raise ToolError(f"This change cannot be accepted: {hunk.problem}.")
        hunk.decide(decision, note)
        self.save()
        return hunk

    def decide_file(self, path: str, decision: Decision) -> None:
        """Accept or reject every open hunk of a file; saved."""
        change = self._file(path)
        for hunk in change.hunks:
            if hunk.decision != "applied" and not (hunk.problem and decision == "accepted"):
                hunk.decide(decision)
        self.save()

    def edit_hunk(self, path: str, index: int, lines: list[str]) -> Hunk:
        """Replace a hunk's new side with the user's own lines and accept it; saved."""
        change = self._file(path)
        hunk = self._hunk(path, index)
        if hunk.problem:
            raise ToolError(f"This change cannot be accepted: {hunk.problem}.")
        if hunk.decision == "applied":
            raise ToolError("This change is applied already; undo it first.")
        try:
            "".join(lines).encode(change.encoding)
        except UnicodeEncodeError as error:
            raise ToolError(
                f"{path} is {change.encoding} text, which cannot hold "
                f"{''.join(lines)[error.start : error.end]!r}."
            ) from None
        ending = change.newline
        hunk.edited = [line.rstrip("\r\n") + ending for line in lines]
        hunk.decide("accepted")
        self.save()
        return hunk

    def _file(self, path: str) -> FileChange:
        change = self.changes.file(path)
        if change is None:
            raise ToolError(f"No staged change to {path}.")
        return change

    def _hunk(self, path: str, index: int) -> Hunk:
        hunks = self._file(path).hunks
        if not 0 <= index < len(hunks):
            raise ToolError(f"{path} has no hunk {index + 1}.")
        return hunks[index]

    def _base(self, change: FileChange) -> FileText:
        """The file as it is now (empty when it does not exist)."""
        real, relative = confine(self.root, change.path)
        return read_file_text(real, relative) if os.path.lexists(real) else FileText.empty()

    def apply(self, paths: list[str] | None = None) -> ApplyResult:
        """Write the accepted hunks (of `paths`, or of every file) into the project.

        Files changed on disk since their diff are re-diffed first; when a decision there cannot
        be kept nothing is written and `review_again` names the files.
        """
        chosen = [c for c in self.changes.accepted if paths is None or c.path in paths]
        if not chosen:
            return ApplyResult(message="Nothing accepted to apply.")
        writes: list[PlannedWrite] = []
        again: list[str] = []
        bases: dict[str, FileText] = {}
        for change in chosen:
            base = self._base(change)
            if (base.sha256 or None) != change.base_sha256:
                if rebase(change, base):
                    again.append(change.path)
                change.notice = "changed on disk since its diff was made: re-diffed"
            bases[change.path] = base
        if again:
            self.save()
            return ApplyResult(
                review_again=again,
                message=f"{', '.join(again)} changed on disk since the diff was made; "
                "look at the changes again (nothing was written).",
            )
        before = dump_changes(self.changes)
        for change in chosen:
            base = bases[change.path]
            lines = change.render(base.lines)
            # Deleted only when the user accepted the deletion as it is (not edited).
            gone = (
                change.status == "deleted"
                and not lines
                and all(
                    h.decision == "accepted" and h.edited is None and not h.problem
                    for h in change.hunks
                )
            )
            writes.append(
                PlannedWrite(
                    path=change.path,
                    data=None if gone else change.file_text(lines).encode(lines),
                    expect_sha256=change.base_sha256,
                )
            )
        # Made before writing (apply_writes saves it with the entry), from the bytes each
        # change was made from: the journal's diff needs no git and no later read of the files.
        applied = files_diff([(w.path, _bytes_of(bases[w.path]), w.data) for w in writes])
        try:
            entry = apply_writes(
                self.root,
                writes,
                self.journal,
                reply_id=self.changes.reply_id,
                extra={CHANGES_EXTRA: before, APPLIED_DIFF_EXTRA: applied.encode()},
            )
        except ChangedOnDisk as error:
            return ApplyResult(message=str(error), review_again=list(error.paths))
        for change, write in zip(chosen, writes, strict=True):
            data = write.data
            written = FileText.empty() if data is None else decode(data, change.path)
            change.mark_applied(written)
        self.save()
        return ApplyResult(entry=entry, written=[w.path for w in writes])

    def undo(self) -> JournalEntry:
        """Undo the last apply: the files and the staged changes as they were before it."""
        entry = undo_last(self.root, self.journal)
        before = self.journal.extra(entry, CHANGES_EXTRA)
        if before is not None:
            try:
                self.changes = parse_changes(before, "the journal's copy of changes.json")
            except ChangesUnreadable as error:
                self.warnings.append(str(error))
            else:
                self.save()
        return entry

    def diff_text(self, paths: list[str] | None = None) -> str:
        """The open staged changes as a unified diff (what `workbench changes` prints)."""
        out: list[str] = []
        for change in self.changes.files:
            if paths is not None and change.path not in paths:
                continue
            out += unified_diff(change)
        return "".join(out)


def _bytes_of(base: FileText) -> bytes | None:
    """The bytes `base` was read from (decoding gives them back exactly); None: no file."""
    return base.encode(base.lines) if base.sha256 else None


def unified_diff(change: FileChange) -> list[str]:
    """One file's open hunks as unified-diff lines, each hunk's decision and origin after its
    `@@`; context shared by two hunks is printed once. Hunks that cannot be applied come last."""
    old = "/dev/null" if change.status == "new" else f"a/{change.path}"
    new = "/dev/null" if change.status == "deleted" else f"b/{change.path}"
    out = [f"--- {old}\n", f"+++ {new}\n"]
    open_hunks = [h for h in change.hunks if h.decision != "applied"]
    placed = sorted((h for h in open_hunks if not h.problem), key=lambda h: h.old_start)
    shift = shown = 0
    for i, hunk in enumerate(placed):
        end = hunk.old_start + len(hunk.old_lines)
        following = placed[i + 1].old_start if i + 1 < len(placed) else None
        before = hunk.before[max(0, shown - (hunk.old_start - len(hunk.before))) :]
        after = hunk.after if following is None else hunk.after[: max(0, following - end)]
        start = hunk.old_start - len(before)
        old_len = len(before) + len(hunk.old_lines) + len(after)
        new_len = len(before) + len(hunk.final_lines) + len(after)
        old_at = start + (old_len > 0)
        new_at = start + shift + (new_len > 0)
        out.append(f"@@ -{old_at},{old_len} +{new_at},{new_len} @@ {_label(hunk)}\n")
        out += _body(before, hunk, after)
        shown = end + len(after)
        shift += len(hunk.final_lines) - len(hunk.old_lines)
    for hunk in open_hunks:
        if hunk.problem:
            out.append(f"@@ cannot be applied: {hunk.problem} @@ {_label(hunk)}\n")
            out += _body(hunk.before, hunk, hunk.after)
    return out


def _label(hunk: Hunk) -> str:
    return f"{hunk.decision}; {', '.join(hunk.origin) or 'reply'}"


def _body(before: list[str], hunk: Hunk, after: list[str]) -> list[str]:
    return (
        [" " + _ended(line) for line in before]
        + ["-" + _ended(line) for line in hunk.old_lines]
        + ["+" + _ended(line) for line in hunk.final_lines]
        + [" " + _ended(line) for line in after]
    )


def _ended(line: str) -> str:
    return line.rstrip("\r\n") + "\n"


def side_by_side_rows(hunk: Hunk) -> list[tuple[str | None, str | None]]:
    """A hunk's removed and added lines paired for a side-by-side view (None: no line there).

    Lines are matched with difflib when both sides have at most `MATCHED_LINES` lines; a bigger
    hunk is paired line by line, as difflib's time grows much faster than the hunk (a
    5,000-line rewrite took 5 s).
    """
    rows: list[tuple[str | None, str | None]] = []
    old = [line.rstrip("\r\n") for line in hunk.old_lines]
    new = [line.rstrip("\r\n") for line in hunk.final_lines]
    if max(len(old), len(new)) > MATCHED_LINES:
        return list(zip_longest(old, new))
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += list(zip(old[i1:i2], new[j1:j2], strict=True))
            continue
        left, right = old[i1:i2], new[j1:j2]
        for k in range(max(len(left), len(right))):
            rows.append((left[k] if k < len(left) else None, right[k] if k < len(right) else None))
    return rows
