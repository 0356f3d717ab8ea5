"""Regex search over the project's text files: ripgrep when installed, pure Python otherwise.

Both engines search the same files (not ignored by .gitignore, not binary, not symlinks, at
most MAX_SEARCHED_BYTES) in the same order and print the same `path:line: text` lines.
Core module: never imports textual.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Literal

from workbench.project.files import (
    DEFAULT_SKIP_DIRS,
    GIT_DIR,
    SNIFF_BYTES,
    ToolError,
    confine,
    looks_binary,
    project_listing,
)
from workbench.project.output import cap_output

MAX_RESULTS = 500
"""search returns at most this many matching lines, whatever max_results asks for."""
MAX_SEARCHED_BYTES = 8 * 1024 * 1024
"""Files larger than this are not searched (ripgrep's --max-filesize 8M)."""
MAX_MATCH_CHARS = 300
"""A matching line longer than this is cut, so one minified file cannot fill the output."""
SEARCH_TIMEOUT_S = 20.0
Engine = Literal["auto", "rg", "python"]
Hit = tuple[str, int, str]


def search(
    root: str | os.PathLike[str],
    pattern: str,
    path: str = ".",
    max_results: int = 100,
    *,
    engine: Engine = "auto",
) -> str:
    """Lines matching the regex `pattern` under `path`, as `path:line: text`, capped.

    `engine` picks ripgrep ("rg"), the pure-Python fallback ("python"), or ripgrep when it is
    on PATH ("auto"). An invalid pattern, or a path outside the project, is a ToolError.
    """
    if not isinstance(pattern, str) or not pattern:
        raise ToolError("pattern must be a non-empty regular expression, e.g. def login.")
    if "\n" in pattern:
        raise ToolError("search works line by line: the pattern cannot contain a newline.")
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise ToolError(f"max_results must be a whole number from 1 to {MAX_RESULTS}.")
    limit = min(max_results, MAX_RESULTS)
    real, rel = confine(root, path)
    if not real.exists():
        raise ToolError(f"{path} does not exist. Use list_dir to see what is there.")
    use_rg = engine == "rg" or (engine == "auto" and shutil.which("rg") is not None)
    if use_rg:
        hits = _rg_hits(Path(root), pattern, rel, limit + 1)
    else:
        hits = _python_hits(Path(root), _compile(pattern), rel, real, limit + 1)
    if not hits:
        where = "the project" if rel == "." else rel
        return f"No matches for {pattern!r} in {where}.\n"
    lines = [f"{name}:{number}: {_clip(text)}" for name, number, text in hits[:limit]]
    if len(hits) > limit:
        lines.append(
            f"[stopped at {limit} matches; narrow the pattern or the path to see the rest]"
        )
    return cap_output("\n".join(lines) + "\n")


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_MATCH_CHARS else text[:MAX_MATCH_CHARS] + " …"


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ToolError(f"Invalid regular expression {pattern!r}: {error}.") from None


def _tree_order(name: str) -> list[str]:
    """Sort key for ripgrep's --sort path order: by path components, depth first."""
    return name.split("/")


def _python_hits(root: Path, regex: re.Pattern[str], rel: str, real: Path, limit: int) -> list[Hit]:
    if real.is_file():
        names = [rel]  # a file named outright is searched even if ignored, as ripgrep does
    else:
        prefix = "" if rel == "." else rel + "/"
        names = [name for name in project_listing(root).files if name.startswith(prefix)]
        names = [name for name in names if not _is_symlink(root / name)]
    names.sort(key=_tree_order)
    # A whole-file pre-check skips most files quickly; \A and \Z mean something else there.
    anchored = "\\A" in regex.pattern or "\\Z" in regex.pattern
    quick = None if anchored else re.compile(regex.pattern, regex.flags | re.MULTILINE)
    hits: list[Hit] = []
    for name in names:
        text = _searchable_text(root / name)
        if text is None or (quick is not None and not quick.search(text)):
            continue
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        for number, line in enumerate(lines, 1):
            if regex.search(line):
                hits.append((name, number, line))
                if len(hits) >= limit:
                    return hits
    return hits


def _is_symlink(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return True  # gone since the listing: nothing to search


def _searchable_text(path: Path) -> str | None:
    """The file's text, or None if it is missing, too large or binary."""
    try:
        if path.stat().st_size > MAX_SEARCHED_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if looks_binary(data[:SNIFF_BYTES]):
        return None
    return data.decode("utf-8-sig", errors="replace")


def _rg_command(pattern: str, rel: str) -> list[str]:
    skipped = ",".join(sorted(DEFAULT_SKIP_DIRS | {GIT_DIR}))
    return [
        "rg",
        "--json",
        "--no-config",
        "--hidden",  # the listing has dotfiles (.github/, .gitignore) too
        "--no-require-git",  # honour .gitignore outside a repository, as the listing does
        "--no-ignore-dot",  # .ignore and .rgignore mean nothing to git
        "--no-messages",
        "--sort=path",
        f"--max-filesize={MAX_SEARCHED_BYTES // (1024 * 1024)}M",
        f"--glob=!{{{skipped}}}",
        "--regexp",
        pattern,
        "--",
        rel,
    ]


def _rg_text(field: dict[str, str]) -> str:
    if "text" in field:
        return field["text"]
    return base64.b64decode(field.get("bytes", "")).decode("utf-8", "replace")


def _rg_hits(root: Path, pattern: str, rel: str, limit: int) -> list[Hit]:
    hits: list[Hit] = []
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                _rg_command(pattern, rel), cwd=root, stdout=subprocess.PIPE, stderr=errors
            )
        except OSError as error:
            raise ToolError(f"ripgrep could not start: {error.strerror}.") from None
        timer = threading.Timer(SEARCH_TIMEOUT_S, process.kill)
        timer.start()
        try:
            assert process.stdout is not None
            for raw in process.stdout:
                event = json.loads(raw)
                if event.get("type") != "match":
                    continue
                data = event["data"]
                name = _rg_text(data["path"]).removeprefix("./")
                line = _rg_text(data["lines"]).removesuffix("\n")
                hits.append((name, data["line_number"], line))
                if len(hits) >= limit:
                    break
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
            code = process.wait()
        errors.seek(0)
        message = errors.read().decode("utf-8", "replace").strip()
    if code == 2 and not hits and message:
        lines = message.splitlines()
        reason = next((line for line in lines if line.startswith("error: ")), lines[-1])
        raise ToolError(
            f"Invalid regular expression {pattern!r}: {reason.removeprefix('error: ')}."
        )
    if code < 0 and not hits:
        raise ToolError(f"The search took longer than {SEARCH_TIMEOUT_S:.0f} s and was stopped.")
    return hits
