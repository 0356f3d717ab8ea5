"""Context compression for the Explore conversation (a small-model chore).

When the turns to send fill `[project] compress_at` of the fast model's context window, the
older turns are summarized by the fast model into one `summary` message that stands for them
in what is sent. The transcript keeps every message; only the payload shrinks.
Core module: never imports textual.
"""

from __future__ import annotations

from workbench.config import ModelRef, Settings
from workbench.providers.base import ChatMessage
from workbench.session.model import AssistantMessage, Message, is_summary
from workbench.spec.payload import estimate_tokens

OLLAMA_DEFAULT_CONTEXT = 4096
"""Tokens Ollama gives a model when the request sets no `num_ctx` (it cuts longer prompts)."""
KEEP_RECENT = 4
"""Messages before the new question that always go whole (the last exchanges)."""
TURN_CHARS = 4000
"""Each older turn is cut to this many characters in the text to summarize."""

COMPRESS_PROMPT = (
    "Below is the start of a conversation in which a developer explores a codebase with you. "
    "Summarize it for yourself, so the conversation can go on without it: the files, "
    "functions and signatures found, what each does, decisions made and questions still open. "
    "Keep names and paths exact. At most 300 words, in Markdown."
)


def context_budget(settings: Settings, model: ModelRef, *, loaded_with: int | None = None) -> int:
    """The tokens the model really gets: `num_ctx` if set, else the context it is loaded with
    (`loaded_with`, from /api/ps), the configured window, else Ollama's default (a longer
    prompt is cut by the server, silently)."""
    options = settings.options_for(model)
    if options.num_ctx:
        return options.num_ctx
    if loaded_with and model.provider == "ollama":
        return loaded_with
    window = settings.model_info(model.name).context_window
    if window:
        return window
    return OLLAMA_DEFAULT_CONTEXT if model.provider == "ollama" else 200_000


def history_tokens(system: str | None, history: list[ChatMessage]) -> int:
    """Estimated tokens of a request: system prompt and turns."""
    return estimate_tokens(system or "") + sum(estimate_tokens(m.content) for m in history)


def covered_upto(messages: list[Message]) -> int:
    """Index after the last message already summarized (0 when nothing is)."""
    summaries = [m for m in messages if is_summary(m) and m.covers]
    if not summaries:
        return 0
    last = summaries[-1].covers
    for index, message in enumerate(messages):
        if message.id == last:
            return index + 1
    return 0


def to_compress(messages: list[Message], prompt_index: int) -> list[Message]:
    """The older messages a new summary would cover (besides the recent ones), or []."""
    start = covered_upto(messages)
    older: list[Message] = [
        m
        for m in messages[start:prompt_index]
        if m.role in ("user", "assistant", "tool") and not is_summary(m)
    ]
    older = older[:-KEEP_RECENT] if len(older) > KEEP_RECENT else []
    return older if len(older) >= 2 else []


def conversation_text(messages: list[Message], previous_summary: str | None = None) -> str:
    """The older turns as plain text for the fast model to summarize."""
    parts = []
    if previous_summary:
        parts.append(f"Summary of what came before:\n{previous_summary}")
    for message in messages:
        who = {"user": "Developer", "assistant": "You"}.get(message.role, message.role)
        if message.role == "tool":
            who = f"Tool {message.tool_name}"
        text = message.content
        if len(text) > TURN_CHARS:
            text = text[:TURN_CHARS] + " […]"
        parts.append(f"{who}: {text}")
    return "\n\n".join(parts)


def summary_turn(summary: AssistantMessage) -> ChatMessage:
    """How a summary is sent in place of the turns it covers."""
    return ChatMessage(
        "system", f"Summary of the earlier part of this conversation:\n\n{summary.content}"
    )
