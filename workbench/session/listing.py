"""The session list (`workbench sessions`, `--continue`, the session picker): summaries read
without locking, and the sessions that cannot be read. Core module: never imports textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workbench.config import display_path
from workbench.session.errors import SessionUnreadableError
from workbench.textclean import sanitize


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


@dataclass(frozen=True)
class UnreadableSession:
    """A session folder whose `session.json` cannot be read: listed, never opened."""

    id: str
    """The folder's name (the id the session had)."""
    folder: Path
    updated: str
    """ISO 8601 UTC: when any of its files last changed."""
    error: SessionUnreadableError

    def continue_notice(self) -> str:
        """What `--continue` says when it skips this session, more recent than the one opened."""
        when = parse_time(self.updated).astimezone().strftime("%Y-%m-%d %H:%M")
        return (
            f"Skipped session {self.id} ({self.folder}, last changed {when}): session.json "
            f"{self.error.reason}. Its spec and chats are still there. {self.error.advice}"
        )


def parse_time(text: str) -> datetime:
    """`text` as an aware datetime (UTC if it names no zone); the earliest time if unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def latest_change(updated: str, *files: Path) -> str:
    """The later of `updated` and the files' modification times, as ISO 8601 UTC."""
    # Chatting appends to the transcripts without rewriting session.json; their mtimes count.
    latest = parse_time(updated)
    for file in files:
        try:
            latest = max(latest, datetime.fromtimestamp(file.stat().st_mtime, UTC))
        except (OSError, OverflowError, ValueError):  # gone, unreachable, or a wild mtime
            continue
    return latest.isoformat(timespec="seconds")


def format_sessions(
    summaries: list[SessionSummary], unreadable: list[UnreadableSession] | None = None
) -> str:
    """A plain table of sessions for `workbench sessions`, then the unreadable ones, if any."""
    if summaries:
        text = _table(summaries)
    else:
        text = "No readable sessions.\n" if unreadable else "No sessions yet.\n"
    if unreadable:
        text += "\nUnreadable sessions (--continue skips them; their files are kept):\n"
        for u in unreadable:
            when = parse_time(u.updated).astimezone().strftime("%Y-%m-%d %H:%M")
            text += f"  {_cell(u.id)}  {when}  {_cell(u.error.problem)}\n"
        if any(u.error.damage == "damaged" for u in unreadable):
            text += "A damaged one opens with: workbench open ID --repair (it keeps the file).\n"
    return text


def _cell(text: str) -> str:
    """`text` on one line with no escape codes: titles and folder names are anyone's bytes."""
    return " ".join(sanitize(text).split())


def _table(summaries: list[SessionSummary]) -> str:
    rows = [("ID", "UPDATED", "EXPLORE", "IMPLEMENT", "TITLE", "PROJECT")]
    for s in summaries:
        title = _cell(s.title)
        title = title if len(title) <= 40 else title[:39] + "…"
        where = s.spec_path or s.project_dir  # an external spec says more than its folder
        updated = parse_time(s.updated).astimezone().strftime("%Y-%m-%d %H:%M")
        rows.append(
            (
                _cell(s.id),
                updated,
                str(s.explore_count),
                str(s.implement_count),
                title,
                _cell(display_path(where)),
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
