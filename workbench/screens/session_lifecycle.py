"""Opening and leaving a session on the main screen: warnings to show, what to save first.

Functions over a `MainScreen`, called when it is shown and before a quit or a session switch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.session.model import CHAT_PANES

if TYPE_CHECKING:
    from workbench.screens.main import MainScreen


def show_load_warnings(screen: MainScreen) -> None:
    """Report what went wrong reading the session and its transcripts, once."""
    for warning in screen.session.warnings:
        screen.notify(warning, title="Session", severity="warning", timeout=20)
    screen.session.warnings.clear()
    for pane in CHAT_PANES:
        for warning in screen.chat(pane).load_warnings:
            screen.notify(warning, title="Transcript line skipped", severity="warning", timeout=10)
        screen.chat(pane).load_warnings = []


async def save_all(screen: MainScreen, reason: str) -> bool:
    """Save the spec and unsent input first, then stop replies (keeping their text).

    Returns False if the spec could not be saved.
    """
    saved = screen.spec.save() if screen.spec.dirty else True
    typed = {pane: screen.chat(pane).input.text for pane in CHAT_PANES}
    drafts: dict[str, str] = {pane: text for pane, text in typed.items() if text.strip()}
    if drafts != screen.session.meta.drafts:
        screen.session.meta.drafts = drafts
        try:
            screen.session.save_meta()
        except OSError as error:
            screen.notify(f"Could not save the unsent input: {error}", severity="error")
            saved = False
    for pane in CHAT_PANES:
        await screen.chat(pane).stop_streaming(reason)
    return saved
