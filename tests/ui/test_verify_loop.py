"""The whole verify-and-iterate loop in the app: apply a reply, the project's check fails, the
failure goes back to the Implement model through the send review, the fixing reply is applied,
the check passes, and the round history shows both rounds."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.widgets import Log

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, send_spec, wait_until
from workbench.app import WorkbenchApp
from workbench.screens.acceptance import AcceptanceModal
from workbench.screens.changes import ChangesScreen
from workbench.screens.checks import ChecksScreen
from workbench.screens.checks_setup import RunChecksModal
from workbench.screens.send_review import SendReviewModal

QUALITY = "qwen2.5-coder:14b"
FAST = "qwen2.5-coder:7b"
VERDICTS = (
    '[{"item": 1, "verdict": "not met", "reason": "it still subtracts", "where": "calc.py:2"}]'
)

CALC = "def add(a, b):\n    return a - b\n"
CHECK = (
    "from calc import add\n\n"
    "result = add(2, 2)\n"
    'assert result == 4, f"add(2, 2) returned {result}, expected 4"\n'
    'print("add works")\n'
)
SPEC = (
    "# Task: Fix add\n\n## Context (from exploration)\n\n`add` is in calc.py.\n\n"
    "## What I want\n\nMake add() add.\n\n## Acceptance\n\n- add(2, 2) returns 4\n"
)
WRONG = """calc.py
```python
<<<<<<< SEARCH
    return a - b
=======
    return a - b  # sums the two numbers
>>>>>>> REPLACE
```
"""
FIX = """calc.py
```python
<<<<<<< SEARCH
    return a - b  # sums the two numbers
=======
    return a + b
>>>>>>> REPLACE
```
"""


def calc_project(tmp_path: Path) -> Path:
    """A project whose one check (`python check_calc.py`) fails until add() adds."""
    project = tmp_path / "calc"
    project.mkdir()
    (project / "calc.py").write_text(CALC)
    (project / "check_calc.py").write_text(CHECK)
    command = f"{sys.executable} check_calc.py"
    (project / ".workbench.toml").write_text(f"[checks]\ncommands = [{command!r}]\n")
    return project


async def apply_and_check(pilot: object, app: WorkbenchApp) -> ChecksScreen:
    """F6, accept the file, apply, say yes to running the checks; the Checks view when done."""
    await pilot.press("f6")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="Changes")  # type: ignore[arg-type]
    await pilot.press("A", "w")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, RunChecksModal), what="run checks?")  # type: ignore[arg-type]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, ChecksScreen), what="Checks view")  # type: ignore[arg-type]
    checks: ChecksScreen = app.screen  # type: ignore[assignment]
    await wait_until(pilot, lambda: checks.run is not None, what="checks finished")  # type: ignore[arg-type]
    return checks


async def test_a_failing_check_goes_back_and_the_fix_passes(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    project = calc_project(tmp_path)
    ollama.replies = {QUALITY: WRONG}
    app = make_test_app(make_settings(ollama.url), project=project, spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        main = main_screen(app)
        implement = main.chat("implement")
        await send_spec(pilot)
        await wait_until(pilot, lambda: not implement.is_streaming and len(implement.views()) >= 2)

        checks = await apply_and_check(pilot, app)
        assert checks.run is not None and not checks.run.passed
        [result] = checks.run.results
        assert result.status == "failed" and result.exit_code == 1
        shown = "\n".join(checks.query_one(Log).lines)
        assert "add(2, 2) returned 0, expected 4" in shown
        run_file = app.session.folder / "checks" / "0001.json"
        assert run_file.is_file() and '"failed"' in run_file.read_text()

        # v: the fast model judges the acceptance items, given the diff and the failure.
        ollama.replies[FAST] = VERDICTS
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, AcceptanceModal), what="verdicts")
        asked = ollama.chat_requests()[-1]
        assert asked["model"] == FAST
        prompt = "\n".join(m["content"] for m in asked["messages"])
        assert "add(2, 2) returns 4" in prompt and "add(2, 2) returned 0, expected 4" in prompt
        assert "+    return a - b  # sums the two numbers" in prompt
        checklist: AcceptanceModal = app.screen  # type: ignore[assignment]
        [verdict] = checklist.review.verdicts
        assert (verdict.verdict, verdict.pointer, verdict.pointer_unverified) == (
            "not_met",
            "calc.py:2",
            False,
        )
        assert (app.session.folder / "acceptance" / "v001.json").is_file()
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is main, what="back")
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, ChecksScreen), what="Checks")

        # One key: the follow-up, reviewed first, holds the failure and this round's diff.
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, SendReviewModal), what="review")
        review: SendReviewModal = app.screen  # type: ignore[assignment]
        follow_up = review.payload.parts[-1].text
        assert "add(2, 2) returned 0, expected 4" in follow_up
        assert "+    return a - b  # sums the two numbers" in follow_up
        requests = len(ollama.chat_requests())
        ollama.replies[QUALITY] = FIX
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(ollama.chat_requests()) > requests, what="sent")
        sent = ollama.chat_requests()[-1]["messages"]
        assert sent[-1]["content"] == follow_up  # exactly what the review showed
        assert "Checks that failed" in sent[-1]["content"]
        assert sent[1]["content"].startswith("# Task: Fix add")  # the spec turn goes too
        await wait_until(pilot, lambda: not implement.is_streaming and len(implement.views()) >= 4)

        checks = await apply_and_check(pilot, app)
        assert checks.run is not None and checks.run.passed
        assert (project / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"

        # The round history shows both rounds: what was sent, what changed, what passed.
        await pilot.press("h")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RoundsModal", what="rounds")
        rounds = app.screen.rounds  # type: ignore[attr-defined]
        assert [r.sent for r in rounds] == ["spec v1", "follow-up"]
        assert rounds[0].checks_text().startswith("failed")
        assert "1 not met" in rounds[0].verdicts
        assert rounds[1].checks_text().startswith("passed")
