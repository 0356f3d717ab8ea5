"""Follow-ups: every one composed the same way (failed edits, noted rejections, failed checks,
this round's diff), a long check output cut by the fast model first (the real Ollama client
against the fake), and the payload the send review shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.fakes.ollama_server import FakeOllama, closed_port_url
from tests.unit.helpers import tier_settings
from workbench.apply.follow_up import (
    DIFF_CHARS,
    FollowUp,
    FollowUpPart,
    diff_part,
    follow_up_payload,
)
from workbench.checks.follow_up import CUT_INSTRUCTIONS, CUT_OVER_CHARS, compose_follow_up
from workbench.checks.results import CheckRun
from workbench.checks.runner import CheckResult
from workbench.config import ModelRef
from workbench.providers.chain import ask_once
from workbench.providers.router import ProviderRouter
from workbench.session.model import AssistantMessage, UserMessage

FAST = ModelRef("ollama", "qwen2.5-coder:7b", "fast")
DIFF = (
    "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n"
    " def add(a, b):\n-    return 1\n+    return a - b\n"
)
FAILURE = "E   assert add(2, 2) == 4\nFAILED test_calc.py::test_add - assert 0 == 4\n"


def result(output: str, *, status: str = "failed", total: int | None = None) -> CheckResult:
    return CheckResult(
        "pytest",
        "pytest -q",
        status,
        1 if status == "failed" else 0,
        1.0,
        output,  # type: ignore[arg-type]
        total if total is not None else len(output.encode()),
        None,
        False,
    )


def run_of(*results: CheckResult) -> CheckRun:
    return CheckRun("0001", "2026-12-01T10:00:00+00:00", list(results), 1, "0001")


async def test_a_failed_check_and_the_diff_make_one_follow_up() -> None:
    follow_up = await compose_follow_up(
        changes=None, run=run_of(result(FAILURE)), diff=DIFF, cut=None
    )
    text = follow_up.text
    assert text.index("## Checks that failed") < text.index("## This round's changes, as applied")
    assert "`pytest -q` failed, exit code 1\n```text\n" + FAILURE.strip() in text
    assert "```diff\n" + DIFF in text
    assert text.endswith("(the changes above are already in them).")


async def test_nothing_to_send_back_when_every_check_passed() -> None:
    run = run_of(result("1 passed\n", status="passed"))
    follow_up = await compose_follow_up(changes=None, run=run, diff=DIFF, cut=None)
    assert follow_up.empty and follow_up.text == ""  # the diff alone is not worth a follow-up


def test_a_long_diff_is_cut_and_says_how_much_is_left_out() -> None:
    diff = "+x\n" * (DIFF_CHARS // 3 + 100)
    part = diff_part(diff)
    assert part is not None
    assert "more characters of the diff are not shown]" in part.text
    assert len(part.text) < DIFF_CHARS + 200


async def cut_with(url: str) -> Callable[[str, str], Awaitable[str]]:
    router = ProviderRouter(tier_settings(url))

    async def cut(instructions: str, text: str) -> str:
        return await ask_once(router, FAST, instructions, text)

    return cut


async def test_a_long_output_is_cut_by_the_fast_model(fake_ollama: FakeOllama) -> None:
    noise = "tests/test_other.py ........................................\n" * 400
    output = noise + FAILURE
    assert len(output) > CUT_OVER_CHARS
    fake_ollama.replies = {FAST.name: FAILURE}
    cut = await cut_with(fake_ollama.url)
    follow_up = await compose_follow_up(changes=None, run=run_of(result(output)), diff="", cut=cut)
    asked = "\n".join(m["content"] for m in fake_ollama.chat_requests()[-1]["messages"])
    assert CUT_INSTRUCTIONS in asked and output.strip() in asked  # the whole output, locally
    text = follow_up.text
    assert (
        f"[cut by the fast model from {len(output):,} bytes of output]\n{FAILURE.strip()}" in text
    )
    assert "test_other.py" not in text


async def test_when_the_fast_model_cannot_cut_the_end_of_the_output_is_quoted() -> None:
    output = "x" * 10_000 + "\n" + FAILURE
    cut = await cut_with(closed_port_url())
    follow_up = await compose_follow_up(changes=None, run=run_of(result(output)), diff="", cut=cut)
    text = follow_up.text
    assert "the fast model could not shorten it" in text
    assert text.count("x") < 7_000 and FAILURE.strip() in text


def test_the_review_payload_holds_the_turns_sent_and_the_follow_up() -> None:
    spec = UserMessage(
        id="u1", content="# Task: T", created="2026-12-01T10:00:00", kind="spec", spec_version=1
    )
    reply = AssistantMessage(
        id="a1", content="calc.py\n```...```", model="m", created="2026-12-01T10:01:00"
    )
    follow_up = FollowUp([FollowUpPart("Checks that failed", FAILURE)])
    payload = follow_up_payload("m", "Be exact.", [spec, reply], follow_up.text)
    assert [p.name for p in payload.parts] == ["System prompt", "Earlier turns (2)", "Follow-up"]
    assert payload.parts[1].text == "[user]\n# Task: T\n\n[assistant]\ncalc.py\n```...```"
    assert payload.parts[-1].text == follow_up.text
