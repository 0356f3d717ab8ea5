"""The lock a workbench holds on an open session folder, and the check that it can write there.

OS mechanics only: `workbench.session.store` turns what goes wrong here into messages for the
user. Core module: never imports textual.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable
from pathlib import Path

LOCK_FILE = ".lock"


class LockHeldError(Exception):
    """Another process holds the lock; `pid` is the one it wrote in the file, if readable."""

    def __init__(self, pid: int | None) -> None:
        super().__init__(f"locked by pid {pid}" if pid else "locked")
        self.pid = pid


def acquire(folder: Path) -> int:
    """Lock `folder` for this process; the open lock file's descriptor, for `release`.

    Raises `LockHeldError` when another process has it, `OSError` when the lock file cannot be
    opened for writing (a read-only file system, no permission, a folder in its place).
    """
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode("ascii", "replace").strip()
        os.close(fd)
        raise LockHeldError(int(holder) if holder.isdigit() else None) from None
    # The pid is only for the error message; the flock itself is what keeps others out, and
    # the kernel drops it if this process dies, so a stale .lock file never blocks anyone.
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        release(fd)
        raise
    return fd


def release(fd: int) -> None:
    """Let go of a lock taken by `acquire` (the pid is wiped first)."""
    with contextlib.suppress(OSError):  # a full or vanished disk must not stop the release
        os.ftruncate(fd, 0)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def check_writable(folder: Path, appended: Iterable[Path] = ()) -> None:
    """Raise `OSError` unless new files can be made in `folder` and `appended` files grown.

    The lock file alone does not tell: it may already exist and be writable in a folder where
    nothing new can be created, and the session's saves all write a new file and rename it.
    """
    probe = folder / f".write-check-{os.getpid()}"
    os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with contextlib.suppress(OSError):
        os.unlink(probe)
    for path in appended:
        try:
            # Opened for appending and closed: nothing is written. O_NONBLOCK so that a named
            # pipe in a transcript's place fails here (no reader) instead of hanging.
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)
        except FileNotFoundError:
            continue  # made on the first message, in the folder just checked
        os.close(fd)
