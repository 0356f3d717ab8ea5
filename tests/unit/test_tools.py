"""The fast model's read-only project tools: results, refusals, caps, schemas and dispatch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.fakes.project import COMMITS, SECRET, make_project
from workbench.project import (
    OutsideProject,
    ToolError,
    ToolResult,
    git_history,
    git_log,
    git_show,
    list_dir,
    read_file,
    run_tool,
    search,
    text_search,
    tool_schemas,
)
from workbench.project.output import MAX_OUTPUT_BYTES, MAX_OUTPUT_LINES

HEAD = "d590768"
"""The fixture's commits have fixed names and dates, so their hashes never change."""
ENGINES = [
    "python",
    pytest.param(
        "rg", marks=pytest.mark.skipif(shutil.which("rg") is None, reason="ripgrep not installed")
    ),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


# list_dir


def test_list_dir_shows_the_top_level_with_sizes_and_folders(project: Path) -> None:
    assert list_dir(project) == (
        ".gitignore  (13 B)\n"
        "README.md  (53 B)\n"
        "assets/  (1 file)\n"
        "data/  (1 file)\n"
        "notes.md  (35 B)\n"
        "src/  (5 files)\n"
    )


def test_list_dir_goes_deeper_and_leaves_out_ignored_files(project: Path) -> None:
    out = list_dir(project, "src", depth=2)
    assert out.splitlines() == [
        "src/.gitignore  (16 B)",
        "src/app.py  (276 B)",
        "src/auth/  (1 file)",
        "src/auth/session.py  (479 B)",
        "src/entry.py  (276 B)",
        "src/keep.log  (37 B)",
    ]
    assert "scratch.tmp" not in out


def test_list_dir_of_an_ignored_folder_says_so(project: Path) -> None:
    assert "has no files" in list_dir(project, "build")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("src/app.py", "is a file"),
        ("nope", "does not exist"),
        ("..", "above the project root"),
        ("outside", "through a symlink"),
        ("/etc", "outside the project"),
    ],
)
def test_list_dir_refusals(project: Path, path: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        list_dir(project, path)


def test_list_dir_depth_must_be_positive(project: Path) -> None:
    with pytest.raises(ToolError, match="depth must be a whole number"):
        list_dir(project, ".", depth=0)


# read_file


def test_read_file_numbers_the_lines(project: Path) -> None:
    out = read_file(project, "src/app.py")
    lines = out.splitlines()
    assert lines[0] == "src/app.py (lines 1-12 of 12)"
    assert lines[1] == ' 1\t"""The fixture\'s application entry point."""'
    assert lines[12] == '12\t    return f"hello {session.user}"'


def test_read_file_reads_a_line_range(project: Path) -> None:
    out = read_file(project, "src/auth/session.py", start_line=18, end_line=99)
    assert out.splitlines()[:2] == [
        "src/auth/session.py (lines 18-20 of 20)",
        "18\tdef refresh(session: Session) -> Session:",
    ]


def test_read_file_follows_a_symlink_that_stays_inside(project: Path) -> None:
    out = read_file(project, "src/entry.py")
    assert out.startswith("src/entry.py (lines 1-12 of 12)")


def test_read_file_of_a_large_file_gives_the_first_part_and_asks_for_a_range(
    project: Path,
) -> None:
    out = read_file(project, "data/big.py")
    lines = out.splitlines()
    assert lines[0].startswith("data/big.py (lines 1-")
    assert len(lines) <= MAX_OUTPUT_LINES + 2
    assert len(out.encode()) <= MAX_OUTPUT_BYTES + 200
    assert lines[-1].startswith("[output truncated: ")
    assert "Ask for a line range" in lines[-1]
    shown = len(lines) - 2
    assert f"start_line={shown + 1}" in lines[-1]
    follow_up = read_file(project, "data/big.py", start_line=shown + 1, end_line=shown + 2)
    assert follow_up.splitlines()[1].startswith(f"{shown + 1}\tVALUE_{shown + 1:05d}")


def test_read_file_cuts_an_enormous_line(project: Path) -> None:
    (project / "min.js").write_text("x" * 10_000 + "\n")
    line = read_file(project, "min.js").splitlines()[1]
    assert line.endswith("[line cut: 10,000 characters]")
    assert len(line) < 2100


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("assets/logo.png", ToolError, "binary file"),
        ("src/missing.py", ToolError, "does not exist"),
        ("src", ToolError, "is a directory"),
        ("../elsewhere/secret.txt", OutsideProject, "above the project root"),
        ("leak.txt", OutsideProject, "through a symlink"),
        ("outside/secret.txt", OutsideProject, "through a symlink"),
        ("/etc/hostname", OutsideProject, "outside the project"),
        (".git/config", ToolError, r"inside \.git/"),
    ],
)
def test_read_file_refusals(project: Path, path: str, error: type[ToolError], message: str) -> None:
    with pytest.raises(error, match=message):
        read_file(project, path)


