"""The review before the slow send: the exact payload, its size, the model, and what to fix."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from workbench.clipboard import copy_text
from workbench.screens.framed_modal import FramedModal
from workbench.spec.payload import Payload, ReadinessWarning


@dataclass(frozen=True)
class SendEstimate:
    """What the review shows about the target model."""

    model: str
    tier: str
    context_window: int | None
    tok_per_s: float | None
    seconds: float | None
    cost_usd: float | None
    version: int
    """The number the spec will be saved under when sent."""

    def summary(self, payload: Payload) -> str:
        """One line: size, window, time, cost."""
        parts = [f"~{payload.total_tokens:,} tokens in"]
        if self.context_window:
            share = payload.total_tokens / self.context_window
            parts.append(f"context window {self.context_window:,} ({share:.0%} used)")
        else:
            parts.append("context window unknown")
        if self.seconds is not None and self.tok_per_s:
            parts.append(f"reply ~{self.seconds:.0f} s at {self.tok_per_s:.0f} tok/s (measured)")
        else:
            parts.append("reply time unknown (no earlier reply from this model)")
        if self.cost_usd is not None:
            parts.append(f"~${self.cost_usd:.3f}")
        return " · ".join(parts)


def payload_text(payload: Payload) -> str:
    """The payload as one text, part by part (what Copy puts on the clipboard)."""
    system, turns = payload.messages()
    chunks = [f"[system]\n{system}"] if system else []
    chunks += [f"[{turn.role}]\n{turn.content}" for turn in turns]
    return "\n\n".join(chunks)


class SendReviewModal(FramedModal[bool]):
    """Shows exactly what the quality model will get; Enter sends, Escape goes back."""

    DEFAULT_CSS = """
    SendReviewModal {
        & .review-title { text-style: bold; }
        & .review-summary { color: $text-muted; margin: 0 0 1 0; }
        & .review-warning { color: $warning; }
        & .review-ready { color: $success; }
        & #payload { height: 1fr; border: round $border-blurred; margin: 1 0 0 0; }
        & .part-header { color: $accent; text-style: bold; margin: 1 0 0 0; }
        & .part-text { padding: 0 1; }
        & #review-buttons { height: auto; width: 100%; align-horizontal: right; }
        & Button { margin: 0 0 0 1; }
    }
    """

    BINDINGS = [
        Binding("enter", "send", "Send", tooltip="Send this payload to the model"),
        Binding("escape", "back", "Back to editing", tooltip="Close and keep editing the spec"),
        Binding("c", "copy", "Copy payload", tooltip="Copy the exact payload"),
    ]

    def __init__(
        self, payload: Payload, estimate: SendEstimate, warnings: list[ReadinessWarning]
    ) -> None:
        super().__init__()
        self.payload = payload
        self.estimate = estimate
        self.warnings = warnings

    def compose(self) -> ComposeResult:
        estimate = self.estimate
        with Vertical():
            yield Static(
                Content(f"Send spec v{estimate.version} to {estimate.model} ({estimate.tier})"),
                classes="review-title",
            )
            yield Static(Content(estimate.summary(self.payload)), classes="review-summary")
            if self.warnings:
                for warning in self.warnings:
                    yield Static(Content(f"⚠ {warning.message}"), classes="review-warning")
            else:
                yield Static(Content("✓ No warnings."), classes="review-ready")
            with VerticalScroll(id="payload"):
                for part in self.payload.parts:
                    if not part.text:
                        continue
                    header = f"{part.name} · ~{part.tokens:,} tokens"
                    yield Static(Content(header), classes="part-header")
                    yield Static(Content(part.text), classes="part-text")
            with Horizontal(id="review-buttons"):
                yield Button(Content("Copy payload (c)"), id="copy")
                yield Button(Content("Back (esc)"), id="back")
                yield Button(Content("Send (enter)"), id="send", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#send", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"send": self.action_send, "back": self.action_back, "copy": self.action_copy}[
            event.button.id or "back"
        ]()

    def action_send(self) -> None:
        """Send it."""
        self.dismiss(True)

    def action_back(self) -> None:
        """Keep editing."""
        self.dismiss(False)

    def action_copy(self) -> None:
        """Copy the exact payload."""
        copy_text(self.app, payload_text(self.payload), "the payload")
