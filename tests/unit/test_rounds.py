"""The applied diff kept in the journal, and the round history built from a session."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.apply.journal import Journal
from workbench.apply.journal_entry import JournalEntry
from workbench.apply.round_diff import (
    APPLIED_DIFF_EXTRA,
    applied_diff,
    diff_counts,
    file_diff,
    session_diff,
)
from workbench.apply.staging_area import StagingArea
from workbench.checks.results import CheckRun, save_run
from workbench.checks.rounds import load_rounds, round_details
from workbench.checks.runner import CheckResult, CheckStatus
from workbench.checks.verdicts import AcceptanceReview, ItemVerdict, save_review
from workbench.session.model import AssistantMessage, Message, UserMessage
from workbench.session.store import Session, SessionStore

APP = "".join(f"line {i}\n" for i in range(1, 31))
TEN = (
    "--- a/app.py\n+++ b/app.py\n@@ -7,7 +7,7 @@\n line 7\n line 8\n line 9\n"
    "-line 10\n+ten\n line 11\n line 12\n line 13\n"
)
"""The diff of the first reply's edit to app.py."""


def block(path: str, old: str, new: str) -> str:
    """One SEARCH/REPLACE edit as a model writes it."""
    return f"{path}\n```python\n<<<<<<< SEARCH\n{old}=======\n{new}>>>>>>> REPLACE\n```\n\n"


