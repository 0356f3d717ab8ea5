"""The Implement reply's edits for one open session: stage the newest reply, apply, undo.

`SessionChanges` is what the Changes view and `workbench changes/apply/undo` drive (it is the
`ChangeActions` of `commits`): it knows the session's Implement conversation (whose reply is
staged), the fast model (which makes the edits no direct match can, and writes commit messages)
and the settings (`[apply] commit`). Core module: never imports textual.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workbench.apply.changes import ChangeSet
from workbench.apply.commits import UndoResult, apply_changes, undo_changes
from workbench.apply.model_editor import FastModelEditor
from workbench.apply.parse import parse_edits
from workbench.apply.staging_area import ApplyResult, StagingArea
from workbench.chat.conversation import Conversation
from workbench.config import ModelRef, Settings
from workbench.project.files import ToolError
from workbench.providers.router import ProviderRouter
from workbench.session.model import AssistantMessage
from workbench.session.store import Session


def reply_source(reply: AssistantMessage) -> str:
    """A reply in a few words for people: "qwen2.5-coder:14b, 05:50 UTC, spec v1"."""
    when = reply.created[11:16] if len(reply.created) >= 16 else ""
    version = f"spec v{reply.spec_version}" if reply.spec_version else "a follow-up"
    return ", ".join(x for x in (reply.model, when and f"{when} UTC", version) if x)


def edited_files(text: str) -> int:
    """How many files a reply's edits touch (0: it holds no edit)."""
    return len({edit.path for edit in parse_edits(text).edits})


class SessionChanges:
    """The staged edits of a session's newest Implement reply, and applying them."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        router: ProviderRouter,
        implement: Conversation,
        fast_model: Callable[[], ModelRef],
    ) -> None:
        self.session = session
        self.staging = StagingArea(session.folder, Path(session.meta.project_dir))
        """The change set and the journal of what was applied."""
        self.settings = settings
        self.router = router
        self.implement = implement
        self.fast_model = fast_model
        """The model that makes model edits and commit messages (the Explore pane's)."""

    def reply(self) -> AssistantMessage | None:
        """The newest Implement reply that has text (answered, cut, stopped or failed part way)."""
        replies = [m for m in self.implement.messages if isinstance(m, AssistantMessage)]
        for message in reversed(replies):
            if message.status != "streaming" and message.content.strip():
                return message
        return None

    def needs_staging(self) -> bool:
        """Whether the newest Implement reply's edits are not staged yet."""
        reply = self.reply()
        return reply is not None and not self._staged(reply)

    def _staged(self, reply: AssistantMessage) -> bool:
        """Whether `reply`, as it is now, is what is staged (a continued reply has grown)."""
        changes = self.staging.changes
        if reply.id != changes.reply_id:
            return False
        return changes.reply_chars is None or changes.reply_chars == len(reply.content)

    async def stage(self) -> ChangeSet:
        """Stage the newest Implement reply's edits (the fast model makes those no direct match
        can); ToolError when there is no reply. A reply staged already keeps its decisions."""
        reply = self.reply()
        if reply is None:
            raise ToolError("No Implement reply to apply yet: send the spec first.")
        if self._staged(reply):
            return self.staging.changes
        # A reply that did not end by itself may stop inside an edit: treated as cut.
        cut = reply.status != "done" or reply.stop_reason in ("length", "max_tokens")
        editor = FastModelEditor(self.router, self.fast_model())
        return await self.staging.stage(
            reply.content, reply.id, cut=cut, editor=editor, source=reply_source(reply)
        )

    async def apply_changes(self, paths: list[str] | None = None) -> ApplyResult:
        """Write the accepted hunks (and commit them when `[apply] commit` is on)."""
        return await apply_changes(
            self.staging,
            self.settings,
            self.router,
            self.fast_model(),
            self.session.meta.title,
            paths,
        )

    async def undo_apply(self) -> UndoResult:
        """Undo the last apply exactly (and commit the revert when it was committed)."""
        return await undo_changes(self.staging)
