"""The acceptance checklist with Pilot: overrule a verdict by hand, reopen, promote; a snapshot."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import OptionList

from tests.ui.harness import wait_until
from tests.ui.test_snapshots import steady
from workbench.checks.verdicts import (
    NO_ITEMS,
    AcceptanceReview,
    ItemVerdict,
    load_review,
    review_path,
    save_review,
)
from workbench.screens.acceptance import AcceptanceModal

SIZE = (100, 30)


def sample_review() -> AcceptanceReview:
    """Four items: met, not met (pointer outside the diff), cannot tell, and one overruled."""
    verdicts = [
        ItemVerdict(
            'bye("Ann") returns "Goodbye, Ann"',
            4,
            "met",
            "bye() returns the greeting [bold]as asked[/bold]",
            "greet.py:5",
            True,
        ),
        ItemVerdict(
            "`pytest -q` passes",
            5,
            "not_met",
            "test_bye fails: AssertionError 'Bye, Ann'",
            "tests/test_bye.py:3",
            False,
        ),
        ItemVerdict("no new dependency", 6, "cannot_tell", "the diff shows no manifest", "", False),
        ItemVerdict(
            "the README mentions bye()",
            7,
            "not_met",
            "README.md is not in the diff",
            "README.md",
            False,
            by_hand="met",
            by_hand_reason="done in an earlier commit",
        ),
    ]
    return AcceptanceReview(
        3, "0001", "0002", "qwen2.5-coder:7b", "2026-11-21T10:01:00+00:00", verdicts
    )


class AcceptanceApp(App[None]):
    """Just the acceptance modal over a review saved in `folder`; keeps what it dismissed with."""

    def __init__(self, folder: Path, review: AcceptanceReview) -> None:
        super().__init__()
        self.folder = folder
        self.review = review
        self.results: list[str | None] = []

    def compose(self) -> ComposeResult:
        return []

    def on_mount(self) -> None:
        self.push_screen(AcceptanceModal(self.folder, self.review), self.results.append)


def saved_app(tmp_path: Path) -> AcceptanceApp:
    """The app over the sample review, saved first as the session would."""
    review = sample_review()
    save_review(tmp_path, review)
    return AcceptanceApp(tmp_path, review)


async def modal_up(pilot: Pilot[None]) -> AcceptanceModal:
    """Wait for the modal, and return it."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AcceptanceModal), what="modal")
    screen = pilot.app.screen
    assert isinstance(screen, AcceptanceModal)
    return screen


async def test_an_overrule_is_saved_at_once_and_survives_a_reopen(tmp_path: Path) -> None:
    app = saved_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        modal = await modal_up(pilot)
        await pilot.press("down", "n")
        await wait_until(pilot, lambda: modal.review.verdicts[1].by_hand == "not_met")
        on_disk = load_review(tmp_path, 3)
        assert on_disk is not None and on_disk.verdicts[1].by_hand == "not_met"
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results == [None], what="closed")

    reopened = load_review(tmp_path, 3)
    assert reopened is not None
    assert reopened.verdicts[1].by_hand == "met" and reopened.verdicts[1].final == "met"
    assert reopened.summary() == "3 met · 0 not met · 1 cannot tell"
    app = AcceptanceApp(tmp_path, reopened)
    async with app.run_test(size=SIZE) as pilot:
        modal = await modal_up(pilot)
        await pilot.press("down", "x")
        await wait_until(pilot, lambda: modal.review.verdicts[1].by_hand is None)
        title = str(modal.query_one(".acceptance-title").render())
        assert title.endswith("2 met · 1 not met · 1 cannot tell")
    cleared = load_review(tmp_path, 3)
    assert cleared is not None and cleared.verdicts[1].by_hand is None


async def test_promote_closes_with_the_note(tmp_path: Path) -> None:
    app = saved_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await modal_up(pilot)
        await pilot.press("down", "p")
        await wait_until(pilot, lambda: app.results, what="dismissed")
    assert app.results == [
        "Acceptance (spec v3): ✗ not met — `pytest -q` passes\n"
        "Reason: test_bye fails: AssertionError 'Bye, Ann' (tests/test_bye.py:3, unverified)"
    ]


async def test_a_save_that_fails_is_a_notification(tmp_path: Path) -> None:
    blocked = tmp_path / "session"
    blocked.mkdir()
    (blocked / "acceptance").write_text("a file where the folder should be")
    app = AcceptanceApp(blocked, sample_review())
    async with app.run_test(size=SIZE) as pilot:
        modal = await modal_up(pilot)
        await pilot.press("c")
        await wait_until(pilot, lambda: app._notifications, what="notification")
        assert modal.review.verdicts[0].by_hand is None
        assert "could not be saved" in next(iter(app._notifications)).message
    assert not review_path(blocked, 3).exists()


async def test_an_error_is_shown_above_the_list(tmp_path: Path) -> None:
    review = sample_review()
    review.error = "The fast model could not judge the items: [red]down[/red]"
    app = AcceptanceApp(tmp_path, review)
    async with app.run_test(size=SIZE) as pilot:
        modal = await modal_up(pilot)
        shown = str(modal.query_one(".acceptance-error").render())
        assert "[red]down[/red]" in shown  # model and server text is never read as markup
        assert modal.query_one(OptionList).option_count == 4


def test_acceptance_checklist_snapshot(snap_compare, tmp_path: Path) -> None:
    """100x30: met, not met with an unverified pointer, cannot tell, an item overruled by hand."""

    async def run_before(pilot: Pilot[None]) -> None:
        await modal_up(pilot)
        steady(pilot)
        await pilot.pause()

    assert snap_compare(saved_app(tmp_path), run_before=run_before, terminal_size=SIZE)


async def test_a_review_without_items_shows_why_and_only_closes(tmp_path: Path) -> None:
    review = AcceptanceReview(None, None, None, "m", "2026-11-21T10:01:00+00:00", error=NO_ITEMS)
    app = AcceptanceApp(tmp_path, review)
    async with app.run_test(size=SIZE) as pilot:
        modal = await modal_up(pilot)
        assert str(modal.query_one(".acceptance-error").render()) == f"⚠ {NO_ITEMS}"
        await pilot.press("m", "x", "p")
        await pilot.pause()
        assert not (tmp_path / "acceptance").exists() and app.results == []
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results == [None], what="closed")
