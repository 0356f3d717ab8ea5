"""One check run as a subprocess: streamed, bounded, and killed with every process it started.

The command runs under /bin/sh in the project root, in a session (and process group) of its own,
with no terminal and stdin closed, so nothing can page or wait for input and one signal reaches
every process it started. Its output is decoded and cleaned of terminal escape codes as it
arrives, then goes three ways, each bounded so that a check printing 50 MB costs little:

- the caller's `on_output`, at most `output_limit` characters over the run, then one line saying
  the rest goes to the log only;
- the log file: the first `LOG_HEAD` bytes and the last `LOG_TAIL`, with a line saying how many
  bytes were left out between them;
- `CheckResult.output_tail`: the last `TAIL` bytes, kept in memory (what a follow-up quotes).

Core module: never imports textual.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from workbench.checks.config import CheckCommand
from workbench.textclean import DEFAULT_MAX_PENDING, StreamSanitizer

CheckStatus = Literal["passed", "failed", "timed_out", "killed", "error"]
"""passed: exit 0; failed: another exit code; timed_out / killed: stopped by the timeout / by
the caller (cancelled); error: it could not run (no shell, no such command)."""

MB = 1024 * 1024
OUTPUT_LIMIT = 2 * MB
"""Characters of output handed to `on_output` over a run, at most (the note included)."""
LOG_HEAD = 5 * MB
"""Bytes at the start of the output the log keeps."""
LOG_TAIL = 1 * MB
"""Bytes at the end of the output the log keeps."""
TAIL = 64 * 1024
"""Bytes at the end of the output kept in `CheckResult.output_tail`."""
KILL_GRACE_S = 2.0
"""Seconds between SIGTERM and SIGKILL when a check is stopped."""
CHUNK = 64 * 1024
"""Bytes read from the pipe at a time."""
DRAIN_S = 1.0
"""After a kill, how long the output still arriving is read (a process that left the group can
hold the pipe open for ever)."""
CHECK_ENV = {"PYTHONUNBUFFERED": "1", "PAGER": "cat", "GIT_PAGER": "cat", "TERM": "dumb"}
"""Set for every check: output arrives as it is written, and nothing pages or draws."""


@dataclass(frozen=True)
class CheckResult:
    """How one check ended."""

    name: str
    command: str
    status: CheckStatus
    exit_code: int | None
    """The command's exit status; negative: killed by that signal; None: it never ran or was
    stopped before its exit status could be read."""
    duration_s: float
    output_tail: str
    """The last `TAIL` bytes of the output (escape codes removed)."""
    output_bytes: int
    """How many bytes the command wrote in all."""
    log_file: str | None
    """The log of the output; relative to the session folder when run by `SessionChecks`.
    None: no log was kept."""
    truncated: bool
    """The output handed to `on_output` stopped at its limit: the rest is in the log only."""
    log_omitted_bytes: int = 0
    """Bytes of output the log left out between its head and its tail."""
    error: str | None = None
    """Why the check could not run, or was stopped (None when it ran to its end)."""

    @property
    def passed(self) -> bool:
        """Whether the check passed."""
        return self.status == "passed"


async def run_check(
    check: CheckCommand,
    root: Path,
    *,
    timeout_s: float | None,
    log_path: Path | None,
    on_output: Callable[[str], None],
    output_limit: int | None = OUTPUT_LIMIT,
    log_name: str | None = None,
    kill_grace_s: float = KILL_GRACE_S,
) -> CheckResult:
    """Run `check` in `root` to its end, its timeout or a cancel; how it ended.

    Cancelling the task running this kills the check's process group (SIGTERM, SIGKILL after
    `kill_grace_s`) and returns a "killed" result: the cancel is consumed, so a caller that
    goes on afterwards should look at `asyncio.current_task().cancelling()`. `output_limit`
    None hands every character to `on_output`. `log_name` is how the log is named in the
    result and the output (default: `log_path` as given).
    """
    started = time.monotonic()
    name = log_name or (str(log_path) if log_path else None)
    output = _Output(on_output, output_limit, name)

    def ended(status: CheckStatus, code: int | None, error: str | None = None) -> CheckResult:
        output.finish()
        output.close()
        return CheckResult(
            name=check.name,
            command=check.command,
            status=status,
            exit_code=code,
            duration_s=time.monotonic() - started,
            output_tail=output.tail(),
            output_bytes=output.bytes,
            log_file=name if output.logged else None,
            truncated=output.truncated,
            log_omitted_bytes=output.log_omitted,
            error="; ".join(e for e in (error, output.log_error) if e) or None,
        )

    try:
        process = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            check.command,
            cwd=root,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **CHECK_ENV},
        )
    except OSError as error:
        return ended("error", None, f"cannot start it: {error}")
    except asyncio.CancelledError:
        return ended("killed", None, "stopped before it started")
    if log_path is not None:
        output.open_log(log_path)
    pump = asyncio.create_task(_pump(process, output))
    try:
        status: CheckStatus | None = None
        try:
            done, _pending = await asyncio.wait({pump}, timeout=timeout_s)
            if not done:
                status = "timed_out"
        except asyncio.CancelledError:
            status = "killed"
        if status is None and pump.exception() is not None:
            await _stop_group(process, kill_grace_s)
            pump.result()  # raises what went wrong while reading (on_output failed)
        if status is not None:
            await _stop_group(process, kill_grace_s)
            # The group is dead, so the pipe ends: read what it still holds.
            await asyncio.wait({pump}, timeout=DRAIN_S)
        code = await process.wait()
    except BaseException:
        output.close()
        raise
    finally:
        pump.cancel()
        if process.returncode is None:  # leaving on an error or a second cancel
            _signal_group(process.pid, signal.SIGKILL)
    if status == "timed_out":
        return ended(status, code, f"timed out after {timeout_s:g} s: stopped")
    if status == "killed":
        return ended(status, code, "stopped")
    return ended(*_judge(code))


def _judge(code: int) -> tuple[CheckStatus, int, str | None]:
    """The status an exit code means; 126 and 127 are the shell's "cannot run" and "not found"."""
    if code == 0:
        return "passed", code, None
    if code == 127:
        return "error", code, "command not found (the shell exited with 127)"
    if code == 126:
        return "error", code, "the command cannot be run (not executable; exit 126)"
    if code < 0:
        try:
            what = signal.Signals(-code).name
        except ValueError:
            what = f"signal {-code}"
        return "failed", code, f"killed by {what}"
    return "failed", code, None


