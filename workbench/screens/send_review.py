"""The review before the slow send: the exact payload, its size, the model, and what to fix."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from workbench.clipboard import copy_text
from workbench.screens.framed_modal import FramedModal
from workbench.spec.estimate import SendEstimate, payload_text
from workbench.spec.payload import Payload, ReadinessWarning

__all__ = ["SendEstimate", "SendReviewModal", "payload_text"]


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
        self,
        payload: Payload,
        estimate: SendEstimate,
        warnings: list[ReadinessWarning],
        *,
        title: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        """What is sent, when it is not a spec version (a follow-up)."""
        self.payload = payload
        self.estimate = estimate
        self.warnings = warnings

    def compose(self) -> ComposeResult:
        estimate = self.estimate
        with Vertical():
            yield Static(
                Content(
                    f"Send {self.title_text or f'spec v{estimate.version}'} to "
                    f"{estimate.model} ({estimate.tier})"
                ),
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
        if self.title_text:  # a follow-up: what is new is its last part
            self.call_after_refresh(self._show_last_part)

    def _show_last_part(self) -> None:
        headers = self.query(".part-header")
        if headers:
            headers.last().scroll_visible(top=True, animate=False)

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
