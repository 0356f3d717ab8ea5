"""Reading a project file without ever blocking, and scanning files with a regular expression.

`read_regular` refuses anything that is not a regular file (a named pipe, a socket, a device)
before opening it: opening a FIFO for reading waits for a writer that may never come.
`scan_files` is the pure-Python search behind the `search` tool; it runs in a child process
(`python -I -S scan.py`, a JSON request on stdin, JSON hits on stdout) so that a time limit or
Escape can kill it, since a pattern like `(a+)+$` can hold the interpreter for ever.

Standard library only, so the child starts in milliseconds without importing the app.
Core module: never imports textual.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import signal
import stat
import sys

SNIFF_BYTES = 8192
"""A file whose first this-many bytes hold a NUL or invalid UTF-8 is treated as binary."""
CHILD_GRACE_S = 1.0
"""A scan child ends itself this long after its time limit, in case its parent is gone."""

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after the check opens without waiting
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}

Hit = tuple[str, int, str]
"""(path relative to the root, line number from 1, the line as `clip` shows it)."""


def child_command() -> list[str]:
    """The command line of a scan child: this file run by this interpreter, isolated.

    `-I -S`: no site-packages, no user or current directory on the path; the child needs
    the standard library only, so it starts in milliseconds.
    """
    return [sys.executable, "-I", "-S", os.path.abspath(__file__)]


def clip(text: str, max_chars: int) -> str:
    """`text` stripped, and cut to `max_chars` with " …" when longer (idempotent)."""
    text = text.strip()
    return text if len(text) <= max_chars else text[:max_chars] + " …"


class NotRegularFile(Exception):
    """The path is a directory, a named pipe, a socket or a device: it was not opened."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind
        """What the path is, for a sentence: "a named pipe (FIFO)", "a socket"..."""

    @property
    def is_directory(self) -> bool:
        """Whether the path is a directory (callers word that refusal differently)."""
        return self.kind == _KINDS[stat.S_IFDIR]


class TooLarge(Exception):
    """The file is larger than the caller's limit: it was not read."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size
        """The file's size in bytes."""


def kind_of(mode: int) -> str | None:
    """What a file of `mode` is ("a named pipe (FIFO)"...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_regular(path: str | os.PathLike[str], max_bytes: int | None = None) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), read without blocking.

    The kind is checked before opening (FIFOs, sockets, devices and directories raise
    NotRegularFile) and again on the opened file, in case the path was swapped in between.
    Raises TooLarge for a file over `max_bytes`, and OSError when it cannot be read.
    """
    info = os.stat(path)
    _check(info, max_bytes)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        _check(info, max_bytes)
        with open(fd, "rb", closefd=False) as file:
            data = file.read() if max_bytes is None else file.read(max_bytes + 1)
    finally:
        os.close(fd)
    if max_bytes is not None and len(data) > max_bytes:
        raise TooLarge(len(data))  # it grew after the check
    return data


def _check(info: os.stat_result, max_bytes: int | None) -> None:
    kind = kind_of(info.st_mode)
    if kind is not None:
        raise NotRegularFile(kind)
    if max_bytes is not None and info.st_size > max_bytes:
        raise TooLarge(info.st_size)


def looks_binary(head: bytes) -> bool:
    """Whether a file's first bytes say it is not text: a NUL byte, or invalid UTF-8."""
    if b"\x00" in head:
        return True
    try:
        # Incremental, so a character cut in two at the end of `head` is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return True
    return False


def searchable_text(path: str | os.PathLike[str], max_bytes: int) -> str | None:
    """The file's text, or None if it is missing, not a regular file, too large or binary."""
    try:
        data = read_regular(path, max_bytes)
    except (OSError, NotRegularFile, TooLarge):
        return None
    if looks_binary(data[:SNIFF_BYTES]):
        return None
    return data.decode("utf-8-sig", errors="replace")


def scan_files(
    root: str, names: list[str], pattern: str, limit: int, *, max_bytes: int, max_chars: int
) -> list[Hit]:
    """The lines of the files `names` (relative to `root`, in order) that `pattern` matches.

    Stops after `limit` hits; each line is clipped to `max_chars`. Files that are not
    searchable text (binary, too large, not regular files) are skipped silently.
    """
    regex = re.compile(pattern)
    # A whole-file pre-check skips most files quickly; \A and \Z mean something else there.
    anchored = "\\A" in pattern or "\\Z" in pattern
    quick = None if anchored else re.compile(pattern, re.MULTILINE)
    hits: list[Hit] = []
    for name in names:
        text = searchable_text(os.path.join(root, name), max_bytes)
        if text is None or (quick is not None and not quick.search(text)):
            continue
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        for number, line in enumerate(lines, 1):
            if regex.search(line):
                hits.append((name, number, clip(line, max_chars)))
                if len(hits) >= limit:
                    return hits
    return hits


def main() -> None:
    """The child process: a JSON request on stdin, `{"hits": [[name, line, text], ...]}` out.

    The request holds root, names, pattern, limit, max_bytes, max_chars and time_limit (in
    seconds). The child ends
    itself (SIGALRM's default action) a moment after the time limit, so even a child whose
    parent died cannot run for ever; a regex match does not stop for Python signal handlers.
    """
    request = json.load(sys.stdin)
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, float(request["time_limit"]) + CHILD_GRACE_S)
    hits = scan_files(
        request["root"],
        request["names"],
        request["pattern"],
        int(request["limit"]),
        max_bytes=int(request["max_bytes"]),
        max_chars=int(request["max_chars"]),
    )
    json.dump({"hits": hits}, sys.stdout)


if __name__ == "__main__":
    main()
