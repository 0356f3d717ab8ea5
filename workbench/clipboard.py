"""Copy text: OSC 52 through the terminal always (works over SSH and tmux), the system clipboard
through pyperclip as well when it works, and a short notice of what was copied.

Core module: never imports textual; a Textual `App` is one kind of `Notifier` it copies through.
"""

from __future__ import annotations

import threading
from typing import Protocol


class Notifier(Protocol):
    """Something that can put text on the terminal's clipboard and show a notice (a Textual App)."""

    def copy_to_clipboard(self, text: str) -> None:
        """Send `text` to the terminal's clipboard (OSC 52)."""

    def notify(self, message: str) -> None:
        """Show `message` to the user for a moment."""


def _system_copy(text: str) -> None:
    # pyperclip shells out to xclip/xsel/wl-copy/pbcopy: never on the event loop. It raises on a
    # headless box without them, which is fine: OSC 52 has already been sent.
    try:
        import pyperclip

        pyperclip.copy(text)
    except Exception:  # pyperclip.PyperclipException, or a tool that failed to start
        pass


def copy_text(app: Notifier, text: str, what: str) -> None:
    """Put `text` on the clipboard and say what was copied."""
    app.copy_to_clipboard(text)
    threading.Thread(target=_system_copy, args=(text,), daemon=True).start()
    lines = text.count("\n") + 1 if text else 0
    app.notify(f"Copied {what} ({lines} line{'s' if lines != 1 else ''}, {len(text):,} characters)")
