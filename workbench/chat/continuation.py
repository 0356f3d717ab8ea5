"""Going on with a reply cut at its token limit: what it needs, its figures, how it ended.

The model that was cut off gets the same turns and its own text as the assistant's last turn,
and carries on; the new text is appended to the same reply, so what is promoted or applied is
one text. Core module: never imports textual.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.chat.events import TurnStatus
from workbench.chat.outcome import CONTINUE_KEY, CUT_REASONS, Turn
from workbench.config import ModelRef
from workbench.providers.base import ChatMessage, ProviderError, Usage
from workbench.session.model import AssistantMessage

Figures = tuple[int | None, int | None, float | None, float | None]
"""Input tokens, output tokens, wall seconds, generation seconds."""


@dataclass(frozen=True)
class Continuation:
    """What continuing a cut reply needs: the reply, who wrote it, what it was sent."""

    message: AssistantMessage
    """The cut reply; its text grows in place."""
    model: ModelRef
    """The model that wrote it (it alone continues its own text)."""
    history: list[ChatMessage]
    """The turns it answered (the cut text is added as the assistant's last turn)."""
    input_tokens: int | None
    output_tokens: int | None
    duration_s: float | None
    generation_s: float | None
    """The cut reply's figures, which the continuation's are added to."""

    def added_to(self, usage: Usage) -> Figures:
        """The figures of the reply as a whole: the cut part's plus the continuation's.

        Input tokens add up too: the prompt was read twice, and paid for twice.
        """

        def plus(before: float | None, now: float | None) -> float | None:
            return before + now if before is not None and now is not None else None

        inputs = self.input_tokens, usage.input_tokens
        outputs = self.output_tokens, usage.output_tokens
        return (
            inputs[0] + inputs[1] if inputs[0] is not None and inputs[1] is not None else None,
            outputs[0] + outputs[1] if outputs[0] is not None and outputs[1] is not None else None,
            (self.duration_s or 0.0) + usage.duration_s,
            plus(self.generation_s, usage.generation_s),
        )


def settle_continuation(
    turn: Turn, error: ProviderError | None, *, cancelled: bool, added: bool
) -> tuple[TurnStatus, ProviderError | None]:
    """The status and note of a cut reply after a continuation; the prompt is left as it is.

    Whatever happens, the text that was there stays, and so does what arrived: a continuation
    that was stopped or failed leaves the reply cut, to be continued again.
    """
    reply = turn.message
    what = "what arrived is added to it" if added else "nothing was added"
    if cancelled or error is not None:
        reply.status = "cut"
        why = turn.cancel_reason or "Stopped" if cancelled else "The continuation failed"
        reply.note = f"{why}: {what}. Still cut short: {CONTINUE_KEY} continues it."
        if cancelled:
            return TurnStatus.INTERRUPTED, None
        return TurnStatus.FAILED, error
    if reply.stop_reason in CUT_REASONS:
        reply.status = "cut"
        reply.note = (
            f"Continued, and cut at the token limit again: {CONTINUE_KEY} continues it, or "
            "raise max_tokens for the tier or the model in the config."
        )
        return TurnStatus.CUT, None
    reply.status = "done"
    reply.note = "Continued after the token limit: one reply."
    return TurnStatus.ANSWERED, None
