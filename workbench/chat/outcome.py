"""How a turn came out: the reply's and the prompt's statuses and notes, decided at its end.

Pure decisions over a finished `Reply` (its text, usage, error, cancel); `Reply._end` saves what
they set. Core module: never imports textual.
"""

from __future__ import annotations

from typing import Protocol

from workbench.chat.events import TurnStatus
from workbench.config import ModelRef, Settings
from workbench.project.compress import context_budget
from workbench.providers.base import ErrorKind, ProviderError
from workbench.session.model import AssistantMessage, UserMessage

NOT_SENT_KINDS = frozenset(
    {
        ErrorKind.UNREACHABLE,
        ErrorKind.MODEL_MISSING,
        ErrorKind.OVERLOADED,
        ErrorKind.RATE_LIMITED,
        ErrorKind.AUTH,
    }
)
"""Failures that mean no model ever saw the prompt (when nothing came back before them)."""
CUT_REASONS = frozenset({"length", "max_tokens"})
"""Stop reasons of a reply that ran into its token limit (Ollama, Anthropic)."""
CONTINUE_KEY = "m"
"""The key on a cut reply that asks its model for more (`MessageView`'s binding)."""


class Turn(Protocol):
    """What the decisions read of a finished reply (`Reply` is one)."""

    message: AssistantMessage
    prompt: UserMessage
    asked: ModelRef
    cancel_reason: str | None

    @property
    def settings(self) -> Settings: ...

    def request_tokens(self) -> int: ...


def joined(*notes: str | None) -> str:
    """Notes side by side, leaving out the missing ones."""
    return " ".join(note for note in notes if note)


def settle(
    turn: Turn, error: ProviderError | None, *, cancelled: bool, reached: bool
) -> tuple[TurnStatus, ProviderError | None]:
    """Set the reply's and the prompt's statuses and notes; the turn's status and error.

    `reached`: the model answered something (text, a tool call, its figures) before it ended.
    """
    reply, prompt = turn.message, turn.prompt
    if cancelled:
        reason = turn.cancel_reason or "Stopped"
        if reply.content:
            reply.status = "interrupted"
            reply.note = joined(reply.note, f"{reason}: the part that arrived is kept.")
            return TurnStatus.INTERRUPTED, None
        prompt.status, prompt.note = "not_sent", "Stopped before any reply arrived."
        return TurnStatus.NOT_SENT, None
    if error is not None:
        if reply.content:
            reply.status = "failed"
            reply.note = joined(reply.note, "Cut short by an error: the part that arrived is kept.")
            prompt.status, prompt.note = "failed", None
            return TurnStatus.FAILED, error
        unseen = error.kind in NOT_SENT_KINDS and not reached
        status = TurnStatus.NOT_SENT if unseen else TurnStatus.FAILED
        prompt.status, prompt.note = (
            ("not_sent" if status is TurnStatus.NOT_SENT else "failed"),
            None,
        )
        return status, error
    if not reply.content:
        empty = ProviderError(ErrorKind.EMPTY_REPLY, empty_reason(turn))
        prompt.status, prompt.note = "failed", "The model sent an empty reply."
        return TurnStatus.FAILED, empty
    if reply.stop_reason in CUT_REASONS:
        reply.status = "cut"
        limit = turn.settings.options_for(turn.asked).max_tokens
        at = f" ({limit:,} tokens)" if limit else ""
        reply.note = joined(
            reply.note,
            f"Cut at the token limit{at}: {CONTINUE_KEY} on it continues it, or raise "
            "max_tokens for the tier or the model in the config.",
        )
        return TurnStatus.CUT, None
    reply.status = "done"
    return TurnStatus.ANSWERED, None


def empty_reason(turn: Turn) -> str:
    """Why a reply may have come back empty, and what to do."""
    name = turn.message.model or turn.asked.name
    text = f"{name} sent an empty reply (no text"
    if turn.message.output_tokens is not None:
        text += f", {turn.message.output_tokens} tokens out"
    text += ")."
    budget = context_budget(turn.settings, turn.asked)
    tokens = turn.request_tokens()
    if turn.message.stop_reason in CUT_REASONS:
        text += " It stopped at its token limit before writing anything: raise max_tokens."
    elif turn.asked.provider == "ollama" and tokens > budget:
        text += (
            f" The request is about {tokens:,} tokens, more than the {budget:,} the model "
            "reads (num_ctx): the context was full. Attach less, or raise num_ctx for the "
            "tier or the model in the config."
        )
    else:
        text += (
            " The server may have failed without saying so (some servers report errors "
            "inside the reply stream), or the model had nothing to say."
        )
    return text
