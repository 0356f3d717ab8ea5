"""`session.json`, the session's metadata: parsed leniently, written whole.

A required field that is missing or of the wrong type makes the file unreadable, with a reason
in plain words; an optional one that makes no sense is forgotten, so the session still opens.
`read_meta` reads the file; `workbench.session.store` writes it. Core module: never imports
textual.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import asdict
from pathlib import Path
from typing import Any

from workbench.session.errors import SessionUnreadableError
from workbench.session.model import ModelChoice, SessionMeta

META_VERSION = 1
REQUIRED_FIELDS = ("id", "title", "created", "updated", "project_dir")
SALVAGED = ("title", "created", "project_dir", "spec_path", "promote_section")
"""The text fields worth taking from the damaged file; models and drafts are chosen again."""
_FIELD = re.compile(rf'"({"|".join(SALVAGED)})"\s*:\s*"((?:[^"\\\x00-\x1f]|\\.)*)"')


class NewerFormatError(ValueError):
    """The file was written by a newer workbench: nothing is wrong with it but our age."""


def meta_to_json(meta: SessionMeta) -> bytes:
    """The bytes of `session.json` for `meta` (indented, UTF-8, one trailing newline)."""
    return (json.dumps(asdict(meta), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def parse_meta(data: bytes) -> SessionMeta:
    """The metadata in `data`; `ValueError` saying what is wrong ("is not valid JSON ...")."""
    if data and not data.strip(b"\x00"):  # what a crash before the data reached disk leaves
        raise ValueError("holds only zero bytes (a crash or a disk fault damaged it)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("is not text (it holds binary data)") from None
    if "\x00" in text:
        raise ValueError("is not text (it holds binary data)")
    if not text.strip():
        raise ValueError("is empty")
    try:
        loaded: Any = json.loads(text)
    except json.JSONDecodeError as error:
        if error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated string"):
            raise ValueError("ends in the middle of its JSON (the file was cut short)") from None
        raise ValueError(
            f"is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise ValueError("is not valid session data (its JSON is nested too deeply)") from None
    if not isinstance(loaded, dict):
        raise ValueError(f"holds a JSON {_json_kind(loaded)} where an object belongs")
    version = loaded.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError("has a version that is not a number")
    if version > META_VERSION:
        raise NewerFormatError(f"was written by a newer workbench (format version {version})")
    bad = [name for name in REQUIRED_FIELDS if not isinstance(loaded.get(name), str)]
    if bad:
        which = ", ".join(bad)
        raise ValueError(f"lacks {which} (missing, or not text)")
    return _meta(loaded)


def salvage(damaged: bytes) -> dict[str, str]:
    """The text fields still legible in a damaged `session.json` (first occurrence wins)."""
    found: dict[str, str] = {}
    for match in _FIELD.finditer(damaged.decode("utf-8", errors="replace")):
        name, raw = match.groups()
        try:
            value = json.loads(f'"{raw}"')
        except ValueError:
            continue
        if isinstance(value, str) and value and name not in found:
            found[name] = value
    return found


def _meta(data: dict[str, Any]) -> SessionMeta:
    # A model choice that does not make sense is forgotten, not fatal: the user picks again.
    models = data.get("models")
    drafts = data.get("drafts")
    spec = data.get("spec_path")
    section = data.get("promote_section")
    tools = data.get("tools_enabled")
    return SessionMeta(
        **{name: data[name] for name in REQUIRED_FIELDS},
        spec_path=spec if isinstance(spec, str) else None,
        models={
            pane: ModelChoice(provider=choice["provider"], name=choice["name"])
            for pane, choice in (models.items() if isinstance(models, dict) else ())
            if isinstance(choice, dict)
            and choice.get("provider") in ("ollama", "anthropic")
            and isinstance(choice.get("name"), str)
        },
        drafts={
            pane: text
            for pane, text in (drafts.items() if isinstance(drafts, dict) else ())
            if isinstance(text, str)
        },
        promote_section=section if isinstance(section, str) else None,
        cloud_fallback_allowed=data.get("cloud_fallback_allowed") is True,
        tools_enabled=tools if isinstance(tools, bool) else None,
        version=META_VERSION,
    )


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "boolean" if isinstance(value, bool) else "number"


def read_meta(folder: Path) -> SessionMeta:
    """The metadata of the session in `folder`; `SessionUnreadableError` if missing or bad."""
    path = folder / "session.json"
    try:
        data = _read_regular_file(path)
    except FileNotFoundError:
        raise SessionUnreadableError(folder, "is missing", project_known=False) from None
    except OSError as error:
        reason = f"cannot be read ({error.strerror or error})"
        raise SessionUnreadableError(folder, reason, damage="unreadable") from None
    try:
        return parse_meta(data)
    except NewerFormatError as error:
        raise SessionUnreadableError(folder, str(error), damage="newer") from None
    except ValueError as error:
        known = salvaged_project(data) is not None
        raise SessionUnreadableError(folder, str(error), project_known=known) from None


def salvaged_project(damaged: bytes) -> Path | None:
    """The project folder a damaged `session.json` still names, if it exists."""
    named = Path(salvage(damaged).get("project_dir", ""))
    return named if named.is_absolute() and named.is_dir() else None


def _read_regular_file(path: Path) -> bytes:
    # O_NONBLOCK and the type check: a named pipe in the file's place must not hang the list.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "it is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as file:
            return file.read()
    finally:
        os.close(fd)
