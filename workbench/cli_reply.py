"""A reply followed from the shell: printed as it arrives, consent asked at the terminal.

Shared by `workbench ask` and `workbench send`. The session's `SessionController` (the core the
screen uses) sends; this module prints the events, answers consent requests, turns Ctrl+C into a
stop that saves what arrived, and maps how the turn ended to an exit code.
Core module: never imports textual.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from workbench.chat.events import ConsentAnswer, ConsentRequest, Ended, TurnStatus
from workbench.chat.reply import Reply
from workbench.config import ModelRef, Settings
from workbench.controller import SessionController
from workbench.providers.base import ProviderError
from workbench.providers.router import ProviderRouter
from workbench.reply_printer import ReplyPrinter, is_terminal
from workbench.session.store import Session

INTERRUPTED = 130
"""Exit code after Ctrl+C (128 + SIGINT), as shells expect."""
CONSENT_QUESTION = (
    "Send to {model} on Anthropic's servers? [y]es once / [a]lways this session / [N]o "
)
ANSWERS: dict[str, ConsentAnswer] = {
    "y": "once",
    "yes": "once",
    "a": "session",
    "always": "session",
}
"""What can be typed at the consent question; anything else (Enter) is no."""
UNASKED = (
    "sending it off this machine needs your consent, and this shell cannot give it (stdin or "
    "stderr is not a terminal). Ask from a terminal, or set `fallback_without_asking = true` "
    "under [anthropic] in the config."
)


def run_in_session(
    session: Session,
    settings: Settings,
    printer: ReplyPrinter,
    work: Callable[[SessionController], Coroutine[Any, Any, int]],
) -> int:
    """Run `work` with the session's controller on a new event loop; its exit code.

    Ctrl+C cancels `work`, which stops its reply (see `follow`); a second one gives up waiting.
    """

    async def main() -> int:
        router = ProviderRouter(settings)
        # Consent requests always come to `ConsentAnswerer`, which can say why it declined one.
        controller = SessionController(session, settings, router, can_ask_consent=True)
        try:
            for warning in controller.load():
                printer.note(f"warning: {warning}")
            project = Path(session.meta.project_dir)
            if not project.is_dir():
                printer.note(f"warning: the session's project {project} no longer exists.")
            return await work(controller)
        finally:
            controller.monitor.close()
            await router.aclose()

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return INTERRUPTED


async def read_answer(question: str) -> str:
    """Ask on stderr and read one line from the terminal, without blocking the reply."""
    sys.stderr.write(question)
    sys.stderr.flush()
    loop = asyncio.get_running_loop()
    line: asyncio.Future[str] = loop.create_future()
    fd = sys.stdin.fileno()

    def readable() -> None:
        if not line.done():
            line.set_result(sys.stdin.readline())

    loop.add_reader(fd, readable)
    try:
        return await line
    finally:
        loop.remove_reader(fd)


def terminal_can_answer() -> bool:
    """True when someone at a terminal can answer a question (stdin and stderr are one)."""
    return is_terminal(sys.stdin) and is_terminal(sys.stderr)


class ConsentAnswerer:
    """Answers consent requests: asks at a terminal, declines (and says why) elsewhere."""

    def __init__(self, printer: ReplyPrinter, ask: Callable[[str], Awaitable[str]] | None) -> None:
        self.printer = printer
        self.ask = ask
        """Asks the user a question and returns the line typed; None when nobody can answer."""
        self.declined_unasked: ModelRef | None = None
        """The cloud model a fallback would have gone to, had anyone been able to say yes."""

    async def answer(self, request: ConsentRequest) -> None:
        """Answer `request` (the reply waits for it)."""
        if self.ask is None:
            self.declined_unasked = request.model
            request.answer("no")
            self.printer.consent(request, "no", asked=False)
            return
        failed = "; ".join(f"{a.model.name}: {a.reason}" for a in request.attempts)
        self.printer.note(
            f"The local models could not answer ({failed}). Sending to {request.model.name} "
            f"takes your prompt and its conversation (about {request.tokens:,} tokens) off "
            "this machine, billed to your API key."
        )
        typed = await self.ask(CONSENT_QUESTION.format(model=request.model.name))
        choice = ANSWERS.get(typed.strip().lower(), "no")
        request.answer(choice)
        self.printer.consent(request, choice, asked=True)

    def explained(self, end: Ended) -> Ended:
        """`end`, its error saying why nobody was asked when a fallback was declined here."""
        declined = self.declined_unasked
        if declined is None or end.error is None:
            return end
        chosen = "you chose to keep the prompt on this machine."
        message = end.error.message
        message = (
            message.replace(chosen, UNASKED)
            if chosen in message
            else f"{message}\n\nNot sent to {declined.name}: {UNASKED}"
        )
        return replace(end, error=ProviderError(end.error.kind, message))


async def follow(reply: Reply, printer: ReplyPrinter, session: Session) -> int:
    """Print a reply to its end; the exit code. Ctrl+C stops it and saves what arrived."""
    consent = ConsentAnswerer(printer, read_answer if terminal_can_answer() else None)
    try:
        async for event in reply:
            if isinstance(event, ConsentRequest):
                await consent.answer(event)
            elif isinstance(event, Ended):
                printer.show(consent.explained(event))
            else:
                printer.show(event)
    except asyncio.CancelledError:  # Ctrl+C: asyncio.run cancelled this task
        reply.cancel("Stopped by you (Ctrl+C)")
        end = await reply.wait()
        printer.show(end)
        if end.status is TurnStatus.INTERRUPTED:
            printer.note("Stopped: the part that arrived is saved.")
        else:
            printer.note(f"Stopped before any reply arrived. {retry_hint(session)}")
        return INTERRUPTED
    assert reply.outcome is not None  # `Ended` came last
    return exit_code(consent.explained(reply.outcome), printer, session)


def retry_hint(session: Session) -> str:
    """How to send a prompt that got no reply again."""
    return (
        f"The prompt is kept in session {session.id}: `workbench open {session.id}`, then r on "
        "it sends it again."
    )


def exit_code(end: Ended, printer: ReplyPrinter, session: Session) -> int:
    """0 answered (or cut at the token limit), 1 failed or not sent; the reason on stderr."""
    if end.status is TurnStatus.CUT:
        printer.note(f"note: {end.reply.note if end.reply else 'cut at the token limit'}")
        return 0
    if end.status is TurnStatus.ANSWERED:
        return 0
    if end.error is None:  # stopped
        return INTERRUPTED
    printer.error(end.error.message)
    if end.reply is not None:
        printer.note("The part that arrived is saved.")
    if end.status.retryable:
        printer.note(retry_hint(session))
    return 1


def saved_line(session: Session) -> str:
    """Where the turn is, and how to see it in the app."""
    return f"saved in session {session.id}; reopen with: workbench open {session.id}"
