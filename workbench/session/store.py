"""Sessions on disk: one folder per session, locked while a workbench has it open.

Layout of `sessions_dir()/<id>/`: `context.md` (the spec, unless the session edits an external
file in place), `explore.jsonl` and `implement.jsonl` (transcripts), `session.json` (metadata)
and `.lock`. Core module: never imports textual.
"""

from __future__ import annotations

import builtins
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from workbench import paths
from workbench.fileio import atomic_write as atomic_write  # re-exported for older importers
from workbench.session import lock as folder_lock
from workbench.session.errors import (
    SessionError,
    SessionLockedError,
    SessionNotFoundError,
    SessionNotWritableError,
    SessionReadOnlyError,
    SessionUnreadableError,
)
from workbench.session.listing import (
    SessionSummary,
    UnreadableSession,
    format_sessions,
    latest_change,
    parse_time,
)
from workbench.session.meta import META_VERSION as META_VERSION
from workbench.session.meta import meta_to_json, read_meta
from workbench.session.model import ModelChoice, Pane, SessionMeta
from workbench.session.transcript import Transcript, new_id, now_iso
from workbench.spec.sections import spec_title
from workbench.spec.versions import SpecVersions

__all__ = [
    "META_VERSION",
    "ModelChoice",
    "Session",
    "SessionError",
    "SessionLockedError",
    "SessionNotFoundError",
    "SessionNotWritableError",
    "SessionReadOnlyError",
    "SessionStore",
    "SessionSummary",
    "SessionUnreadableError",
    "UnreadableSession",
    "atomic_write",
    "format_sessions",
    "read_meta",
]

MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")
SESSION_FILES = ("context.md", "explore.jsonl", "implement.jsonl")
"""The files besides session.json whose changes make a session recent."""


