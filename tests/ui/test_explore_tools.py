"""The fast model reads the project through tools; calls show collapsed; refusals are clear."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Static

from tests.fakes.ollama_server import FakeOllama
from tests.fakes.project import SECRET, make_project
from tests.ui.harness import main_screen, make_settings, make_test_app, screen_text, wait_until
from workbench.session.store import SessionStore
from workbench.widgets.chat_pane import ChatPane

MODEL = "qwen2.5-coder:7b"


def tool_results(request: dict) -> list[dict]:
    return [m for m in request["messages"] if m["role"] == "tool"]


async def ask(pilot, pane: ChatPane, text: str) -> None:
    before = len([m for m in pane.messages if m.role == "assistant"])
    await pane.send(text)
    await wait_until(
        pilot,
        lambda: (
            not pane.is_streaming
            and len([m for m in pane.messages if m.role == "assistant"]) > before
        ),
        what="the reply",
    )


async def test_tool_calls_run_in_the_project_and_show_collapsed(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    project = make_project(tmp_path)
    ollama.tool_script = [
        [
            {"name": "read_file", "arguments": {"path": "src/auth/session.py"}},
            {"name": "search", "arguments": {"pattern": "def refresh"}},
        ],
        [{"name": "read_file", "arguments": {"path": "leak.txt"}}],
        "`refresh()` lives in src/auth/session.py.",
    ]
    app = make_test_app(make_settings(ollama.url), project=project)
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await ask(pilot, explore, "where is the token refreshed?")
        # The model got the tools, and the results went back to it.
        first, second, third = ollama.chat_requests()
        assert {t["function"]["name"] for t in first["tools"]} >= {"read_file", "search"}
        read, found = tool_results(second)
        assert "def refresh" in read["content"] and read["tool_name"] == "read_file"
        assert "src/auth/session.py:" in found["content"]
        refused = tool_results(third)[-1]["content"]
        assert refused.startswith("Error:") and SECRET not in refused
        # On screen: three collapsed tool entries above the reply, then the answer.
        roles = [m.role for m in explore.messages]
        assert roles == ["user", "tool", "tool", "tool", "assistant"]
        refused_line = "▸ tool read_file path=leak.txt · refused"
        # The frame after the reply ended (under load it can trail the data by a moment).
        await wait_until(pilot, lambda: refused_line in screen_text(app), what="tool entries")
        text = screen_text(app)
        assert "▸ tool read_file path=src/auth/session.py" in text
        assert "def logout" not in text  # collapsed
        # Enter on a tool entry shows what it returned.
        tool_view = explore.views()[1]
        tool_view.focus()
        await pilot.press("enter")
        await pilot.pause()
        output = tool_view.query_one(".tool-output", Static)
        assert output.display and "def refresh" in str(output.render())
        assert "Explore · qwen2.5-coder:7b (fast) · tools" in str(explore.border_title)
    # Saved: reopening sends the same turns (tool calls and results) with the next question.
    saved = explore.conversation.transcript.load()[0]
    assert [m.role for m in saved] == roles
    assert json.loads(saved[1].tool_args) == {"path": "src/auth/session.py"}


async def test_history_after_a_restart_carries_the_tool_turns(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    project = make_project(tmp_path)
    ollama.tool_script = [[{"name": "list_dir", "arguments": {"path": "src"}}], "src has code."]
    settings = make_settings(ollama.url)
    app = make_test_app(settings, project=project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ask(pilot, main_screen(app).chat("explore"), "what is in src?")
        await pilot.press("ctrl+q")
    app2 = make_test_app(settings, session=SessionStore().open(app.session.meta.id))
    async with app2.run_test(size=(160, 48)) as pilot:
        await ask(pilot, main_screen(app2).chat("explore"), "and in data?")
    roles = [m["role"] for m in ollama.chat_requests()[-1]["messages"] if m["role"] != "system"]
    assert roles == ["user", "assistant", "tool", "assistant", "user"]
    assert ollama.chat_requests()[-1]["messages"][2]["tool_calls"][0]["function"]["name"] == (
        "list_dir"
    )


async def test_a_model_without_tools_gets_plain_chat_and_the_pane_says_so(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    project = make_project(tmp_path)
    ollama.capabilities = {MODEL: ["completion"]}
    app = make_test_app(make_settings(ollama.url), project=project)
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await wait_until(pilot, lambda: "no tool support" in str(explore.border_title))
        await ask(pilot, explore, "what does @src/app.py do?")
        request = ollama.chat_requests()[-1]
        assert not request.get("tools")
        assert "def main" in request["messages"][-1]["content"]  # the attachment still goes
        assert "cannot call tools" in (explore.messages[-1].note or "")


async def test_tools_can_be_switched_off_for_the_session(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    project = make_project(tmp_path)
    app = make_test_app(make_settings(ollama.url), project=project)
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await pilot.press("f8")
        assert "tools off" in str(explore.border_title)
        await ask(pilot, explore, "hi")
        assert not ollama.chat_requests()[-1].get("tools")
        await pilot.press("ctrl+q")
    assert SessionStore().open(app.session.meta.id).meta.tools_enabled is False
