"""`workbench changes`, `apply` and `undo`: the Implement reply's edits from the shell.

They go through the session's `SessionController` and `StagingArea`, like the Changes view: the
newest Implement reply is staged first if it is not yet (the fast model makes the edits no
direct match can), decisions made in the app are kept, and every apply is journalled so `undo`
restores the files exactly.

Exit codes: 0 done, 1 an error (no such session, a locked one), 2 a usage error, 3 nothing to
do (nothing staged, accepted or applied), 4 refused (a file changed on disk since its diff, an
undo whose files changed again), 130 Ctrl+C.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.cli_ask import CommandError, open_session, project_dir

if TYPE_CHECKING:
    from workbench.apply.changes import ChangeSet, FileChange
    from workbench.config import ConfigProblem, Settings
    from workbench.controller import SessionController
    from workbench.reply_printer import ReplyPrinter
    from workbench.session.store import Session, SessionStore

NOTHING = 3
REFUSED = 4


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `changes`, `apply` and `undo` to the `workbench` command."""
    changes = commands.add_parser(
        "changes",
        help="print the staged changes of the Implement reply as a diff (staging it if needed)",
        description="Stage the newest Implement reply's edits if they are not yet, then print "
        "the open changes as a unified diff (each hunk's decision after its @@), and the edits "
        "that failed. Exit 0, or 3 when nothing is staged.",
    )
    apply = commands.add_parser(
        "apply",
        help="write the staged changes into the project (asks per file; --yes does not ask)",
        description="For each file with open changes, show its diff and ask; then write the "
        "accepted changes, journalled so `workbench undo` restores them. Without --yes, only "
        "hunks accepted in the app or here are written; with --yes every open hunk is accepted. "
        "Exit 0 applied, 3 nothing to apply, 4 refused (a file changed on disk).",
    )
    apply.add_argument(
        "--file", action="append", metavar="PATH", help="only this file (repeatable)"
    )
    apply.add_argument("--yes", action="store_true", help="accept and apply without asking")
    undo = commands.add_parser(
        "undo",
        help="revert the last apply exactly (refuses if those files changed since)",
        description="Restore the files of the session's last apply byte for byte. Exit 0 "
        "restored, 3 nothing to undo, 4 refused (a file changed again since the apply).",
    )
    for parser in (changes, apply, undo):
        parser.add_argument(
            "session", nargs="?", metavar="SESSION", help="default: the project's newest session"
        )
        parser.add_argument(
            "--project",
            dest="command_project",
            metavar="DIR",
            help="the project (default: the current directory)",
        )


def pick_session(store: SessionStore, ref: str | None, project: Path) -> Session:
    """The named session, else the newest session about `project` (never another project's)."""
    if ref:
        return open_session(store, ref)
    about = [s for s in store.list() if s.project_dir == project]
    if about:
        return open_session(store, about[0].folder)
    others = store.list()
    if not others:
        raise CommandError(f"no sessions yet: start one in {project} with `workbench`.", NOTHING)
    listed = "\n".join(f"  {s.id}  {s.project_dir}" for s in others[:10])
    raise CommandError(
        f"no session about {project}. Pass one of these as SESSION, or run this in its "
        f"project:\n{listed}",
        NOTHING,
    )


def run_changes_command(
    args: argparse.Namespace, settings: Settings, problems: list[ConfigProblem]
) -> int:
    """`workbench changes` / `apply` / `undo`: the exit code."""
    from workbench.cli_reply import run_in_session
    from workbench.reply_printer import ReplyPrinter
    from workbench.session.store import SessionStore

    printer = ReplyPrinter(json_lines=False)
    for problem in problems:
        printer.note(f"warning: {problem}")
    try:
        session = pick_session(SessionStore(), args.session, project_dir(args))
    except CommandError as error:
        printer.note(f"workbench: {error}")
        return error.code
    work = {"changes": show_changes, "apply": apply_changes, "undo": undo_last}[args.command]
    try:
        return run_in_session(session, settings, printer, lambda c: work(c, args, printer))
    finally:
        session.close()


