"""Checks proposed from a project's files: each kind of project, malformed files skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.checks.detect import propose_checks


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "commands"),
    [
        ({"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n"}, ["pytest -q"]),
        ({"pyproject.toml": "[project]\ndependencies = ['pytest>=8']\n"}, ["pytest -q"]),
        (
            {"pyproject.toml": "[project.optional-dependencies]\ntest = ['Pytest_Asyncio>=1']\n"},
            ["pytest -q"],
        ),
        (
            {
                "pyproject.toml": "[dependency-groups]\n"
                "dev = [{include-group = 'lint'}, 'pytest ~= 8.3']\nlint = ['ruff']\n"
            },
            ["pytest -q"],
        ),
        (
            {"pyproject.toml": "[tool.poetry.group.dev.dependencies]\npytest = '^8'\n"},
            ["pytest -q"],
        ),
        ({"pytest.ini": "[pytest]\n"}, ["pytest -q"]),
        ({"pyproject.toml": "[tool.ruff]\nline-length = 100\n"}, ["ruff check ."]),
        ({"ruff.toml": "line-length = 100\n"}, ["ruff check ."]),
        (
            {
                "pyproject.toml": "[project]\ndependencies = ['pytest']\n"
                "[tool.ruff.lint]\nselect = ['E']\n"
            },
            ["pytest -q", "ruff check ."],
        ),
        ({"package.json": '{"scripts": {"test": "vitest run"}}'}, ["npm test"]),
        ({"Makefile": "all:\n\tcc main.c\n\ntest: all\n\t./run-tests\n"}, ["make test"]),
        ({"Cargo.toml": "[package]\nname = 'x'\n"}, ["cargo test"]),
        ({"go.mod": "module example.com/x\n"}, ["go test ./..."]),
    ],
)
def test_each_kind_of_project_gets_its_checks(
    tmp_path: Path, files: dict[str, str], commands: list[str]
) -> None:
    assert [c.command for c in propose_checks(project(tmp_path, files))] == commands


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"pyproject.toml": "[project]\nname = 'x'\ndependencies = ['pytestify', 'requests']\n"},
        {"pyproject.toml": "[project\ndependencies = ['pytest']\n"},  # not TOML
        {"pyproject.toml": "tool = 3\nproject = 'x'\ndependency-groups = []\n"},  # odd shapes
        {"package.json": '{"scripts": {"test": "echo \\"Error: no test specified\\" && exit 1"}}'},
        {"package.json": '{"scripts": {"test": '},  # not JSON
        {"package.json": '["scripts"]'},
        {"Makefile": "TEST := yes\ntests:\n\techo\nfoo: test\n.PHONY: test\n"},
        {"setup.py": "from setuptools import setup\n"},
    ],
)
def test_nothing_is_proposed_without_a_sign_and_malformed_files_are_skipped(
    tmp_path: Path, files: dict[str, str]
) -> None:
    assert propose_checks(project(tmp_path, files)) == []


def test_a_project_of_many_kinds_gets_them_in_order_each_named(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "go.mod": "module x\n",
            "Cargo.toml": "",
            "Makefile": "test:\n\tgo test\n",
            "package.json": '{"scripts": {"test": "jest"}}',
            "pyproject.toml": "[tool.pytest.ini_options]\n[tool.ruff]\n",
        },
    )
    proposed = propose_checks(root)
    assert [(c.name, c.command) for c in proposed] == [
        ("pytest", "pytest -q"),
        ("ruff check", "ruff check ."),
        ("npm test", "npm test"),
        ("make test", "make test"),
        ("cargo test", "cargo test"),
        ("go test", "go test ./..."),
    ]
    assert all(c.timeout_s is None for c in proposed)
