"""One session's verify-and-iterate loop: this round's applies, diff and checks, the follow-up,
the acceptance review.

A round is what came of the newest Implement reply: the applies of its changes still in place,
the checks run after them, and the acceptance verdicts. `SessionLoop` finds those in the session
folder (the apply journal, `checks/`, `acceptance/`) and composes what goes back to the Implement
model. The screen and `workbench check` use it; core module: never imports textual.
"""

from __future__ import annotations

from pathlib import Path

from workbench.apply.follow_up import FollowUp
from workbench.apply.journal_entry import JournalEntry
from workbench.apply.round_diff import applied_diff
from workbench.apply.session_changes import SessionChanges
from workbench.chat.conversation import Conversation
from workbench.checks.follow_up import compose_follow_up
from workbench.checks.results import CheckRun
from workbench.checks.session_checks import SessionChecks
from workbench.checks.verdicts import AcceptanceReview, carry_overrules, load_review, save_review
from workbench.checks.verdicts import review_acceptance as judge
from workbench.session.model import AssistantMessage
from workbench.session.store import Session
from workbench.settings import Settings


class SessionLoop:
    """The current round of a session, and what the loop does with it."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        changes: SessionChanges,
        implement: Conversation,
        explore: Conversation,
    ) -> None:
        self.session = session
        self.changes = changes
        self.implement = implement
        self.explore = explore
        self.checks = SessionChecks(settings, Path(session.meta.project_dir), session.folder)
        """The project's checks, run for this session."""

    @property
    def folder(self) -> Path:
        """The session folder."""
        return self.session.folder

    def reply(self) -> AssistantMessage | None:
        """The Implement reply this round is about (the newest with text)."""
        return self.changes.reply()

    def round_entries(self) -> list[JournalEntry]:
        """The applies of the staged reply's changes that are still in place, oldest first."""
        reply_id = self.changes.staging.changes.reply_id
        journal = self.changes.staging.journal
        return [e for e in journal.entries() if e.reply_id == reply_id and e.state != "undone"]

    def round_diff(self) -> str:
        """What this round's applies changed, as one unified diff ("" when nothing applied)."""
        journal = self.changes.staging.journal
        return "".join(applied_diff(journal, entry) for entry in self.round_entries())

    def spec_version(self) -> int | None:
        """The spec version the round's code came from: the newest spec sent before its reply."""
        reply = self.reply()
        version: int | None = None
        for message in self.implement.messages:
            if reply is not None and message is reply:
                break
            if message.role == "user" and message.kind == "spec" and message.spec_version:
                version = message.spec_version
        return version if reply is not None else self.session.versions.latest()

    def round_run(self) -> CheckRun | None:
        """The newest check run of this round: after one of its applies, or by hand after the
        round's reply arrived. None when the checks have not run since."""
        entries = {entry.id for entry in self.round_entries()}
        reply = self.reply()
        since = reply.created if reply is not None else ""
        for run in reversed(self.checks.runs()):
            if run.apply_id in entries or (run.apply_id is None and run.started >= since[:19]):
                return run
            if run.started < since[:19]:
                break
        return None

    async def follow_up(self) -> FollowUp:
        """The follow-up of this round: failed edits, noted rejections, failed checks (long
        output cut by the fast model) and the diff already applied. Empty when all went well."""
        changes = self.changes.staging.changes
        staged = changes if changes.reply_id else None
        return await compose_follow_up(
            changes=staged, run=self.round_run(), diff=self.round_diff(), cut=self.explore.ask_fast
        )

    def acceptance(self) -> AcceptanceReview | None:
        """The saved acceptance review of this round's spec version, if any (ReviewUnreadable
        when its file is corrupt)."""
        return load_review(self.folder, self.spec_version())

    async def review_acceptance(self, spec_text: str) -> AcceptanceReview:
        """Ask the fast model for a verdict on each acceptance item of `spec_text`, given this
        round's diff and checks; saved with the spec version, keeping overrules by hand."""
        version = self.spec_version()
        if version is not None:
            spec_text = self.session.versions.read(version)
        entries = self.round_entries()
        run = self.round_run()
        review = await judge(
            self.explore.ask_fast,
            spec_text,
            self.round_diff(),
            run,
            spec_version=version,
            apply_id=entries[-1].id if entries else None,
            model=self.explore.model.name,
        )
        if run is not None:
            review.check_run_id = run.id
        try:
            old = load_review(self.folder, version)
        except Exception:  # a corrupt old review is replaced, its overrules are lost
            old = None
        if old is not None:
            review = carry_overrules(old, review)
        save_review(self.folder, review)
        return review
