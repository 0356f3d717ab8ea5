"""The fast model's read-only tools over the project, their schemas, and one dispatcher.

Each tool is confined to the project root, caps its output (16 KB, 400 lines) and refuses with a
ToolError whose message tells the model what to do instead. `run_tool` turns every model mistake
into `ToolResult(ok=False, "Error: ...")`, never an exception. Core module: never imports textual.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.project.background import Cancel
from workbench.project.files import (
    MAX_LISTED_FILES,
    ToolError,
    confine,
    human_size,
    project_listing,
    read_text,
    refuse_special,
)
from workbench.project.git import git_log, git_show
from workbench.project.output import MAX_OUTPUT_BYTES, MAX_OUTPUT_LINES, cap_output
from workbench.project.schemas import TOOL_PARAMETERS, tool_schemas
from workbench.project.text_search import PATTERN_TIME_LIMIT_S, search

MAX_READ_BYTES = 8 * 1024 * 1024
"""read_file refuses files larger than this (search finds lines in them instead)."""
MAX_DEPTH = 5
"""list_dir shows at most this many levels."""
MAX_LINE_CHARS = 2000
"""read_file cuts a line longer than this (minified code), saying so."""

__all__ = ["ToolResult", "list_dir", "read_file", "run_tool", "search", "tool_schemas"]


@dataclass(frozen=True)
class ToolResult:
    """What a tool call gives back to the model."""

    ok: bool
    """False when the call was refused or failed; `text` then starts with "Error: "."""
    text: str
    """The tool's output, or the error message, as the model will read it."""


