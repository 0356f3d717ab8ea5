"""Every tool and every refusal through the real ollama client, as the fake server's script
calls them: what the model gets back is what these tests read (the fake records it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.fakes.project import COMMITS, SECRET, make_project
from workbench.config import ModelRef, Settings, load_settings
from workbench.project.explore import ProjectAccess
from workbench.providers.base import ChatMessage, TextDelta
from workbench.providers.router import ProviderRouter
from workbench.providers.tool_loop import ToolStep

FAST = ModelRef("ollama", "qwen2.5-coder:7b", "fast")


def settings_for(url: str) -> Settings:
    settings, problems = load_settings(Path("/nonexistent.toml"), env={"OLLAMA_HOST": url})
    assert not problems
    return settings


async def run_calls(
    fake: FakeOllama, root: Path, calls: list[dict]
) -> tuple[dict[str, str], list[ToolStep], list[str]]:
    """Script one round of `calls`, then an answer; return the results the model got."""
    fake.models = [FAST.name]
    fake.tool_script = [calls, "done"]
    settings = settings_for(fake.url)
    router = ProviderRouter(settings)
    access = ProjectAccess(router, settings, root)
    steps: list[ToolStep] = []
    text: list[str] = []
    noted: list[str] = []
    try:
        opener = access.opener(
            [ChatMessage("user", "look")],
            system_for=lambda _ref: "sys",
            without_tools=lambda ref: noted.append(ref.name),
        )
        async for event in opener(FAST):
            if isinstance(event, ToolStep):
                steps.append(event)
            elif isinstance(event, TextDelta):
                text.append(event.text)
    finally:
        await router.aclose()
    assert "".join(text) == "done" and not noted
    sent = [m for m in fake.chat_requests()[-1]["messages"] if m["role"] == "tool"]
    return {f"{i}": m["content"] for i, m in enumerate(sent)}, steps, noted


async def test_each_tool_answers_from_the_project(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    root = make_project(tmp_path)
    results, steps, _ = await run_calls(
        fake_ollama,
        root,
        [
            {"name": "list_dir", "arguments": {"path": "src"}},
            {"name": "read_file", "arguments": {"path": "src/auth/session.py"}},
            {
                "name": "read_file",
                "arguments": {"path": "src/auth/session.py", "start_line": 18, "end_line": 19},
            },
            {"name": "search", "arguments": {"pattern": "def (login|logout)"}},
            {"name": "git_log", "arguments": {"n": 5}},
            {"name": "git_show", "arguments": {"rev": "HEAD"}},
        ],
    )
    listing, whole, part, found, log, show = results.values()
    assert "auth/" in listing and "app.py" in listing and "scratch.tmp" not in listing
    assert "def refresh" in whole and "def login" in whole
    assert "def refresh" in part and "def login" not in part
    assert "src/auth/session.py:" in found and "def logout" in found
    assert all(subject in log for subject in COMMITS)
    assert COMMITS[-1] in show and "diff --git" in show
    assert all(step.ok for step in steps)


async def test_each_refusal_is_an_error_the_model_can_read(
    fake_ollama: FakeOllama, tmp_path: Path
) -> None:
    root = make_project(tmp_path)
    results, steps, _ = await run_calls(
        fake_ollama,
        root,
        [
            {"name": "read_file", "arguments": {"path": "/etc/passwd"}},
            {"name": "read_file", "arguments": {"path": "../elsewhere/secret.txt"}},
            {"name": "read_file", "arguments": {"path": "leak.txt"}},
            {"name": "list_dir", "arguments": {"path": "outside"}},
            {"name": "read_file", "arguments": {"path": "assets/logo.png"}},
            {"name": "search", "arguments": {"pattern": "("}},
            {"name": "git_show", "arguments": {"rev": "--output=/tmp/x"}},
            {"name": "rm_rf", "arguments": {"path": "."}},
        ],
    )
    for content in results.values():
        assert content.startswith("Error: "), content
        assert SECRET not in content
    assert not any(step.ok for step in steps)
    assert "binary" in results["4"]


async def test_outputs_are_capped(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    root = make_project(tmp_path)
    results, _, _ = await run_calls(
        fake_ollama, root, [{"name": "read_file", "arguments": {"path": "data/big.py"}}]
    )
    content = results["0"]
    assert len(content.encode()) <= 17 * 1024
    assert "[output truncated:" in content


@pytest.mark.parametrize("capabilities", [["completion"], []])
async def test_a_model_without_tools_is_asked_plainly(
    fake_ollama: FakeOllama, tmp_path: Path, capabilities: list[str]
) -> None:
    fake_ollama.models = [FAST.name]
    fake_ollama.capabilities = {FAST.name: capabilities}
    fake_ollama.reply = "plain"
    settings = settings_for(fake_ollama.url)
    router = ProviderRouter(settings)
    access = ProjectAccess(router, settings, make_project(tmp_path))
    noted: list[str] = []
    try:
        opener = access.opener(
            [ChatMessage("user", "hi")],
            system_for=lambda _ref: "sys",
            without_tools=lambda ref: noted.append(ref.name),
        )
        text = "".join([e.text async for e in opener(FAST) if isinstance(e, TextDelta)])
    finally:
        await router.aclose()
    assert text == "plain" and noted == [FAST.name]
    assert not any(r.get("tools") for r in fake_ollama.chat_requests()[-1:])
