"""The acceptance review: reading the fast model's verdicts, pointers, storage and overrules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama, closed_port_url
from tests.unit.helpers import tier_settings
from workbench.checks.results import CheckRun
from workbench.checks.runner import CheckResult
from workbench.checks.verdicts import (
    DIFF_CHARS,
    NO_ITEMS,
    SKIPPED,
    UNREADABLE,
    AcceptanceReview,
    ItemVerdict,
    ReviewUnreadable,
    carry_overrules,
    changed_lines,
    latest_review,
    load_review,
    load_reviews,
    overrule,
    parse_review,
    review_acceptance,
    review_path,
    review_prompt,
    save_review,
    verdict_note,
)
from workbench.config import ModelRef
from workbench.providers.chain import ask_once
from workbench.providers.router import ProviderRouter
from workbench.spec.acceptance import acceptance_items

SPEC = """\
# Task: Farewell

## Acceptance

- bye("Ann") returns "Goodbye, Ann"
- `pytest -q` passes
- no new dependency
"""
ITEMS = acceptance_items(SPEC)
DIFF = """\
diff --git a/greet.py b/greet.py
--- a/greet.py
+++ b/greet.py
@@ -1,2 +1,5 @@
 def hello(name):
     return "Hello, " + name
+
+def bye(name):
+    return "Goodbye, " + name
--- a/old.py
+++ /dev/null
@@ -1 +0,0 @@
-x = 1
"""
FAILED = CheckResult(
    name="tests",
    command="pytest -q",
    status="failed",
    exit_code=1,
    duration_s=1.5,
    output_tail="noise\n" * 1000 + "FAILED test_bye.py::test_bye - AssertionError: 'Bye, Ann'\n",
    output_bytes=7000,
    log_file="checks/0002-1.log",
    truncated=False,
)
PASSED = CheckResult(
    "lint", "ruff check", "passed", 0, 0.2, "All checks passed!\n", 19, None, False
)
RUN = CheckRun("0002", "2026-11-21T10:00:00+00:00", [PASSED, FAILED], 3, "0001")
ANSWER = [
    {"item": 1, "verdict": "met", "reason": "bye() returns it", "where": "greet.py:5"},
    {"item": 2, "verdict": "not met", "reason": "test_bye fails", "where": "tests/test_bye.py:3"},
    {"item": 3, "verdict": "cannot tell", "reason": "no dependency file in the diff", "where": ""},
]


def review(verdicts: list[ItemVerdict] | None = None, version: int | None = 3) -> AcceptanceReview:
    """A review of the three items, as the model judged them in ANSWER."""
    if verdicts is None:
        verdicts = parse_review(json.dumps(ANSWER), ITEMS, DIFF)
    return AcceptanceReview(
        version, "0001", "0002", "qwen2.5-coder:7b", "2026-11-21T10:01:00+00:00", verdicts
    )


# ---- reading the answer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        json.dumps(ANSWER),
        "```json\n" + json.dumps(ANSWER, indent=2) + "\n```",
        "Here are my verdicts [as asked]:\n" + json.dumps(ANSWER) + "\nLet me know! [1]",
        "Sure.\n```\n" + json.dumps(ANSWER) + "\n```\nThe first item [1] is fine.",
        "\n".join(json.dumps(obj) for obj in ANSWER),  # one object a line, no array
    ],
    ids=["bare", "fenced", "prose-around", "fence-and-prose", "json-lines"],
)
def test_answers_are_read_in_many_shapes(answer: str) -> None:
    verdicts = parse_review(answer, ITEMS, DIFF)
    assert [v.verdict for v in verdicts] == ["met", "not_met", "cannot_tell"]
    assert [v.item for v in verdicts] == [item.text for item in ITEMS]
    assert [v.line for v in verdicts] == [item.line for item in ITEMS]
    assert verdicts[0].reason == "bye() returns it"


@pytest.mark.parametrize(
    ("spelling", "verdict"),
    [
        ("met", "met"),
        ("MET", "met"),
        ("yes", "met"),
        ("Pass", "met"),
        ("not_met", "not_met"),
        ("Not met", "not_met"),
        ("not-met", "not_met"),
        ("NO", "not_met"),
        ("failed", "not_met"),
        ("cannot_tell", "cannot_tell"),
        ("Cannot Tell", "cannot_tell"),
        ("maybe", "cannot_tell"),
        (None, "cannot_tell"),
    ],
)
def test_verdict_spellings(spelling: str | None, verdict: str) -> None:
    answer = json.dumps([{"item": 1, "verdict": spelling, "reason": "r"}])
    assert parse_review(answer, ITEMS[:1], DIFF)[0].verdict == verdict


def test_skipped_items_cannot_be_told_and_numbers_are_one_based() -> None:
    answer = json.dumps([{"item": "3", "verdict": "met"}, {"item": "Item 1", "verdict": "no"}])
    verdicts = parse_review(answer, ITEMS, DIFF)
    assert [v.verdict for v in verdicts] == ["not_met", "cannot_tell", "met"]
    assert verdicts[1].reason == SKIPPED


@pytest.mark.parametrize("answer", ["", "I think it all works.", "[{'item': 1,}", "[1, 2, 3]"])
def test_an_unreadable_answer_leaves_every_item_cannot_tell(answer: str) -> None:
    verdicts = parse_review(answer, ITEMS, DIFF)
    assert [(v.verdict, v.reason) for v in verdicts] == [("cannot_tell", UNREADABLE)] * 3


def test_reasons_are_one_clean_line() -> None:
    answer = json.dumps(
        [{"item": 1, "verdict": "met", "reason": "a\x1b[31m red\n  b " + "x" * 400}]
    )
    reason = parse_review(answer, ITEMS[:1], DIFF)[0].reason
    assert "\x1b" not in reason and "\n" not in reason
    assert reason.startswith("a red b x") and len(reason) == 300


# ---- pointers and the diff --------------------------------------------------------------------


def test_changed_lines_are_the_new_side_of_each_hunk() -> None:
    assert changed_lines(DIFF) == {"greet.py": {1, 2, 3, 4, 5}, "old.py": set()}
    new_file = "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x = 1\n"
    assert changed_lines(new_file) == {"new.py": {1}}


@pytest.mark.parametrize(
    ("where", "pointer", "in_diff"),
    [
        ("greet.py:4", "greet.py:4", True),
        ("greet.py line 5", "greet.py:5", True),
        ("`b/greet.py:2`", "greet.py:2", True),
        ("greet.py (line 40)", "greet.py:40", False),
        ("greet.py", "greet.py", True),
        ("other.py:1", "other.py:1", False),
        ("old.py:1", "old.py:1", False),
        (["greet.py:3"], "greet.py:3", True),
        ("none", "", False),
        ("", "", False),
    ],
)
def test_pointers_are_normalized_and_checked_against_the_diff(
    where: object, pointer: str, in_diff: bool
) -> None:
    answer = json.dumps([{"item": 1, "verdict": "met", "where": where}])
    verdict = parse_review(answer, ITEMS[:1], DIFF)[0]
    assert (verdict.pointer, verdict.pointer_in_diff) == (pointer, in_diff)
    assert verdict.pointer_unverified == (bool(pointer) and not in_diff)


# ---- the prompt ------------------------------------------------------------------------------


def test_the_prompt_numbers_the_items_and_shows_checks_and_diff() -> None:
    instructions, text = review_prompt(ITEMS, DIFF, RUN)
    assert "ONLY a JSON array" in instructions and '"cannot tell"' in instructions
    assert '1. bye("Ann") returns "Goodbye, Ann"' in text and "3. no new dependency" in text
    assert "- lint (ruff check): passed, exit code 0" in text
    assert "- tests (pytest -q): failed, exit code 1" in text
    assert "AssertionError: 'Bye, Ann'" in text
    assert text.count("noise") < 400  # only the end of a failed check's output
    assert "All checks passed" not in text  # a passed check's output is not needed
    assert "```diff\n" + DIFF.rstrip("\n") + "\n```" in text
    assert "No checks were run." in review_prompt(ITEMS, DIFF, None)[1]


def test_a_long_diff_is_cut_with_a_note() -> None:
    diff = "".join(f"+line {n}\n" for n in range(10_000))
    text = review_prompt(ITEMS, diff, None)[1]
    assert len(text) < DIFF_CHARS + 1_000
    assert "more characters of the diff left out]" in text
    assert "+line 0\n" in text and "+line 9999" not in text


# ---- storage and overrules -------------------------------------------------------------------


def test_reviews_are_saved_per_spec_version_and_read_back(tmp_path: Path) -> None:
    save_review(tmp_path, review())
    save_review(tmp_path, review(version=None))
    assert review_path(tmp_path, 3) == tmp_path / "acceptance" / "v003.json"
    assert json.loads(review_path(tmp_path, 3).read_text())["version"] == 1
    assert load_review(tmp_path, 3) == review()
    assert load_review(tmp_path, None) == review(version=None)
    assert load_review(tmp_path, 4) is None
    reviews, warnings = load_reviews(tmp_path)
    assert [r.spec_version for r in reviews] == [None, 3] and warnings == []


def test_a_corrupt_review_is_reported_and_skipped(tmp_path: Path) -> None:
    save_review(tmp_path, review())
    later = review(version=4)
    later.created = "2026-11-22T09:00:00+00:00"
    save_review(tmp_path, later)
    assert latest_review(tmp_path) == later
    review_path(tmp_path, 4).write_text('{"version": 1, "model": ')
    with pytest.raises(ReviewUnreadable, match=r"v004\.json"):
        load_review(tmp_path, 4)
    reviews, warnings = load_reviews(tmp_path)
    assert [r.spec_version for r in reviews] == [3]
    assert len(warnings) == 1 and "v004.json could not be read" in warnings[0]
    assert latest_review(tmp_path) == review()
    review_path(tmp_path, 3).write_text(json.dumps({"version": 1, "verdicts": [{"verdict": 1}]}))
    with pytest.raises(ReviewUnreadable):
        load_review(tmp_path, 3)


def test_an_overrule_persists_and_can_be_cleared(tmp_path: Path) -> None:
    first = review()
    save_review(tmp_path, first)
    changed = overrule(tmp_path, first, 1, "met", "the test is flaky")
    assert first.verdicts[1].by_hand is None  # the caller's review is left as it was
    reloaded = load_review(tmp_path, 3)
    assert reloaded is not None and reloaded == changed
    assert reloaded.verdicts[1].final == "met" and reloaded.verdicts[1].verdict == "not_met"
    assert reloaded.summary() == "2 met · 0 not met · 1 cannot tell"
    cleared = overrule(tmp_path, reloaded, 1, None)
    again = load_review(tmp_path, 3)
    assert again == cleared and again is not None
    assert (again.verdicts[1].by_hand, again.verdicts[1].by_hand_reason) == (None, "")


def test_overrules_carry_over_to_a_new_review_of_unchanged_items(tmp_path: Path) -> None:
    old = overrule(tmp_path, review(), 0, "not_met")
    old = overrule(tmp_path, old, 2, "met", "checked pyproject")
    items = acceptance_items(SPEC.replace("no new dependency", "no new dependencies at all"))
    fresh = review(parse_review(json.dumps(ANSWER), items, DIFF))
    carried = carry_overrules(old, fresh)
    assert [v.by_hand for v in carried.verdicts] == ["not_met", None, None]
    assert carry_overrules(None, fresh) == fresh


def test_verdict_notes_read_as_plain_text() -> None:
    current = review()
    assert verdict_note(current, 1) == (
        "Acceptance (spec v3): ✗ not met — `pytest -q` passes\n"
        "Reason: test_bye fails (tests/test_bye.py:3, unverified)"
    )
    assert verdict_note(current, 0) == (
        'Acceptance (spec v3): ✓ met — bye("Ann") returns "Goodbye, Ann"\n'
        "Reason: bye() returns it (greet.py:5)"
    )
    current.verdicts[2].by_hand = "met"
    current.verdicts[2].by_hand_reason = "checked pyproject"
    assert verdict_note(current, 2) == (
        "Acceptance (spec v3): ✓ met — no new dependency"
        " (overruled by hand: met; the model said cannot tell)\n"
        "Reason: no dependency file in the diff\n"
        "Overruled because: checked pyproject"
    )


# ---- the whole review through the real Ollama client -----------------------------------------

FAST = ModelRef("ollama", "qwen2.5-coder:7b", "fast")


async def judge(url: str) -> AcceptanceReview:
    """Review SPEC's items against DIFF and RUN with the fast model at `url`."""
    settings = tier_settings(url)
    router = ProviderRouter(settings)

    async def ask(instructions: str, text: str) -> str:
        return await ask_once(router, FAST, instructions, text)

    try:
        return await review_acceptance(
            ask, SPEC, DIFF, RUN, spec_version=3, apply_id="0001", model=FAST.name
        )
    finally:
        await router.aclose()


