"""The project tools as a model sees them: names, descriptions and JSON-schema parameters.

Written for a small model: short sentences, one example each, what to use instead when a
tool is the wrong one. Core module: never imports textual.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    """One argument of a tool."""

    name: str
    kind: type
    """int or str."""
    required: bool
    description: str


@dataclass(frozen=True)
class ToolSpec:
    """One tool's name, what it is for, and its arguments."""

    name: str
    description: str
    params: tuple[Param, ...]


PATH_NOTE = "Path relative to the project root"
SPECS = (
    ToolSpec(
        "list_dir",
        "List the files and folders in a project folder. Folders end with /, files show "
        "their size. Start here to see how the project is laid out.",
        (
            Param("path", str, False, f'{PATH_NOTE}, e.g. "src". Default "." (the root).'),
            Param("depth", int, False, "How many levels to show, 1 to 5. Default 1."),
        ),
    ),
    ToolSpec(
        "read_file",
        "Read a text file of the project, with line numbers. Long files are cut at 400 "
        "lines: then ask again with start_line and end_line for the next part.",
        (
            Param("path", str, True, f'{PATH_NOTE}, e.g. "src/app.py".'),
            Param("start_line", int, False, "First line to read (1-based). Default 1."),
            Param("end_line", int, False, "Last line to read (inclusive). Default: the end."),
        ),
    ),
    ToolSpec(
        "search",
        "Find lines matching a regular expression in the project's text files. Returns "
        "path:line: text for each match. Use it to find where a name is defined or used, "
        'e.g. pattern "def login" or "class Session". Add (?i) for case-insensitive.',
        (
            Param("pattern", str, True, "Regular expression to look for in each line."),
            Param("path", str, False, f'{PATH_NOTE} to search in. Default "." (everything).'),
            Param("max_results", int, False, "Most matching lines to return. Default 100."),
        ),
    ),
    ToolSpec(
        "git_log",
        "Show recent commits, one line each: short hash, date, author, subject. Use it to "
        "see what changed lately; then git_show a hash for the details.",
        (
            Param("n", int, False, "How many commits, 1 to 200. Default 20."),
            Param("path", str, False, f"{PATH_NOTE}: only commits that changed it."),
        ),
    ),
    ToolSpec(
        "git_show",
        "Show one commit: its message, the files it changed, and the diff.",
        (
            Param("rev", str, True, 'A commit hash from git_log, a branch, or "HEAD~1".'),
            Param("path", str, False, f"{PATH_NOTE}: show only the changes to it."),
        ),
    ),
)

TOOL_PARAMETERS: dict[str, dict[str, tuple[type, bool]]] = {
    spec.name: {p.name: (p.kind, p.required) for p in spec.params} for spec in SPECS
}
"""For each tool, its arguments' (type, required), used to check what a model sends."""

_JSON_TYPES = {int: "integer", str: "string"}


def _schema(spec: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": {
                "type": "object",
                "properties": {
                    p.name: {"type": _JSON_TYPES[p.kind], "description": p.description}
                    for p in spec.params
                },
                "required": [p.name for p in spec.params if p.required],
            },
        },
    }


_SCHEMAS = [_schema(spec) for spec in SPECS]


def tool_schemas() -> list[dict[str, Any]]:
    """The tools in Ollama's format: {"type": "function", "function": {name, description, ...}}."""
    return copy.deepcopy(_SCHEMAS)