def test_read_file_range_errors(project: Path) -> None:
    with pytest.raises(ToolError, match="has 12 lines"):
        read_file(project, "src/app.py", start_line=13)
    with pytest.raises(ToolError, match="before start_line"):
        read_file(project, "src/app.py", start_line=5, end_line=4)
    with pytest.raises(ToolError, match="start_line must be a whole number"):
        read_file(project, "src/app.py", start_line=0)


# search


@pytest.mark.parametrize("engine", ENGINES)
def test_search_finds_definitions(project: Path, engine: str) -> None:
    out = search(project, r"def (login|refresh)|^class", engine=engine)  # type: ignore[arg-type]
    assert out == (
        "src/auth/session.py:4: class Session:\n"
        "src/auth/session.py:10: def login(user: str, password: str) -> Session:\n"
        "src/auth/session.py:18: def refresh(session: Session) -> Session:\n"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_search_skips_ignored_binary_and_outside_files(project: Path, engine: str) -> None:
    for pattern in ["build output", "^debug$", "scratch", "PNG|IHDR", "TOP SECRET"]:
        assert search(project, pattern, engine=engine).startswith("No matches")  # type: ignore[arg-type]
    assert SECRET not in search(project, "SECRET", engine=engine)  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ENGINES)
def test_search_in_a_path_and_untracked_files(project: Path, engine: str) -> None:
    out = search(project, "app", path="src", engine=engine)  # type: ignore[arg-type]
    assert all(line.startswith("src/") for line in out.splitlines())
    assert "notes.md:1: Untracked notes about @src/app.py." in search(project, "Untracked")


@pytest.mark.parametrize("engine", ENGINES)
def test_search_stops_at_max_results(project: Path, engine: str) -> None:
    out = search(project, "VALUE_", max_results=3, engine=engine)  # type: ignore[arg-type]
    assert out.splitlines() == [
        "data/big.py:1: VALUE_00001 = 1  # padding so the file is large",
        "data/big.py:2: VALUE_00002 = 2  # padding so the file is large",
        "data/big.py:3: VALUE_00003 = 3  # padding so the file is large",
        "[stopped at 3 matches; narrow the pattern or the path to see the rest]",
    ]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("pattern", ["(", "a{2,1}", "[z-a]"])
def test_search_refuses_an_invalid_regex(project: Path, engine: str, pattern: str) -> None:
    with pytest.raises(ToolError, match="Invalid regular expression"):
        search(project, pattern, engine=engine)  # type: ignore[arg-type]


@pytest.mark.skipif(shutil.which("rg") is None, reason="ripgrep not installed")
@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        ("session", "."),
        ("(?i)SESSION", "."),
        (r"\btoken\b", "src"),
        ("^$", "src"),
        ("e", "."),
        ("kept|Fixture|build", "."),
        ("def", "src/app.py"),
        ("secret", "."),
    ],
)
def test_ripgrep_and_the_python_fallback_agree(project: Path, pattern: str, path: str) -> None:
    assert search(project, pattern, path, 50, engine="rg") == search(
        project, pattern, path, 50, engine="python"
    )


def test_search_falls_back_to_python_without_ripgrep(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_search.shutil, "which", lambda name: None)
    monkeypatch.setattr(text_search, "_rg_hits", None)  # calling it would fail the test
    assert search(project, "def refresh") == (
        "src/auth/session.py:18: def refresh(session: Session) -> Session:\n"
    )


def test_search_refuses_paths_outside_and_newlines(project: Path) -> None:
    with pytest.raises(OutsideProject):
        search(project, "x", path="..")
    with pytest.raises(ToolError, match="newline"):
        search(project, "a\nb")


# git


def test_git_log_one_line_per_commit(project: Path) -> None:
    assert git_log(project) == (
        f"{HEAD} 2024-01-03 Ada Lovelace | {COMMITS[2]}\n"
        f"e3abd62 2024-01-02 Ada Lovelace | {COMMITS[1]}\n"
        f"a53a03e 2024-01-01 Ada Lovelace | {COMMITS[0]}\n"
    )
    assert git_log(project, n=1).count("\n") == 1
    assert COMMITS[0] not in git_log(project, path="src/auth/session.py")


def test_git_log_refuses_a_path_outside(project: Path) -> None:
    with pytest.raises(OutsideProject):
        git_log(project, path="../elsewhere")


def test_git_show_gives_message_stat_and_patch(project: Path) -> None:
    out = git_show(project, "HEAD~1")
    assert out.startswith("commit e3abd62\nAuthor: Ada Lovelace\nDate:   2024-01-02\n")
    assert " src/app.py          | 12 " in out
    assert "+def login(user: str, password: str) -> Session:" in out


def test_git_show_of_one_path(project: Path) -> None:
    out = git_show(project, HEAD, path="src/auth/session.py")
    assert "+def refresh(session: Session) -> Session:" in out
    assert "data/big.py" not in out