class Session:
    """An open session: metadata, spec and transcripts, locked against a second workbench.

    A session opened read-only takes no lock, and its saves raise `SessionReadOnlyError`.
    """

    def __init__(self, folder: Path, meta: SessionMeta, *, lock: bool = True) -> None:
        self.folder = folder
        self.meta = meta
        self.explore = Transcript(folder / "explore.jsonl")
        self.implement = Transcript(folder / "implement.jsonl")
        self.warnings: list[str] = []
        """Things the user should know, e.g. the spec had bytes that are not UTF-8."""
        self.readonly = not lock
        self.not_writable: SessionNotWritableError | None = None
        """Why the session is read-only when it was opened to work in (its folder refused)."""
        self._lock_fd = self._lock() if lock else None

    @property
    def id(self) -> str:
        """The session id (also its folder name)."""
        return self.meta.id

    @property
    def spec_path(self) -> Path:
        """The spec file: the external file edited in place, or the session's own context.md."""
        return Path(self.meta.spec_path) if self.meta.spec_path else self.folder / "context.md"

    @property
    def versions(self) -> SpecVersions:
        """The numbered snapshots of the spec taken at each send (`versions/v001.md`, ...)."""
        return SpecVersions(self.folder)

    def transcript(self, pane: Pane) -> Transcript:
        """The transcript of the "explore" or "implement" pane."""
        return self.explore if pane == "explore" else self.implement

    def _lock(self) -> int:
        # Writability first: a folder that cannot be written is left exactly as it was.
        try:
            folder_lock.check_writable(self.folder, (self.explore.path, self.implement.path))
            return folder_lock.acquire(self.folder)
        except folder_lock.LockHeldError as held:
            raise SessionLockedError(self.id, held.pid) from None
        except OSError as error:
            raise SessionNotWritableError(self.id, self.folder, error) from None

    def close(self) -> None:
        """Release the lock; the session can then be opened elsewhere."""
        if self._lock_fd is not None:
            folder_lock.release(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _check_writable(self) -> None:
        if self.readonly:
            raise SessionReadOnlyError(self.id)

    def read_spec(self) -> str:
        """The spec text; "" when the file does not exist yet."""
        try:
            data = self.spec_path.read_bytes()
        except FileNotFoundError:
            return ""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self.warnings.append(
                f"{self.spec_path} is not valid UTF-8: the undecodable bytes are shown as \ufffd "
                "and will be saved that way if you edit it."
            )
            return data.decode("utf-8", errors="replace")

    def write_spec(self, text: str) -> None:
        """Save the spec atomically and take the session title from its `# Task:` heading."""
        self._check_writable()
        atomic_write(self.spec_path, text.encode("utf-8"))
        self.meta.title = spec_title(text) or self.meta.title
        self.meta.updated = now_iso()
        self.save_meta()

    def save_meta(self) -> None:
        """Write session.json atomically."""
        self._check_writable()
        atomic_write(self.folder / "session.json", meta_to_json(self.meta))

    def set_model(self, pane: Pane, choice: ModelChoice) -> None:
        """Remember the model picked for a pane."""
        self.meta.models[pane] = choice
        self.save_meta()


@dataclass(frozen=True)
class NewSpec:
    """A markdown file that no session edits yet: opening it makes one."""

    spec: Path


class SessionStore:
    """All sessions, one folder each under the sessions directory."""

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self.warnings: list[str] = []
        """Problems of the last `list()` with the sessions folder itself, one line each."""
        self.unreadable: builtins.list[UnreadableSession] = []
        """The sessions the last `list()` could not read, most recently changed first."""
        self.skipped: builtins.list[UnreadableSession] = []
        """Unreadable sessions more recent than the one the last `last()` opened."""

    @property
    def root(self) -> Path:
        """The folder holding the sessions (looked up at each use, so tests can redirect it)."""
        return self._root if self._root is not None else paths.sessions_dir()

    def create(self, project_dir: Path, spec_text: str, title: str | None = None) -> Session:
        """A new session with its own context.md, opened (and locked)."""
        return self._create(project_dir, spec_text, title, spec_path=None)

    def _create(
        self, project_dir: Path, spec_text: str, title: str | None, spec_path: Path | None
    ) -> Session:
        """Raises `OSError` when the sessions folder cannot be written."""
        session_id = new_id()
        folder = self.root / session_id
        folder.mkdir(parents=True)
        now = now_iso()
        meta = SessionMeta(
            id=session_id,
            title=title or spec_title(spec_text) or "Untitled",
            created=now,
            updated=now,
            project_dir=str(project_dir.resolve()),
            spec_path=str(spec_path) if spec_path else None,
        )
        try:
            session = Session(folder, meta)
        except SessionNotWritableError as error:
            shutil.rmtree(folder, ignore_errors=True)  # just made, empty: no half session left
            raise error.error from None
        try:
            if spec_path is None:
                atomic_write(session.spec_path, spec_text.encode("utf-8"))
            session.save_meta()
        except BaseException:
            session.close()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return session

    def open(
        self, ref: str | Path, *, readonly: bool = False, view_if_not_writable: bool = False
    ) -> Session:
        """Open a session by id (or unique id prefix), session folder, or markdown file.

        A session whose folder cannot be written raises `SessionNotWritableError`, unless
        `view_if_not_writable`: then it is opened read-only, the reason in `not_writable`.
        """
        view = view_if_not_writable
        found = self.find(ref)
        if isinstance(found, Path):
            return self._open_folder(found, readonly, view)
        if readonly:
            raise SessionNotFoundError(f"No session edits {found.spec} yet")
        text = found.spec.read_bytes().decode("utf-8", errors="replace")
        title = spec_title(text) or f"{found.spec.parent.name}/{found.spec.name}"
        return self._create(found.spec.parent, text, title, spec_path=found.spec)

    def find(self, ref: str | Path) -> Path | NewSpec:
        """The folder of the session `ref` names (an id, a unique id prefix, a session folder,
        or a markdown file a session edits), or the markdown file no session edits yet."""
        text = str(ref)
        if isinstance(ref, str) and ref and os.sep not in ref and not ref.startswith("."):
            matches = sorted(p for p in self._folders() if p.name.startswith(ref))
            exact = [p for p in matches if p.name == ref]
            if exact or len(matches) == 1:
                return (exact or matches)[0]
            if len(matches) > 1:
                names = ", ".join(p.name for p in matches[:5])
                raise SessionNotFoundError(f"{ref!r} matches several sessions: {names}")
        try:
            path = Path(text).expanduser()
        except RuntimeError:  # "~someone" with no such user: take it literally
            path = Path(text)
        if path.is_dir():
            if (path / "session.json").exists():
                return path
            raise SessionNotFoundError(
                f"{text} is a folder but not a workbench session. To work on a spec file in it, "
                "pass the file (e.g. its context.md)."
            )
        if path.is_file():
            if path.suffix.lower() not in MARKDOWN_SUFFIXES:
                raise SessionNotFoundError(f"{text} is not a markdown file (.md)")
            return self._editing(path.resolve())
        raise SessionNotFoundError(
            f"No session or file called {text!r}. `workbench sessions` lists your sessions; "
            "you can also pass the path of a markdown file such as a context.md."
        )

    def _open_folder(self, folder: Path, readonly: bool, view: bool) -> Session:
        meta = read_meta(folder)
        try:
            return Session(folder, meta, lock=not readonly)
        except SessionNotWritableError as error:
            if not view:
                raise
            session = Session(folder, meta, lock=False)
            session.not_writable = error
            return session

    def _editing(self, spec: Path) -> Path | NewSpec:
        # The newest session already editing this file wins, so reopening finds its transcripts.
        editing = [(meta, folder) for folder, meta in self._metas() if meta.spec_path == str(spec)]
        if editing:
            return max(editing, key=lambda pair: parse_time(pair[0].updated))[1]
        return NewSpec(spec)

    def last(self, *, view_if_not_writable: bool = False) -> Session | None:
        """The most recently used readable session, opened; None when there is none.

        Unreadable sessions more recent than it are left in `skipped`, for the caller to say
        so: otherwise the newest session would seem to have vanished. A session that cannot be
        written is handled as by `open`.
        """
        summaries = self.list()
        newest = summaries[0] if summaries else None
        self.skipped = [
            u
            for u in self.unreadable
            if newest is None or parse_time(u.updated) > parse_time(newest.updated)
        ]
        return self._open_folder(newest.folder, False, view_if_not_writable) if newest else None

    def _folders(self) -> builtins.list[Path]:
        try:
            return [p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")]
        except FileNotFoundError:
            return []
        except OSError as error:
            self.warnings.append(
                f"Cannot list the sessions in {self.root}: {error.strerror or error}."
            )
            return []

    def _metas(self) -> Iterator[tuple[Path, SessionMeta]]:
        """(folder, metadata) of every readable session; the others go to `unreadable`."""
        self.warnings = []
        self.unreadable = []
        for folder in self._folders():
            try:
                yield folder, read_meta(folder)
            except SessionUnreadableError as error:
                files = (folder, error.path, *(folder / name for name in SESSION_FILES))
                updated = latest_change("", *files)
                self.unreadable.append(UnreadableSession(folder.name, folder, updated, error))
        self.unreadable.sort(key=lambda u: (parse_time(u.updated), u.id), reverse=True)

    def list(self) -> builtins.list[SessionSummary]:
        """Every readable session, most recently updated first; see `unreadable` for the rest."""
        summaries = []
        for folder, meta in self._metas():
            explore = Transcript(folder / "explore.jsonl")
            implement = Transcript(folder / "implement.jsonl")
            summaries.append(
                SessionSummary(
                    id=meta.id,
                    title=meta.title,
                    created=meta.created,
                    updated=latest_change(meta.updated, explore.path, implement.path),
                    project_dir=Path(meta.project_dir),
                    spec_path=Path(meta.spec_path) if meta.spec_path else None,
                    explore_count=explore.count(),
                    implement_count=implement.count(),
                    folder=folder,
                )
            )
        return sorted(summaries, key=lambda s: (parse_time(s.updated), s.id), reverse=True)
