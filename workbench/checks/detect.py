"""Checks proposed from a project's files, for a project that has none configured yet.

Pure file reading: nothing is run. A file that cannot be read or parsed proposes nothing.
Core module: never imports textual.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.checks.config import CheckCommand

NPM_DEFAULT_TEST = "no test specified"
"""What `npm init` writes as the test script: it only fails, so it is not a check."""
_MAKE_TEST_TARGET = re.compile(r"^test\s*:(?!=)", re.M)
_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def propose_checks(root: Path) -> list[CheckCommand]:
    """The checks the project at `root` seems to use, in the order they would best run."""
    pyproject = _toml(root / "pyproject.toml")
    proposed: list[str] = []
    if _uses_pytest(pyproject) or (root / "pytest.ini").is_file():
        proposed.append("pytest -q")
    tool = pyproject.get("tool")
    if (isinstance(tool, dict) and "ruff" in tool) or any(
        (root / name).is_file() for name in ("ruff.toml", ".ruff.toml")
    ):
        proposed.append("ruff check .")
    if _has_npm_test(root / "package.json"):
        proposed.append("npm test")
    if any(_has_make_test(root / name) for name in ("GNUmakefile", "makefile", "Makefile")):
        proposed.append("make test")
    if (root / "Cargo.toml").is_file():
        proposed.append("cargo test")
    if (root / "go.mod").is_file():
        proposed.append("go test ./...")
    return [CheckCommand.of(command) for command in proposed]


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _uses_pytest(pyproject: dict[str, Any]) -> bool:
    """A [tool.pytest...] table, or pytest (or a pytest plugin) among the dependencies."""
    tool = pyproject.get("tool")
    return (isinstance(tool, dict) and "pytest" in tool) or _depends_on_pytest(pyproject)


def _depends_on_pytest(pyproject: dict[str, Any]) -> bool:
    return any(_is_pytest(name) for name in _dependency_names(pyproject))


def _is_pytest(name: str) -> bool:
    name = name.lower().replace("_", "-")
    return name == "pytest" or name.startswith("pytest-")


def _dependency_names(pyproject: dict[str, Any]) -> Iterator[str]:
    """The names of every dependency the file declares (PEP 621, PEP 735 groups, Poetry)."""
    project = pyproject.get("project")
    if isinstance(project, dict):
        yield from _names(project.get("dependencies"))
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for requirements in optional.values():
                yield from _names(requirements)
    groups = pyproject.get("dependency-groups")
    if isinstance(groups, dict):
        for requirements in groups.values():
            yield from _names(requirements)  # {include-group = ...} entries are not names
    tool = pyproject.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        group = poetry.get("group")
        if isinstance(group, dict):
            tables += [g.get("dependencies") for g in group.values() if isinstance(g, dict)]
        for table in tables:
            if isinstance(table, dict):
                yield from (str(name) for name in table)


def _names(requirements: object) -> Iterator[str]:
    if not isinstance(requirements, list):
        return
    for requirement in requirements:
        if isinstance(requirement, str) and (found := _REQUIREMENT_NAME.match(requirement)):
            yield found.group(1)


def _has_npm_test(path: Path) -> bool:
    try:
        package = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    scripts = package.get("scripts") if isinstance(package, dict) else None
    test = scripts.get("test") if isinstance(scripts, dict) else None
    return isinstance(test, str) and bool(test.strip()) and NPM_DEFAULT_TEST not in test


def _has_make_test(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(_MAKE_TEST_TARGET.search(text))
