"""Opt-in git commits of applies and undos: only the applied paths, the user's index untouched."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from workbench.apply.git_commit import GitCommitError, commit_paths, commit_revert, in_git_repo
from workbench.apply.journal import Journal, PlannedWrite, apply_writes, undo_last

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def change(root: Path, path: str, data: bytes | None) -> PlannedWrite:
    target = root / path
    expect = hashlib.sha256(target.read_bytes()).hexdigest() if target.exists() else None
    return PlannedWrite(path=path, data=data, expect_sha256=expect)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with one commit, and git isolated from the developer's own config."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "commit.gpgsign", "false")
    for name in ("a.py", "gone.py", "user.py"):
        (root / name).write_text(f"{name}\n")
    (root / ".gitignore").write_text("*.log\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "initial")
    return root


def test_in_git_repo(repo: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert in_git_repo(repo) and not in_git_repo(plain)


def test_commit_holds_only_the_applied_paths_and_keeps_the_users_staged_change(
    repo: Path, tmp_path: Path
) -> None:
    (repo / "user.py").write_text("the user's own staged change\n")
    git(repo, "add", "user.py")
    journal = Journal(tmp_path / "session")
    writes = [
        change(repo, "a.py", b"A\n"),
        change(repo, "new/n.py", b"n\n"),
        change(repo, "gone.py", None),
    ]
    entry = apply_writes(repo, writes, journal, reply_id="r")

    sha = commit_paths(repo, entry.paths, "Apply reply r")

    assert git(repo, "rev-parse", "HEAD").strip() == sha
    assert git(repo, "show", "--name-status", "--format=%s", sha).split() == [
        "Apply",
        "reply",
        "r",
        "M",
        "a.py",
        "D",
        "gone.py",
        "A",
        "new/n.py",
    ]
    assert git(repo, "diff", "--cached", "--name-only").split() == ["user.py"]
    assert git(repo, "status", "--porcelain").splitlines() == ["M  user.py"]


def test_undo_commits_a_revert_of_the_apply_commit(repo: Path, tmp_path: Path) -> None:
    (repo / "user.py").write_text("staged\n")
    git(repo, "add", "user.py")
    journal = Journal(tmp_path / "session")
    writes = [change(repo, "a.py", b"A\n"), change(repo, "n.py", b"n\n")]
    entry = apply_writes(repo, writes, journal, reply_id="r")
    applied = commit_paths(repo, entry.paths, "Apply reply r\n\nTwo files.")
    journal.record(entry, commit=applied)

    undone = undo_last(repo, journal)
    assert undone.commit == applied
    reverting = commit_revert(repo, undone.paths, applied)

    message = git(repo, "log", "-1", "--format=%B", reverting).strip()
    assert message == f'Revert "Apply reply r"\n\nThis reverts commit {applied}.'
    assert git(repo, "diff", "--name-only", "HEAD~2", "HEAD") == ""
    assert git(repo, "diff", "--cached", "--name-only").split() == ["user.py"]
    assert not (repo / "n.py").exists()


def test_unchanged_or_ignored_paths_leave_nothing_to_commit(repo: Path) -> None:
    (repo / "debug.log").write_text("ignored\n")
    head = git(repo, "rev-parse", "HEAD")

    with pytest.raises(GitCommitError, match=r"nothing to commit|no changes"):
        commit_paths(repo, ["a.py"], "nothing")
    with pytest.raises(GitCommitError, match=r"Nothing to commit: git ignores debug\.log"):
        commit_paths(repo, ["debug.log"], "ignored")
    assert git(repo, "rev-parse", "HEAD") == head


def test_a_failing_hook_is_reported_and_the_new_file_stays_untracked(repo: Path) -> None:
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'lint failed: n.py' >&2\nexit 1\n")
    hook.chmod(0o755)
    (repo / "n.py").write_text("n\n")

    with pytest.raises(GitCommitError, match=r"lint failed: n\.py"):
        commit_paths(repo, ["n.py"], "Apply")

    assert git(repo, "status", "--porcelain").splitlines() == ["?? n.py"]
    assert (repo / "n.py").read_text() == "n\n"


def test_a_detached_head_is_fine_and_odd_names_are_literal(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    (repo / "[a]*.py").write_text("odd\n")
    (repo / "a.py").write_text("not this one\n")

    sha = commit_paths(repo, ["[a]*.py"], "Odd name")

    assert git(repo, "show", "--name-only", "--format=", sha).split() == ["[a]*.py"]
    assert git(repo, "status", "--porcelain").splitlines() == [" M a.py"]


def test_git_missing_is_an_error_not_a_crash(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    assert not in_git_repo(repo)
    with pytest.raises(GitCommitError, match="git is not installed"):
        commit_paths(repo, ["a.py"], "Apply")
