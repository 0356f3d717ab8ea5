"""`workbench check`: the project's checks from the shell, through the `SessionChecks` the
Checks view uses.

Each check's output streams to stdout in full, then one summary line per check. The run is
saved in the session (SESSION, else the newest session about the project) like a run from the
app. Without a session, or when the session is open in a running workbench (which owns its
folder), the checks run all the same and nothing is written: the output above is all there is.

Exit codes: 0 every check passed, 1 one failed (or timed out, or could not run), 2 nothing was
run (no checks configured, no such session, a bad --project), 130 Ctrl+C (the running check and
every process it started are killed first). Core module: never imports textual.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.cli_ask import CommandError, project_dir

if TYPE_CHECKING:
    from workbench.checks.config import CheckCommand, ChecksConfig
    from workbench.checks.runner import CheckResult
    from workbench.checks.session_checks import SessionChecks
    from workbench.config import ConfigProblem, Settings
    from workbench.session.store import Session, SessionStore

FAILED = 1
NOT_RUN = 2
INTERRUPTED = 130


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `check` to the `workbench` command."""
    check = commands.add_parser(
        "check",
        help="run the project's checks (pytest, ruff, ...) and print their output and status",
        description="Run the project's checks one after another in its root, print their "
        "output and a summary line each, and save the run in the session. The checks come "
        "from the project's .workbench.toml, else the answer saved for the project, else "
        "[project] checks in the config. Exit 0 all passed, 1 one failed, 2 no checks "
        "configured (the proposed ones are printed), 130 on Ctrl+C.",
    )
    check.add_argument(
        "session",
        nargs="?",
        metavar="SESSION",
        help="save the run in this session (default: the project's newest; with none, the "
        "checks run and nothing is saved)",
    )
    check.add_argument(
        "--project",
        dest="command_project",
        metavar="DIR",
        help="the project (default: the current directory)",
    )


def run_check_command(
    args: argparse.Namespace, settings: Settings, problems: list[ConfigProblem]
) -> int:
    """`workbench check`: its exit code."""
    from workbench.checks.session_checks import SessionChecks
    from workbench.session.store import SessionStore

    for problem in problems:
        _note(f"warning: {problem}")
    session: Session | None = None
    try:
        project = project_dir(args)
        session, why_not_saved = _pick_session(SessionStore(), args.session, project)
        if session is not None:
            project = Path(session.meta.project_dir)
            if not project.is_dir():
                raise CommandError(f"the session's project {project} no longer exists")
    except CommandError as error:
        _note(f"workbench: {error}")
        if session is not None:
            session.close()
        return NOT_RUN
    try:
        saved_in = session.folder if session is not None and not session.readonly else None
        checks = SessionChecks(settings, project, saved_in)
        config = checks.config()
        for problem in config.problems:
            _note(f"warning: {problem}")
        if not config.commands:
            _note(not_configured(config, checks.proposals(), project, settings))
            return NOT_RUN
        _note(f"Checks from the {_source(config)}.")
        if why_not_saved:
            _note(why_not_saved)
        try:
            return asyncio.run(_run(checks, session))
        except KeyboardInterrupt:  # before the run could take Ctrl+C over
            return INTERRUPTED
    finally:
        if session is not None:
            session.close()


def _pick_session(
    store: SessionStore, ref: str | None, project: Path
) -> tuple[Session | None, str | None]:
    """The session to save the run in (maybe open read-only), and why it is not saved, if so."""
    from workbench.session.store import SessionError, SessionLockedError

    if ref is None:
        about = [s for s in store.list() if s.project_dir == project]
        if not about:
            return None, f"No session about {project}: the run is not saved."
        ref_or_folder: str | Path = about[0].folder
    else:
        ref_or_folder = ref
    try:
        return store.open(ref_or_folder), None
    except SessionLockedError as error:
        who = f" (pid {error.pid})" if error.pid else ""
        try:
            session = store.open(ref_or_folder, readonly=True)
        except SessionError as again:
            raise CommandError(str(again)) from None
        return session, (
            f"Session {error.session_id} is open in a running workbench{who}: the run is not "
            "saved in it."
        )
    except SessionError as error:
        raise CommandError(str(error)) from None


