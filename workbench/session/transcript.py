"""A pane's transcript: an append-only JSONL file that survives crashes.

Each line is one record, a JSON object with a version `v` and a `type`:

- `{"v": 1, "type": "message", "id": ..., "role": ..., "content": ..., ...}` (`MessageRecord`):
  a whole message, every field of its role's class (`UserMessage`, ...); attached files as
  `{"path", "size_bytes", "tokens", "text", "summary"}`, `{"path", "error"}` or `{"path"}`.
  A later line with the same id replaces the earlier one.
- `{"v": 2, "type": "message", ..., "after": N, "after_digest": ..., "content": rest}`: the same,
  for a message whose earlier lines (checkpoints, an earlier version of it) hold at least
  `SHARE_ABOVE_CHARS` characters of its text: its content is the N characters those lines hold,
  then `rest`, so a long reply is stored once rather than twice. `after_digest` (blake2b of the
  N characters) lets the reader check it; when they do not match, the line is bad and the
  checkpoints are recovered instead. Other lines are still written as version 1, which older
  workbenches read; they skip version 2 lines as written by a newer workbench.
- `{"v": 1, "type": "chunk", "id": ..., "text": ...}` (`ChunkRecord`): text a reply gained since
  its previous checkpoint while it was still streaming. Chunks with no final `message` line
  after them are recovered as an interrupted reply.

A crash loses at most the line being written; bad lines are skipped with a warning, and a field
of the wrong type is dropped rather than the whole message.
Core module: never imports textual.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import types
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import (
    Any,
    Literal,
    NamedTuple,
    TypeAlias,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from workbench.session.ids import new_id, now_iso
from workbench.session.model import (
    AssistantMessage,
    AttachedFile,
    Message,
    MessageStatus,
    UserMessage,
)
from workbench.textclean import mend_surrogates

__all__ = [
    "RECOVERED_NOTE",
    "SHARE_ABOVE_CHARS",
    "TRANSCRIPT_VERSION",
    "ChunkRecord",
    "MessageRecord",
    "Record",
    "Transcript",
    "attached_record",
    "new_id",
    "now_iso",
]

TRANSCRIPT_VERSION = 2
"""The newest record version this workbench reads and writes (only lines that share text)."""
_PLAIN_VERSION = 1
"""The version of every other line, so that older workbenches still read them."""
SHARE_ABOVE_CHARS = 4096
"""A message line shares the text earlier lines of its id hold once that is this long."""
_DIGEST_SIZE = 16
RECOVERED_NOTE = "recovered after an unexpected exit"


# Named tuples rather than dataclasses: they are made faster (the app imports this at start).
class MessageRecord(NamedTuple):
    """A whole message: new, or replacing the earlier one with the same id."""

    message: Message
    after: int = 0
    """How many characters of the content earlier lines of its id hold (0: none shared). When
    read, `message.content` is only the rest until the reader puts the two together."""
    after_digest: str = ""
    """The blake2b digest of those characters, so the reader can check it holds them."""
    type: Literal["message"] = "message"


class ChunkRecord(NamedTuple):
    """Text a reply gained since its previous checkpoint, while it was still streaming."""

    id: str
    text: str
    model: str | None = None
    """The model streaming it, so a reply recovered after a crash still names its model."""
    type: Literal["chunk"] = "chunk"


Record: TypeAlias = MessageRecord | ChunkRecord
"""One line of a transcript."""


class _BadLine(ValueError):
    """A transcript line that cannot be used; the message says why."""


@dataclass
class _Entry:
    """What is known about one message id while reading a transcript."""

    message: Message | None
    chunks: list[str]
    model: str | None = None


class _Held:
    """The text the lines of one message id hold so far, as its length and a blake2b digest.

    The digest is worked out when first needed: most messages never get a second line.
    """

    __slots__ = ("_hash", "_text", "length")

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self._text: str | None = text
        self._hash: hashlib.blake2b | None = None

    def _hashed(self) -> hashlib.blake2b:
        if self._hash is None:
            self._hash = hashlib.blake2b(_utf8(self._text or ""), digest_size=_DIGEST_SIZE)
            self._text = None
        return self._hash

    def add(self, text: str) -> None:
        """Count text a new line added to what the earlier ones hold."""
        self._hashed().update(_utf8(text))
        self.length += len(text)

    def digest(self) -> str:
        """The digest of all the text held."""
        return self._hashed().hexdigest()

    def begins(self, content: str) -> bool:
        """True when `content` begins with all of the text held, and that is worth sharing."""
        return (
            self.length >= SHARE_ABOVE_CHARS
            and len(content) >= self.length
            and _digest(content[: self.length]) == self.digest()
        )


class Transcript:
    """The JSONL transcript of one chat pane."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tail_checked = False
        self._held: dict[str, _Held] = {}
        """What the lines on disk hold for each message id (written here, or loaded)."""

    def append(self, msg: Message) -> None:
        """Write a whole message (new, or replacing an earlier one with the same id).

        When earlier lines of its id hold the start of its content (a reply's checkpoints),
        the line holds only the rest.
        """
        held = self._held.get(msg.id)
        if held is not None and held.begins(msg.content):
            self._write(MessageRecord(msg, held.length, held.digest()), msg.id)
            held.add(msg.content[held.length :])
        else:
            self._write(MessageRecord(msg), msg.id)
            self._held[msg.id] = _Held(msg.content)

    def append_chunk(self, msg_id: str, text: str, *, model: str | None = None) -> None:
        """Checkpoint a reply that is still streaming: the text since its previous checkpoint.

        `model`, when given, is kept so a reply recovered after a crash still names its model.
        """
        if text:
            self._write(ChunkRecord(msg_id, text, model), msg_id)
            self._held.setdefault(msg_id, _Held("")).add(text)

    def _write(self, record: Record, msg_id: str) -> None:
        try:
            self._write_line(record)
        except BaseException:
            # Whether the line is on disk is unknown: later lines of this id share nothing, and
            # the next line starts on a line of its own if this one was cut short.
            self._held.pop(msg_id, None)
            self._tail_checked = False
            raise

    def _write_line(self, record: Record) -> None:
        line = json.dumps(_encode(record), ensure_ascii=False) + "\n"
        try:
            data = line.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate that slipped past the providers' cleaning: U+FFFD in its place,
            # rather than losing the whole line (and with it a reply).
            data = mend_surrogates(line).encode("utf-8", errors="replace")
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
        self._held = {msg_id: _Held(_held_text(entry)) for msg_id, entry in entries.items()}
        return [m for m in messages if m is not None], warnings

    def count(self) -> int:
        """How many messages the transcript holds."""
        return len(self.load()[0])

    @staticmethod
    def _read_line(line: bytes, entries: dict[str, _Entry]) -> None:
        record = _decode(line)
        # The first line of an id fixes its place in the transcript; later lines update it.
        if isinstance(record, MessageRecord):
            message = record.message
            if record.after:
                earlier = entries.get(message.id)
                held = _held_text(earlier) if earlier is not None else ""
                if (
                    earlier is None
                    or len(held) != record.after
                    or _digest(held) != record.after_digest
                ):
                    raise _BadLine("continues text that earlier lines do not hold")
                message.content = held + message.content
            entry = entries.setdefault(message.id, _Entry(None, []))
            entry.message, entry.chunks = message, []
        else:
            entry = entries.setdefault(record.id, _Entry(None, []))
            entry.chunks.append(record.text)
            if record.model is not None:
                entry.model = record.model


