"""The records a session is made of: transcript messages and session metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias, TypeGuard

Pane = Literal["explore", "implement"]
MessageRole = Literal["user", "assistant", "error", "tool"]
MessageStatus = Literal[
    "done", "streaming", "interrupted", "cut", "not_sent", "failed", "retried", "error"
]
"""How a message ended (see `Message.status`); "error" is only found in old transcripts."""

PromptKind = Literal["spec", "critique", "git-summary", "follow-up"]
"""What a prompt is when the user did not type it (see `UserMessage.kind`)."""

RETRYABLE: tuple[MessageStatus, ...] = ("not_sent", "failed")
"""Statuses of a prompt that `r` sends again."""
LEFT_OUT: tuple[MessageStatus, ...] = ("not_sent", "failed", "retried")
"""Statuses of a prompt whose turn is not sent to the model with later questions."""

CHAT_PANES: tuple[Pane, ...] = ("explore", "implement")
"""The panes that hold a transcript, in screen order."""


def as_chat_pane(name: str | None) -> Pane | None:
    """`name` as a chat pane name, or None for the Spec pane or anything else."""
    return next((pane for pane in CHAT_PANES if pane == name), None)


@dataclass(kw_only=True)
class AttachedFile:
    """A file sent with a user turn (`@path`), as its record keeps it.

    Pending until loaded (`text` and `error` both None), then loaded (`text`) or failed
    (`error`). The record keeps what was sent, so it can be sent again and read back later.
    """

    path: str
    """The path as written after `@` (POSIX, relative to the project), or a label such as
    "git log -n 20" for text that is not a file."""
    size_bytes: int = 0
    tokens: int = 0
    """Estimated tokens of the whole file's text."""
    text: str | None = None
    """What is sent: the file's text, or its summary (see `summary`); None while pending."""
    summary: bool = False
    """True when `text` is the fast model's summary of the file."""
    error: str | None = None
    """Why the file could not be attached (it is left out)."""

    @property
    def pending(self) -> bool:
        """True until the file is loaded or has failed."""
        return self.text is None and self.error is None


# Never made itself: the classes below are. No methods generated (it saves import time).
@dataclass(kw_only=True, init=False, repr=False, eq=False)
class _MessageBase:
    """What every message in a transcript has, whatever its role."""

    id: str
    """Unique, sortable id (see `new_id()`)."""
    role: MessageRole = field(init=False)
    """Who wrote it; fixed by the class (`UserMessage` is "user", ...)."""
    content: str
    """Markdown source, already sanitized (no terminal escape codes)."""
    status: MessageStatus = "done"
    """For a reply: `done` (answered), `streaming` (only in checkpoints), `interrupted` (stopped,
    or recovered after a crash: the partial text is kept), `cut` (stopped at the token limit: it
    can be continued), `failed` (an error cut it short: the partial text is kept, the prompt can
    be retried). For a prompt: `done` once sent, `not_sent` when no reply reached the user (no
    model answered, or it was stopped first), `failed` when a model was asked but gave an error
    or an empty reply (both retryable, also after a restart), `retried` once it has been sent
    again as a new turn below."""
    created: str = ""
    """ISO 8601 UTC timestamp."""
    note: str | None = None
    """Why the message is interrupted or failed, shown under it."""


@dataclass(kw_only=True)
class UserMessage(_MessageBase):
    """A prompt: what the user typed, a spec sent to Implement, or a chore asked of a model."""

    role: Literal["user"] = field(default="user", init=False)
    kind: PromptKind | None = None
    """`"spec"`: the Implement turn carrying the exact spec text sent; `"critique"`,
    `"git-summary"`: chores asked of the fast model; None: typed by the user."""
    spec_version: int | None = None
    """For a spec turn: the spec version sent (`versions/`)."""
    attachments: list[AttachedFile] | None = None
    """The `@path` files sent with it."""


@dataclass(kw_only=True)
class AssistantMessage(_MessageBase):
    """A model's reply, or a summary of older turns written by the fast model."""

    role: Literal["assistant"] = field(default="assistant", init=False)
    model: str | None = None
    """The model that answered."""
    input_tokens: int | None = None
    output_tokens: int | None = None
    duration_s: float | None = None
    """Wall time from request to the last token (loading and prompt reading included)."""
    generation_s: float | None = None
    """Seconds the server says it spent generating the output (Ollama's `eval_duration`), when
    it says: the speed shown is then the server's, not the wall time's."""
    kind: Literal["summary"] | None = None
    """`"summary"`: older Explore turns compressed by the fast model (see `covers`)."""
    spec_version: int | None = None
    """For Implement replies: the spec version answered (`versions/`)."""
    covers: str | None = None
    """For a summary: the id of the last message it stands for in what is sent."""
    fallback_from: str | None = None
    """The model that was asked but could not answer, when a fallback answered."""
    stop_reason: str | None = None
    """Why the model stopped, as the server said (Ollama's `done_reason`: "stop",
    "length"; Anthropic's `stop_reason`: "end_turn", "max_tokens", ...)."""


@dataclass(kw_only=True)
class ToolMessage(_MessageBase):
    """A read-only tool the model called; `content` is what it returned."""

    role: Literal["tool"] = field(default="tool", init=False)
    tool_name: str | None = None
    """The tool's name."""
    tool_args: str | None = None
    """The call's arguments, as JSON."""


@dataclass(kw_only=True)
class ErrorMessage(_MessageBase):
    """A problem notice in the conversation (a failed request, an empty reply)."""

    role: Literal["error"] = field(default="error", init=False)
    error_kind: str | None = None
    """The `ErrorKind` value."""


Message: TypeAlias = UserMessage | AssistantMessage | ToolMessage | ErrorMessage
"""One message in a chat pane's transcript; `role` tells which."""


def is_spec(message: Message) -> TypeGuard[UserMessage]:
    """Whether `message` is the Implement turn that carried a spec."""
    return message.role == "user" and message.kind == "spec"


def is_summary(message: Message) -> TypeGuard[AssistantMessage]:
    """Whether `message` is a summary of older turns (see `AssistantMessage.covers`)."""
    return message.role == "assistant" and message.kind == "summary"


@dataclass
class ModelChoice:
    """The model picked for one pane."""

    provider: Literal["ollama", "anthropic"]
    name: str


@dataclass
class SessionMeta:
    """The small metadata file of a session (`session.json`)."""

    id: str
    title: str
    created: str
    updated: str
    project_dir: str
    """The project the session is about (absolute path)."""
    spec_path: str | None = None
    """Absolute path of an external context.md edited in place; None = the session's own."""
    models: dict[str, ModelChoice] = field(default_factory=dict)
    """Pane name ("explore" / "implement") -> chosen model."""
    promote_section: str | None = None
    """The spec section notes are promoted to (chosen with P); None = the context section."""
    drafts: dict[str, str] = field(default_factory=dict)
    """Pane name -> text typed in its input but not sent, kept across quit and reopen."""
    tools_enabled: bool | None = None
    """The Explore pane's tools switch (F8); None follows `[project] tools`."""
    cloud_fallback_allowed: bool = False
    """True once the user let local prompts fall back to Claude for the rest of this session."""
    version: int = 1


def prompt_of(messages: list[Message], message: Message) -> UserMessage | None:
    """The prompt of the turn `message` belongs to (itself for a prompt), if any."""
    index = next((i for i, m in enumerate(messages) if m is message), len(messages))
    for candidate in reversed(messages[: index + 1]):
        if candidate.role == "user":
            return candidate
    return None
