"""A pane's transcript: an append-only JSONL file that survives crashes.

Each line is one JSON object with a version `v` and a `type`:

- `{"v": 1, "type": "message", "id": ..., "role": ..., "content": ..., ...}`: a whole message
  (every `Message` field). A later line with the same id replaces the earlier one.
- `{"v": 1, "type": "chunk", "id": ..., "text": ...}`: text a reply gained since its previous
  checkpoint while it was still streaming. Chunks with no final `message` line after them are
  recovered as an interrupted reply.

A crash loses at most the line being written; bad lines are skipped with a warning.
Core module: never imports textual.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, cast, get_args

from workbench.session.ids import new_id, now_iso
from workbench.session.model import Message, MessageRole, MessageStatus

__all__ = ["RECOVERED_NOTE", "TRANSCRIPT_VERSION", "Transcript", "new_id", "now_iso"]

TRANSCRIPT_VERSION = 1
RECOVERED_NOTE = "recovered after an unexpected exit"

_ROLES = get_args(MessageRole)
_STATUSES = get_args(MessageStatus)
_REQUIRED = ("id", "role", "content", "status")
_SCALARS: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "float": (int, float)}
# Optional Message fields and the JSON types they accept, read from the dataclass itself so a
# field added to Message is persisted and loaded without touching this module.
_OPTIONAL = {
    f.name: tuple(t for name in str(f.type).split("|") for t in _SCALARS.get(name.strip(), ()))
    for f in fields(Message)
    if f.name not in _REQUIRED
}


class _BadLine(ValueError):
    """A transcript line that cannot be used; the message says why."""


@dataclass
class _Entry:
    """What is known about one message id while reading a transcript."""

    message: Message | None
    chunks: list[str]
    model: str | None = None


class Transcript:
    """The JSONL transcript of one chat pane."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tail_checked = False

    def append(self, msg: Message) -> None:
        """Write a whole message (new, or replacing an earlier one with the same id)."""
        self._write({"v": TRANSCRIPT_VERSION, "type": "message", **asdict(msg)})

    def append_chunk(self, msg_id: str, text: str, *, model: str | None = None) -> None:
        """Checkpoint a reply that is still streaming: the text since its previous checkpoint.

        `model`, when given, is kept so a reply recovered after a crash still names its model.
        """
        if text:
            record = {"v": TRANSCRIPT_VERSION, "type": "chunk", "id": msg_id, "text": text}
            self._write(record | ({"model": model} if model else {}))

    def _write(self, record: dict[str, Any]) -> None:
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if not self._tail_checked:
                # After a crash mid-write the file may end without a newline; without this the
                # next record would be glued to the broken line and lost with it.
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data
                self._tail_checked = True
            # One write per record with O_APPEND, so concurrent appenders never interleave.
            written = os.write(fd, data)
            while written < len(data):  # only on a full disk or similar; finish the line
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)

    def load(self) -> tuple[list[Message], list[str]]:
        """All messages in order, and a warning per line that had to be skipped."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return [], []
        entries: dict[str, _Entry] = {}
        warnings: list[str] = []
        lines = raw.split(b"\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                self._read_line(line, entries)
            except _BadLine as exc:
                truncated = number == len(lines) and not raw.endswith(b"\n")
                reason = "is incomplete (workbench stopped while writing it)" if truncated else exc
                warnings.append(f"{self.path}:{number}: line {reason}; skipped")
        messages = [_finish(msg_id, entry) for msg_id, entry in entries.items()]
        return [m for m in messages if m is not None], warnings

    def count(self) -> int:
        """How many messages the transcript holds."""
        return len(self.load()[0])

    @staticmethod
    def _read_line(line: bytes, entries: dict[str, _Entry]) -> None:
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _BadLine("is not valid JSON") from None
        if not isinstance(record, dict):
            raise _BadLine("is not a JSON object")
        version = record.get("v")
        if not isinstance(version, int) or isinstance(version, bool):
            raise _BadLine("has no version")
        if version > TRANSCRIPT_VERSION:
            raise _BadLine(f"was written by a newer workbench (version {version})")
        kind = record.get("type")
        msg_id = record.get("id")
        if not isinstance(msg_id, str) or not msg_id:
            raise _BadLine("has no message id")
        # The first line of an id fixes its place in the transcript; later lines update it.
        if kind == "message":
            message = _message(record)
            entry = entries.setdefault(msg_id, _Entry(None, []))
            entry.message, entry.chunks = message, []
        elif kind == "chunk":
            text = record.get("text")
            if not isinstance(text, str):
                raise _BadLine("is a chunk without text")
            entry = entries.setdefault(msg_id, _Entry(None, []))
            entry.chunks.append(text)
            if isinstance(record.get("model"), str):
                entry.model = record["model"]
        else:
            raise _BadLine(f"has an unknown type {kind!r}")


def _message(record: dict[str, Any]) -> Message:
    """Build a Message from a record, checking the fields that matter."""
    role, content, status = record.get("role"), record.get("content"), record.get("status", "done")
    if role not in _ROLES:
        raise _BadLine(f"has an unknown role {role!r}")
    if not isinstance(content, str):
        raise _BadLine("has no content")
    if status not in _STATUSES:
        raise _BadLine(f"has an unknown status {status!r}")
    # Optional fields of the wrong type are dropped rather than losing the whole message.
    extra: dict[str, Any] = {
        key: value
        for key, value in record.items()
        if key in _OPTIONAL and isinstance(value, _OPTIONAL[key])
    }
    attachments = record.get("attachments")
    if isinstance(attachments, list):
        extra["attachments"] = [
            item
            for item in attachments
            if isinstance(item, dict) and isinstance(item.get("path"), str)
        ]
    return Message(
        id=record["id"],
        role=cast(MessageRole, role),
        content=content,
        status=cast(MessageStatus, status),
        **extra,
    )


def _finish(msg_id: str, entry: _Entry) -> Message | None:
    """The message as loaded; a reply whose stream never finished becomes `interrupted`."""
    message = entry.message
    if not entry.chunks and (message is None or message.status != "streaming"):
        return message
    # Chunks extend a reply that was announced as streaming; otherwise they are a whole reply.
    streaming = message is not None and message.status == "streaming"
    return Message(
        id=msg_id,
        role="assistant",
        content=(message.content if message and streaming else "") + "".join(entry.chunks),
        model=entry.model or (message.model if message else None),
        created=message.created if message else "",
        status="interrupted",
        note=RECOVERED_NOTE,
    )