async def _run(checks: SessionChecks, session: Session | None) -> int:
    """Run the checks, printing as they go; the exit code."""
    from workbench.checks.events import CheckFinished, CheckOutput, CheckStarted, RunFinished

    loop = asyncio.get_running_loop()
    interrupted = False

    def interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        checks.stop()  # the check runs in a process group of its own: Ctrl+C does not reach it

    loop.add_signal_handler(signal.SIGINT, interrupt)
    results: list[CheckResult] = []
    run_id = ""
    ends_line = True
    try:
        # Closed on any way out (a broken pipe), which kills the running check and saves the run.
        async with contextlib.aclosing(checks.run(output_limit=None)) as events:
            async for event in events:
                if isinstance(event, CheckStarted):
                    gap = "" if ends_line else "\n"
                    _out(f"{gap}$ {_clean(event.check.command)}\n")
                    ends_line = True
                elif isinstance(event, CheckOutput):
                    _out(event.text)
                    ends_line = event.text.endswith("\n")
                elif isinstance(event, CheckFinished):
                    results.append(event.result)
                elif isinstance(event, RunFinished):
                    run_id = event.run.id
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    _out(("" if ends_line else "\n") + "\n")
    for line in summary_lines(results, checks):
        _out(line + "\n")
    if session is not None and checks.session_folder is not None and run_id:
        _note(f"Saved as check run {run_id} of session {session.id}.")
    if interrupted:
        _note("Stopped (Ctrl+C): the running check and every process it started were killed.")
        return INTERRUPTED
    return 0 if all(result.passed for result in results) else FAILED


def summary_lines(results: list[CheckResult], checks: SessionChecks) -> list[str]:
    """One line per check, in columns: mark, name, status, duration, exit code, why, log."""
    from workbench.config import display_path

    marks = _marks()
    rows = []
    for result in results:
        status = {"timed_out": "timed out", "killed": "stopped"}.get(result.status, result.status)
        code = "no exit code" if result.exit_code is None else f"exit {result.exit_code}"
        log = checks.log_path(result)
        rows.append(
            [
                f"{marks['passed'] if result.passed else marks['failed']} {_clean(result.name)}",
                status,
                f"{result.duration_s:.1f} s",
                code,
                *([result.error] if result.error else []),
                *([f"log {display_path(log)}"] if log is not None else []),
            ]
        )
    widths = [max((len(row[i]) for row in rows if len(row) > i), default=0) for i in range(4)]
    return [
        "  ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])), *row[4:]]).rstrip()
        for row in rows
    ]


def not_configured(
    config: ChecksConfig, proposals: list[CheckCommand], project: Path, settings: Settings
) -> str:
    """What to say when the project has no checks: the proposed ones, and where to put them."""
    from workbench import paths
    from workbench.checks.config import PROJECT_FILE
    from workbench.config import display_path

    commands = [check.command for check in proposals] or ["pytest -q"]
    listed = ", ".join(json.dumps(command) for command in commands)
    if config.answered:  # a file or a saved answer says: no checks
        head = f"workbench: the {_source(config)} lists no checks for {project}."
    else:
        head = f"workbench: no checks are configured for {project}."
    if proposals:
        head += "\nProposed from the project's files:\n" + "\n".join(
            f"  {_clean(command)}" for command in commands
        )
    else:
        head += "\nNothing to propose from the project's files (such as pytest -q)."
    config_file = settings.config_path or paths.config_file()
    return (
        f"{head}\n\nPut them in {display_path(project / PROJECT_FILE)} (it can be committed for "
        f"the team):\n\n[checks]\ncommands = [{listed}]\n\nor under [project] in "
        f"{display_path(config_file)} as checks = [{listed}] (the default for every project)."
    )


def _source(config: ChecksConfig) -> str:
    """Where the checks came from, for people: "project file ~/src/app/.workbench.toml"."""
    from workbench.config import display_path

    what = {"saved for this project": "answer saved for this project"}.get(
        config.source, config.source
    )
    return f"{what} {display_path(config.path)}" if config.path else what


def _marks() -> dict[str, str]:
    try:
        "✓✗".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return {"passed": "ok", "failed": "x"}
    return {"passed": "✓", "failed": "✗"}


def _clean(text: str) -> str:
    from workbench.textclean import sanitize

    return sanitize(text)


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
