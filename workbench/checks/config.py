"""Which checks a project has: its own file, an answer saved for it, or the user config.

First found wins: `.workbench.toml` at the project root (`[checks] commands = [...]`, can be
committed for the team), then the answer a person gave when the app proposed checks (saved under
the data dir, one file per project, never in the project), then `[project] checks` of the user
config (the default for every project). A bad file is reported, never a crash.
Core module: never imports textual.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from workbench import paths
from workbench.config_reader import find_line, syntax_problem
from workbench.fileio import atomic_write
from workbench.settings import ConfigProblem, Settings

PROJECT_FILE = ".workbench.toml"
"""The project's own file, at its root."""
SAVED_VERSION = 1
"""The `version` field of a saved answer."""
_SUB_COMMAND = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
"""A word after the program that names what it does ("check" in `ruff check .`)."""
_INTERPRETER = re.compile(r"(python|node|bash|sh|ruby|perl|php|deno|bun)[0-9.]*")
"""Programs whose first argument, a script, says what the check is."""
ChecksSource = Literal["project file", "saved for this project", "user config", "none"]


@dataclass(frozen=True)
class CheckCommand:
    """One check: a shell command run in the project root."""

    name: str
    """What the check is called in the Checks view and the summary ("pytest", "ruff check")."""
    command: str
    """The command line, run by /bin/sh in the project root."""
    timeout_s: float | None = None
    """Kill it after this many seconds; None: `[project] checks_timeout_s`."""

    @classmethod
    def of(
        cls, command: str, name: str | None = None, timeout_s: float | None = None
    ) -> CheckCommand:
        """A check for `command`, named after its first words unless `name` is given."""
        command = command.strip()
        return cls(name or command_name(command), command, timeout_s)


def command_name(command: str) -> str:
    """A short name for a command: its program and sub-command ("ruff check", "go test")."""
    try:
        words = shlex.split(command)
    except ValueError:  # an unclosed quote: the shell will say so when it runs
        words = command.split()
    while words and "=" in words[0] and not words[0].startswith("-"):
        words = words[1:]  # `FOO=1 pytest`: the variable is not the name
    if not words:
        return command.strip() or "check"
    name = [Path(words[0]).name]
    rest = words[1:]
    if rest[:1] == ["-m"] and len(rest) > 1:  # python -m pytest
        return " ".join([*name, "-m", rest[1]])
    if _INTERPRETER.fullmatch(name[0]) and rest and not rest[0].startswith("-"):
        return f"{name[0]} {Path(rest[0]).name}"  # python3 check_calc.py: the script names it
    for word in rest[:2]:
        if not _SUB_COMMAND.fullmatch(word):  # an option, a path, a shell operator: done
            break
        name.append(word)
    return " ".join(name)


@dataclass
class ChecksConfig:
    """The checks of a project and where they came from."""

    commands: list[CheckCommand]
    """The checks, in the order they run."""
    source: ChecksSource
    """Where they came from; "none" when nothing is configured (the app may propose some)."""
    path: Path | None = None
    """The file they came from (None when `source` is "none")."""
    problems: list[ConfigProblem] = field(default_factory=list)
    """What was wrong in the files read (each names the file, line and key)."""

    @property
    def answered(self) -> bool:
        """Whether someone decided (a file or a saved answer, even an empty one): do not ask."""
        return self.source != "none"


def load_checks(settings: Settings, root: Path) -> ChecksConfig:
    """The checks of the project at `root`; never raises for a bad or missing file."""
    problems: list[ConfigProblem] = []
    project_file = root / PROJECT_FILE
    found = _read_project_file(project_file, problems)
    if found is not None:
        return ChecksConfig(found, "project file", project_file, problems)
    saved_path = saved_checks_path(root)
    saved = _read_saved(saved_path, root, problems)
    if saved is not None:
        return ChecksConfig(saved, "saved for this project", saved_path, problems)
    if settings.project.checks:
        commands = [CheckCommand.of(c) for c in settings.project.checks]
        config_path = settings.source or settings.config_path or paths.config_file()
        return ChecksConfig(commands, "user config", config_path, problems)
    return ChecksConfig([], "none", None, problems)


def saved_checks_path(root: Path) -> Path:
    """The file holding the answer saved for the project at `root` (which may not exist)."""
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return paths.project_checks_dir() / f"{key}.json"


