"""The text of a message's header line and of the stand-ins for long bodies (plain strings).

No widgets here: these are what MessageView shows, kept apart so they can be read and tested
on their own.
"""

from __future__ import annotations

from workbench.project.explore import tool_call_text
from workbench.session.model import Message, ToolMessage, is_summary

_PROMPT_LABELS = {
    "not_sent": " · ✗ not sent (r retries)",
    "failed": " · ✗ failed (r retries)",
    "retried": " · sent again below",
}
_REPLY_LABELS = {
    "streaming": " · streaming…",
    "interrupted": " · interrupted",
    "cut": " · cut at the token limit (m continues)",
    "failed": " · ✗ cut short by an error",
}


def header_text(message: Message, pane: str) -> str:
    """The plain-text header shown above a message."""
    if message.role == "user":
        kinds = {
            "spec": "Spec sent",
            "critique": "Critique requested",
            "git-summary": "Git history summary requested",
            "follow-up": "Follow-up sent",
        }
        who = kinds.get(message.kind or "", "You")
        if message.kind == "spec" and message.spec_version:
            who = f"Spec v{message.spec_version} sent"
    elif message.role == "error":
        who = "⚠ Problem"
    elif message.role == "tool":
        return tool_header(message, expanded=False)
    elif is_summary(message):
        who = f"Summary of older messages, by {message.model or 'the fast model'}"
    else:
        who = message.model or "assistant"
        if message.fallback_from:
            who += f" (fallback for {message.fallback_from})"
    labels = _PROMPT_LABELS if message.role == "user" else _REPLY_LABELS
    status = labels.get(message.status, "")
    tokens = ""
    if message.role == "assistant" and message.spec_version:
        who += f" · answers v{message.spec_version}"
    if message.role == "assistant" and message.status in ("done", "cut") and message.output_tokens:
        tokens = f" · {message.output_tokens} tokens"
        if message.duration_s:
            tokens += f" in {message.duration_s:.1f}s"
    return f"{who}{status}{tokens}"


def tool_header(message: ToolMessage, *, expanded: bool) -> str:
    """ "▸ tool read_file path=src/app.py · 24 lines": a tool call, collapsed or not."""
    call = tool_call_text(message)
    # Older records have no status for a failed call; its result starts with "Error:".
    failed = message.status == "error" or message.content.startswith("Error:")
    lines = message.content.count("\n") + 1
    outcome = "refused" if failed else f"{lines} line{'s' if lines != 1 else ''}"
    # Enter shows or hides the output: the footer says so while the entry has focus.
    return f"{'▾' if expanded else '▸'} tool {call} · {outcome}"


def spec_summary(text: str) -> str:
    """A one-paragraph stand-in for a spec sent to the Implement pane (the full text is on disk)."""
    lines = text.splitlines()
    title = next((line.lstrip("# ").strip() for line in lines if line.startswith("# ")), "")
    size = len(text.encode("utf-8"))
    return (
        f"{title or 'Spec'}  \n*{len(lines)} lines, {size:,} bytes of context.md, sent as written*"
    )