# -- writing --------------------------------------------------------------------------------


def _encode(record: Record) -> dict[str, Any]:
    """A record as the JSON object of its line."""
    line: dict[str, Any] = {"v": _PLAIN_VERSION, "type": record.type}
    if isinstance(record, ChunkRecord):
        line |= {"id": record.id, "text": record.text}
        return line | ({"model": record.model} if record.model else {})
    message = record.message
    line |= {f.name: getattr(message, f.name) for f in fields(message)}
    if isinstance(message, UserMessage) and message.attachments is not None:
        line["attachments"] = [attached_record(item) for item in message.attachments]
    if record.after:
        line["v"] = TRANSCRIPT_VERSION
        line["content"] = message.content[record.after :]
        line |= {"after": record.after, "after_digest": record.after_digest}
    return line


def _utf8(text: str) -> bytes:
    """Text as its line stores it: a lone surrogate is U+FFFD there too (see `_write_line`)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return mend_surrogates(text).encode("utf-8", errors="replace")


def _digest(text: str) -> str:
    """The blake2b digest of text, as `after_digest` gives it."""
    return hashlib.blake2b(_utf8(text), digest_size=_DIGEST_SIZE).hexdigest()


def attached_record(attached: AttachedFile) -> dict[str, Any]:
    """An attached file as a transcript stores it: loaded, failed, or still pending."""
    if attached.error is not None:
        return {"path": attached.path, "error": attached.error}
    if attached.text is None:
        return {"path": attached.path}
    return {
        "path": attached.path,
        "size_bytes": attached.size_bytes,
        "tokens": attached.tokens,
        "text": attached.text,
        "summary": attached.summary,
    }


# -- reading --------------------------------------------------------------------------------


def _decode(line: bytes) -> Record:
    """The record on a line; _BadLine says why there is none."""
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
    msg_id = record.get("id")
    if not isinstance(msg_id, str) or not msg_id:
        raise _BadLine("has no message id")
    kind = record.get("type")
    parse = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parse is None:
        raise _BadLine(f"has an unknown type {kind!r}")
    return parse(record)


def _parse_chunk(record: dict[str, Any]) -> ChunkRecord:
    text, model = record.get("text"), record.get("model")
    if not isinstance(text, str):
        raise _BadLine("is a chunk without text")
    return ChunkRecord(record["id"], text, model if isinstance(model, str) else None)


_CLASSES: dict[str, type[Message]] = {cls.role: cls for cls in get_args(Message)}
"""The message class of each role."""
_STATUSES = get_args(MessageStatus)


def _parse_message(record: dict[str, Any]) -> MessageRecord:
    role, content, status = record.get("role"), record.get("content"), record.get("status", "done")
    cls = _CLASSES.get(role) if isinstance(role, str) else None
    if cls is None:
        raise _BadLine(f"has an unknown role {role!r}")
    if not isinstance(content, str):
        raise _BadLine("has no content")
    if status not in _STATUSES:
        raise _BadLine(f"has an unknown status {status!r}")
    after, after_digest = record.get("after", 0), record.get("after_digest", "")
    if record["v"] < 2:
        after, after_digest = 0, ""  # version 1 lines never share text
    elif not (isinstance(after, int) and not isinstance(after, bool) and after >= 0):
        raise _BadLine(f"has a bad 'after' {after!r}")
    elif after and not isinstance(after_digest, str):
        raise _BadLine("has no 'after_digest'")
    # Other fields of the wrong type are dropped rather than losing the whole message.
    known = _known_fields(cls, record) | {"id": record["id"], "content": content, "status": status}
    return MessageRecord(cls(**known), after, after_digest)


_PARSERS: dict[str, Callable[[dict[str, Any]], Record]] = {
    "message": _parse_message,
    "chunk": _parse_chunk,
}
"""The parser of each record type."""

_Reader = Callable[[object], object]
"""Checks the JSON value of a field that is not a scalar: the value to keep, or `_WRONG`."""
_WRONG = object()
_SCALARS: dict[object, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
}
"""The JSON values a field of each scalar type accepts."""


def _known_fields(cls: type, record: dict[str, Any]) -> dict[str, Any]:
    """The fields of `cls` found in `record` with the right type (the others are left out)."""
    scalars, readers = _readers(cls)
    # isinstance(value, ()) is False: keys that are not scalar fields of `cls` are left out.
    found = {key: value for key, value in record.items() if isinstance(value, scalars.get(key, ()))}
    for name, read in readers.items():
        if name in record and (value := read(record[name])) is not _WRONG:
            found[name] = value
    return found


@functools.cache
def _readers(cls: type) -> tuple[dict[str, tuple[type, ...]], dict[str, _Reader]]:
    """What each field of a record class accepts, from its type annotations: the JSON types of
    its scalar fields, and a reader for each other field."""
    scalars: dict[str, tuple[type, ...]] = {}
    readers: dict[str, _Reader] = {}
    hints = get_type_hints(cls)
    for f in (f for f in fields(cls) if f.init):
        hint = hints[f.name]
        if get_origin(hint) in (Union, types.UnionType):  # X | None: a null is the default
            options = [option for option in get_args(hint) if option is not type(None)]
            hint = options[0] if len(options) == 1 else hint
        if hint in _SCALARS:
            scalars[f.name] = _SCALARS[hint]
        elif get_origin(hint) is Literal:
            readers[f.name] = functools.partial(_one_of, get_args(hint))
        elif hint == list[AttachedFile]:
            readers[f.name] = _attached_files
        else:
            raise TypeError(f"a transcript cannot store {cls.__name__}.{f.name}: {hint!r}")
    return scalars, readers


def _one_of(values: tuple[object, ...], value: object) -> object:
    return value if value in values else _WRONG


def _attached_files(value: object) -> object:
    """The attached files of a record; an item without a path is dropped."""
    if not isinstance(value, list):
        return _WRONG
    items = [_known_fields(AttachedFile, item) for item in value if isinstance(item, dict)]
    return [AttachedFile(**item) for item in items if "path" in item]


def _held_text(entry: _Entry) -> str:
    """The text the lines of an id read so far hold (what a version 2 line continues)."""
    content = entry.message.content if entry.message is not None else ""
    return content + "".join(entry.chunks) if entry.chunks else content


def _finish(msg_id: str, entry: _Entry) -> Message | None:
    """The message as loaded; a reply whose stream never finished becomes `interrupted`."""
    message = entry.message
    if not entry.chunks and (message is None or message.status != "streaming"):
        return message
    # Chunks extend a reply that was announced as streaming; otherwise they are a whole reply.
    streaming = message is not None and message.status == "streaming"
    return AssistantMessage(
        id=msg_id,
        content=(message.content if message and streaming else "") + "".join(entry.chunks),
        model=entry.model or (message.model if isinstance(message, AssistantMessage) else None),
        created=message.created if message else "",
        status="interrupted",
        note=RECOVERED_NOTE,
    )
