"""The project's files: listing (git and walk), path confinement, binary sniffing, output caps."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.fakes.project import EXPECTED_FILES, make_project
from workbench.project import (
    OutsideProject,
    ToolError,
    list_project_files,
    project_listing,
    relative_to_project,
    resolve_in_project,
)
from workbench.project.files import human_size, looks_binary
from workbench.project.output import cap_output


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


@pytest.fixture(params=[True, False], ids=["git", "walk"])
def either_project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The fixture project as a git work tree, then as a plain directory."""
    return make_project(tmp_path, git=request.param)


# Listing


def test_git_listing_respects_gitignore_and_lists_untracked_files(project: Path) -> None:
    listing = project_listing(project)
    assert listing.source == "git"
    assert listing.files == EXPECTED_FILES
    assert not listing.capped


def test_walk_listing_honours_root_and_nested_gitignore_files(tmp_path: Path) -> None:
    listing = project_listing(make_project(tmp_path, git=False))
    assert listing.source == "walk"
    assert listing.files == EXPECTED_FILES  # build/, *.log, *.tmp out; src/keep.log back in


def test_listing_leaves_out_git_dir_and_symlinks_that_leave_the_project(
    either_project: Path,
) -> None:
    files = list_project_files(either_project)
    assert not [name for name in files if name.startswith(".git/")]
    assert "leak.txt" not in files
    assert not [name for name in files if name.startswith("outside")]
    assert "src/entry.py" in files  # a symlink that stays inside is fine


def test_untracked_symlinks_out_and_nested_repositories_are_left_out(project: Path) -> None:
    (project / "leak2.txt").symlink_to(project.parent / "elsewhere" / "secret.txt")
    (project / "vendor").mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project / "vendor", check=True)
    (project / "vendor" / "lib.py").write_text("x = 1\n")
    (project / "new.py").write_text("y = 2\n")
    files = list_project_files(project)
    assert files == sorted([*EXPECTED_FILES, "new.py"])


@pytest.mark.parametrize(
    "junk", ["node_modules/pkg/index.js", ".venv/lib/site.py", "__pycache__/a.pyc"]
)
def test_listing_skips_tool_output_directories(either_project: Path, junk: str) -> None:
    (either_project / junk).parent.mkdir(parents=True)
    (either_project / junk).write_text("x\n")
    assert junk not in list_project_files(either_project)


def test_git_listing_leaves_out_tracked_files_deleted_from_the_work_tree(project: Path) -> None:
    (project / "README.md").unlink()
    assert "README.md" not in list_project_files(project)


def test_listing_says_when_it_was_capped(either_project: Path) -> None:
    listing = project_listing(either_project, limit=3)
    assert listing.capped
    assert len(listing.files) == 3
    assert listing.files == sorted(listing.files)
    assert not project_listing(either_project, limit=len(EXPECTED_FILES)).capped


def test_listing_of_a_missing_root_is_a_tool_error(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="not a directory"):
        project_listing(tmp_path / "nope")


def test_walk_listing_of_a_tree_without_gitignore(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c.txt").write_text("c")
    (tmp_path / "a.txt").write_text("a")
    assert list_project_files(tmp_path) == ["a.txt", "a/b/c.txt"]


# Confinement


def test_relative_and_absolute_paths_inside_resolve(project: Path) -> None:
    real = Path(os.path.realpath(project))
    assert resolve_in_project(project, "src/app.py") == real / "src/app.py"
    assert resolve_in_project(project, project / "src" / "app.py") == real / "src/app.py"
    assert resolve_in_project(project, ".") == real
    assert resolve_in_project(project, "") == real
    assert resolve_in_project(project, "src/new_file.py") == real / "src/new_file.py"


def test_a_symlink_inside_the_project_resolves_to_its_target(project: Path) -> None:
    real = Path(os.path.realpath(project))
    assert resolve_in_project(project, "src/entry.py") == real / "src/app.py"
    assert relative_to_project(project, "src/entry.py") == "src/entry.py"


def test_relative_to_project_normalizes(project: Path) -> None:
    assert relative_to_project(project, "./src//auth/../app.py") == "src/app.py"
    assert relative_to_project(project, project / "README.md") == "README.md"
    assert relative_to_project(project, ".") == "."


def test_an_absolute_path_outside_is_refused(project: Path) -> None:
    with pytest.raises(OutsideProject, match="is outside the project"):
        resolve_in_project(project, "/etc/passwd")
    with pytest.raises(OutsideProject, match="is outside the project"):
        resolve_in_project(project, project.parent / "elsewhere" / "secret.txt")


@pytest.mark.parametrize("path", ["..", "../elsewhere/secret.txt", "src/../../elsewhere"])
def test_dot_dot_escapes_are_refused(project: Path, path: str) -> None:
    with pytest.raises(OutsideProject, match=r"above the project root with '\.\.'"):
        resolve_in_project(project, path)


@pytest.mark.parametrize("path", ["leak.txt", "outside", "outside/secret.txt"])
def test_symlinks_that_leave_the_project_are_refused(project: Path, path: str) -> None:
    with pytest.raises(OutsideProject, match="through a symlink"):
        resolve_in_project(project, path)


def test_paths_inside_dot_git_are_refused(project: Path) -> None:
    with pytest.raises(ToolError, match=r"inside \.git/"):
        resolve_in_project(project, ".git/config")


def test_a_nul_in_a_path_is_refused(project: Path) -> None:
    with pytest.raises(ToolError, match="NUL"):
        resolve_in_project(project, "src/app.py\x00.txt")


def test_a_root_reached_through_a_symlink_accepts_both_spellings(project: Path) -> None:
    alias = project.parent / "alias"
    alias.symlink_to(project, target_is_directory=True)
    assert relative_to_project(alias, alias / "src/app.py") == "src/app.py"
    assert relative_to_project(alias, project / "src/app.py") == "src/app.py"
    with pytest.raises(OutsideProject):
        resolve_in_project(alias, "leak.txt")


# Sniffing, sizes and caps


def test_looks_binary() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert looks_binary(b"caf\xe9 latin-1")
    assert not looks_binary("café ✓".encode())
    assert not looks_binary("✓".encode()[:2])  # a character cut by the sniff window is fine
    assert not looks_binary(b"")


def test_human_size() -> None:
    assert human_size(512) == "512 B"
    assert human_size(1536) == "1.5 KB"
    assert human_size(200 * 1024) == "200 KB"
    assert human_size(3 * 1024 * 1024) == "3.0 MB"


def test_cap_output_keeps_short_text_as_it_is() -> None:
    assert cap_output("a\nb\n") == "a\nb\n"
    assert cap_output("") == ""


def test_cap_output_cuts_lines_and_says_how_many_are_left() -> None:
    text = "".join(f"line {i}\n" for i in range(1000))
    capped = cap_output(text, max_lines=400)
    lines = capped.splitlines()
    assert lines[:400] == [f"line {i}" for i in range(400)]
    assert lines[400:] == ["[output truncated: 600 more lines]"]


def test_cap_output_cuts_at_the_byte_limit_on_a_line_boundary() -> None:
    text = "".join("x" * 99 + "\n" for _ in range(50))
    capped = cap_output(text, max_bytes=1000)
    assert capped.splitlines()[:-1] == ["x" * 99] * 10
    assert capped.splitlines()[-1] == "[output truncated: 40 more lines]"


def test_cap_output_cuts_one_enormous_line() -> None:
    capped = cap_output("y" * 50_000, max_bytes=100)
    assert capped == "y" * 99 + "\n[output truncated: 1 more line]\n"
