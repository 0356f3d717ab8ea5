"""What a reply yields while it runs: the UI renders these, `workbench ask` prints them.

Every reply yields `Started` first and `Ended` last, whatever happens in between (an error, a
cancel at any point, a crash of the code): `Ended.status` says how the turn came out.
Core module: never imports textual.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from workbench.config import ModelRef
from workbench.providers.base import ProviderError, Usage
from workbench.providers.chain import Attempt
from workbench.session.model import AssistantMessage, ErrorMessage, ToolMessage, UserMessage


class TurnStatus(StrEnum):
    """How a turn (a prompt and its reply) came out."""

    ANSWERED = "answered"
    """The model answered in full."""
    INTERRUPTED = "interrupted"
    """Stopped (Escape, a quit) after text arrived: the partial text is kept."""
    NOT_SENT = "not_sent"
    """No reply reached the user: no model could be asked, or it was stopped first. Retryable."""
    FAILED = "failed"
    """A model was asked but gave an error or an empty reply (partial text kept). Retryable."""
    CUT = "cut"
    """The reply stopped at its token limit: it can be continued."""

    @property
    def retryable(self) -> bool:
        """Whether the prompt can be sent again as it is."""
        return self in (TurnStatus.NOT_SENT, TurnStatus.FAILED)


@dataclass(frozen=True)
class Started:
    """The reply began: `reply` is its (still empty) message, answering `prompt`."""

    prompt: UserMessage
    reply: AssistantMessage
    continuing: bool = False
    """`reply` is a reply cut at its token limit, shown already: the new text goes on from it."""


@dataclass(frozen=True)
class Progress:
    """What is happening before the first word (summarizing a file, compressing older turns)."""

    text: str


@dataclass(frozen=True)
class PromptChanged:
    """The prompt's record changed (its attachments were loaded); it is saved already."""

    prompt: UserMessage


@dataclass(frozen=True)
class Inserted:
    """A message was added to the conversation before `before` (a summary of older turns)."""

    message: AssistantMessage
    before: UserMessage
    covered: tuple[str, ...] = ()
    """For a summary: the ids of the messages it now stands for in what is sent."""


@dataclass(frozen=True)
class Text:
    """More reply text (sanitized: no escape codes)."""

    text: str


@dataclass(frozen=True)
class ToolStepped:
    """The model called a read-only tool; `message` is saved already."""

    message: ToolMessage


@dataclass(frozen=True)
class Switched:
    """The chain moved on: `model` answers instead of the one asked; `note` says why."""

    model: ModelRef
    attempts: tuple[Attempt, ...]
    note: str


@dataclass(frozen=True)
class Notice:
    """Something the user should know that does not end the reply (a warning, a disk error)."""

    text: str
    title: str = ""
    severity: Literal["information", "warning", "error"] = "warning"


ConsentAnswer = Literal["once", "session", "no"]


@dataclass(eq=False)
class ConsentRequest:
    """May the prompt leave this machine for a cloud model? The UI (or CLI) answers it.

    The reply waits for `answer()`; until then nothing is sent. Cancelling the reply withdraws
    the request.
    """

    model: ModelRef
    """The cloud model the prompt would go to."""
    attempts: tuple[Attempt, ...]
    """The local models that could not answer, and why."""
    tokens: int
    """About how many tokens would leave the machine."""
    future: asyncio.Future[ConsentAnswer] = field(repr=False)

    def answer(self, choice: ConsentAnswer) -> None:
        """Send it once, for the rest of the session, or not at all."""
        if not self.future.done():
            self.future.set_result(choice)


@dataclass(frozen=True)
class Ended:
    """The turn is over and saved; nothing more comes from this reply."""

    status: TurnStatus
    prompt: UserMessage
    reply: AssistantMessage | None
    """The reply as saved (None when no text arrived)."""
    error: ProviderError | None = None
    """What went wrong, worded for the user (None when answered or stopped)."""
    notice: ErrorMessage | None = None
    """The problem notice added to the conversation, if any."""
    usage: Usage | None = None
    stop_reason: str | None = None
    continued: bool = False
    """The reply went on from a reply cut at its token limit: `reply` is that one, grown."""


ReplyEvent = (
    Started
    | Progress
    | PromptChanged
    | Inserted
    | Text
    | ToolStepped
    | Switched
    | Notice
    | ConsentRequest
    | Ended
)
