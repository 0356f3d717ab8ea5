"""Read-only views of the project's git history: the log, one commit, the last N with stats.

Every command runs without a shell, with a timeout, confined to the project root (a root below
the repository's top shows only what touches the root). Core module: never imports textual.
"""

from __future__ import annotations

import os
import re
import subprocess

from workbench.project.files import (
    GIT_TIMEOUT_S,
    ToolError,
    git_command,
    git_env,
    relative_to_project,
)
from workbench.project.output import cap_output

MAX_LOG_COMMITS = 200
"""git_log shows at most this many commits."""
HISTORY_MAX_BYTES = 40 * 1024
"""git_history's output cap (it feeds a summary, so it may be longer than a tool's)."""
HISTORY_MAX_LINES = 2000
_REV = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./~^@{}-]{0,99}")
"""Hashes, branch and tag names, HEAD~2, main^, HEAD@{1}: no options, ranges, paths or spaces."""
LOG_FORMAT = "%h %ad %an | %s"
COMMIT_FORMAT = "commit %h%nAuthor: %an%nDate:   %ad%n%n%w(0,4,4)%B"


def _git(root: str | os.PathLike[str], *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            git_command(*args),
            cwd=root,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            env=git_env(),
            check=False,
        )
    except FileNotFoundError:
        raise ToolError("git is not installed, so the project's history cannot be read.") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"git took longer than {GIT_TIMEOUT_S:.0f} s and was stopped.") from None


def run_git(root: str | os.PathLike[str], *args: str) -> str:
    """git's output for `args` run in `root`; ToolError (with git's reason) when it fails."""
    done = _git(root, *args)
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip()
        if "not a git repository" in reason:
            raise ToolError("The project is not a git repository, so it has no history to show.")
        last = reason.splitlines()[-1] if reason else f"exit code {done.returncode}"
        raise ToolError(f"git {args[0]} failed: {last.removeprefix('fatal: ')}")
    return done.stdout.decode("utf-8", "replace")


def _pathspec(root: str | os.PathLike[str], path: str | None) -> str:
    """The confined pathspec for `path` ("." for the whole project root)."""
    return relative_to_project(root, path) if path else "."


def _count(n: int, what: str, limit: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ToolError(f"{what} must be a whole number from 1 to {limit}.")
    return min(n, limit)


def git_log(root: str | os.PathLike[str], n: int = 20, path: str | None = None) -> str:
    """The last `n` commits, one line each (hash, date, author, subject); only `path`'s if given."""
    count = _count(n, "n", MAX_LOG_COMMITS)
    spec = _pathspec(root, path)
    out = run_git(root, "log", f"-n{count}", "--date=short", f"--format={LOG_FORMAT}", "--", spec)
    if not out.strip():
        return f"No commits touch {spec}.\n" if path else "The repository has no commits yet.\n"
    return cap_output(out)


def check_rev(rev: str) -> str:
    """`rev` if it looks like a single revision (hash, branch, tag, HEAD~N); ToolError otherwise."""
    if not isinstance(rev, str) or not _REV.fullmatch(rev) or ".." in rev:
        raise ToolError(
            f"{rev!r} is not a revision this tool accepts. Give one commit: a hash from "
            "git_log, a branch or tag name, or HEAD~N."
        )
    return rev


def resolve_commit(root: str | os.PathLike[str], rev: str) -> str:
    """The full hash of commit `rev` (checked with `check_rev`); ToolError if there is none."""
    done = _git(root, "rev-parse", "--verify", "--quiet", f"{check_rev(rev)}^{{commit}}")
    if done.returncode != 0:
        run_git(root, "rev-parse", "--git-dir")  # raises the "not a git repository" error
        raise ToolError(f"Unknown revision {rev!r}. Use a commit hash from git_log.")
    return done.stdout.decode("ascii", "replace").strip()


def git_show(root: str | os.PathLike[str], rev: str, path: str | None = None) -> str:
    """Commit `rev`: its message, --stat and patch (only `path`'s part if given), capped."""
    spec = _pathspec(root, path)
    commit = resolve_commit(root, rev)
    out = run_git(
        root,
        "show",
        "--stat=120",
        "--stat-graph-width=20",
        "--patch",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--date=short",
        f"--format={COMMIT_FORMAT}",
        commit,
        "--",
        spec,
    )
    capped = cap_output(out)
    if capped != out and not path:
        capped += "Pass path to see the changes to one file.\n"
    return capped


def git_history(root: str | os.PathLike[str], n: int) -> str:
    """The last `n` commits with messages and --stat, capped at 40 KB: input for a summary."""
    count = _count(n, "n", MAX_LOG_COMMITS)
    out = run_git(
        root,
        "log",
        f"-n{count}",
        "--stat=120",
        "--stat-graph-width=20",
        "--date=short",
        f"--format={COMMIT_FORMAT}",
        "--",
        ".",
    )
    if not out.strip():
        return "The repository has no commits yet.\n"
    return cap_output(out, max_bytes=HISTORY_MAX_BYTES, max_lines=HISTORY_MAX_LINES)
