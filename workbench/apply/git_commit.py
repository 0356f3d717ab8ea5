"""Opt-in git commits of applies: one commit per apply (or undo) holding only its paths.

`git commit --only -- <paths>` commits the paths' work-tree content on top of HEAD and leaves
the rest of the index alone, so the user's own staged changes stay staged and out of the
commit. Core module: never imports textual.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

from workbench.project.files import GIT_TIMEOUT_S, git_command, git_env

COMMIT_TIMEOUT_S = 120.0
"""`git commit` runs the repository's hooks (pre-commit and the like), which can take a while."""


class GitCommitError(Exception):
    """A commit that could not be made; the message holds git's own words."""


def in_git_repo(root: Path) -> bool:
    """Whether `root` is inside a git work tree (False when git is missing)."""
    try:
        done = _git(root, "rev-parse", "--is-inside-work-tree")
    except GitCommitError:
        return False
    return done.stdout.strip() == b"true"


def commit_paths(root: Path, paths: list[str], message: str) -> str:
    """Commit `paths` (POSIX, relative to `root`) as they are on disk; the new commit's sha.

    New files are committed as added and missing ones as deleted; paths git ignores (or
    never knew and that are gone) are left out. Nothing else is committed, and whatever else
    the user staged stays staged. Raises GitCommitError, with git's message, on any failure.
    """
    if not paths:
        raise GitCommitError("Nothing to commit: no paths were given.")
    tracked = set(_path_list(root, "ls-files", "-z", "--cached", "--", *paths))
    untracked = _path_list(root, "ls-files", "-z", "--others", "--exclude-standard", "--", *paths)
    committed = [path for path in paths if path in tracked or path in untracked]
    if not committed:
        raise GitCommitError(
            f"Nothing to commit: git ignores {', '.join(paths)} or never tracked them."
        )
    if untracked:
        # --only takes paths git knows; intent-to-add makes a new file known without staging it.
        _git(root, "add", "--intent-to-add", "--", *untracked)
    try:
        _git(
            root,
            "commit",
            "--only",
            "--quiet",
            "-m",
            message,
            "--",
            *committed,
            timeout=COMMIT_TIMEOUT_S,
        )
    except GitCommitError:
        if untracked:  # leave the index as it was: the new files untracked again
            with contextlib.suppress(GitCommitError):  # the commit's error is the one to report
                _git(root, "rm", "--cached", "--quiet", "--", *untracked)
        raise
    return _git(root, "rev-parse", "HEAD").stdout.decode().strip()


def revert_message(subject: str, sha: str) -> str:
    """The message of a commit undoing commit `sha` whose subject line is `subject`."""
    return f'Revert "{subject}"\n\nThis reverts commit {sha}.'


def commit_subject(root: Path, sha: str) -> str:
    """The subject line of commit `sha`."""
    done = _git(root, "log", "-1", "--format=%s", sha, "--")
    return done.stdout.decode("utf-8", errors="replace").strip()


def commit_revert(root: Path, paths: list[str], reverted_sha: str) -> str:
    """Commit `paths` as restored by an undo, as a revert of `reverted_sha`; the new sha.

    Not `git revert`, which refuses while the user has staged changes of their own.
    """
    message = revert_message(commit_subject(root, reverted_sha), reverted_sha)
    return commit_paths(root, paths, message)


def _path_list(root: Path, *args: str) -> list[str]:
    """The NUL-separated paths a git command prints."""
    output = _git(root, *args).stdout
    return [os.fsdecode(name) for name in output.split(b"\0") if name]


def _git(
    root: Path, *args: str, timeout: float = GIT_TIMEOUT_S
) -> subprocess.CompletedProcess[bytes]:
    """Run git with `args` in `root`; GitCommitError when it cannot run or fails.

    Pathspecs are literal: a `*` in a file name is a `*`, not a pattern.
    """
    env = git_env() | {"GIT_LITERAL_PATHSPECS": "1"}
    try:
        done = subprocess.run(
            git_command(*args),
            cwd=root,
            env=env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise GitCommitError(
            "git is not installed (or not on PATH); nothing was committed."
        ) from None
    except subprocess.TimeoutExpired as error:
        raise GitCommitError(
            f"git {args[0]} took longer than {error.timeout:.0f} s and was stopped."
        ) from None
    except OSError as error:
        raise GitCommitError(f"git {args[0]} could not run: {error}.") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).decode("utf-8", errors="replace").strip()
        raise GitCommitError(f"git {args[0]} failed: {said or f'exit status {done.returncode}'}")
    return done
