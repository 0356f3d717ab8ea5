"""Asks before a prompt meant for a local model leaves the machine for Claude (fallback)."""

from __future__ import annotations

from typing import Literal

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Footer, Static

from workbench.chat.events import ConsentRequest
from workbench.config import ModelRef
from workbench.providers.chain import Attempt
from workbench.screens.framed_modal import FramedModal

Answer = Literal["once", "session", "no"]


def consent_text(candidate: ModelRef, attempts: tuple[Attempt, ...], tokens: int | None) -> str:
    """What the dialog says: what failed, where the prompt would go, and what it contains."""
    failed = "\n".join(f"  • {a.model.name}: {a.reason}" for a in attempts)
    size = f" (about {tokens:,} tokens)" if tokens else ""
    return (
        f"The local models could not answer:\n{failed}\n\n"
        f"The next model in the fallback chain is {candidate.name}, on Anthropic's servers. "
        f"Sending to it takes your prompt and the conversation it belongs to{size} off this "
        "machine, and is billed to your API key.\n\n"
        "y sends it this once · a allows it for the rest of this session · n or Escape keeps "
        "the prompt here, marked not sent, to retry later."
    )


class CloudConsentModal(FramedModal[Answer]):
    """y: send this once, a: always in this session, n / Escape: do not send."""

    DEFAULT_CSS = """
    CloudConsentModal {
        & > Vertical { width: 84; height: auto; border: round $warning; }
        & .consent-title { text-style: bold; color: $warning; padding: 0 0 1 0; }
        & .consent-text { padding: 0 0 1 0; }
        & Footer { dock: none; }
    }
    """

    BINDINGS = [
        Binding("y", "answer('once')", "Send once", tooltip="Send this prompt to Claude"),
        Binding(
            "a",
            "answer('session')",
            "Always this session",
            tooltip="Send, and let later fallbacks in this session go to Claude without asking",
        ),
        Binding(
            "n,escape", "answer('no')", "Don't send", tooltip="Keep the prompt on this machine"
        ),
    ]

    def __init__(
        self, candidate: ModelRef, attempts: tuple[Attempt, ...], *, tokens: int | None = None
    ) -> None:
        super().__init__()
        self.candidate = candidate
        self.attempts = attempts
        self.tokens = tokens

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(f"Send to {self.candidate.name}?"), classes="consent-title")
            text = consent_text(self.candidate, self.attempts, self.tokens)
            yield Static(Content(text), classes="consent-text")
            yield Footer()

    @classmethod
    def ask(cls, app: App[object], request: ConsentRequest) -> None:
        """Ask about `request` and answer it; withdrawn with the reply, the question goes."""
        modal = cls(request.model, request.attempts, tokens=request.tokens)

        def withdrawn(_future: object) -> None:
            # Only if it is on top: dismissing pops whatever screen is.
            if request.future.cancelled() and app.screen is modal:
                modal.dismiss(None)

        request.future.add_done_callback(withdrawn)
        app.push_screen(modal, lambda answer: request.answer(answer or "no"))

    def action_answer(self, answer: Answer) -> None:
        """Close with the user's answer."""
        self.dismiss(answer)
