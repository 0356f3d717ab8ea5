"""The spec versions sent so far: a diff between any two (or the current spec), and re-send."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from workbench.screens.framed_modal import FramedModal
from workbench.spec.versions import SpecVersions, diff


class VersionsModal(FramedModal[int | None]):
    """Diff of two spec versions; ←/→ pick the older one, [/] the newer, r re-sends the older."""

    DEFAULT_CSS = """
    VersionsModal {
        & .versions-title { text-style: bold; }
        & .versions-help { color: $text-muted; margin: 0 0 1 0; }
        & #diff { height: 1fr; }
        & .diff-line { width: 1fr; }
        & .-add { color: $success; }
        & .-del { color: $error; }
        & .-hunk { color: $accent; }
        & .-file { color: $text-muted; }
    }
    """

    BINDINGS = [
        Binding("left", "step_old(-1)", "Older", tooltip="Compare from an older version"),
        Binding("right", "step_old(1)", "Newer", tooltip="Compare from a newer version"),
        Binding("[", "step_new(-1)", "To older", tooltip="Compare to an older version"),
        Binding(
            "]", "step_new(1)", "To newer", tooltip="Compare to a newer one or the current spec"
        ),
        Binding("r", "resend", "Re-send", tooltip="Send the older version of the two again"),
        Binding("escape", "close", "Close", tooltip="Back to the workbench"),
    ]

    def __init__(self, versions: SpecVersions, current: str) -> None:
        super().__init__()
        self.versions = versions
        self.current = current
        self.numbers = versions.numbers()
        self.old: int | None = self.numbers[-1] if self.numbers else None
        """The version compared from."""
        self.new: int | None = None
        """The version compared to; None = the spec as it is now."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(classes="versions-title")
            yield Static(
                Content(
                    "←/→ older/newer version on the left · [ / ] on the right · "
                    "r re-sends the left one · Esc closes"
                ),
                classes="versions-help",
            )
            yield VerticalScroll(id="diff")

    async def on_mount(self) -> None:
        await self.show_diff()

    def _label(self, number: int | None) -> str:
        return "current spec" if number is None else f"v{number}"

    def _text(self, number: int | None) -> str:
        return self.current if number is None else self.versions.read(number)

    def diff_text(self) -> str:
        """The unified diff currently shown ("" when the two are the same)."""
        if self.old is None:
            return ""
        return diff(
            self._text(self.old), self._text(self.new), self._label(self.old), self._label(self.new)
        )

    async def show_diff(self) -> None:
        """Render the diff of the chosen pair."""
        title = self.query_one(".versions-title", Static)
        box = self.query_one("#diff", VerticalScroll)
        await box.remove_children()
        if self.old is None:
            title.update(Content("No version sent yet: ctrl+r sends the spec and keeps v1."))
            return
        title.update(Content(f"{self._label(self.old)} → {self._label(self.new)}"))
        text = self.diff_text()
        if not text:
            await box.mount(Static(Content("No differences."), classes="diff-line"))
            return
        lines = []
        for line in text.splitlines():
            kind = (
                "-file"
                if line.startswith(("+++", "---"))
                else "-add"
                if line.startswith("+")
                else "-del"
                if line.startswith("-")
                else "-hunk"
                if line.startswith("@@")
                else ""
            )
            lines.append(Static(Content(line), classes=f"diff-line {kind}"))
        await box.mount_all(lines)

    async def action_step_old(self, step: int) -> None:
        """Move the left side to an older or newer version."""
        if self.old is None:
            return
        index = self.numbers.index(self.old) + step
        if 0 <= index < len(self.numbers):
            self.old = self.numbers[index]
            await self.show_diff()

    async def action_step_new(self, step: int) -> None:
        """Move the right side (versions, then the current spec)."""
        choices: list[int | None] = [*self.numbers, None]
        index = choices.index(self.new) + step
        if 0 <= index < len(choices):
            self.new = choices[index]
            await self.show_diff()

    def action_resend(self) -> None:
        """Close and send the left version again (through the send review)."""
        if self.old is not None:
            self.dismiss(self.old)

    def action_close(self) -> None:
        """Close without sending."""
        self.dismiss(None)
