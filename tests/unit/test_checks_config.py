"""Which checks a project has: its file, then the answer saved for it, then the user config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench import paths
from workbench.checks.config import (
    CheckCommand,
    command_name,
    load_checks,
    read_saved_checks,
    save_checks_for_project,
    saved_checks_path,
)
from workbench.config import display_path, load_settings
from workbench.config_file import format_settings
from workbench.settings import Settings


def write_config(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def user_settings(checks: list[str]) -> Settings:
    write_config(f"[project]\nchecks = {json.dumps(checks)}\n")
    settings, problems = load_settings(env={})
    assert problems == []
    return settings


def test_the_project_file_wins_over_the_saved_answer_which_wins_over_the_user_config(
    project: Path,
) -> None:
    settings = user_settings(["make lint"])
    config = load_checks(settings, project)
    assert (config.source, config.path) == ("user config", paths.config_file())
    assert config.commands == [CheckCommand("make lint", "make lint")]

    save_checks_for_project(project, ["pytest -q"])
    config = load_checks(settings, project)
    assert (config.source, config.path) == ("saved for this project", saved_checks_path(project))
    assert [c.command for c in config.commands] == ["pytest -q"]

    (project / ".workbench.toml").write_text('[checks]\ncommands = ["ruff check ."]\n')
    config = load_checks(settings, project)
    assert (config.source, config.path) == ("project file", project / ".workbench.toml")
    assert config.commands == [CheckCommand("ruff check", "ruff check .")]
    assert config.problems == []


def test_nothing_configured_is_none_and_asks(project: Path) -> None:
    settings, _ = load_settings(env={})
    config = load_checks(settings, project)
    assert (config.commands, config.source, config.path) == ([], "none", None)
    assert not config.answered


def test_the_project_file_takes_tables_with_a_name_and_a_timeout(project: Path) -> None:
    (project / ".workbench.toml").write_text(
        "[checks]\n"
        'commands = ["pytest -q", { name = "types", command = "mypy src", timeout_s = 90 }]\n'
    )
    config = load_checks(Settings(), project)
    assert config.commands == [
        CheckCommand("pytest", "pytest -q"),
        CheckCommand("types", "mypy src", 90.0),
    ]
    (project / ".workbench.toml").write_text(
        '[[checks.commands]]\ncommand = "cargo test"\n\n[[checks.commands]]\ncommand = "go vet"\n'
    )
    config = load_checks(Settings(), project)
    assert [c.name for c in config.commands] == ["cargo test", "go vet"]


def test_a_project_file_that_is_not_toml_is_reported_with_its_line_and_the_next_source_used(
    project: Path,
) -> None:
    settings = user_settings(["make test"])
    path = project / ".workbench.toml"
    path.write_text('[checks]\ncommands = ["pytest -q"\n')
    config = load_checks(settings, project)
    assert config.source == "user config"
    (problem,) = config.problems
    assert problem.path == path and problem.line == 2
    assert str(problem).startswith(f"{display_path(path)}:2: invalid TOML")
    assert "its checks are ignored" in str(problem)


def test_bad_entries_are_reported_with_line_and_key_and_the_good_ones_kept(project: Path) -> None:
    path = project / ".workbench.toml"
    path.write_text(
        "# the team's checks\n"
        "[checks]\n"
        "timeout = 5\n"
        'commands = ["pytest -q", 3, "", { command = "x", timeout_s = 0 }, { cmd = "y" },'
        ' { name = "", command = "z" }, { name = "lint", command = "ruff check ." }]\n'
        "[other]\n"
    )
    config = load_checks(Settings(), project)
    assert config.source == "project file"
    assert [c.command for c in config.commands] == ["pytest -q", "ruff check ."]
    shown = [str(p) for p in config.problems]
    where = display_path(path)
    assert shown[0] == f"{where}:5: other: unknown setting (known: [checks])"
    assert shown[1] == f"{where}:3: [checks] timeout: unknown setting (known: commands)"
    assert all(s.startswith(f"{where}:4: [checks] commands: entry ") for s in shown[2:])
    assert [s.split("entry ")[1][0] for s in shown[2:]] == ["2", "3", "4", "5", "6"]
    assert "timeout_s to be a number above 0, got 0" in shown[4]
    assert "unknown key 'cmd'" in shown[5]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("checks = 3\n", "expected a table [checks]"),
        ("[checks]\ncommands = 'pytest'\n", "expected an array of commands"),
        ("[checks]\n", "got nothing"),
    ],
)
def test_a_project_file_without_usable_commands_falls_through(
    project: Path, text: str, message: str
) -> None:
    (project / ".workbench.toml").write_text(text)
    config = load_checks(user_settings(["make test"]), project)
    assert config.source == "user config"
    (problem,) = config.problems
    assert message in problem.message and problem.line is not None


def test_an_empty_list_in_the_project_file_means_no_checks_and_do_not_ask(project: Path) -> None:
    (project / ".workbench.toml").write_text("[checks]\ncommands = []\n")
    config = load_checks(user_settings(["make test"]), project)
    assert (config.commands, config.source, config.answered) == ([], "project file", True)


def test_the_saved_answer_lives_in_the_data_dir_never_in_the_project(
    project: Path, isolated_paths: Path
) -> None:
    assert read_saved_checks(project) is None
    path = save_checks_for_project(
        project, [CheckCommand.of("pytest -q"), CheckCommand("lint", "ruff check .", 30.0)]
    )
    assert path.is_relative_to(isolated_paths / "data") and path.parent == (
        paths.project_checks_dir()
    )
    assert list(project.iterdir()) == []
    record = json.loads(path.read_text())
    assert record["version"] == 1 and record["project"] == str(project.resolve())
    assert read_saved_checks(project) == [
        CheckCommand("pytest", "pytest -q"),
        CheckCommand("lint", "ruff check .", 30.0),
    ]
    # Another project has its own answer; the same project by another path shares it.
    other = project.parent / "other"
    other.mkdir()
    assert read_saved_checks(other) is None
    (project.parent / "link").symlink_to(project)
    assert read_saved_checks(project.parent / "link") is not None
    # An empty answer is an answer: nothing runs and nobody asks again.
    save_checks_for_project(project, [])
    config = load_checks(Settings(), project)
    assert (config.commands, config.source, config.answered) == ([], "saved for this project", True)


def test_a_corrupt_saved_answer_is_reported_and_ignored(project: Path) -> None:
    path = save_checks_for_project(project, ["pytest -q"])
    path.write_text("{not json")
    config = load_checks(user_settings(["make test"]), project)
    assert config.source == "user config"
    (problem,) = config.problems
    assert problem.path == path and "unreadable" in problem.message


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("pytest -q", "pytest"),
        ("ruff check .", "ruff check"),
        ("go test ./...", "go test"),
        ("npm run lint --silent", "npm run lint"),
        ("python -m pytest -x tests", "python -m pytest"),
        ("/usr/bin/make test", "make test"),
        ("CI=1 cargo test --all", "cargo test"),
        ("echo hi; exit 1", "echo"),
        ("sh -c 'unclosed", "sh"),
    ],
)
def test_a_check_is_named_after_its_first_words(command: str, name: str) -> None:
    assert command_name(command) == name
    assert CheckCommand.of(command).name == name


# --- The settings: [project] checks, checks_after_apply, checks_timeout_s -----------------------


def test_the_check_settings_default_to_none_ask_and_ten_minutes() -> None:
    settings, problems = load_settings(env={})
    assert problems == []
    project = settings.project
    assert (project.checks, project.checks_after_apply, project.checks_timeout_s) == (
        [],
        "ask",
        600.0,
    )


def test_the_check_settings_are_read_and_shown_by_workbench_config() -> None:
    write_config(
        "[project]\nchecks = [' pytest -q ', 'ruff check .']\n"
        "checks_after_apply = 'always'\nchecks_timeout_s = 120\n"
    )
    settings, problems = load_settings(env={})
    assert problems == []
    project = settings.project
    assert project.checks == ["pytest -q", "ruff check ."]
    assert (project.checks_after_apply, project.checks_timeout_s) == ("always", 120.0)
    report = format_settings(settings, problems)
    assert 'Checks        "pytest -q", "ruff check ." by default (a project\'s' in report
    assert "run after an apply; killed after 120 s" in report
    defaults, none = load_settings(path=Path("/nonexistent/config.toml"), env={})
    assert "Checks        none by default" in format_settings(defaults, none)
    assert "offered after an apply; killed after 600 s" in format_settings(defaults, none)


@pytest.mark.parametrize(
    ("line", "key", "message"),
    [
        ("checks = 'pytest -q'", "project.checks", 'expected an array of commands such as ["'),
        ("checks = ['pytest', '']", "project.checks", "expected an array of commands"),
        ("checks = [['pytest']]", "project.checks", "expected an array of commands"),
        ("checks_after_apply = 'sometimes'", "project.checks_after_apply", '"ask", "always"'),
        ("checks_after_apply = true", "project.checks_after_apply", "got true"),
        ("checks_timeout_s = 0", "project.checks_timeout_s", "expected a number above 0"),
        ("checks_timeout_s = '10m'", "project.checks_timeout_s", "expected a number"),
    ],
)
def test_each_bad_check_setting_is_reported_with_its_line_and_key_and_the_default_kept(
    line: str, key: str, message: str
) -> None:
    path = write_config(f"# comment\n[project]\n{line}\n")
    settings, problems = load_settings(env={})
    assert [(p.line, p.key) for p in problems] == [(3, key)]
    assert message in problems[0].message
    assert str(problems[0]).startswith(f"{display_path(path)}:3: [project] ")
    assert settings.project == Settings().project
