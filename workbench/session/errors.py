"""What goes wrong with a session, each error's message saying why and what to do.

Core module: never imports textual.
"""

from __future__ import annotations

import errno
import shlex
from pathlib import Path
from typing import Literal

Damage = Literal["damaged", "newer", "unreadable"]
"""Why a `session.json` cannot be used: bad content, a newer format, or no access to it."""


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


class SessionUnreadableError(SessionError):
    """The session's `session.json` cannot be read, so the session cannot be opened."""

    def __init__(
        self,
        folder: Path,
        reason: str,
        *,
        damage: Damage = "damaged",
        project_known: bool = True,
    ) -> None:
        self.folder = folder
        self.path = folder / "session.json"
        self.damage = damage
        self.reason = reason
        """What is wrong with the file, e.g. "is not valid JSON (… at line 3, column 5)"."""
        self.problem = f"{self.path} {reason}"
        """The same, naming the file."""
        if damage == "newer":
            self.advice = "Update workbench to open it; nothing in its folder was touched."
        elif damage == "unreadable":
            self.advice = (
                f"To open it, make session.json readable, then: workbench open {folder.name}"
            )
        else:
            self.advice = (
                "To open it, rebuild session.json from what the folder holds (the damaged "
                f"file is kept): {repair_command(folder, with_project=not project_known)}"
            )
        """What to do about it, with the exact command that opens the session."""
        super().__init__(
            f"Session {folder.name} cannot be opened: {self.problem}. Its spec and chats are "
            f"still in {folder}. {self.advice}"
        )


def repair_command(folder: Path, *, with_project: bool = False) -> str:
    """The command that rebuilds the `session.json` of the session in `folder`; `with_project`
    when the damaged file does not say which project the session is about."""
    project = " --project DIR" if with_project else ""
    return f"workbench open {shlex.quote(folder.name)} --repair{project}"


class SessionNotWritableError(SessionError):
    """The session's folder cannot be written: nothing done in the session could be saved
    (spec autosave, chats, drafts, staged changes and check runs all write there)."""

    def __init__(self, session_id: str, folder: Path, error: OSError) -> None:
        self.session_id = session_id
        self.folder = folder
        self.error = error
        code = error.errno
        quoted = shlex.quote(str(folder))
        copy = (
            "copy it somewhere writable and open the copy:\n"
            f"  cp -r {quoted} ~/{session_id}\n"
            f"  workbench open ~/{session_id}"
        )
        if code == errno.EROFS:
            self.why = "is on a read-only file system"
            self.fix = f"To work on it, {copy}"
        elif code in (errno.EACCES, errno.EPERM):
            self.why = f"is not writable ({error.strerror or 'permission denied'})"
            self.fix = f"If it is yours, make it writable: chmod -R u+w {quoted}\nOr {copy}"
        elif code in (errno.ENOSPC, errno.EDQUOT):
            self.why = "is on a full disk"
            self.fix = "Free some space, then open it again."
        else:
            failed = f" ({error.filename})" if error.filename else ""
            self.why = f"cannot be written: {error.strerror or error}{failed}"
            self.fix = f"To work on it, {copy}"
        """The reason in a few words, and what to do (one or more lines)."""
        super().__init__(
            f"Session {session_id} was not opened: its folder {folder} {self.why}, and "
            f"workbench saves the session's work there as it goes.\n{self.fix}\n"
            f"To read it as it is: workbench export {quoted}"
        )

    def view_notice(self) -> str:
        """What the app says when it shows the session read-only instead."""
        return (
            f"Session {self.session_id} is open read-only: its folder {self.folder} {self.why}, "
            f"so nothing can be saved there. You can read it; nothing can be edited or sent.\n"
            f"{self.fix}"
        )


class SessionReadOnlyError(SessionError, OSError):
    """A save was attempted in a session opened read-only.

    An `OSError` too (EROFS), so that every place that already reports a failed save (a full
    disk, a pulled USB stick) reports this one the same way, instead of crashing.
    """

    def __init__(self, session_id: str) -> None:
        OSError.__init__(self, errno.EROFS, f"session {session_id} is open read-only")

    def __str__(self) -> str:
        return str(self.strerror)