def _whole_number(value: object, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        top = f" to {high}" if high is not None else " or more"
        raise ToolError(f"{name} must be a whole number from {low}{top}.")
    return value if high is None else min(value, high)


def list_dir(root: str | os.PathLike[str], path: str = ".", depth: int = 1) -> str:
    """The files (with sizes) and directories (ending in /) under `path`, `depth` levels deep.

    Paths are relative to the project root; files ignored by .gitignore are left out.
    """
    levels = _whole_number(depth, "depth", 1, MAX_DEPTH)
    real, rel = confine(root, path)
    if not real.exists():
        raise ToolError(f'{path} does not exist. Use list_dir with path "." to see the top level.')
    refuse_special(real, rel, "listed")
    if not real.is_dir():
        raise ToolError(f"{rel} is a file, not a directory. Use read_file to read it.")
    prefix = "" if rel == "." else rel + "/"
    listing = project_listing(root)
    files: list[str] = []
    dirs: Counter[str] = Counter()
    for name in listing.files:
        if not name.startswith(prefix):
            continue
        parts = name[len(prefix) :].split("/")
        if len(parts) <= levels:
            files.append(name)
        for level in range(1, min(len(parts), levels + 1)):
            dirs[prefix + "/".join(parts[:level]) + "/"] += 1
    if not files and not dirs:
        where = "The project" if rel == "." else f"{rel}/"
        return f"{where} has no files (none that .gitignore does not ignore).\n"
    lines = []
    for entry in sorted([*files, *dirs], key=lambda e: e.rstrip("/").split("/")):
        if entry in dirs:
            count = dirs[entry]
            lines.append(f"{entry}  ({count} file{'s' if count != 1 else ''})")
        else:
            lines.append(f"{entry}  ({_size(root, entry)})")
    if listing.capped:
        lines.append(f"[the project has over {MAX_LISTED_FILES:,} files; some are not shown]")
    return cap_output("\n".join(lines) + "\n")


def _size(root: str | os.PathLike[str], name: str) -> str:
    try:
        return human_size(os.stat(os.path.join(root, name)).st_size)
    except OSError:
        return "unreadable"


def read_file(
    root: str | os.PathLike[str],
    path: str,
    start_line: int | None = None,
    end_line: int | None = None,
) -> str:
    """Lines `start_line`..`end_line` (1-based, inclusive; default all) of a text file, numbered.

    Output past 400 lines or 16 KB stops with a note giving the start_line to ask for next.
    """
    real, rel = confine(root, path)
    text = read_text(real, rel, max_bytes=MAX_READ_BYTES)
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    total = len(lines)
    if total == 0:
        return f"{rel} is empty.\n"
    first = 1 if start_line is None else _whole_number(start_line, "start_line", 1)
    last = total if end_line is None else _whole_number(end_line, "end_line", 1)
    if first > total:
        raise ToolError(f"{rel} has {total} lines; start_line must be at most {total}.")
    if last < first:
        raise ToolError(f"end_line ({last}) is before start_line ({first}).")
    last = min(last, total)
    width = len(str(last))
    shown: list[str] = []
    used = 0
    for number in range(first, last + 1):
        line = lines[number - 1]
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + f" … [line cut: {len(line):,} characters]"
        row = f"{number:>{width}}\t{line}"
        used += len(row.encode("utf-8")) + 1
        if shown and (len(shown) >= MAX_OUTPUT_LINES or used > MAX_OUTPUT_BYTES):
            break
        shown.append(row)
    end = first + len(shown) - 1
    header = f"{rel} (lines {first}-{end} of {total})"
    out = "\n".join([header, *shown]) + "\n"
    if end < last:
        out += (
            f"[output truncated: {last - end} more lines. Ask for a line range to read more: "
            f"start_line={end + 1}, end_line={min(end + MAX_OUTPUT_LINES, last)}]\n"
        )
    return out


Tool = Callable[..., str]
TOOLS: dict[str, Tool] = {
    "list_dir": list_dir,
    "read_file": read_file,
    "search": search,
    "git_log": git_log,
    "git_show": git_show,
}


def _argument(tool: str, name: str, value: object, kind: type) -> object:
    """`value` as `kind`, forgiving what small models often send ("20" for 20)."""
    if kind is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ToolError(f"{tool}: {name} must be a whole number, not {json.dumps(value)}.")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ToolError(f"{tool}: {name} must be a string, not {json.dumps(value)}.")
    return value


def _arguments(tool: str, arguments: object) -> dict[str, Any]:
    if isinstance(arguments, str):  # some models send the arguments as JSON text
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            raise ToolError(f"{tool}: the arguments are not a JSON object.") from None
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, Mapping):
        raise ToolError(f"{tool}: the arguments must be an object of named values.")
    parameters = TOOL_PARAMETERS[tool]
    accepted = ", ".join(parameters)
    kwargs: dict[str, Any] = {}
    for name, value in arguments.items():
        if name not in parameters:
            raise ToolError(f"{tool} has no argument {name!r}; it takes: {accepted}.")
        if value is not None:  # null means "not given"
            kwargs[name] = _argument(tool, name, value, parameters[name][0])
    missing = [name for name, (_, required) in parameters.items() if required]
    missing = [name for name in missing if name not in kwargs]
    if missing:
        raise ToolError(f"{tool} needs {' and '.join(missing)}; it takes: {accepted}.")
    return kwargs


def run_tool(
    root: str | os.PathLike[str],
    name: str,
    arguments: object,
    *,
    cancel: Cancel | None = None,
    search_time_limit: float = PATTERN_TIME_LIMIT_S,
) -> ToolResult:
    """Call tool `name` with the model's `arguments`; mistakes come back as ok=False, not raised.

    `cancel` kills the child processes a search starts (Escape); the Python search engine is
    stopped after `search_time_limit` seconds, with a message saying so.
    """
    tool = TOOLS.get(name) if isinstance(name, str) else None
    if tool is None:
        return ToolResult(
            False, f"Error: there is no tool called {name!r}. The tools are: {', '.join(TOOLS)}."
        )
    try:
        kwargs = _arguments(name, arguments)
        if tool is search:  # the model's arguments never reach these two: not in its schema
            kwargs |= {"cancel": cancel, "time_limit": search_time_limit}
        return ToolResult(True, tool(root, **kwargs))
    except ToolError as error:
        return ToolResult(False, f"Error: {error}")
    except OSError as error:
        return ToolResult(False, f"Error: {name} failed: {error.strerror or error}.")
