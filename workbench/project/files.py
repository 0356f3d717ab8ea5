"""The project's files: which ones there are, and which paths are inside the project at all.

`project_listing` lists the files the project is made of (git's view inside a work tree, a walk
honouring .gitignore files elsewhere); `resolve_in_project` turns a path a user or model gave into
a real path, refusing anything that leaves the root. Core module: never imports textual.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pathspec import GitIgnoreSpec

from workbench.project.scan import (
    SNIFF_BYTES,
    NotRegularFile,
    TooLarge,
    kind_of,
    looks_binary,
    read_regular,
)

MAX_LISTED_FILES = 20_000
"""At most this many files are listed; a bigger project's listing says it was capped."""
GIT_TIMEOUT_S = 10.0
"""A git command that takes longer is stopped, and the caller falls back or reports it."""
DEFAULT_SKIP_DIRS = frozenset(
    {"node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)
"""Directories of tool output that are never listed unless git tracks files in them."""
GIT_DIR = ".git"


class ToolError(Exception):
    """A refused or failed project operation; the message says what to do instead."""


class OutsideProject(ToolError):
    """A path that leaves the project root (absolute elsewhere, `..`, or a symlink out)."""


def confine(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> tuple[Path, str]:
    """(real path, POSIX path relative to the root) for `path`, or OutsideProject."""
    raw = os.fspath(path)
    if "\x00" in raw:
        raise ToolError("The path contains a NUL character; give a plain file path.")
    abs_root = Path(os.path.abspath(root))
    real_root = Path(os.path.realpath(abs_root))
    given = Path(raw) if raw.strip() else Path(".")
    candidate = given if given.is_absolute() else abs_root / given
    lexical = Path(os.path.normpath(candidate))
    base = next((r for r in (abs_root, real_root) if lexical.is_relative_to(r)), None)
    if base is None:
        if given.is_absolute():
            raise OutsideProject(
                f"{raw} is outside the project ({abs_root}). "
                "Give a path inside the project, relative to its root (e.g. src/app.py)."
            )
        raise OutsideProject(
            f"{raw} goes above the project root with '..'. "
            "Give a path inside the project, relative to its root (e.g. src/app.py)."
        )
    real = Path(os.path.realpath(candidate))
    if not real.is_relative_to(real_root):
        raise OutsideProject(
            f"{raw} leads outside the project through a symlink; "
            "only files inside the project can be read."
        )
    relative = lexical.relative_to(base).as_posix()
    if GIT_DIR in Path(relative).parts or GIT_DIR in real.relative_to(real_root).parts:
        raise ToolError(
            f"{raw} is inside .git/, git's own data, which is not read. "
            "Use git_log or git_show for the project's history."
        )
    return real, relative


def resolve_in_project(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """The real path of `path` (relative to `root`, or absolute inside it), confined to `root`.

    Raises OutsideProject for an absolute path elsewhere, a `..` escape, or a symlink whose
    target leaves the root, and ToolError for paths inside .git/. The path need not exist.
    """
    return confine(root, path)[0]


def relative_to_project(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> str:
    """`path` as a normalized POSIX path relative to `root` ("." for the root), confined."""
    return confine(root, path)[1]


def human_size(size: int) -> str:
    """A byte count for people: "512 B", "1.5 KB", "200 KB", "3.1 MB"."""
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024 or unit == "MB":
            if unit == "B":
                return f"{size} B"
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Wording:
    """How `read_text` phrases its refusals; `{name}`, `{size}`, `{limit}`, `{error}`, `{kind}`."""

    missing: str = "{name} does not exist. Use list_dir to see what is there."
    directory: str = "{name} is a directory. Use list_dir to see what is in it."
    too_large: str = (
        "{name} is too large ({size}; the limit is {limit}). Use search to find the lines you need."
    )
    binary: str = "{name} is a binary file, not text; it cannot be read."
    unreadable: str = "Cannot read {name}: {error}."
    special: str = "{name} is {kind}, not a regular file: it was not read."
    """A named pipe, socket or device (`{kind}` is "a named pipe (FIFO)", "a socket"...)."""


FOR_TOOLS = Wording()
"""The wording a model reads, pointing at the tools that help."""


def read_text(path: Path, shown_as: str, *, max_bytes: int, wording: Wording = FOR_TOOLS) -> str:
    """The text of the file at `path` (named `shown_as` in errors); ToolError if not readable text.

    Refuses missing files, directories, named pipes, sockets and devices (before opening
    them: a FIFO would block the read for ever), binary files and files over `max_bytes`.
    """
    try:
        data = read_regular(path, max_bytes)
    except FileNotFoundError:
        raise ToolError(wording.missing.format(name=shown_as)) from None
    except NotRegularFile as refused:
        if refused.is_directory:
            raise ToolError(wording.directory.format(name=shown_as)) from None
        raise ToolError(wording.special.format(name=shown_as, kind=refused.kind)) from None
    except TooLarge as refused:
        size, limit = human_size(refused.size), human_size(max_bytes)
        raise ToolError(wording.too_large.format(name=shown_as, size=size, limit=limit)) from None
    except OSError as error:
        raise ToolError(wording.unreadable.format(name=shown_as, error=error.strerror)) from None
    if looks_binary(data[:SNIFF_BYTES]):
        raise ToolError(wording.binary.format(name=shown_as))
    return data.decode("utf-8-sig", errors="replace")


def refuse_special(real: Path, shown_as: str, doing: str) -> None:
    """ToolError if `real` exists but is a named pipe, socket or device ("not {doing}")."""
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return
    kind = kind_of(mode)
    if kind is not None and not stat.S_ISDIR(mode):
        raise ToolError(f"{shown_as} is {kind}, not a regular file: not {doing}.")


@dataclass(frozen=True)
class Listing:
    """The project's files, as POSIX paths relative to the root, sorted."""

    files: list[str]
    capped: bool
    """True when the project has more files than the limit and only the first ones are here."""
    source: Literal["git", "walk"]
    """"git" when git listed them (tracked plus untracked, not ignored), else "walk"."""


def project_listing(root: str | os.PathLike[str], *, limit: int = MAX_LISTED_FILES) -> Listing:
    """The files of the project at `root`: git's view in a work tree, else a .gitignore-aware walk.

    Always leaves out .git/, symlinks that lead outside the root, and (unless git tracks
    files in them) the DEFAULT_SKIP_DIRS. At most `limit` files; `capped` says if more exist.
    """
    root_path = Path(os.path.abspath(root))
    if not root_path.is_dir():
        raise ToolError(f"The project root {root_path} is not a directory.")
    files = _git_files(root_path)
    source: Literal["git", "walk"] = "git"
    if not files:  # not a work tree, no git, or (e.g. a home directory) nothing git would list
        files, source = _walk_files(root_path, limit), "walk"
    files.sort()
    return Listing(files[:limit], len(files) > limit, source)


def list_project_files(root: str | os.PathLike[str], *, limit: int = MAX_LISTED_FILES) -> list[str]:
    """The project's files as sorted POSIX paths relative to `root` (see `project_listing`)."""
    return project_listing(root, limit=limit).files


def git_command(*args: str) -> list[str]:
    """A git command line that runs no hooks or helpers a repository's config could name."""
    return ["git", "-c", "core.fsmonitor=false", "-c", "core.quotepath=off", *args]


_REPO_LOCATION_VARS = frozenset(
    {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY"}
)


def git_env() -> dict[str, str]:
    """The environment for read-only git commands: no prompts, no optional index writes.

    Variables that point git at another repository (set inside a git hook, say) are dropped,
    so git finds the repository from the project root.
    """
    env = {k: v for k, v in os.environ.items() if k not in _REPO_LOCATION_VARS}
    return env | {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


_SYMLINK_MODE = "120000"
_SUBMODULE_MODE = "160000"


def _git_files(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under `root`, or None outside a work tree."""
    # One call: -t tags each entry (H tracked, R deleted from the work tree, S sparse, ?
    # untracked) and -s gives tracked entries' modes, so only symlinks and untracked files
    # need a stat of their own; a stat per file would cost more than git itself.
    excludes = [arg for name in sorted(DEFAULT_SKIP_DIRS) for arg in ("-x", f"{name}/")]
    command = git_command(
        "ls-files", "-z", "-t", "-s", "--cached", "--deleted", "--others", "--exclude-standard"
    )
    try:
        done = subprocess.run(
            [*command, *excludes],
            cwd=root,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            env=git_env(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    real_root = os.path.realpath(root)
    tracked: dict[str, None] = {}
    gone: set[str] = set()
    untracked: list[str] = []
    for entry in os.fsdecode(done.stdout).split("\0"):
        tag, _, rest = entry.partition(" ")
        if tag == "?":
            if not rest.endswith("/") and _is_listable_file(root, rest, real_root):
                untracked.append(rest)  # "sub/" is a nested repository
            continue
        meta, _, name = rest.partition("\t")
        mode = meta.split(" ", 1)[0]
        if tag in ("R", "S") or mode == _SUBMODULE_MODE:
            gone.add(name)  # deleted, outside a sparse checkout, or a submodule
        elif name and (mode != _SYMLINK_MODE or _is_listable_file(root, name, real_root)):
            tracked.setdefault(name)  # unmerged files come once per stage
    return [name for name in tracked if name not in gone] + untracked


def _is_listable_file(root: Path, name: str, real_root: str) -> bool:
    """Whether `name` is a regular file, or a symlink to a file inside the root."""
    full = os.path.join(root, name)
    try:
        mode = os.lstat(full).st_mode
    except OSError:
        return False  # deleted from the work tree but still in the index
    if stat.S_ISLNK(mode):
        target = os.path.realpath(full)
        return os.path.isfile(target) and Path(target).is_relative_to(real_root)
    return stat.S_ISREG(mode)  # not a submodule or nested repository ("sub/")


def _read_gitignore(directory: str) -> GitIgnoreSpec | None:
    try:
        data = read_regular(os.path.join(directory, ".gitignore"))
    except (OSError, NotRegularFile, TooLarge):
        return None  # a .gitignore that is a FIFO would block the listing: not read
    return GitIgnoreSpec.from_lines(data.decode("utf-8", errors="replace").splitlines())


def _ignored(specs: list[tuple[str, GitIgnoreSpec]], rel: str) -> bool:
    """Whether the deepest .gitignore with a matching pattern ignores `rel` (dirs end in /)."""
    for base, spec in reversed(specs):
        decision = spec.check_file(rel[len(base) :]).include
        if decision is not None:
            return decision
    return False


def _walk_files(root: Path, limit: int) -> list[str]:
    """Files under `root` not ignored by its .gitignore files; stops after `limit` + 1."""
    found: list[str] = []
    real_root = os.path.realpath(root)
    stack: list[tuple[str, list[tuple[str, GitIgnoreSpec]]]] = [("", [])]
    while stack:
        rel_dir, specs = stack.pop()
        directory = os.path.join(root, rel_dir)
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError:
            continue
        spec = _read_gitignore(directory)
        if spec is not None:
            specs = [*specs, (rel_dir, spec)]
        subdirs: list[str] = []
        for entry in entries:
            rel = rel_dir + entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                skipped = entry.name == GIT_DIR or entry.name in DEFAULT_SKIP_DIRS
                if not skipped and not _ignored(specs, rel + "/"):
                    subdirs.append(rel + "/")
            elif not _ignored(specs, rel) and (
                entry.is_file(follow_symlinks=False)
                or (entry.is_symlink() and _is_listable_file(root, rel, real_root))
            ):
                found.append(rel)
                if len(found) > limit:
                    return found
        stack.extend((sub, specs) for sub in reversed(subdirs))
    return found
