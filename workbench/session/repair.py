"""Rebuilding a damaged `session.json` from what the session's folder still holds.

The damaged file is kept beside it (`session.json.damaged`). Text fields that survive in it (a
file cut short keeps most of them) are reused; the rest comes from the folder: the id from its
name, the title from the spec's heading, the creation time from the files. Core module: never
imports textual.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workbench.fileio import atomic_write
from workbench.session.errors import SessionError, SessionUnreadableError, repair_command
from workbench.session.ids import now_iso
from workbench.session.listing import parse_time
from workbench.session.meta import meta_to_json, read_meta, salvage, salvaged_project
from workbench.session.model import SessionMeta
from workbench.spec.sections import spec_title


@dataclass(frozen=True)
class Repaired:
    """What `repair` rebuilt, for the user to check."""

    meta: SessionMeta
    kept: Path | None
    """Where the damaged file now is (None: there was none)."""
    project_from: str
    """Where the project folder came from: "--project" or "the damaged file"."""


def repair(folder: Path, project: Path | None) -> Repaired:
    """Write a new `session.json` in `folder`, keeping the damaged one as `.damaged`.

    `project` is the project folder to record when the damaged file does not name one that
    exists. Raises `SessionError` when there is nothing to repair or repairing would not help,
    `OSError` when the folder cannot be written.
    """
    path = folder / "session.json"
    try:
        read_meta(folder)
    except SessionUnreadableError as error:
        if error.damage != "damaged":
            raise  # a newer format, or no permission: rebuilding would lose or not help
    else:
        raise SessionError(
            f"Session {folder.name} is not damaged: nothing to repair. Open it with: "
            f"workbench open {folder.name}"
        )
    try:
        damaged = path.read_bytes() if path.is_file() else b""
    except OSError:
        damaged = b""
    fields = salvage(damaged)
    named = salvaged_project(damaged)
    if project is not None:
        project_dir, project_from = project.resolve(), "--project"
    elif named is not None:
        project_dir, project_from = named, "the damaged file"
    else:
        raise SessionError(
            f"Session {folder.name}: its session.json does not say which project the session is "
            f"about. Name it: {repair_command(folder, with_project=True)}"
        )
    if not project_dir.is_dir():
        raise SessionError(f"{project_dir} is not a directory")
    external = Path(fields.get("spec_path", ""))
    spec_path = (
        str(external)
        if external.is_absolute() and external.is_file() and not (folder / "context.md").exists()
        else None
    )
    spec = Path(spec_path) if spec_path else folder / "context.md"
    try:
        heading = spec_title(spec.read_bytes().decode("utf-8", errors="replace"))
    except OSError:
        heading = None
    created = fields.get("created", "")
    meta = SessionMeta(
        id=folder.name,
        title=heading or fields.get("title") or "Recovered session",
        created=created if parse_time(created) > _EARLIEST else _first_change(folder),
        updated=now_iso(),
        project_dir=str(project_dir),
        spec_path=spec_path,
        promote_section=fields.get("promote_section"),
    )
    kept = None
    if os.path.lexists(path):
        kept = _free_name(folder / "session.json.damaged")
        os.replace(path, kept)
    atomic_write(path, meta_to_json(meta))
    return Repaired(meta, kept, project_from)


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _first_change(folder: Path) -> str:
    """The oldest modification time of the folder's files, as ISO 8601 UTC (else now)."""
    times = []
    for entry in folder.iterdir():
        try:
            times.append(entry.lstat().st_mtime)
        except OSError:
            continue
    if not times:
        return now_iso()
    return datetime.fromtimestamp(min(times), UTC).isoformat(timespec="seconds")


def _free_name(path: Path) -> Path:
    """`path`, or `path-2`, `path-3`...: the first that does not exist (nothing is overwritten)."""
    candidate, number = path, 1
    while os.path.lexists(candidate):
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate
