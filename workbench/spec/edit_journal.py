"""Typing in the spec, kept between autosaves: an append-only journal of edits beside it.

Autosave writes context.md after a pause in typing, so someone typing steadily would have
nothing on disk until they stop. The Spec pane therefore appends what changed since its last
entry to `context.journal` in the session folder every `JOURNAL_INTERVAL_S` while there are
unsaved edits (one short JSON line: where, how much was removed, what was inserted, never the
whole spec); each save of the spec starts the journal afresh. After a crash (kill -9, power cut
before the next save), the next start replays the journal over the saved spec, if it was
written against exactly that text. Core module: never imports textual.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

JOURNAL_FILE = "context.journal"
"""The journal's name in the session folder."""
JOURNAL_VERSION = 1
JOURNAL_INTERVAL_S = 0.3
"""How often unsaved typing is appended: a crash loses at most about this much of it."""
_BLOCK = 65_536
"""Characters compared at a time when looking for where two texts differ (slices compare in C)."""


@dataclass(frozen=True)
class Delta:
    """`new` is `old` with `old[start:end]` replaced by `text`."""

    start: int
    end: int
    text: str


def common_prefix(a: str, b: str) -> int:
    """How many characters `a` and `b` share at the start; block by block, then one by one."""
    limit = min(len(a), len(b))
    at = 0
    while at + _BLOCK <= limit and a[at : at + _BLOCK] == b[at : at + _BLOCK]:
        at += _BLOCK
    while at < limit and a[at] == b[at]:
        at += 1
    return at


def common_suffix(a: str, b: str, limit: int) -> int:
    """How many characters `a` and `b` share at the end, at most `limit`."""
    at = 0
    la, lb = len(a), len(b)
    while at + _BLOCK <= limit and a[la - at - _BLOCK : la - at] == b[lb - at - _BLOCK : lb - at]:
        at += _BLOCK
    while at < limit and a[la - at - 1] == b[lb - at - 1]:
        at += 1
    return at


def delta(old: str, new: str) -> Delta | None:
    """The one replacement that turns `old` into `new`; None when they are equal."""
    if old == new:
        return None
    prefix = common_prefix(old, new)
    suffix = common_suffix(old, new, min(len(old), len(new)) - prefix)
    return Delta(prefix, len(old) - suffix, new[prefix : len(new) - suffix])


def fingerprint(text: str) -> str:
    """What a journal records of the text it was started against."""
    data = text.encode("utf-8", errors="surrogatepass")
    return f"{len(text)}:{hashlib.sha256(data).hexdigest()[:32]}"


class EditJournal:
    """The journal of one spec: started against its saved text, appended to while typing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._text: str | None = None
        """The text the journal holds so far (the base plus every entry)."""

    def start(self, saved: str) -> None:
        """Begin afresh against `saved`, the text just written to context.md (OSError if not)."""
        self.close()
        self._text = saved
        header = {"v": JOURNAL_VERSION, "base": fingerprint(saved)}
        handle = self.path.open("w", encoding="utf-8", errors="surrogatepass")
        handle.write(json.dumps(header) + "\n")
        handle.flush()
        self._file = handle

    def record(self, text: str) -> bool:
        """Append what changed since the last entry (one line, flushed to the OS, so kill -9
        keeps it). False when the journal is not started or nothing changed."""
        if self._file is None or self._text is None:
            return False
        change = delta(self._text, text)
        if change is None:
            return False
        entry = {"at": change.start, "del": change.end - change.start, "ins": change.text}
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._file.flush()
        self._text = text
        return True

    def close(self) -> None:
        """Stop writing (the file stays until the next start or `discard`)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def discard(self) -> None:
        """Close and remove the journal (the spec on disk holds everything)."""
        self.close()
        self._text = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def recover(path: Path, saved: str) -> str | None:
    """The spec as typed before a crash: `saved` with the journal's edits replayed.

    None when there is nothing to recover: no journal, a journal started against another text
    (the spec was saved or edited elsewhere since), or no edit in it. A torn last line (the
    crash came mid-write) is left out. Never raises for a bad file.
    """
    try:
        lines = path.read_text(encoding="utf-8", errors="surrogatepass").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if not lines:
        return None
    try:
        header = json.loads(lines[0])
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("v") != JOURNAL_VERSION:
        return None
    if header.get("base") != fingerprint(saved):
        return None
    text = saved
    for line in lines[1:]:
        try:
            entry = json.loads(line)
            at, removed, inserted = entry["at"], entry["del"], entry["ins"]
        except (ValueError, KeyError, TypeError):
            break  # torn by the crash: what came before it stands
        if not (isinstance(at, int) and isinstance(removed, int) and isinstance(inserted, str)):
            break
        if not 0 <= at <= at + removed <= len(text):
            break
        text = text[:at] + inserted + text[at + removed :]
    return text if text != saved else None
