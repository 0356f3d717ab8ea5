"""A small user project on disk for the project tools' tests: files, ignores, symlinks, git history.

Layout of `make_project(tmp_path)` (the project is tmp_path/"project"):

    project/
      .gitignore            build/ and *.log
      README.md
      notes.md              untracked (not ignored)
      src/.gitignore        *.tmp and !keep.log (a nested ignore file, with a negation)
      src/app.py
      src/auth/session.py   login, refresh, logout, class Session
      src/entry.py          symlink to app.py (inside: allowed)
      src/keep.log          re-included by src/.gitignore, untracked
      src/scratch.tmp       ignored by src/.gitignore
      assets/logo.png       binary (PNG header and NUL bytes)
      data/big.py           200 KB of text
      build/out.txt         ignored
      debug.log             ignored
      outside               symlink to ../elsewhere (leaves the project)
      leak.txt              symlink to ../elsewhere/secret.txt (leaves the project)
    elsewhere/secret.txt    outside the project

With git=True (the default) it is a git repository with the three COMMITS, made with fixed
names and dates (so hashes are the same on every run) and no global or system git config.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SECRET = "TOP SECRET: the launch code is 0000"
BIG_FILE_BYTES = 200 * 1024
COMMITS = ["Initial commit", "Add app and session", "Add refresh tokens, logo and data"]
"""Subjects of the fixture's commits, oldest first."""
EXPECTED_FILES = [
    ".gitignore",
    "README.md",
    "assets/logo.png",
    "data/big.py",
    "notes.md",
    "src/.gitignore",
    "src/app.py",
    "src/auth/session.py",
    "src/entry.py",
    "src/keep.log",
]
"""What the project listing should hold, git or not."""

APP = '''\
"""The fixture's application entry point."""

from auth.session import Session, login


def main(user: str) -> Session:
    """Log `user` in and return their session."""
    return login(user, "secret")


def greet(session: Session) -> str:
    return f"hello {session.user}"
'''

SESSION_V1 = '''\
"""Sessions: log in and out."""


class Session:
    def __init__(self, user: str, token: str) -> None:
        self.user = user
        self.token = token


def login(user: str, password: str) -> Session:
    return Session(user, "tok-" + user)


def logout(session: Session) -> None:
    session.token = ""
'''

SESSION_V2 = (
    SESSION_V1
    + '''

def refresh(session: Session) -> Session:
    """A new session for the same user, with a fresh token."""
    return Session(session.user, session.token + "-refreshed")
'''
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01" + b"\x00" * 64


def _big_text() -> str:
    lines = []
    size = 0
    number = 0
    while size < BIG_FILE_BYTES:
        number += 1
        line = f"VALUE_{number:05d} = {number}  # padding so the file is large\n"
        lines.append(line)
        size += len(line)
    return "".join(lines)


def _write(root: Path, name: str, content: str | bytes) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def _git(root: Path, *args: str, day: int = 1) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    date = f"2024-01-0{day}T12:00:00+0000"
    env |= {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    config = ["-c", "user.name=Ada Lovelace", "-c", "user.email=ada@example.com"]
    config += ["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *config, *args], cwd=root, env=env, check=True, capture_output=True)


def make_project(tmp_path: Path, *, git: bool = True) -> Path:
    """Build the fixture project under `tmp_path` (see the module docstring); returns its root."""
    root = tmp_path / "project"
    root.mkdir()
    _write(tmp_path, "elsewhere/secret.txt", SECRET + "\n")
    if git:
        _git(root, "init", "-q")
    _write(root, ".gitignore", "build/\n*.log\n")
    _write(root, "README.md", "# Fixture\n\nA tiny app with sessions. See src/app.py.\n")
    if git:
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", COMMITS[0], day=1)
    _write(root, "src/app.py", APP)
    _write(root, "src/auth/session.py", SESSION_V1)
    _write(root, "src/.gitignore", "*.tmp\n!keep.log\n")
    if git:
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", COMMITS[1], day=2)
    _write(root, "src/auth/session.py", SESSION_V2)
    _write(root, "assets/logo.png", PNG)
    _write(root, "data/big.py", _big_text())
    (root / "src/entry.py").symlink_to("app.py")
    (root / "outside").symlink_to(Path("..") / "elsewhere", target_is_directory=True)
    (root / "leak.txt").symlink_to(Path("..") / "elsewhere" / "secret.txt")
    if git:
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", COMMITS[2], day=3)
    # Left out of the history: ignored files, and untracked ones git still lists.
    _write(root, "build/out.txt", "build output\n")
    _write(root, "debug.log", "debug\n")
    _write(root, "src/scratch.tmp", "scratch\n")
    _write(root, "src/keep.log", "kept by a negation in src/.gitignore\n")
    _write(root, "notes.md", "Untracked notes about @src/app.py.\n")
    return root
