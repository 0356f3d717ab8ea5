"""Sessions on disk: one folder per session, locked while a workbench has it open.

Layout of `sessions_dir()/<id>/`: `context.md` (the spec, unless the session edits an external
file in place), `explore.jsonl` and `implement.jsonl` (transcripts), `session.json` (metadata)
and `.lock`. Core module: never imports textual.
"""

from __future__ import annotations

import builtins
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from workbench import paths
from workbench.config import display_path
from workbench.fileio import atomic_write as atomic_write  # re-exported for older importers
from workbench.session.model import ModelChoice, Pane, SessionMeta
from workbench.session.transcript import Transcript, new_id, now_iso
from workbench.spec.sections import spec_title
from workbench.spec.versions import SpecVersions

META_VERSION = 1
MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")


class SessionError(Exception):
    """A session cannot be opened or saved; the message says why and what to do."""


class SessionLockedError(SessionError):
    """The session is already open in another workbench."""

    def __init__(self, session_id: str, pid: int | None) -> None:
        who = f"pid {pid}" if pid else "pid unknown"
        super().__init__(
            f"Session {session_id} is already open in another workbench ({who}). "
            "Close that one first."
        )
        self.session_id = session_id
        self.pid = pid


class SessionNotFoundError(SessionError):
    """No session matches what the user asked for."""


