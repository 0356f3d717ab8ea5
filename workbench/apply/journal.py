"""Every apply of a session, kept on disk so each can be undone exactly.

`apply_writes` writes accepted changes into the project: it checks every path and every file's
hash first, saves the bytes it is about to replace in the session's journal, then writes.
`undo_last` puts the bytes back, but only while the files are still as the apply left them.
Core module: never imports textual.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from workbench.apply.journal_entry import (
    JOURNAL_VERSION,
    JournalEntry,
    JournalFile,
    entry_from_json,
    plain_name,
)
from workbench.fileio import atomic_write, fsync_dir
from workbench.project.files import ToolError, confine

APPLIES_DIR = "applies"
"""The journal's folder inside the session folder."""
ENTRY_FILE = "entry.json"
BEFORE_DIR = "before"
"""Inside an entry's folder: the bytes each file had before the apply, one blob per file."""
EXTRA_DIR = "extra"
"""Inside an entry's folder: whatever else the caller saved with the apply (`extra=`)."""
NEW_FILE_MODE = 0o644
"""The permissions of a file an apply creates."""


@dataclass(frozen=True, kw_only=True)
class PlannedWrite:
    """One file an apply writes, and the state of the file the change was made from."""

    path: str
    """POSIX, relative to the project root."""
    data: bytes | None
    """The new bytes; None deletes the file."""
    expect_sha256: str | None
    """sha256 of the bytes the change was made from; None: the file must not exist yet."""


class ChangedOnDisk(Exception):
    """Files changed since their diff was made: the change must be reviewed again."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        """The files whose bytes are no longer those the change was made from."""
        diffs = "its diff was" if len(paths) == 1 else "their diffs were"
        super().__init__(
            f"{', '.join(paths)} changed on disk since {diffs} made; "
            "review the change again before applying it. Nothing was written."
        )


class UndoRefused(Exception):
    """An undo that would overwrite changes made after the apply; nothing was changed."""

    def __init__(self, entry_id: str, reasons: dict[str, str]) -> None:
        self.reasons = reasons
        """Each file that blocks the undo, and why ("edited after the apply", ...)."""
        listed = "; ".join(f"{path} was {why}" for path, why in reasons.items())
        super().__init__(
            f"Cannot undo apply {entry_id}: {listed}. Nothing was changed; "
            "undo those edits by hand or keep the apply."
        )


class NothingToUndo(Exception):
    """No apply of the session is still in place."""


class Journal:
    """Every apply of a session: `<session folder>/applies/<id>/entry.json` + `before/<n>` blobs."""

    def __init__(self, session_folder: Path) -> None:
        self.folder = session_folder / APPLIES_DIR
        """Where the entries live; created by the first apply."""
        self.warnings: list[str] = []
        """Entries the last `entries()` call skipped, and why."""

    def entries(self) -> list[JournalEntry]:
        """Every readable entry, oldest first; the unreadable ones are named in `warnings`."""
        self.warnings = []
        if not self.folder.is_dir():
            return []
        found: list[JournalEntry] = []
        for child in sorted(self.folder.iterdir(), key=lambda path: path.name):
            if not (child.name.isdigit() and child.is_dir()):
                continue
            entry_path = child / ENTRY_FILE
            try:
                entry = entry_from_json(json.loads(entry_path.read_bytes()))
                if entry.id != child.name:
                    raise ValueError(f"its id {entry.id!r} is not its folder's name")
            except FileNotFoundError:
                self.warnings.append(
                    f"Skipped apply {child.name}: it has no {ENTRY_FILE} "
                    "(it stopped before writing any file)."
                )
            except (OSError, ValueError, KeyError, TypeError) as error:
                self.warnings.append(
                    f"Skipped apply {child.name}: {entry_path} is unreadable ({error})."
                )
            else:
                found.append(entry)
        return sorted(found, key=lambda entry: int(entry.id))

    def last_applied(self) -> JournalEntry | None:
        """The newest entry still in place (state applied, or writing after a crash), if any."""
        return next((e for e in reversed(self.entries()) if e.state != "undone"), None)

    def entry_folder(self, entry: JournalEntry) -> Path:
        """The folder holding `entry`'s entry.json and blobs."""
        return self.folder / entry.id

    def before_bytes(self, entry: JournalEntry, file: JournalFile) -> bytes | None:
        """The bytes `file` had before `entry`'s apply; None when it did not exist."""
        if file.blob is None:
            return None
        return (self.entry_folder(entry) / BEFORE_DIR / file.blob).read_bytes()

    def extra(self, entry: JournalEntry, name: str) -> bytes | None:
        """What the apply saved as `name` (see `apply_writes(extra=)`); None if nothing."""
        try:
            return (self.entry_folder(entry) / EXTRA_DIR / _extra_name(name)).read_bytes()
        except FileNotFoundError:
            return None

    def record(
        self,
        entry: JournalEntry,
        *,
        commit: str | None = None,
        undo_commit: str | None = None,
        note: str | None = None,
    ) -> JournalEntry:
        """`entry` with the given commit, undo commit or note set (others kept), saved."""
        changed = replace(
            entry,
            commit=entry.commit if commit is None else commit,
            undo_commit=entry.undo_commit if undo_commit is None else undo_commit,
            note=entry.note if note is None else note,
        )
        self._save(changed)
        return changed

    def _new_folder(self) -> Path:
        """A new, empty entry folder whose id follows every existing one."""
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            taken = [int(p.name) for p in self.folder.iterdir() if p.name.isdigit()]
            folder = self.folder / f"{max(taken, default=0) + 1:04d}"
            try:
                folder.mkdir()
            except FileExistsError:
                continue  # another apply took this id a moment ago
            fsync_dir(self.folder)
            return folder

    def _save(self, entry: JournalEntry) -> None:
        """Write `entry` to its entry.json in one step, flushed to disk."""
        record = {"version": JOURNAL_VERSION, **asdict(entry)}
        folder = self.entry_folder(entry)
        atomic_write(folder / ENTRY_FILE, json.dumps(record, indent=2).encode() + b"\n")
        fsync_dir(folder)