def save_checks_for_project(root: Path, commands: Sequence[CheckCommand | str]) -> Path:
    """Remember `commands` (possibly none) for the project at `root`; the file written."""
    checks = [c if isinstance(c, CheckCommand) else CheckCommand.of(c) for c in commands]
    record = {
        "version": SAVED_VERSION,
        "project": str(root.resolve()),
        "saved": datetime.now(UTC).isoformat(timespec="seconds"),
        "commands": [_as_record(check) for check in checks],
    }
    path = saved_checks_path(root)
    atomic_write(path, json.dumps(record, indent=2, ensure_ascii=False).encode() + b"\n")
    return path


def read_saved_checks(root: Path) -> list[CheckCommand] | None:
    """The answer saved for the project at `root`; None when there is none (or it is unreadable)."""
    return _read_saved(saved_checks_path(root), root, [])


def _as_record(check: CheckCommand) -> dict[str, Any]:
    record: dict[str, Any] = {"name": check.name, "command": check.command}
    if check.timeout_s is not None:
        record["timeout_s"] = check.timeout_s
    return record


def _read_saved(path: Path, root: Path, problems: list[ConfigProblem]) -> list[CheckCommand] | None:
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        problems.append(ConfigProblem(path, None, None, f"unreadable ({error}); ignored"))
        return None
    if not isinstance(raw, dict) or raw.get("version") != SAVED_VERSION:
        problems.append(ConfigProblem(path, None, None, "not a saved answer; ignored"))
        return None
    if raw.get("project") != str(root.resolve()):
        return None  # another project whose path hashes alike
    entries = raw.get("commands")
    if not isinstance(entries, list):
        problems.append(ConfigProblem(path, None, "commands", "not an array; ignored"))
        return None
    commands: list[CheckCommand] = []
    for index, entry in enumerate(entries, 1):
        check = _entry(entry)
        if isinstance(check, CheckCommand):
            commands.append(check)
        else:
            problems.append(ConfigProblem(path, None, "commands", f"entry {index}: {check}"))
    return commands


def _read_project_file(path: Path, problems: list[ConfigProblem]) -> list[CheckCommand] | None:
    """The commands of a project file; None when it gives none (absent, broken, no [checks])."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.append(ConfigProblem(path, None, None, f"cannot read it ({error}); ignored"))
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        problems.append(syntax_problem(path, text, error, "its checks are ignored"))
        return None
    lines = text.splitlines()

    def problem(key: tuple[str, ...], message: str) -> None:
        problems.append(ConfigProblem(path, find_line(lines, key), ".".join(key), message))

    for key in data:
        if key != "checks":
            problem((key,), "unknown setting (known: [checks])")
    table = data.get("checks")
    if table is None:
        return None
    if not isinstance(table, dict):
        problem(("checks",), "expected a table [checks]; ignored")
        return None
    for key in table:
        if key != "commands":
            problem(("checks", key), "unknown setting (known: commands)")
    entries = table.get("commands")
    if not isinstance(entries, list):
        got = "nothing" if entries is None else f"a {type(entries).__name__}"
        problem(
            ("checks", "commands"),
            f'expected an array of commands such as ["pytest -q"], got {got}; ignored',
        )
        return None
    commands: list[CheckCommand] = []
    for index, entry in enumerate(entries, 1):
        check = _entry(entry)
        if isinstance(check, CheckCommand):
            commands.append(check)
        else:
            problem(("checks", "commands"), f"entry {index}: {check}; skipped")
    return commands


def _entry(entry: object) -> CheckCommand | str:
    """A check from a string or a {name, command, timeout_s} table, else why it is not one."""
    if isinstance(entry, str):
        return CheckCommand.of(entry) if entry.strip() else 'expected a command, got ""'
    if not isinstance(entry, dict):
        return f"expected a command or a table {{name, command, timeout_s}}, got {entry!r}"
    unknown = [key for key in entry if key not in ("name", "command", "timeout_s")]
    command, name, timeout = entry.get("command"), entry.get("name"), entry.get("timeout_s")
    if unknown:
        return f"unknown key {unknown[0]!r} (known: name, command, timeout_s)"
    if not (isinstance(command, str) and command.strip()):
        return 'expected command = "..." (the command line)'
    if name is not None and not (isinstance(name, str) and name.strip()):
        return "expected name to be a non-empty string"
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        return f"expected timeout_s to be a number above 0, got {timeout!r}"
    return CheckCommand.of(
        command, name.strip() if name else None, None if timeout is None else float(timeout)
    )
