"""Whether a prompt meant for a local model may leave the machine for a cloud model.

The rule: asked each time, unless the config allows it (`[anthropic] fallback_without_asking`)
or the user allowed it for the rest of the session. Asking is done through a `ConsentRequest`
that the UI (or the CLI) answers. Core module: never imports textual.
"""

from __future__ import annotations

from collections.abc import Callable


class ConsentPolicy:
    """What is already allowed, and how to remember "allowed for this session"."""

    def __init__(
        self,
        *,
        always: bool = False,
        session_allowed: bool = False,
        remember: Callable[[], None] | None = None,
        can_ask: bool = True,
    ) -> None:
        self.always = always
        """The config allows every fallback without asking."""
        self.session_allowed = session_allowed
        """The user allowed it for the rest of this session."""
        self.can_ask = can_ask
        """False where nobody can answer (a non-interactive shell): not allowed means no."""
        self._remember = remember

    @property
    def allowed(self) -> bool:
        """True when no question needs asking."""
        return self.always or self.session_allowed

    def allow_for_session(self) -> str | None:
        """Allow it for the rest of the session and save that; a problem to show, if any."""
        self.session_allowed = True
        if self._remember is None:
            return None
        try:
            self._remember()
        except OSError as error:
            return f"Could not save the session: {error}"
        return None