async def _pump(process: asyncio.subprocess.Process, output: _Output) -> None:
    """Read the output to its end, then wait for the command's exit."""
    assert process.stdout is not None
    while data := await process.stdout.read(CHUNK):
        output.feed(data)
        await asyncio.sleep(0)  # a read of buffered bytes does not yield: let the UI draw
    await output.finish_soon()
    await process.wait()


async def _stop_group(process: asyncio.subprocess.Process, grace_s: float) -> None:
    """SIGTERM to the check's process group, then SIGKILL to whatever is left after `grace_s`."""
    pgid = process.pid  # start_new_session: the shell leads a group of its own
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    gone = False
    try:
        while not (gone := not _group_alive(pgid)) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    finally:
        if not gone:  # also when a second cancel cuts the grace short
            _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# Characters `sanitize` removes or that start what it removes (escape sequences begin with ESC
# or a C1 control): a chunk without any is already clean.
_NEEDS_CLEANING = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _Cleaner:
    """`StreamSanitizer`, skipped for the usual chunk that has nothing to remove (10x faster)."""

    def __init__(self) -> None:
        self._stream = StreamSanitizer()
        self._may_hold = False
        """Whether the sanitizer may hold back the start of a sequence cut by the chunk's end."""

    def feed(self, text: str) -> str:
        if not self._may_hold and not _NEEDS_CLEANING.search(text):
            return text
        clean = self._stream.feed(text)
        # It holds back at most DEFAULT_MAX_PENDING characters from the end, starting with an
        # escape introducer: with none there, it holds nothing.
        end = text[-DEFAULT_MAX_PENDING:]
        self._may_hold = bool(_NEEDS_CLEANING.search(end)) or (
            len(text) < DEFAULT_MAX_PENDING and self._may_hold
        )
        return clean

    def flush(self) -> str:
        return self._stream.flush() if self._may_hold else ""