def _meta_to_json(meta: SessionMeta) -> bytes:
    return (json.dumps(asdict(meta), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def read_meta(folder: Path) -> SessionMeta:
    """The metadata of the session in `folder`; SessionError if missing or unreadable."""
    path = folder / "session.json"
    try:
        data: Any = json.loads(path.read_bytes().decode("utf-8"))
        version = data.get("version", 1)
        if version > META_VERSION:
            raise SessionError(f"{path} was written by a newer workbench (version {version})")
        fields = ("id", "title", "created", "updated", "project_dir")
        if not all(isinstance(data.get(name), str) for name in fields):
            raise SessionError(f"{path} is missing some of {', '.join(fields)}")
        # A model choice that does not make sense is forgotten, not fatal: the user picks again.
        models = {
            pane: ModelChoice(provider=choice["provider"], name=choice["name"])
            for pane, choice in (data.get("models") or {}).items()
            if isinstance(choice, dict)
            and choice.get("provider") in ("ollama", "anthropic")
            and isinstance(choice.get("name"), str)
        }
        spec = data.get("spec_path")
        drafts = {
            pane: text
            for pane, text in (data.get("drafts") or {}).items()
            if isinstance(pane, str) and isinstance(text, str)
        }
        return SessionMeta(
            **{name: data[name] for name in fields},
            spec_path=spec if isinstance(spec, str) else None,
            models=models,
            drafts=drafts,
            promote_section=section
            if isinstance(section := data.get("promote_section"), str)
            else None,
            cloud_fallback_allowed=data.get("cloud_fallback_allowed") is True,
            tools_enabled=tools if isinstance(tools := data.get("tools_enabled"), bool) else None,
            version=META_VERSION,
        )
    except FileNotFoundError:
        raise SessionError(f"{folder} has no session.json") from None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SessionError(f"{path} is unreadable ({exc})") from exc


class Session:
    """An open session: metadata, spec and transcripts, locked against a second workbench."""

    def __init__(self, folder: Path, meta: SessionMeta, *, lock: bool = True) -> None:
        self.folder = folder
        self.meta = meta
        self.explore = Transcript(folder / "explore.jsonl")
        self.implement = Transcript(folder / "implement.jsonl")
        self.warnings: list[str] = []
        """Things the user should know, e.g. the spec had bytes that are not UTF-8."""
        self.readonly = not lock
        self._lock_fd: int | None = None
        if lock:
            self._lock()

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

    def _lock(self) -> None:
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise SessionLockedError(self.id, int(holder) if holder.isdigit() else None) from None
        # The pid is only for the error message; the flock itself is what keeps others out, and
        # the kernel drops it if this process dies, so a stale .lock file never blocks anyone.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def close(self) -> None:
        """Release the lock; the session can then be opened elsewhere."""
        if self._lock_fd is not None:
            os.ftruncate(self._lock_fd, 0)
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _check_writable(self) -> None:
        if self.readonly:
            raise SessionError(f"Session {self.id} was opened read-only")

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
        atomic_write(self.folder / "session.json", _meta_to_json(self.meta))

    def set_model(self, pane: Pane, choice: ModelChoice) -> None:
        """Remember the model picked for a pane."""
        self.meta.models[pane] = choice
        self.save_meta()


@dataclass(frozen=True)
class SessionSummary:
    """What the session list shows about one session, read without locking it."""

    id: str
    title: str
    created: str
    updated: str
    """ISO 8601 UTC: the latest of the metadata's time and the transcripts' last change."""
    project_dir: Path
    spec_path: Path | None
    """The external spec file edited in place, if any."""
    explore_count: int
    implement_count: int
    folder: Path


class SessionStore:
    """All sessions, one folder each under the sessions directory."""

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self.warnings: list[str] = []
        """Sessions skipped by the last `list()` (unreadable metadata), one line each."""

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
        session = Session(folder, meta)
        if spec_path is None:
            atomic_write(session.spec_path, spec_text.encode("utf-8"))
        session.save_meta()
        return session

    def open(self, ref: str | Path, *, readonly: bool = False) -> Session:
        """Open a session by id (or unique id prefix), session folder, or markdown file."""
        text = str(ref)
        if isinstance(ref, str) and ref and os.sep not in ref and not ref.startswith("."):
            matches = sorted(p for p in self._folders() if p.name.startswith(ref))
            exact = [p for p in matches if p.name == ref]
            if exact or len(matches) == 1:
                return self._open_folder((exact or matches)[0], readonly)
            if len(matches) > 1:
                names = ", ".join(p.name for p in matches[:5])
                raise SessionNotFoundError(f"{ref!r} matches several sessions: {names}")
        path = Path(text).expanduser()
        if path.is_dir():
            if (path / "session.json").exists():
                return self._open_folder(path, readonly)
            raise SessionNotFoundError(
                f"{text} is a folder but not a workbench session. To work on a spec file in it, "
                "pass the file (e.g. its context.md)."
            )
        if path.is_file():
            if path.suffix.lower() not in MARKDOWN_SUFFIXES:
                raise SessionNotFoundError(f"{text} is not a markdown file (.md)")
            return self._open_external(path.resolve(), readonly)
        raise SessionNotFoundError(
            f"No session or file called {text!r}. `workbench sessions` lists your sessions; "
            "you can also pass the path of a markdown file such as a context.md."
        )

    def _open_folder(self, folder: Path, readonly: bool) -> Session:
        return Session(folder, read_meta(folder), lock=not readonly)

    def _open_external(self, spec: Path, readonly: bool) -> Session:
        # The newest session already editing this file wins, so reopening finds its transcripts.
        editing = [(meta, folder) for folder, meta in self._metas() if meta.spec_path == str(spec)]
        if editing:
            newest = max(editing, key=lambda pair: _parse_time(pair[0].updated))
            return self._open_folder(newest[1], readonly)
        if readonly:
            raise SessionNotFoundError(f"No session edits {spec} yet")
        text = spec.read_bytes().decode("utf-8", errors="replace")
        title = spec_title(text) or f"{spec.parent.name}/{spec.name}"
        return self._create(spec.parent, text, title, spec_path=spec)

    def last(self) -> Session | None:
        """The most recently used session, opened; None when there is none."""
        summaries = self.list()
        return self._open_folder(summaries[0].folder, False) if summaries else None

    def _folders(self) -> builtins.list[Path]:
        try:
            return [p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")]
        except FileNotFoundError:
            return []

    def _metas(self) -> Iterator[tuple[Path, SessionMeta]]:
        """(folder, metadata) of every readable session; the others go to `warnings`."""
        for folder in self._folders():
            try:
                yield folder, read_meta(folder)
            except SessionError as exc:
                self.warnings.append(f"Skipped a session: {exc}")

    def list(self) -> builtins.list[SessionSummary]:
        """Every readable session, most recently updated first; see `warnings` for the rest."""
        self.warnings = []
        summaries = []
        for folder, meta in self._metas():
            explore = Transcript(folder / "explore.jsonl")
            implement = Transcript(folder / "implement.jsonl")
            summaries.append(
                SessionSummary(
                    id=meta.id,
                    title=meta.title,
                    created=meta.created,
                    updated=_latest(meta.updated, explore.path, implement.path),
                    project_dir=Path(meta.project_dir),
                    spec_path=Path(meta.spec_path) if meta.spec_path else None,
                    explore_count=explore.count(),
                    implement_count=implement.count(),
                    folder=folder,
                )
            )
        return sorted(summaries, key=lambda s: (_parse_time(s.updated), s.id), reverse=True)


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _latest(updated: str, *files: Path) -> str:
    """The later of `updated` and the files' modification times, as ISO 8601 UTC."""
    # Chatting appends to the transcripts without rewriting session.json; their mtimes count.
    latest = _parse_time(updated)
    for file in files:
        try:
            latest = max(latest, datetime.fromtimestamp(file.stat().st_mtime, UTC))
        except FileNotFoundError:
            continue
    return latest.isoformat(timespec="seconds")


def format_sessions(summaries: list[SessionSummary]) -> str:
    """A plain table of sessions for `workbench sessions`."""
    if not summaries:
        return "No sessions yet.\n"
    rows = [("ID", "UPDATED", "EXPLORE", "IMPLEMENT", "TITLE", "PROJECT")]
    for s in summaries:
        title = s.title if len(s.title) <= 40 else s.title[:39] + "…"
        where = s.spec_path or s.project_dir  # an external spec says more than its folder
        updated = _parse_time(s.updated).astimezone().strftime("%Y-%m-%d %H:%M")
        rows.append(
            (
                s.id,
                updated,
                str(s.explore_count),
                str(s.implement_count),
                title,
                display_path(where),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for row in rows:
        cells = [
            row[i].rjust(widths[i]) if i in (2, 3) else row[i].ljust(widths[i]) for i in range(5)
        ]
        lines.append("  ".join([*cells, row[5]]).rstrip())
    return "\n".join(lines) + "\n"
