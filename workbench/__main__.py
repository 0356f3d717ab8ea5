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
        print(format_sessions(summaries) if summaries else "No sessions yet: run `workbench`.")
        for warning in store.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return 0

    if args.command == "export":
        return export(store, args.ref, args.output)

    session: Session | None = None
    try:
        if args.command == "open":
            session = store.open(args.ref)
        elif args.resume:
            session = store.last()
            if session is None:
                print("No session to continue yet: starting a new one.", file=sys.stderr)
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
    if discard_if_untouched(session):
        print("Nothing was typed: the empty session was not kept.")
    else:
        print(f"Session saved: {session.folder}  (reopen with: workbench open {session.meta.id})")
    return 0


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