class _Tail:
    """The last `limit` bytes of a stream (kept in a buffer of at most twice that)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        """Bytes added in all."""
        self._buffer = bytearray()

    def add(self, data: bytes) -> None:
        self.total += len(data)
        self._buffer += data
        if len(self._buffer) > 2 * self.limit:
            del self._buffer[: len(self._buffer) - self.limit]

    def data(self) -> bytes:
        """The last `limit` bytes, starting at a whole UTF-8 character."""
        kept = bytes(self._buffer[-self.limit :])
        start = 0
        while start < min(len(kept), 3) and kept[start] & 0xC0 == 0x80:
            start += 1  # a continuation byte: the character began before the cut
        return kept[start:]


class _Output:
    """Where a check's output goes: the caller (bounded), the log (head and tail), the tail."""

    def __init__(
        self,
        on_output: Callable[[str], None],
        limit: int | None,
        log_name: str | None,
    ) -> None:
        self.on_output = on_output
        self.limit = limit
        self.bytes = 0
        """Raw bytes read from the command."""
        self.shown = 0
        """Characters handed to `on_output`."""
        self.truncated = False
        self.log_omitted = 0
        self.log_error: str | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._cleaner = _Cleaner()
        self._ends_line = True
        self._tail = _Tail(TAIL)
        self._log_tail = _Tail(LOG_TAIL)
        self._head_left = LOG_HEAD
        self._finished = False
        self._raw: _Tail | None = None
        """The end of the output, raw, once the caller and the log's head have had theirs."""
        self._raw_dropped = 0
        where = f"the log only: {log_name}" if log_name else "nowhere: no log is kept"
        self._note = f"[workbench: output past {_size(limit or 0)} goes to {where}]\n"
        self._log: BinaryIO | None = None
        self.logged = False
        """Whether a log file was written."""

    def open_log(self, path: Path) -> None:
        """Start the log at `path` (a log that cannot be written is said in `log_error`)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._log = path.open("wb")
            self.logged = True
        except OSError as error:
            self.log_error = f"the log could not be written ({error})"

    def feed(self, data: bytes) -> None:
        """Take the next bytes the command wrote."""
        self.bytes += len(data)
        if self._raw is not None:
            self._raw.add(data)
            return
        self._text(self._cleaner.feed(self._decoder.decode(data)))
        if self.truncated and (self._log is None or not self._head_left):
            # Only the end is wanted from now on: keep it raw and clean it once at the end,
            # which spares decoding and cleaning the rest (slow when it is full of colours).
            self._raw = _Tail(LOG_TAIL if self._log else TAIL)

    def finish(self) -> None:
        """The output ended: pass on what the decoder and the cleaner held back."""
        for text in self._rest():
            self._text(text)

    async def finish_soon(self) -> None:
        """`finish`, letting other tasks run between pieces of the raw end (up to `LOG_TAIL`)."""
        for text in self._rest():
            self._text(text)
            await asyncio.sleep(0)

    def _rest(self) -> Iterator[str]:
        """What is left to clean and pass on, in pieces; nothing the second time."""
        if self._finished:
            return
        self._finished = True
        if self._raw is None:
            yield self._cleaner.feed(self._decoder.decode(b"", final=True))
            yield self._cleaner.flush()
            return
        kept = self._raw.data()
        self._raw_dropped = self._raw.total - len(kept)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        cleaner = _Cleaner()
        for start in range(0, len(kept), CHUNK):
            yield cleaner.feed(decoder.decode(kept[start : start + CHUNK]))
        yield cleaner.feed(decoder.decode(b"", final=True)) + cleaner.flush()

    def tail(self) -> str:
        """The end of the output, as kept in memory."""
        return self._tail.data().decode("utf-8", errors="replace")

    def close(self) -> None:
        """Write the log's tail and close it (once; later calls do nothing)."""
        log, self._log = self._log, None
        if log is None:
            return
        try:
            kept = self._log_tail.data()
            self.log_omitted = self._log_tail.total - len(kept) + self._raw_dropped
            if self.log_omitted:
                log.write(
                    f"\n[workbench: {self.log_omitted:,} bytes of output left out here; the last "
                    f"{_size(len(kept))} follow]\n".encode()
                )
            log.write(kept)
            log.close()
        except OSError as error:
            self.log_error = f"the log could not be written ({error})"
            with contextlib.suppress(OSError):
                log.close()

    def _text(self, text: str) -> None:
        if not text:
            return
        self._show(text)
        data = text.encode("utf-8", errors="replace")
        self._tail.add(data)
        self._write_log(data)

    def _show(self, text: str) -> None:
        if self.limit is None:
            self.on_output(text)
            return
        if self.truncated:
            return
        room = self.limit - len(self._note) - 1 - self.shown
        if len(text) <= room:
            self._hand_on(text)
            return
        # Cut at a line's end when one is in reach, so the note starts a line of its own.
        cut = text.rfind("\n", 0, max(room, 0)) + 1 or max(room, 0)
        self._hand_on(text[:cut])
        self.truncated = True
        self._hand_on(("" if self._ends_line else "\n") + self._note)

    def _hand_on(self, text: str) -> None:
        if text:
            self.shown += len(text)
            self._ends_line = text.endswith("\n")
            self.on_output(text)

    def _write_log(self, data: bytes) -> None:
        if self._log is None:
            return
        if self._head_left:
            head = data[: self._head_left]
            if len(head) < len(data):  # the head is full: end it on a whole character
                head = head.decode("utf-8", errors="ignore").encode()
            try:
                self._log.write(head)
            except OSError as error:
                self.log_error = f"the log could not be written ({error})"
                self._log.close()
                self._log = None
                return
            if len(head) == len(data):
                self._head_left -= len(head)
                return
            self._head_left = 0
            data = data[len(head) :]
        self._log_tail.add(data)


def _size(count: int) -> str:
    """A byte count for people: "2 MB", "64 KB", "12 bytes"."""
    if count >= MB:
        return f"{count / MB:g} MB"
    if count >= 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count} bytes"