def test_git_show_caps_a_large_commit(project: Path) -> None:
    out = git_show(project, "HEAD")
    assert len(out.encode()) <= MAX_OUTPUT_BYTES + 200
    assert "[output truncated: " in out
    assert out.endswith("Pass path to see the changes to one file.\n")
    assert " data/big.py " in out  # the --stat comes before the patch, so it survives


@pytest.mark.parametrize(
    "rev", ["--output=/tmp/x", "-p", "HEAD..main", "HEAD:src/app.py", "HEAD main", "", "a;b"]
)
def test_git_show_refuses_odd_revisions(project: Path, rev: str) -> None:
    with pytest.raises(ToolError, match="not a revision this tool accepts"):
        git_show(project, rev)


def test_git_show_of_an_unknown_revision(project: Path) -> None:
    with pytest.raises(ToolError, match="Unknown revision 'nosuchbranch'"):
        git_show(project, "nosuchbranch")


def test_git_tools_outside_a_repository(tmp_path: Path) -> None:
    plain = make_project(tmp_path, git=False)
    for call in (lambda: git_log(plain), lambda: git_show(plain, "HEAD")):
        with pytest.raises(ToolError, match="not a git repository"):
            call()


def test_git_history_has_messages_and_stats(project: Path) -> None:
    out = git_history(project, 2)
    assert out.startswith(f"commit {HEAD}\n")
    assert COMMITS[1] in out and COMMITS[0] not in out
    assert "6 files changed, 4046 insertions(+)" in out


# Schemas and dispatch


def test_tool_schemas_are_in_ollamas_format() -> None:
    schemas = tool_schemas()
    json.dumps(schemas)
    names = [s["function"]["name"] for s in schemas]
    assert names == ["list_dir", "read_file", "search", "git_log", "git_show"]
    for schema in schemas:
        assert schema["type"] == "function"
        function = schema["function"]
        assert function["description"]
        parameters = function["parameters"]
        assert parameters["type"] == "object"
        for name in parameters["required"]:
            assert name in parameters["properties"]
        for prop in parameters["properties"].values():
            assert prop["type"] in ("string", "integer") and prop["description"]
    read = next(s for s in schemas if s["function"]["name"] == "read_file")
    assert read["function"]["parameters"]["required"] == ["path"]


def test_run_tool_calls_the_tool(project: Path) -> None:
    result = run_tool(project, "read_file", {"path": "src/app.py", "start_line": 1, "end_line": 1})
    header = "src/app.py (lines 1-1 of 12)"
    assert result == ToolResult(
        True, f'{header}\n1\t"""The fixture\'s application entry point."""\n'
    )


def test_run_tool_forgives_what_small_models_send(project: Path) -> None:
    assert run_tool(project, "git_log", {"n": "1"}).ok
    assert run_tool(project, "git_log", {"n": 1.0, "path": None}).ok
    assert run_tool(project, "list_dir", None).ok
    assert run_tool(project, "list_dir", '{"path": "src"}').text.startswith("src/.gitignore")


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("rm", {}, "Error: there is no tool called 'rm'. The tools are: list_dir,"),
        ("list_dir", {"depth": "two"}, 'Error: list_dir: depth must be a whole number, not "two"'),
        ("list_dir", {"recursive": True}, "Error: list_dir has no argument 'recursive'"),
        ("read_file", {}, "Error: read_file needs path; it takes: path, start_line, end_line."),
        ("read_file", {"path": ["a"]}, "Error: read_file: path must be a string"),
        ("read_file", {"path": "../x"}, "Error: ../x goes above the project root"),
        ("read_file", {"path": "assets/logo.png"}, "Error: assets/logo.png is a binary file"),
        ("search", {"pattern": "("}, "Error: Invalid regular expression '('"),
        ("git_show", {"rev": "--help"}, "Error: '--help' is not a revision"),
        ("search", "not json", "Error: search: the arguments are not a JSON object."),
        ("search", [1, 2], "Error: search: the arguments must be an object"),
    ],
)
def test_run_tool_turns_mistakes_into_errors(
    project: Path, name: str, arguments: object, message: str
) -> None:
    result = run_tool(project, name, arguments)
    assert not result.ok
    assert result.text.startswith(message)


# A project root below the top of its repository


def test_a_root_inside_a_repository_sees_only_its_own_subtree(project: Path) -> None:
    src = project / "src"
    assert list_dir(src).splitlines()[:2] == [".gitignore  (16 B)", "app.py  (276 B)"]
    assert "README.md" not in list_dir(src)
    with pytest.raises(OutsideProject):
        read_file(src, "../README.md")
    assert COMMITS[0] not in git_log(src)  # the first commit touched only the top level
    assert "README.md" not in git_history(src, 3)
    assert search(src, "Fixture").startswith("No matches")