def apply_writes(
    root: Path,
    writes: list[PlannedWrite],
    journal: Journal,
    *,
    reply_id: str,
    extra: dict[str, bytes] | None = None,
) -> JournalEntry:
    """Write `writes` into the project at `root`, journalled first; the entry, state "applied".

    Raises ToolError (OutsideProject among them) for a path that may not be written and
    ChangedOnDisk when a file is no longer what its change was made from, in both cases before
    anything is written. `extra` blobs are saved in the entry (read back with `Journal.extra`).
    If a write fails, the files already written are put back and ToolError says so.
    """
    targets = _check_targets(root, writes)
    befores = [_read_regular(real, write.path) for write, real in targets]
    changed = [
        w.path for (w, _), b in zip(targets, befores, strict=True) if _sha(b) != w.expect_sha256
    ]
    if changed:
        raise ChangedOnDisk(changed)
    new_dirs = _missing_dirs(root, [real for write, real in targets if write.data is not None])
    folder = journal._new_folder()
    files: list[JournalFile] = []
    for number, ((write, real), before) in enumerate(zip(targets, befores, strict=True)):
        blob = None if before is None else str(number)
        if before is not None:
            atomic_write(folder / BEFORE_DIR / str(number), before)
        mode = None if before is None else stat.S_IMODE(real.stat().st_mode)
        files.append(
            JournalFile(
                path=write.path,
                before_sha256=_sha(before),
                after_sha256=_sha(write.data),
                mode_before=mode,
                blob=blob,
            )
        )
    for name, data in (extra or {}).items():
        atomic_write(folder / EXTRA_DIR / _extra_name(name), data)
    entry = JournalEntry(
        id=folder.name,
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        reply_id=reply_id,
        files=files,
        state="writing",
        created_dirs=[rel for rel, _ in new_dirs],
    )
    journal._save(entry)
    try:
        for _, directory in new_dirs:
            directory.mkdir(exist_ok=True)
        for write, real in targets:
            if write.data is None:
                real.unlink()
            else:
                atomic_write(real, write.data, new_mode=NEW_FILE_MODE)
    except OSError as error:
        raise _roll_back(root, journal, entry, error) from error
    applied = replace(entry, state="applied")
    journal._save(applied)
    return applied


def undo_last(root: Path, journal: Journal) -> JournalEntry:
    """Undo the newest apply still in place; the entry, now "undone".

    Raises NothingToUndo when there is none, and UndoRefused (changing nothing) when a file
    is no longer as the apply left it. A file already back as it was before the apply counts
    as undone, so an undo or apply that stopped half way can be finished.
    """
    entry = journal.last_applied()
    if entry is None:
        raise NothingToUndo("Nothing to undo: no apply of this session is still in place.")
    return _undo(root, journal, entry, note=entry.note)


