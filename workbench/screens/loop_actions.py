"""The main screen's verbs for the loop's last steps: run the checks, send a follow-up, judge
the acceptance items, show the round history.

Each takes the `MainScreen` and drives its controller's `SessionLoop` (core); the views they
open are loaded on first use, so start-up does not pay for them.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from textual.app import App
from textual.dom import DOMNode
from textual.notifications import SeverityLevel

from workbench.apply.journal_entry import JournalEntry
from workbench.chat.conversation import ConversationError
from workbench.chat.reply import Reply
from workbench.controller import SendRefused, SessionController
from workbench.session.model import Pane
from workbench.widgets.chat_pane import ChatPane
from workbench.widgets.live_keys import live_key
from workbench.widgets.spec_pane import SpecPane


class MainScreen(Protocol):
    """What these verbs use of the main screen (a protocol: no import of it, no cycle)."""

    controller: SessionController

    @property
    def app(self) -> App[Any]: ...

    @property
    def spec(self) -> SpecPane: ...

    def chat(self, pane: Pane) -> ChatPane: ...

    async def follow(self, pane: Pane, reply: Reply) -> None: ...

    def action_focus_pane(self, pane: str) -> None: ...

    def run_worker(self, work: Any, *, group: str = "default", exclusive: bool = False) -> Any: ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...


def checks_key(main: MainScreen) -> str:
    """The key that opens the Checks view, as bound now."""
    return live_key(cast(DOMNode, main), "verify.checks") or "F7"  # it is the screen


def open_checks(main: MainScreen, *, run_now: bool = False, apply_id: str | None = None) -> None:
    """Open the Checks view over whatever is shown (the Changes view after an apply)."""
    from workbench.screens.checks import ChecksScreen

    loop = main.controller.loop
    if apply_id is None:
        entries = loop.round_entries()
        apply_id = entries[-1].id if entries else None
    screen = ChecksScreen(
        loop.checks,
        run_now=run_now,
        spec_version=loop.spec_version(),
        apply_id=apply_id,
        last_run=None if run_now else loop.round_run() or loop.checks.last_run(),
    )

    def closed(choice: str | None) -> None:
        if choice is None:
            return
        close_changes(main)
        # Workers: the fast model may take a while, and the screen must keep answering keys.
        if choice == "follow-up":
            main.run_worker(send_follow_up(main), group="loop", exclusive=True)
        elif choice == "acceptance":
            main.run_worker(review_acceptance(main), group="loop", exclusive=True)
        elif choice == "rounds":
            show_rounds(main)

    main.app.push_screen(screen, closed)


def close_changes(main: MainScreen) -> None:
    """Close the Changes view if it is open (the loop goes on in the workbench)."""
    from workbench.screens.changes import ChangesScreen

    screen = main.app.screen
    if isinstance(screen, ChangesScreen):
        screen.dismiss(None)


def after_apply(main: MainScreen, entry: JournalEntry) -> None:
    """After an apply: run the checks, offer to, or say which key does (`checks_after_apply`)."""
    from workbench.screens.checks_setup import RunChecksModal

    checks = main.controller.loop.checks
    when = checks.after_apply
    if when == "always":
        open_checks(main, run_now=True, apply_id=entry.id)
        return
    if when == "never":
        main.notify(f"{checks_key(main)} runs the checks.", title="Checks")
        return

    def answered(run: bool | None) -> None:
        if run:
            open_checks(main, run_now=True, apply_id=entry.id)

    main.app.push_screen(RunChecksModal(checks.config().commands, entry.id), answered)


async def send_follow_up(main: MainScreen) -> None:
    """Compose this round's follow-up, show its send review, send it on Enter."""
    from workbench.checks.follow_up import is_long
    from workbench.screens.send_review import SendReviewModal

    if main.chat("implement").is_streaming:
        main.notify("Implement is still answering: Escape in that pane stops it.")
        return
    controller = main.controller
    loop = controller.loop
    run = loop.round_run()
    if run is not None and any(is_long(r) for r in run.results if not r.passed):
        main.notify("Cutting the failing check's long output with the fast model...")
    follow_up = await loop.follow_up()
    if follow_up.empty:
        main.notify("Nothing to send back: no failed edit, note or check.", title="Follow-up")
        return
    try:
        plan = await controller.prepare_follow_up(follow_up)
    except SendRefused as refused:
        main.notify(str(refused), title="Not sent", severity="warning", timeout=15)
        return

    async def decided(send: bool | None) -> None:
        if not send:
            return
        try:
            reply = controller.commit_follow_up(plan)
        except ConversationError as error:
            main.notify(str(error), title="Not sent", severity="error", timeout=15)
            return
        await main.follow("implement", reply)
        main.action_focus_pane("implement")

    review = SendReviewModal(plan.payload, plan.estimate, plan.warnings, title="the follow-up")
    await main.app.push_screen(review, decided)


async def review_acceptance(main: MainScreen) -> None:
    """Ask the fast model for a verdict on each acceptance item, then show the checklist."""
    from workbench.checks.verdicts import ReviewUnreadable

    loop = main.controller.loop
    if main.chat("explore").is_streaming:
        main.notify("Explore is still answering: Escape in that pane stops it.")
        return
    main.notify("Judging the acceptance items with the fast model...", timeout=5)
    try:
        review = await loop.review_acceptance(main.spec.text)
    except (OSError, ReviewUnreadable) as error:
        main.notify(f"Could not save the verdicts: {error}", severity="error")
        return
    show_acceptance(main, review)


def show_acceptance(main: MainScreen, review: object | None = None) -> None:
    """Show the checklist of this round's acceptance review (the saved one by default)."""
    from workbench.checks.verdicts import AcceptanceReview, ReviewUnreadable
    from workbench.screens.acceptance import AcceptanceModal

    loop = main.controller.loop
    if not isinstance(review, AcceptanceReview):
        try:
            review = loop.acceptance()
        except ReviewUnreadable as error:
            main.notify(str(error), severity="warning")
            return
    if review is None:
        main.notify(
            f"No verdicts yet for this round: v in the Checks view ({checks_key(main)}) asks "
            "the fast model.",
            title="Acceptance",
        )
        return

    def promote(note: str | None) -> None:
        if note:
            version = review.spec_version or 0
            main.spec.promote(
                note, pane="acceptance", message_id=f"v{version}", model=review.model or None
            )
            main.notify("Promoted into the spec.")

    main.app.push_screen(AcceptanceModal(loop.folder, review), promote)


def show_rounds(main: MainScreen) -> None:
    """Show the round history: what was sent, what changed, what passed."""
    from workbench.checks.rounds import load_rounds, round_details
    from workbench.screens.rounds import RoundsModal

    loop = main.controller.loop
    rounds, warnings = load_rounds(loop.folder, loop.implement.messages)
    for warning in warnings:
        main.notify(warning, severity="warning")
    journal = loop.changes.staging.journal
    root = main.controller.project_root
    main.app.push_screen(RoundsModal(rounds, lambda r: round_details(r, journal, root=root)))
