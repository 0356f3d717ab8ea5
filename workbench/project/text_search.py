"""Regex search over the project's text files: ripgrep when installed, pure Python otherwise.

Both engines search the same files (not ignored by .gitignore, not binary, not symlinks, not
named pipes, sockets or devices, at most MAX_SEARCHED_BYTES) in the same order and print the
same `path:line: text` lines. Both run as child processes that a time limit, or a `Cancel`
(Escape, quit), kills: Python's regex engine can take for ever on a pattern like `(a+)+$`, and
while it runs in this process it holds the interpreter, so not even a keystroke gets through.
The environment variable WORKBENCH_SEARCH_ENGINE (`rg` or `python`) overrides the choice.
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
from typing import Any, Literal

from workbench.project.background import Cancel, Cancelled
from workbench.project.files import (
    DEFAULT_SKIP_DIRS,
    GIT_DIR,
    ToolError,
    confine,
    project_listing,
    refuse_special,
)
from workbench.project.output import cap_output
from workbench.project.scan import Hit, child_command, clip

MAX_RESULTS = 500
"""search returns at most this many matching lines, whatever max_results asks for."""
MAX_SEARCHED_BYTES = 8 * 1024 * 1024
"""Files larger than this are not searched (ripgrep's --max-filesize 8M)."""
MAX_MATCH_CHARS = 300
"""A matching line longer than this is cut, so one minified file cannot fill the output."""
SEARCH_TIMEOUT_S = 20.0
"""ripgrep is stopped after this long (it has no catastrophic patterns; a huge tree can be slow)."""
PATTERN_TIME_LIMIT_S = 10.0
"""The Python fallback is stopped after this long: a pattern like (a+)+$ can run for ever."""
ENGINE_VARIABLE = "WORKBENCH_SEARCH_ENGINE"
"""Environment variable naming the engine "auto" means: `rg` or `python` (else: rg if on PATH)."""
Engine = Literal["auto", "rg", "python"]


def resolve_engine(engine: Engine = "auto") -> Literal["rg", "python"]:
    """The engine a search with `engine` uses: "auto" is WORKBENCH_SEARCH_ENGINE, else ripgrep
    when it is on PATH, else Python."""
    if engine != "auto":
        return engine
    wanted = os.environ.get(ENGINE_VARIABLE, "").strip().lower()
    if wanted in ("rg", "python"):
        return "rg" if wanted == "rg" else "python"
    return "rg" if shutil.which("rg") is not None else "python"


def search(
    root: str | os.PathLike[str],
    pattern: str,
    path: str = ".",
    max_results: int = 100,
    *,
    engine: Engine = "auto",
    time_limit: float = PATTERN_TIME_LIMIT_S,
    cancel: Cancel | None = None,
) -> str:
    """Lines matching the regex `pattern` under `path`, as `path:line: text`, capped.

    `engine` picks ripgrep ("rg"), the pure-Python fallback ("python"), or (with "auto") what
    `resolve_engine` says. The fallback is stopped after `time_limit` seconds; `cancel` kills
    either engine's process. An invalid pattern, a path outside the project, a named pipe,
    socket or device, a search that ran out of time or was cancelled: each is a ToolError.
    """
    if not isinstance(pattern, str) or not pattern:
        raise ToolError("pattern must be a non-empty regular expression, e.g. def login.")
    if "\n" in pattern:
        raise ToolError("search works line by line: the pattern cannot contain a newline.")
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise ToolError(f"max_results must be a whole number from 1 to {MAX_RESULTS}.")
    limit = min(max_results, MAX_RESULTS)
    if not time_limit > 0:
        raise ValueError("time_limit must be positive")
    real, rel = confine(root, path)
    if not real.exists():
        raise ToolError(f"{path} does not exist. Use list_dir to see what is there.")
    refuse_special(real, rel, "searched")  # ripgrep reads a FIFO named outright: it would wait
    try:
        if resolve_engine(engine) == "rg":
            hits = _rg_hits(Path(root), pattern, rel, limit + 1, cancel)
        else:
            _compile(pattern)  # an invalid pattern is reported without starting a process
            hits = _python_hits(Path(root), pattern, rel, real, limit + 1, time_limit, cancel)
    except Cancelled:
        raise ToolError("The search was stopped.") from None
    if not hits:
        where = "the project" if rel == "." else rel
        return f"No matches for {pattern!r} in {where}.\n"
    lines = [f"{name}:{number}: {_clip(text)}" for name, number, text in hits[:limit]]
    if len(hits) > limit:
        lines.append(
            f"[stopped at {limit} matches; narrow the pattern or the path to see the rest]"
        )
    return cap_output("\n".join(lines) + "\n")


def _popen(cancel: Cancel | None, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    if cancel is None:
        return subprocess.Popen(args, **kwargs)
    return cancel.popen(args, **kwargs)


def _clip(text: str) -> str:
    return clip(text, MAX_MATCH_CHARS)


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ToolError(f"Invalid regular expression {pattern!r}: {error}.") from None


def _tree_order(name: str) -> list[str]:
    """Sort key for ripgrep's --sort path order: by path components, depth first."""
    return name.split("/")


def _python_hits(
    root: Path,
    pattern: str,
    rel: str,
    real: Path,
    limit: int,
    time_limit: float,
    cancel: Cancel | None,
) -> list[Hit]:
    """The fallback's hits: the files are listed here, and searched in a child process."""
    if real.is_file():
        names = [rel]  # a file named outright is searched even if ignored, as ripgrep does
    else:
        prefix = "" if rel == "." else rel + "/"
        names = [name for name in project_listing(root).files if name.startswith(prefix)]
        names = [name for name in names if not _is_symlink(root / name)]
    names.sort(key=_tree_order)
    if not names:
        return []
    request = {
        "root": os.fspath(root),
        "names": names,
        "pattern": pattern,
        "limit": limit,
        "max_bytes": MAX_SEARCHED_BYTES,
        "max_chars": MAX_MATCH_CHARS,
        "time_limit": time_limit,
    }
    try:
        process = _popen(
            cancel,
            child_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as error:
        raise ToolError(f"The search could not start: {error.strerror}.") from None
    try:
        out, err = process.communicate(json.dumps(request).encode(), timeout=time_limit)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise ToolError(_too_long(time_limit)) from None
    finally:
        if process.poll() is None:  # an exception (KeyboardInterrupt) left it running
            process.kill()
            process.wait()
        if cancel is not None:
            cancel.release(process)
    if cancel is not None and cancel.cancelled:
        raise Cancelled
    if process.returncode != 0:
        if process.returncode < 0:  # killed: by its own alarm, or by someone else
            raise ToolError(_too_long(time_limit))
        lines = err.decode("utf-8", "replace").strip().splitlines() or ["no message"]
        raise ToolError(f"The search failed: {lines[-1]}.")
    return [(name, number, line) for name, number, line in json.loads(out)["hits"]]


def _too_long(time_limit: float) -> str:
    return (
        f"The search took longer than {time_limit:g} s and was stopped. A pattern with nested "
        "repeats, like (a+)+, can take for ever on a long line: simplify it, or search a "
        "smaller path."
    )


def _is_symlink(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return True  # gone since the listing: nothing to search


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


def _rg_hits(root: Path, pattern: str, rel: str, limit: int, cancel: Cancel | None) -> list[Hit]:
    hits: list[Hit] = []
    with tempfile.TemporaryFile() as errors:
        try:
            process = _popen(
                cancel, _rg_command(pattern, rel), cwd=root, stdout=subprocess.PIPE, stderr=errors
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
            if cancel is not None:
                cancel.release(process)
        if cancel is not None and cancel.cancelled:
            raise Cancelled
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
