"""`workbench ask` and `workbench send`: a session's chats from the shell.

`ask` sends a question in the Explore (or Implement) chat, `send` reviews the spec and, with
`--yes`, sends it to the Implement model. Both go through the session's `SessionController`,
the core the screen uses, so what is sent (history, `@path` files, the Explore tools), the
fallback and consent rules and what is saved are the app's: the turn is in the session when the
app reopens it. This module picks the session and the model; `cli_reply` follows the reply.
Core module: never imports textual.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.config import ConfigProblem, ModelRef, Settings, models_for_pane
from workbench.session.model import CHAT_PANES, Pane, as_chat_pane

if TYPE_CHECKING:
    from workbench.controller import SendPlan, SessionController
    from workbench.reply_printer import ReplyPrinter
    from workbench.session.store import Session, SessionStore

# The conversation machinery is imported by the commands that run it, not when the parser is
# built: `workbench keys` or `config` need not load it.


class CommandError(Exception):
    """The command cannot go on; the message says why, `code` is the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `ask` and `send` to the `workbench` command."""
    ask = commands.add_parser(
        "ask",
        help="ask a question in a session's chat and print the reply (Explore by default)",
        description="Ask through the conversation the app uses (tools, @path files, "
        "fallbacks) and save the turn in the session. The answer goes to stdout; tool steps, "
        "notes and warnings to stderr. Exit 0 answered, 1 failed or not sent, 130 on Ctrl+C.",
    )
    ask.add_argument("question", nargs="+", help='the question; "-" reads it from stdin')
    which = ask.add_mutually_exclusive_group()
    which.add_argument("--session", metavar="ID", help="ask in this session (id, prefix, path)")
    which.add_argument(
        "-c",
        "--continue",
        dest="continue_session",
        action="store_true",
        help="ask in the project's most recent session",
    )
    ask.add_argument("--pane", choices=CHAT_PANES, default="explore", help="the chat to ask in")
    ask.add_argument(
        "-m", "--model", metavar="MODEL", help="the model to ask (default: the pane's)"
    )
    add_common(ask)
    send = commands.add_parser(
        "send",
        help="review the spec's send (parts, tokens, model, warnings); --yes sends it",
        description="Print what sending the session's spec to the Implement model would send "
        "and who would answer; with --yes, send it and print the reply like `ask`.",
    )
    send.add_argument("--session", metavar="ID", help="default: the project's most recent one")
    send.add_argument("--yes", action="store_true", help="send it after printing the review")
    add_common(send)


def add_common(parser: argparse.ArgumentParser) -> None:
    """--project and --json."""
    parser.add_argument(
        "--project",
        dest="command_project",  # not "project": that would hide `workbench --project DIR ask`
        metavar="DIR",
        help="the project (default: the current directory)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per event on stdout")


def start(args: argparse.Namespace, problems: list[ConfigProblem]) -> ReplyPrinter:
    """The printer for this command's output, after the config's problems (as warnings)."""
    from workbench.reply_printer import ReplyPrinter

    printer = ReplyPrinter(json_lines=args.json)
    for problem in problems:
        printer.note(f"warning: {problem}")
    return printer


def run_ask(args: argparse.Namespace, settings: Settings, problems: list[ConfigProblem]) -> int:
    """`workbench ask`: its exit code."""
    from workbench.chat.conversation import ConversationError
    from workbench.cli_reply import follow, run_in_session, saved_line
    from workbench.session.store import SessionStore

    printer = start(args, problems)
    question = sys.stdin.read() if args.question == ["-"] else " ".join(args.question)
    if not question.strip():
        printer.error("the question is empty")
        return 2
    pane = as_chat_pane(args.pane) or "explore"
    store = SessionStore()
    try:
        project = project_dir(args)
        if args.session:
            session = open_session(store, args.session)
        elif args.continue_session or args.resume:
            latest = latest_session(store, project)
            if latest is None:
                printer.note(f"No session about {project} to continue: starting a new one.")
            session = latest or new_session(store, settings, project)
        else:
            session = new_session(store, settings, project)
    except CommandError as error:
        printer.error(str(error))
        return error.code
    printer.extra = {"session": session.id, "pane": pane}

    async def ask(controller: SessionController) -> int:
        conversation = controller.conversation(pane)
        if args.model:  # for this question only, like a pick that is not saved
            conversation.model = named_model(settings, pane, args.model)
        try:
            reply = conversation.send(question)
        except ConversationError as error:
            printer.error(str(error))
            return 1
        return await follow(reply, printer, session)

    try:
        code = run_in_session(session, settings, printer, ask)
    finally:
        session.close()
    printer.note(saved_line(session))
    return code


def run_send(args: argparse.Namespace, settings: Settings, problems: list[ConfigProblem]) -> int:
    """`workbench send`: its exit code."""
    from workbench.chat.conversation import ConversationError
    from workbench.cli_reply import follow, run_in_session, saved_line
    from workbench.controller import SendRefused
    from workbench.session.store import SessionStore

    printer = start(args, problems)
    store = SessionStore()
    try:
        if args.session:
            session = open_session(store, args.session)
        else:
            project = project_dir(args)
            latest = latest_session(store, project)
            if latest is None:
                raise CommandError(
                    f"no session about {project} yet: write a spec with `workbench`, or pass "
                    "--session ID (`workbench sessions` lists them)."
                )
            session = latest
    except CommandError as error:
        printer.error(str(error))
        return error.code
    printer.extra = {"session": session.id, "pane": "implement"}

    async def send(controller: SessionController) -> int:
        if controller.implement.model.provider == "ollama":
            await controller.monitor.poll()  # who will answer depends on what is installed
        try:
            plan = await controller.prepare_send(session.read_spec())
        except SendRefused as error:
            printer.error(str(error))
            return 1
        show_review(plan, session, printer, to_stderr=args.yes)
        if not args.yes:
            if not args.json:
                print("\nNot sent: run `workbench send --yes` to send it.")
            return 0
        try:
            reply = controller.commit_send(plan)
        except (OSError, ConversationError) as error:
            printer.error(f"not sent: {error}")
            return 1
        code = await follow(reply, printer, session)
        printer.note(saved_line(session))
        return code

    try:
        return run_in_session(session, settings, printer, send)
    finally:
        session.close()


def show_review(
    plan: SendPlan, session: Session, printer: ReplyPrinter, *, to_stderr: bool
) -> None:
    """The send review: what is sent (parts and tokens), to whom, and what to fix first."""
    from workbench.reply_printer import can_encode
    from workbench.textclean import sanitize

    estimate, payload = plan.estimate, plan.payload
    if printer.json_lines:
        printer.record(
            {
                "type": "review",
                "session": session.id,
                "version": estimate.version,
                "model": estimate.model,
                "tier": estimate.tier,
                "parts": [{"name": p.name, "tokens": p.tokens} for p in payload.parts if p.text],
                "total_tokens": payload.total_tokens,
                "context_window": estimate.context_window,
                "tok_per_s": estimate.tok_per_s,
                "seconds": estimate.seconds,
                "cost_usd": estimate.cost_usd,
                "cost_min_usd": estimate.cost_min_usd,
                "cost_max_usd": estimate.cost_max_usd,
                "max_tokens": estimate.max_tokens,
                "warnings": [{"code": w.code, "message": w.message} for w in plan.warnings],
                "not_attached": list(plan.problems),
            }
        )
        return
    out = sys.stderr if to_stderr else sys.stdout
    warn, ok = ("⚠", "✓") if can_encode(out, "⚠✓") else ("!", "ok:")
    parts = [(p.name, p.tokens) for p in payload.parts if p.text]
    parts.append(("Total", payload.total_tokens))
    width = max(len(name) for name, _tokens in parts)
    lines = [
        f"Send spec v{estimate.version} to {estimate.model} ({estimate.tier})",
        f"Session {session.id}: {session.meta.title}",
        estimate.summary(payload),
        "",
        *(f"  {name.ljust(width)}  ~{tokens:,} tokens" for name, tokens in parts),
        "",
        *(f"{warn} {w.message}" for w in plan.warnings),
        *(f"{warn} Not attached: {problem}" for problem in plan.problems),
    ]
    if not plan.warnings and not plan.problems:
        lines.append(f"{ok} No warnings.")
    if to_stderr:
        printer.note("\n".join(lines))  # stdout is for the answer
    else:
        print(sanitize("\n".join(lines)), file=out)  # the title and warnings quote the spec


def project_dir(args: argparse.Namespace) -> Path:
    """The project the command is about: --project (after the command or before it), or here."""
    project = Path(args.command_project or args.project or Path.cwd()).expanduser().resolve()
    if not project.is_dir():
        raise CommandError(f"{project} is not a directory", 2)
    return project


def open_session(store: SessionStore, ref: str | Path) -> Session:
    """Open (and lock) a session; a `CommandError` saying why it cannot be."""
    from workbench.session.store import SessionError, SessionLockedError

    try:
        return store.open(ref)
    except SessionLockedError as error:
        who = f" (pid {error.pid})" if error.pid else ""
        raise CommandError(
            f"session {error.session_id} is open in a running workbench{who}. Close it there "
            "(or use it there), then run this again."
        ) from None
    except SessionError as error:
        raise CommandError(str(error)) from None


def latest_session(store: SessionStore, project: Path) -> Session | None:
    """The most recently used session about `project`, opened; None when there is none."""
    about = [s for s in store.list() if s.project_dir == project]
    return open_session(store, about[0].folder) if about else None


def new_session(store: SessionStore, settings: Settings, project: Path) -> Session:
    """A new session about `project`, its spec from the default template."""
    from workbench.spec.templates import template_for_new_session

    template, _problems = template_for_new_session(settings.default_template)
    try:
        return store.create(project, template.render())
    except OSError as error:
        raise CommandError(f"cannot create a session in {store.root}: {error}") from None


def named_model(settings: Settings, pane: Pane, name: str) -> ModelRef:
    """The model the user named: of the tier that lists it (the pane's first), else an Ollama
    model of the pane's own tier (fast for Explore, quality for Implement)."""
    for ref in models_for_pane(settings, pane):
        if ref.name == name:
            return ref
    for tier, spec in settings.tiers.items():
        if name in spec.models:
            return ModelRef(spec.provider, name, tier)
    return ModelRef("ollama", name, "fast" if pane == "explore" else "quality")
