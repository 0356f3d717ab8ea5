"""The `workbench` command: sessions, config, `doctor` (check the set-up), `pull` (models),
`ask` / `send` (a session's chats from the shell), `changes` / `apply` / `undo` (the
Implement reply's edits) and `check` (the project's checks)."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.config import ConfigProblem, Settings
    from workbench.session.store import Session, SessionStore


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Explore with a fast model, review into a spec, implement with a slow one.",
    )
    parser.add_argument(
        "--continue",
        dest="resume",
        action="store_true",
        help="reopen the most recently used session",
    )
    parser.add_argument(
        "--template",
        metavar="NAME",
        help="the spec template a new session starts from (feature, bugfix, refactor, or yours)",
    )
    parser.add_argument(
        "--project",
        metavar="DIR",
        help="the project a new session is about (default: the current directory)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    open_cmd = commands.add_parser(
        "open",
        help="reopen a session by id or folder, or edit any context.md in place",
    )
    open_cmd.add_argument("ref", metavar="ID|PATH")
    open_cmd.add_argument(
        "--repair",
        action="store_true",
        help="rebuild a damaged session.json from what the session's folder holds (the "
        "damaged file is kept as session.json.damaged), then open the session",
    )
    open_cmd.add_argument(
        "--project",
        dest="open_project",
        metavar="DIR",
        help="with --repair: the project the session is about, when the damaged file does not say",
    )
    commands.add_parser("sessions", help="list sessions (id, title, updated, message counts)")
    commands.add_parser("config", help="print the config file's path and the effective settings")
    export_cmd = commands.add_parser(
        "export", help="write a session (spec, versions sent, both chats) as one markdown file"
    )
    export_cmd.add_argument("ref", metavar="ID|PATH")
    export_cmd.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE instead of printing it"
    )
    doctor_cmd = commands.add_parser(
        "doctor",
        help="check the config, the Ollama server, the tiers' models, the Anthropic API and "
        "the data folder, and say how to fix what is wrong",
        description="Check the set-up; every problem names the URL or file concerned and the "
        "fix. Nothing is generated unless --deep is given.",
    )
    doctor_cmd.add_argument(
        "--deep",
        action="store_true",
        help="also send a one-token chat to the first model of each Ollama tier (this may "
        "load the models) and report the time or the error",
    )
    doctor_cmd.add_argument(
        "--cloud",
        action="store_true",
        help="with --deep (implied), probe the Anthropic tiers too: this sends a short prompt "
        "to the API and is billed (one output token per tier)",
    )
    pull_cmd = commands.add_parser(
        "pull",
        help="download the Ollama models the tiers need (those not installed yet)",
        description="Download Ollama models: the ones named, or tier T's, or by default those "
        "of every Ollama tier. Installed models are skipped; Ctrl+C stops cleanly.",
    )
    pull_cmd.add_argument("--tier", metavar="T", help="pull the models of this tier")
    pull_cmd.add_argument("models", nargs="*", metavar="MODEL", help="model names to pull")
    commands.add_parser(
        "keys", help="list the key bindings' ids and default keys (for [keys] in the config)"
    )
    from workbench.cli_ask import add_parsers as add_ask_and_send

    add_ask_and_send(commands)
    from workbench.cli_apply import add_parsers as add_changes_apply_undo

    add_changes_apply_undo(commands)
    from workbench.cli_check import add_parser as add_check

    add_check(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script and `python -m workbench`."""
    args = build_parser().parse_args(argv)

    from workbench.config import load_settings
    from workbench.config_file import format_settings
    from workbench.session.store import SessionError, SessionStore, format_sessions

    settings, config_problems = load_settings()
    problems: list[ConfigProblem | str] = list(config_problems)

    # Before the session store: these must work even when the data folder does not.
    if args.command == "keys":
        from workbench.keys import keys_help

        print(keys_help(), end="")
        return 0
    if args.command == "doctor":
        return doctor(settings, problems, deep=args.deep or args.cloud, cloud=args.cloud)
    if args.command == "pull":
        from workbench.pull import run_pull

        return run_pull(settings, args.tier, args.models)
    if args.command == "ask":
        from workbench.cli_ask import run_ask

        return run_ask(args, settings, config_problems)
    if args.command == "send":
        from workbench.cli_ask import run_send

        return run_send(args, settings, config_problems)

    if args.command in ("changes", "apply", "undo"):
        from workbench.cli_apply import run_changes_command

        return run_changes_command(args, settings, config_problems)
    if args.command == "check":
        from workbench.cli_check import run_check_command

        return run_check_command(args, settings, config_problems)

    store = SessionStore()

    if args.command == "config":
        print(format_settings(settings, config_problems))
        return 0
    if args.command == "sessions":
        summaries = store.list()
        if summaries or store.unreadable:
            print(format_sessions(summaries, store.unreadable), end="")
        else:
            print("No sessions yet: run `workbench`.")
        for warning in store.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return 0

    if args.command == "export":
        return export(store, args.ref, args.output)

    session: Session | None = None
    notices: list[str] = []
    try:
        if args.command == "open":
            if args.repair:
                repair_session(store, args.ref, args.open_project or args.project)
            session = store.open(args.ref, view_if_not_writable=True)
        elif args.resume:
            session, notices = continue_last(store)
        if session is None:
            from workbench.spec.templates import template_for_new_session

            project = Path(args.project or Path.cwd()).resolve()
            if not project.is_dir():
                print(f"workbench: {project} is not a directory", file=sys.stderr)
                return 2
            template, template_problems = template_for_new_session(
                args.template or settings.default_template
            )
            problems = [*problems, *template_problems]
            session = store.create(project, template.render())
    except SessionError as error:
        print(f"workbench: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # from create: the sessions folder cannot be written
        print(cannot_create(store.root, error), file=sys.stderr)
        return 1
    session.warnings.extend(notices)

    from workbench.app import WorkbenchApp

    app = WorkbenchApp(settings, session, store=store, problems=problems)
    # Drawing makes many short-lived objects; with the default thresholds full collections
    # ran about every 0.7 s while streaming and each froze the UI for 0.2-0.3 s (bench/).
    gc.set_threshold(2000, 10, 1000)
    app.run()
    session = app.session  # the user may have switched sessions inside the app
    session.close()
    if app.return_code:
        print(f"workbench stopped on an error. Session folder: {session.folder}", file=sys.stderr)
        return app.return_code
    if session.readonly:
        print(f"Session {session.id} was open read-only: nothing was saved. ({session.folder})")
    elif discard_if_untouched(session):
        print("Nothing was typed: the empty session was not kept.")
    else:
        print(f"Session saved: {session.folder}  (reopen with: workbench open {session.meta.id})")
    return 0


def continue_last(store: SessionStore) -> tuple[Session | None, list[str]]:
    """`--continue`: the most recent readable session (None: start a new one), and what to
    tell the user about newer sessions it skipped, already printed to stderr.

    The notices are also meant for the app (as session warnings): with a message only in the
    terminal, a session that cannot be read would seem to have vanished. A session whose folder
    cannot be written is opened read-only (the app says so).
    """
    from workbench.textclean import sanitize

    session = store.last(view_if_not_writable=True)
    notices = [skipped.continue_notice() for skipped in store.skipped]
    if notices:
        notices.append(
            f"Opened the next most recent session instead: {session.meta.title} ({session.id})."
            if session is not None
            else "Started a new session instead."
        )
    elif session is None:
        print("No session to continue yet: starting a new one.", file=sys.stderr)
    notices = [sanitize(notice) for notice in notices]  # folder names are anyone's bytes
    for notice in notices:
        print(f"workbench: {notice}", file=sys.stderr)
    return session, ["\n".join(notices)] if notices else []


def repair_session(store: SessionStore, ref: str, project: str | None) -> None:
    """`open --repair`: rebuild the session's damaged session.json and say what was rebuilt."""
    from workbench.session.repair import repair
    from workbench.session.store import SessionError

    found = store.find(ref)
    if not isinstance(found, Path):
        raise SessionError(
            f"{ref} is a spec file that no session edits: there is nothing to repair"
        )
    try:
        done = repair(found, Path(project).expanduser() if project else None)
    except OSError as error:
        raise SessionError(
            f"Could not repair session {found.name}: {error.strerror or error} "
            f"({error.filename or found})"
        ) from None
    kept = f" The damaged file is kept as {done.kept}." if done.kept else ""
    print(
        f"workbench: rebuilt {found / 'session.json'}: title {done.meta.title!r}, project "
        f"{done.meta.project_dir} (from {done.project_from}).{kept} The models and unsent "
        "input are chosen afresh.",
        file=sys.stderr,
    )


def cannot_create(root: Path, error: OSError) -> str:
    """Why no new session could be made in `root`, and what to do."""
    import errno

    why = {
        errno.EROFS: "it is on a read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOSPC: "the disk is full",
    }.get(error.errno or 0, error.strerror or str(error))
    return (
        f"workbench: cannot create a session in {root}: {why}.\n"
        f"Make {root} writable, or point WORKBENCH_DATA_DIR at a writable folder (the "
        "sessions then go in its sessions/ folder)."
    )


def doctor(
    settings: Settings, problems: list[ConfigProblem | str], *, deep: bool, cloud: bool
) -> int:
    """`workbench doctor [--deep [--cloud]]`: print every check; exit 1 if one failed."""
    import asyncio

    from workbench.doctor import can_encode_marks, exit_code, format_checks, run_checks

    if deep:
        print(
            f"Sending a one-token chat to {'every' if cloud else 'each Ollama'} tier's first "
            "model (this may load models)...",
            file=sys.stderr,
            flush=True,
        )
    try:
        checks = asyncio.run(run_checks(settings, problems, deep=deep, cloud=cloud))
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return 130
    print(format_checks(checks, ascii_only=not can_encode_marks(sys.stdout.encoding)))
    return exit_code(checks)


def export(store: SessionStore, ref: str, output: str | None) -> int:
    """`workbench export`: the session as markdown, to stdout or atomically to a file."""
    from workbench.export import export_session
    from workbench.session.store import SessionError, atomic_write

    try:
        # Read-only: no lock is taken, so a session open in a running workbench exports too.
        with store.open(ref, readonly=True) as session:
            text = export_session(session)
    except SessionError as error:
        print(f"workbench: {error}", file=sys.stderr)
        return 1
    if output is None:
        sys.stdout.write(text)
        return 0
    path = Path(output).expanduser()
    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as error:
        print(f"workbench: cannot write {path}: {error}", file=sys.stderr)
        return 1
    print(f"Exported session {session.id} to {path}")
    return 0


def discard_if_untouched(session: Session) -> bool:
    """Remove a session of our own that holds nothing but the blank template."""
    import shutil

    from workbench.spec.templates import is_blank_template

    if session.meta.spec_path is not None or not is_blank_template(session.read_spec()):
        return False
    if session.explore.count() or session.implement.count() or session.meta.drafts:
        return False
    shutil.rmtree(session.folder, ignore_errors=True)
    return True


if __name__ == "__main__":
    sys.exit(main())
