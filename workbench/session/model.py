"""The records a session is made of: transcript messages and session metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Pane = Literal["explore", "implement"]
MessageRole = Literal["user", "assistant", "error", "tool"]
MessageStatus = Literal[
    "done", "streaming", "interrupted", "cut", "not_sent", "failed", "retried", "error"
]
"""How a message ended (see `Message.status`); "error" is only found in old transcripts."""

RETRYABLE: tuple[MessageStatus, ...] = ("not_sent", "failed")
"""Statuses of a prompt that `r` sends again."""
LEFT_OUT: tuple[MessageStatus, ...] = ("not_sent", "failed", "retried")
"""Statuses of a prompt whose turn is not sent to the model with later questions."""

CHAT_PANES: tuple[Pane, ...] = ("explore", "implement")
"""The panes that hold a transcript, in screen order."""


def as_chat_pane(name: str | None) -> Pane | None:
    """`name` as a chat pane name, or None for the Spec pane or anything else."""
    return next((pane for pane in CHAT_PANES if pane == name), None)


@dataclass
class Message:
    """One message in a chat pane's transcript."""

    id: str
    """Unique, sortable id (see `new_id()`)."""
    role: MessageRole
    content: str
    """Markdown source, already sanitized (no terminal escape codes)."""
    model: str | None = None
    """For assistant messages: the model that answered."""
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
    input_tokens: int | None = None
    output_tokens: int | None = None
    duration_s: float | None = None
    error_kind: str | None = None
    """For role `error`: the `ErrorKind` value."""
    note: str | None = None
    """Why the message is interrupted or failed, shown under it."""
    kind: str | None = None
    """`"spec"`: the Implement turn carrying the exact spec text sent; `"critique"`,
    `"git-summary"`: chores asked of the fast model; `"summary"`: older Explore turns
    compressed by the fast model (see `covers`)."""
    spec_version: int | None = None
    """For Implement replies and spec turns: the spec version sent or answered (`versions/`)."""
    attachments: list[dict[str, Any]] | None = None
    """For user turns: the `@path` files sent with it, each {"path", "size_bytes", "tokens",
    "text", "summary" (True when `text` is the fast model's summary)} or {"path", "error"}."""
    covers: str | None = None
    """For a `summary` (kind): the id of the last message it stands for in what is sent."""
    tool_name: str | None = None
    """For role `tool`: the read-only tool the model called; `content` is what it returned."""
    tool_args: str | None = None
    """For role `tool`: the call's arguments, as JSON."""
    fallback_from: str | None = None
    """For replies: the model that was asked but could not answer, when a fallback answered."""
    stop_reason: str | None = None
    """For replies: why the model stopped, as the server said (Ollama's `done_reason`: "stop",
    "length"; Anthropic's `stop_reason`: "end_turn", "max_tokens", ...)."""


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


def prompt_of(messages: list[Message], message: Message) -> Message | None:
    """The prompt of the turn `message` belongs to (itself for a prompt), if any."""
    index = next((i for i, m in enumerate(messages) if m is message), len(messages))
    for candidate in reversed(messages[: index + 1]):
        if candidate.role == "user":
            return candidate
    return None