def _undo(root: Path, journal: Journal, entry: JournalEntry, *, note: str) -> JournalEntry:
    """Put `entry`'s files back as they were before it, or refuse without changing anything."""
    restores: list[tuple[JournalFile, Path, bytes | None]] = []
    refusals: dict[str, str] = {}
    for file in entry.files:
        try:
            real, _ = confine(root, file.path)
        except ToolError as error:
            refusals[file.path] = f"moved out of reach after the apply ({error})"
            continue
        try:
            current = _sha(_read_regular(real, file.path))
        except ToolError as error:
            refusals[file.path] = f"changed into something undo cannot restore ({error})"
            continue
        if current == file.before_sha256:
            continue  # already as before the apply
        if current != file.after_sha256:
            refusals[file.path] = _why_changed(file, current)
            continue
        try:
            before = journal.before_bytes(entry, file)
            intact = _sha(before) == file.before_sha256
        except OSError:
            before, intact = None, False
        if not intact:
            refusals[file.path] = "saved before the apply, but that copy is missing or damaged"
            continue
        restores.append((file, real, before))
    if refusals:
        raise UndoRefused(entry.id, refusals)
    for file, real, before in restores:
        if before is None:
            real.unlink(missing_ok=True)
            continue
        mode = NEW_FILE_MODE if file.mode_before is None else file.mode_before
        atomic_write(real, before, new_mode=mode)
        os.chmod(real, mode)  # atomic_write keeps the current mode; the apply's may differ
    for directory in sorted(entry.created_dirs, key=lambda d: d.count("/"), reverse=True):
        # Not removed when not empty any more, already gone, or no longer inside the project.
        with contextlib.suppress(OSError, ToolError):
            confine(root, directory)[0].rmdir()
    undone = replace(entry, state="undone", note=note)
    journal._save(undone)
    return undone


def _roll_back(root: Path, journal: Journal, entry: JournalEntry, error: OSError) -> ToolError:
    """After a failed write, put back what the apply wrote; the error to raise, saying how."""
    failed = f"The apply stopped: {error}."
    try:
        _undo(root, journal, entry, note=f"{failed} The files written were put back.")
    except (UndoRefused, OSError) as rollback_error:
        journal.record(entry, note=f"{failed} Putting files back failed: {rollback_error}")
        return ToolError(
            f"{failed} Some files were written and could not be put back ({rollback_error}); "
            "undo the apply once the problem is fixed."
        )
    return ToolError(f"{failed} The files written before it were put back; nothing changed.")


def _check_targets(root: Path, writes: list[PlannedWrite]) -> list[tuple[PlannedWrite, Path]]:
    """Each write with the real path it goes to; ToolError for the first that may not be written."""
    if not writes:
        raise ToolError("Nothing to apply: no change was accepted.")
    targets: list[tuple[PlannedWrite, Path]] = []
    seen: dict[Path, str] = {}
    for write in writes:
        try:
            real, _ = confine(root, write.path)
        except ToolError as error:
            raise type(error)(f"{error} Nothing was written.") from None
        if real in seen:
            raise ToolError(
                f"{write.path} and {seen[real]} are the same file; one apply writes it once. "
                "Nothing was written."
            )
        if write.data is None and write.expect_sha256 is None:
            raise ToolError(f"Cannot delete {write.path}: it is not there. Nothing was written.")
        seen[real] = write.path
        targets.append((write, real))
    return targets


def _read_regular(real: Path, shown_as: str) -> bytes | None:
    """The bytes of the file at `real`, None if absent; ToolError if it is not a regular file."""
    try:
        info = os.stat(real)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise ToolError(f"Cannot read {shown_as}: {error.strerror}.") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        if stat.S_ISFIFO(info.st_mode):
            kind = "a FIFO (named pipe)"
        raise ToolError(f"{shown_as} is {kind}; only regular files can be written.")
    try:
        return real.read_bytes()
    except OSError as error:
        raise ToolError(f"Cannot read {shown_as}: {error.strerror}.") from None


def _missing_dirs(root: Path, files: list[Path]) -> list[tuple[str, Path]]:
    """(POSIX relative, real) of the directories to create for `files`, parents first."""
    real_root = Path(os.path.realpath(root))
    missing: dict[Path, None] = {}
    for file in files:
        chain: list[Path] = []
        directory = file.parent
        while not directory.exists() and directory != real_root:
            chain.append(directory)
            directory = directory.parent
        if not directory.is_dir():
            shown = directory.relative_to(real_root).as_posix()
            raise ToolError(
                f"Cannot create {file.name} in {shown}: {shown} is a file. Nothing was written."
            )
        missing.update(dict.fromkeys(reversed(chain)))
    ordered = sorted(missing, key=lambda path: len(path.parts))
    return [(path.relative_to(real_root).as_posix(), path) for path in ordered]


def _why_changed(file: JournalFile, current: str | None) -> str:
    """Why a file that is neither as before nor as after the apply blocks the undo."""
    if current is None:
        return "deleted after the apply"
    if file.after_sha256 is None:
        return "created after the apply (the apply had deleted it)"
    return "edited after the apply"


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _extra_name(name: str) -> str:
    """`name` if it is a plain file name for an extra blob; ValueError otherwise."""
    return plain_name(name)
