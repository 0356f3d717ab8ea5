"""The whole Apply loop in the app: an Implement reply with edits to three files, F6, review hunk
by hunk, apply, undo, and the rejected note sent back to the Implement model."""

from __future__ import annotations

import os
from pathlib import Path

from textual.widgets import TextArea

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, send_spec, wait_until
from tests.unit.test_cli_apply import APP, LIB, REPLY
from tests.unit.test_cli_apply import UTIL as CLI_UTIL
from tests.unit.test_cli_apply import UTIL_BY_MODEL as BY_MODEL
from workbench.screens.changes import ChangesScreen
from workbench.screens.checks_setup import RunChecksModal
from workbench.screens.send_review import SendReviewModal

SPEC = "# Task: Friendlier greetings\n\n## What I want\n\nSay hello to the world.\n"
UTIL = CLI_UTIL.replace("\n", "\r\n")  # a CRLF file: it stays CRLF


def project_with_files(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(APP)
    (project / "lib.py").write_text(LIB)
    (project / "util.py").write_bytes(UTIL.encode())
    os.chmod(project / "util.py", 0o755)
    return project


def read(project: Path) -> dict[str, bytes]:
    return {name: (project / name).read_bytes() for name in ("app.py", "lib.py", "util.py")}


async def test_review_apply_and_undo_three_files(ollama: FakeOllama, tmp_path: Path) -> None:
    project = project_with_files(tmp_path)
    before = read(project)
    ollama.replies = {"qwen2.5-coder:14b": REPLY, "qwen2.5-coder:7b": f"```\n{BY_MODEL}```\n"}
    app = make_test_app(make_settings(ollama.url), project=project, spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        main = main_screen(app)
        await send_spec(pilot)
        implement = main.chat("implement")
        await wait_until(pilot, lambda: not implement.is_streaming and len(implement.views()) >= 2)
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangesScreen), what="Changes")
        changes: ChangesScreen = app.screen  # type: ignore[assignment]
        staged = {f.path: f for f in changes.staging.changes.files}
        assert [h.origin for f in staged.values() for h in f.hunks] == [
            ["exact"],
            ["tolerant"],
            ["model qwen2.5-coder:7b"],
        ]
        assert read(project) == before  # nothing is written before the review

        # app.py: accept its hunk.
        assert changes.selected == "app.py"
        await pilot.press("a")
        await wait_until(pilot, lambda: staged["app.py"].hunks[0].decision == "accepted")
        # lib.py: reject with a note.
        await wait_until(pilot, lambda: changes.selected == "lib.py", what="on to lib.py")
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is not changes, what="note modal")
        await pilot.press(*"keep hi", "enter")
        await wait_until(pilot, lambda: staged["lib.py"].hunks[0].decision == "rejected")
        assert staged["lib.py"].hunks[0].note == "keep hi"
        # util.py: edit the model's line by hand, then accept it.
        await wait_until(pilot, lambda: changes.selected == "util.py", what="on to util.py")
        await pilot.press("e")
        await wait_until(pilot, lambda: app.screen is not changes, what="edit modal")
        editor = app.screen.query_one(TextArea)
        assert editor.text == "    return os.path.expanduser('~')"
        await pilot.press("end", *"  # home", "ctrl+s")
        await wait_until(pilot, lambda: staged["util.py"].hunks[0].decision == "accepted")

        await pilot.press("w")
        await wait_until(pilot, lambda: read(project) != before, what="applied")
        # After an apply the workbench offers to run the checks (checks_after_apply = "ask").
        await wait_until(pilot, lambda: isinstance(app.screen, RunChecksModal), what="offer")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is changes, what="back in Changes")
        after = read(project)
        assert after["app.py"] == b"def main():\n    print('hello, world')\n"
        assert after["lib.py"] == before["lib.py"]
        assert after["util.py"] == (
            b"import os\r\n\r\n\r\ndef home():\r\n    return os.path.expanduser('~')  # home\r\n"
        )
        assert os.stat(project / "util.py").st_mode & 0o777 == 0o755

        await pilot.press("u")
        await wait_until(pilot, lambda: read(project) == before, what="undone")

        # The rejection's note goes back to the Implement model with one key.
        requests = len(ollama.chat_requests())
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, SendReviewModal), what="review")
        assert requests == len(ollama.chat_requests())  # nothing goes before the review
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is main, what="back on the main screen")
        await wait_until(pilot, lambda: len(ollama.chat_requests()) > requests)
        prompt = ollama.chat_requests()[-1]["messages"][-1]["content"]
        assert "- lib.py line 3 (you proposed `return 'hello'`): keep hi" in prompt


async def test_f6_without_an_implement_reply_says_what_to_do(ollama: FakeOllama) -> None:
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f6")
        await wait_until(
            pilot,
            lambda: any("send the spec first" in n.message for n in app._notifications),
            what="the notice",
        )
        assert app.screen is main_screen(app)
