"""How every follow-up of the loop is put together: one prompt of titled parts.

A follow-up goes back to the Implement model when a round did not work out: edits that could not
be applied, changes rejected with a note, checks that failed. Whatever prompts it (the Changes
view's `f`, the Checks view's `f`), it is composed here, the same way, and the send review shows
its parts exactly as they are sent. Core module: never imports textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workbench.chat.history import build_history
from workbench.spec.payload import SYSTEM_PART, Payload, PayloadPart

if TYPE_CHECKING:
    from workbench.apply.changes import ChangeSet
    from workbench.session.model import Message

DIFF_CHARS = 40_000
"""The most of this round's diff a follow-up quotes; the rest is named, not sent."""
CLOSING = (
    "Please send corrected edits for these only, as SEARCH/REPLACE blocks against the files as "
    "they are now (the changes above are already in them)."
)
CLOSING_NOT_APPLIED = (
    "Please send corrected edits for these only, as SEARCH/REPLACE blocks against the files as "
    "they are now."
)


@dataclass(frozen=True)
class FollowUpPart:
    """One titled piece of a follow-up (the send review shows each with its size)."""

    title: str
    text: str

    def block(self) -> str:
        """The part as it appears in the prompt: a heading, then its text."""
        return f"## {self.title}\n\n{self.text.rstrip()}\n"


@dataclass
class FollowUp:
    """A follow-up prompt for the Implement model, in parts."""

    parts: list[FollowUpPart] = field(default_factory=list)
    applied: bool = False
    """This round's changes are in the files (a diff part says what they were)."""

    @property
    def empty(self) -> bool:
        """Nothing went wrong that could be sent back."""
        return not any(part.title != DIFF_TITLE for part in self.parts)

    @property
    def text(self) -> str:
        """The prompt exactly as sent: the parts in order, then what to do."""
        if self.empty:
            return ""
        closing = CLOSING if self.applied else CLOSING_NOT_APPLIED
        return "\n".join([*(part.block() for part in self.parts), closing])


FAILED_TITLE = "Edits that could not be applied"
REJECTED_TITLE = "Changes I rejected"
DIFF_TITLE = "This round's changes, as applied"


def edit_parts(changes: ChangeSet) -> list[FollowUpPart]:
    """The staged reply's failed edits and the hunks rejected with a note, as parts."""
    parts: list[FollowUpPart] = []
    if changes.failures:
        lines = []
        for failure in changes.failures:
            what = failure.edit.kind.replace("_", " ")
            lines.append(f"- {failure.edit.path} ({what}): {failure.reason}")
        parts.append(FollowUpPart(FAILED_TITLE, "\n".join(lines)))
    noted = [(f, h) for f in changes.files for h in f.hunks if h.decision == "rejected" and h.note]
    if noted:
        lines = []
        for file, hunk in noted:
            shown = [line.strip() for line in hunk.new_lines if line.strip()]
            what = f"`{shown[0]}`" + (" ..." if len(shown) > 1 else "") if shown else "removal"
            lines.append(
                f"- {file.path} line {hunk.old_start + 1} (you proposed {what}): {hunk.note}"
            )
        parts.append(FollowUpPart(REJECTED_TITLE, "\n".join(lines)))
    return parts


def diff_part(diff: str) -> FollowUpPart | None:
    """This round's applied diff as a part (cut at `DIFF_CHARS`); None when nothing applied."""
    if not diff.strip():
        return None
    shown = diff
    note = ""
    if len(diff) > DIFF_CHARS:
        cut = diff.rfind("\n", 0, DIFF_CHARS) + 1 or DIFF_CHARS
        shown = diff[:cut]
        note = f"\n[{len(diff) - cut:,} more characters of the diff are not shown]"
    fence = "```"
    while fence in shown:
        fence += "`"
    return FollowUpPart(DIFF_TITLE, f"{fence}diff\n{shown.rstrip()}\n{fence}{note}")


EARLIER_PART = "Earlier turns"
FOLLOW_UP_PART = "Follow-up"


def follow_up_payload(
    model: str, system_prompt: str, messages: list[Message], text: str
) -> Payload:
    """What a follow-up sends, for its review: the system prompt, the Implement turns sent
    with it (from the last spec on, as the conversation sends them), then the follow-up."""
    turns = build_history(messages, "implement")
    earlier = "\n\n".join(f"[{turn.role}]\n{turn.content}" for turn in turns if turn.content)
    parts = [PayloadPart(SYSTEM_PART, system_prompt)]
    if earlier:
        parts.append(PayloadPart(f"{EARLIER_PART} ({len(turns)})", earlier))
    parts.append(PayloadPart(FOLLOW_UP_PART, text))
    return Payload(model, parts)