async def test_the_fast_model_is_asked_and_its_answer_read(fake_ollama: FakeOllama) -> None:
    fake_ollama.replies = {FAST.name: "Here you go:\n```json\n" + json.dumps(ANSWER) + "\n```"}
    result = await judge(fake_ollama.url)
    sent = fake_ollama.chat_requests()[-1]
    assert sent["model"] == FAST.name
    prompt = sent["messages"][-1]["content"]
    for item in ITEMS:
        assert item.text in prompt
    assert "+def bye(name):" in prompt and "+++ /dev/null" in prompt
    assert "FAILED test_bye.py::test_bye - AssertionError: 'Bye, Ann'" in prompt
    assert (result.spec_version, result.apply_id, result.check_run_id) == (3, "0001", "0002")
    assert result.error == "" and result.model == FAST.name
    assert [(v.verdict, v.pointer, v.pointer_unverified) for v in result.verdicts] == [
        ("met", "greet.py:5", False),
        ("not_met", "tests/test_bye.py:3", True),
        ("cannot_tell", "", False),
    ]


async def test_a_server_that_is_down_leaves_every_item_cannot_tell() -> None:
    result = await judge(closed_port_url())
    assert result.error.startswith("The fast model could not judge the items: ")
    assert [v.verdict for v in result.verdicts] == ["cannot_tell"] * 3
    assert all(v.reason == result.error for v in result.verdicts)


async def test_a_spec_without_acceptance_items_asks_nothing() -> None:
    async def ask(instructions: str, text: str) -> str:
        raise AssertionError("asked")

    result = await review_acceptance(
        ask, "# Task\n\nNo list.\n", DIFF, None, spec_version=None, apply_id=None, model="m"
    )
    assert result.error == NO_ITEMS and result.verdicts == [] and result.check_run_id is None