async def staged(controller: SessionController, printer: ReplyPrinter) -> ChangeSet:
    """The session's change set, after staging the newest Implement reply if needed."""
    from workbench.project.files import ToolError

    if controller.changes.needs_staging():
        printer.note("Staging the edits of the newest Implement reply...")
        try:
            await controller.changes.stage()
        except ToolError as error:
            printer.note(str(error))
    changes = controller.changes.staging.changes
    for failure in changes.failures:
        what = failure.edit.kind.replace("_", " ")
        printer.note(f"not staged: {failure.edit.path} ({what}): {failure.reason}")
    return changes


def _print_diff(lines: list[str]) -> None:
    from workbench.textclean import sanitize

    colour = sys.stdout.isatty()
    for line in lines:
        text = sanitize(line.rstrip("\n"))
        if colour and line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
            code = "32" if line.startswith("+") else "31"
            text = f"\x1b[{code}m{text}\x1b[0m"
        print(text)


async def show_changes(
    controller: SessionController, args: argparse.Namespace, printer: ReplyPrinter
) -> int:
    """Print the open staged changes."""
    from workbench.apply.staging_area import unified_diff

    changes = await staged(controller, printer)
    files = [f for f in changes.files if any(h.decision != "applied" for h in f.hunks)]
    if not files:
        printer.note("Nothing staged: no open changes.")
        return NOTHING
    for change in files:
        _print_diff(unified_diff(change))
    return 0


def _open(change: FileChange) -> bool:
    return any(h.decision in ("pending", "accepted") and not h.problem for h in change.hunks)


async def apply_changes(
    controller: SessionController, args: argparse.Namespace, printer: ReplyPrinter
) -> int:
    """Ask per file (unless --yes), then write the accepted hunks."""
    from workbench.apply.staging_area import unified_diff
    from workbench.cli_reply import read_answer
    from workbench.project.files import ToolError

    changes = await staged(controller, printer)
    wanted = set(args.file or [])
    files = [f for f in changes.files if _open(f) and (not wanted or f.path in wanted)]
    unknown = wanted - {f.path for f in changes.files}
    if unknown:
        printer.note(f"no staged change to {', '.join(sorted(unknown))}")
    if not files:
        printer.note("Nothing to apply.")
        return NOTHING
    if not args.yes and not sys.stdin.isatty():
        printer.note("stdin is not a terminal: pass --yes to apply without asking.")
        return 2
    chosen: list[str] = []
    for change in files:
        if not args.yes:
            _print_diff(unified_diff(change))
            answer = await read_answer(f"Apply the changes to {change.path}? [y/N/q] ")
            if answer.strip().lower().startswith("q"):
                break
            if not answer.strip().lower().startswith("y"):
                continue
        for index, hunk in enumerate(change.hunks):
            if hunk.decision == "pending" and not hunk.problem:
                controller.changes.staging.decide(change.path, index, "accepted")
        chosen.append(change.path)
    if not chosen:
        printer.note("Nothing applied.")
        return NOTHING
    try:
        result = await controller.changes.apply_changes(chosen)
    except (ToolError, OSError) as error:
        printer.note(f"workbench: nothing was written: {error}")
        return REFUSED
    if result.entry is None:
        printer.note(result.message)
        return REFUSED if result.review_again else NOTHING
    printer.note(
        f"Applied to {len(result.written)} file(s): {', '.join(result.written)} "
        f"(journal entry {result.entry.id}; `workbench undo` reverts it)."
    )
    if result.message:
        printer.note(result.message)
    return 0


async def undo_last(
    controller: SessionController, args: argparse.Namespace, printer: ReplyPrinter
) -> int:
    """Undo the session's last apply."""
    from workbench.apply.journal import NothingToUndo, UndoRefused
    from workbench.project.files import ToolError

    try:
        result = await controller.changes.undo_apply()
    except NothingToUndo:
        printer.note("Nothing to undo: no apply in this session is left to revert.")
        return NOTHING
    except (UndoRefused, ToolError) as error:
        printer.note(f"workbench: {error}")
        return REFUSED
    paths = result.entry.paths
    were = "it was" if len(paths) == 1 else "they were"
    printer.note(f"Restored {', '.join(paths)} as {were} before apply {result.entry.id}.")
    if result.message:
        printer.note(result.message)
    return 0