FIRST = block("app.py", "line 10\n", "ten\n") + block("new.py", "", "x = 1\n")
SECOND = block("app.py", "line 20\n", "twenty\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text(APP)
    return root


@pytest.fixture
def session(tmp_path: Path, project: Path) -> Iterator[Session]:
    """A real session (its session.json names the project) over `project`."""
    opened = SessionStore(tmp_path / "sessions").create(project, "# Task\n")
    yield opened
    opened.close()


def apply_reply(session: Session, project: Path, reply: str, reply_id: str) -> JournalEntry:
    """Stage `reply` through a StagingArea, accept every hunk and apply; the journal entry."""
    area = StagingArea(session.folder, project)
    asyncio.run(area.stage(reply, reply_id))
    for change in area.changes.files:
        area.decide_file(change.path, "accepted")
    result = area.apply()
    assert result.entry is not None, result.message
    return result.entry


def check(status: CheckStatus, name: str = "pytest") -> CheckResult:
    return CheckResult(
        name=name,
        command=f"{name} -q",
        status=status,
        exit_code=0 if status == "passed" else 1,
        duration_s=1.25,
        output_tail="",
        output_bytes=0,
        log_file=f"checks/{name}.log",
        truncated=False,
    )


def run(folder: Path, started: str, apply_id: str | None, *results: CheckResult) -> CheckRun:
    return save_run(folder, CheckRun("", started, list(results), 1, apply_id, started))


def transcript() -> list[Message]:
    """A spec send and a follow-up, each answered."""
    return [
        UserMessage(
            id="p1",
            content="# Task\nMake ten.",
            kind="spec",
            spec_version=1,
            created="2026-01-01T10:00:00+00:00",
        ),
        AssistantMessage(id="r1", content=FIRST, model="qwen2.5-coder:14b", spec_version=1),
        UserMessage(id="p2", content="Now twenty.", created="2026-01-01T11:00:00+00:00"),
        AssistantMessage(id="r2", content=SECOND, model="qwen2.5-coder:14b"),
    ]


def test_the_apply_saves_its_diff_in_the_journal(session: Session, project: Path) -> None:
    entry = apply_reply(session, project, FIRST, "r1")

    diff = applied_diff(Journal(session.folder), entry)

    assert diff == TEN + "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x = 1\n"
    saved = session.folder / "applies" / entry.id / "extra" / APPLIED_DIFF_EXTRA
    assert saved.read_text() == diff
    assert diff_counts(diff) == (2, 1)


def test_the_staged_changes_are_still_saved_and_undone_as_before(
    session: Session, project: Path
) -> None:
    apply_reply(session, project, FIRST, "r1")
    area = StagingArea(session.folder, project)
    entry = area.undo()
    assert (project / "app.py").read_text() == APP
    assert not (project / "new.py").exists()
    assert [c.path for c in area.changes.files] == ["app.py", "new.py"]
    assert applied_diff(area.journal, entry).startswith(TEN)  # an undone apply's diff is kept


def test_an_entry_from_before_the_saved_diff_is_rebuilt(session: Session, project: Path) -> None:
    entry = apply_reply(session, project, FIRST, "r1")
    journal = Journal(session.folder)
    saved = applied_diff(journal, entry)
    (journal.entry_folder(entry) / "extra" / APPLIED_DIFF_EXTRA).unlink()

    assert applied_diff(journal, entry) == saved  # the project found through session.json


def test_a_file_changed_since_the_apply_is_named_not_diffed(
    session: Session, project: Path
) -> None:
    entry = apply_reply(session, project, FIRST, "r1")
    journal = Journal(session.folder)
    (journal.entry_folder(entry) / "extra" / APPLIED_DIFF_EXTRA).unlink()
    (project / "app.py").write_text("rewritten by hand\n")

    assert applied_diff(journal, entry, root=project) == (
        "app.py changed since the apply; its diff is not known\n"
        "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x = 1\n"
    )


def test_session_diff_joins_applies_in_order(session: Session, project: Path) -> None:
    first = apply_reply(session, project, FIRST, "r1")
    second = apply_reply(session, project, SECOND, "r2")

    joined = session_diff(session.folder, [second.id, first.id, "0009"])

    assert joined.index("+twenty") < joined.index("+ten")
    assert joined.endswith("Apply 0009 is not in the journal; its diff is not known.\n")


def test_binary_large_and_unterminated_files() -> None:
    assert file_diff("logo.png", b"\x89PNG\x00\x01", b"\x89PNG\x00\x02") == (
        "Binary or large file logo.png changed\n"
    )
    big = b"x\n" * (1024 * 1024 + 1)
    assert file_diff("big.txt", big, b"x\n") == "Binary or large file big.txt changed\n"
    assert file_diff("end.txt", b"a\nb", b"a\nc") == (
        "--- a/end.txt\n+++ b/end.txt\n@@ -1,2 +1,2 @@\n a\n-b\n"
        "\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
    )
    assert file_diff("gone.txt", b"bye\n", None) == (
        "--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
    )
    assert diff_counts("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n--- old\n+++ new\n") == (1, 1)


def test_rounds_have_their_applies_and_check_runs(session: Session, project: Path) -> None:
    first = apply_reply(session, project, FIRST, "r1")
    run(session.folder, "2026-01-01T10:10:00+00:00", first.id, check("failed"))
    second = apply_reply(session, project, SECOND, "r2")
    run(session.folder, "2026-01-01T11:10:00+00:00", second.id, check("passed"))

    rounds, warnings = load_rounds(session.folder, transcript())

    assert warnings == []
    one, two = rounds
    assert (one.number, one.sent, one.spec_version, one.reply_id) == (1, "spec v1", 1, "r1")
    assert (two.number, two.sent, two.spec_version, two.reply_id) == (2, "follow-up", 1, "r2")
    assert [a.id for a in one.applies] == [first.id]
    assert [a.id for a in two.applies] == [second.id]
    assert (one.applies[0].added, one.applies[0].removed) == (2, 1)
    assert one.changed_text() == "2 files +2 \N{MINUS SIGN}1"
    assert two.changed_text() == "1 file +1 \N{MINUS SIGN}1"
    assert one.checks_text() == "failed 1/1: pytest"
    assert two.checks_text() == "passed 1/1"
    assert one.line() == (
        " 1  01-01 10:00  spec v1     qwen2.5-coder:14b  2 files +2 \N{MINUS SIGN}1  "
        "checks failed 1/1: pytest"
    )


def test_runs_by_hand_go_to_the_round_that_was_newest(session: Session, project: Path) -> None:
    first = apply_reply(session, project, FIRST, "r1")
    run(session.folder, "2026-01-01T10:30:00+00:00", None, check("passed"), check("failed", "ruff"))
    run(session.folder, "2026-01-01T12:00:00+00:00", None, check("passed"))
    run(session.folder, "2026-01-01T09:00:00+00:00", None, check("passed"))  # before any round

    one, two = load_rounds(session.folder, transcript())[0]

    assert [r.id for r in one.check_runs] == ["0001"]
    assert one.checks_text() == "failed 1/2: ruff"
    assert [r.id for r in two.check_runs] == ["0002"]
    assert (two.changed_text(), two.checks_text()) == ("not applied", "passed 1/1")
    assert [a.id for a in one.applies] == [first.id]


def test_a_prompt_without_reply_and_an_undone_apply(session: Session, project: Path) -> None:
    apply_reply(session, project, FIRST, "r1")
    StagingArea(session.folder, project).undo()
    messages = [
        *transcript()[:2],
        UserMessage(id="p2", content="Again?", status="not_sent", created="2026-01-01T11:00Z"),
    ]

    one, two = load_rounds(session.folder, messages)[0]

    assert (one.changed_text(), one.checks_text()) == ("undone", "not run")
    assert (two.model, two.reply_id, two.reply_status) == ("", None, "not sent")
    assert two.line() == (
        " 2  01-01 11:00  follow-up   no model (not sent)  not applied  checks not run"
    )


def test_details_show_the_prompt_the_diff_and_the_checks(session: Session, project: Path) -> None:
    first = apply_reply(session, project, FIRST, "r1")
    run(session.folder, "2026-01-01T10:10:00+00:00", first.id, check("failed"))
    met = ItemVerdict(
        item="ten", line=3, verdict="met", reason="", pointer="", pointer_in_diff=False
    )
    review = AcceptanceReview(1, first.id, "0001", "m", "2026-01-01T10:20:00+00:00", [met])
    save_review(session.folder, review)
    rounds, warnings = load_rounds(session.folder, transcript())
    assert warnings == []
    assert (rounds[0].verdicts, rounds[1].verdicts) == (review.summary(), "")

    text = round_details(rounds[0], Journal(session.folder))

    assert text.startswith("Round 1: spec v1, 01-01 10:00 UTC\n")
    assert "Sent:\n  # Task\n  Make ten.\n" in text
    assert "Apply 0001 (applied): app.py, new.py\n" + TEN in text
    assert "  pytest: failed, exit 1, 1.2 s, log checks/pytest.log\n" in text
    assert text.endswith(f"Acceptance: {review.summary()}\n")
    assert "Applied: nothing from this reply." in round_details(rounds[1], Journal(session.folder))


def test_details_cut_a_long_diff_and_a_long_prompt(session: Session, project: Path) -> None:
    body = "".join(f"row {i}\n" for i in range(500))
    apply_reply(session, project, block("big.py", "", body), "r1")
    messages = transcript()[:2]
    messages[0].content = "\n".join(f"spec line {i}" for i in range(40))
    [one] = load_rounds(session.folder, messages)[0]

    lines = round_details(one, Journal(session.folder)).splitlines()

    assert "Sent (first 30 of 40 lines):" in lines
    assert "  spec line 29" in lines and "  spec line 30" not in lines
    assert "… 103 more lines not shown (all of it: applies/0001/extra/applied.diff)" in lines
