"""SessionController without a screen: the send review's plan, sends, chores and settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama
from tests.unit.helpers import tier_settings
from workbench.chat.events import Ended, TurnStatus
from workbench.config import ModelRef
from workbench.controller import SendRefused, SessionController
from workbench.project.files import ToolError
from workbench.providers.router import ProviderRouter
from workbench.session.store import SessionStore
from workbench.spec.template import new_spec

SPEC = new_spec("Refresh tokens") + "\nRefresh tokens when they expire.\n"


make_settings = tier_settings


@asynccontextmanager
async def controller_for(
    tmp_path: Path, url: str, anthropic: FakeAnthropic | None = None, spec: str = SPEC
) -> AsyncIterator[SessionController]:
    settings = make_settings(url, anthropic)
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    session = SessionStore().create(project, spec)
    router = ProviderRouter(settings)
    controller = SessionController(session, settings, router)
    controller.load()
    try:
        yield controller
    finally:
        await controller.stop_replies("Stopped")
        await router.aclose()
        session.close()


async def ended(reply: object) -> Ended:
    events = [event async for event in reply]  # type: ignore[attr-defined]
    last = events[-1]
    assert isinstance(last, Ended)
    return last


async def test_the_review_names_the_model_that_will_answer(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    """Bug: the review said "to qwen2.5-coder:14b" although it was not installed."""
    fake_ollama.models = ["qwen2.5-coder:7b", "qwen2.5-coder:32b"]
    async with controller_for(tmp_path, fake_ollama.url) as controller:
        await controller.monitor.poll()
        plan = await controller.prepare_send(SPEC)
        assert plan.estimate.model == "qwen2.5-coder:32b"
        assert plan.model.name == "qwen2.5-coder:14b"  # still the one asked first
        notes = [w.message for w in plan.warnings if w.code == "answerer"]
        assert notes == [
            "qwen2.5-coder:14b (not installed): qwen2.5-coder:32b will answer instead."
        ]
        # And it does.
        outcome = await ended(controller.commit_send(plan))
        assert outcome.reply is not None and outcome.reply.model == "qwen2.5-coder:32b"


async def test_the_review_warns_when_claude_would_answer(
    tmp_path: Path, fake_ollama: FakeOllama, fake_anthropic: FakeAnthropic
) -> None:
    fake_ollama.models = ["qwen2.5-coder:7b"]
    async with controller_for(tmp_path, fake_ollama.url, fake_anthropic) as controller:
        await controller.monitor.poll()
        plan = await controller.prepare_send(SPEC)
        assert plan.estimate.model == "claude-sonnet-5-5"
        (note,) = [w.message for w in plan.warnings if w.code == "answerer"]
        assert "claude-sonnet-5-5 on Anthropic's servers would answer instead" in note
        assert "after you allow it" in note


async def test_the_review_says_when_no_model_can_answer(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.models = ["qwen2.5-coder:7b"]
    async with controller_for(tmp_path, fake_ollama.url) as controller:  # no Claude key
        await controller.monitor.poll()
        plan = await controller.prepare_send(SPEC)
        (note,) = [w.message for w in plan.warnings if w.code == "answerer"]
        assert note.startswith("No model can answer") and "no API key" in note


async def test_the_review_names_the_model_asked_when_all_is_well(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.models = ["qwen2.5-coder:7b", "qwen2.5-coder:14b"]
    async with controller_for(tmp_path, fake_ollama.url) as controller:
        await controller.monitor.poll()
        plan = await controller.prepare_send(SPEC)
        assert plan.estimate.model == "qwen2.5-coder:14b"
        assert not [w for w in plan.warnings if w.code == "answerer"]


async def test_commit_send_saves_a_version_and_sends_exactly_the_spec(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.models = ["qwen2.5-coder:7b", "qwen2.5-coder:14b"]
    async with controller_for(tmp_path, fake_ollama.url) as controller:
        plan = await controller.prepare_send(SPEC)
        assert plan.estimate.version == 1
        outcome = await ended(controller.commit_send(plan))
        assert outcome.status is TurnStatus.ANSWERED
        assert controller.versions.read(1) == SPEC
        prompt = controller.implement.messages[0]
        assert (prompt.kind, prompt.spec_version) == ("spec", 1)
        sent = fake_ollama.chat_requests()[-1]["messages"]
        assert [m["content"] for m in sent if m["role"] == "user"] == [SPEC]
        assert (await controller.prepare_send(SPEC)).estimate.version == 2


async def test_what_cannot_be_sent_is_refused(tmp_path: Path, fake_ollama: FakeOllama) -> None:
    async with controller_for(tmp_path, fake_ollama.url) as controller:
        with pytest.raises(SendRefused, match="empty"):
            await controller.prepare_send("  \n")
        with pytest.raises(SendRefused, match="nothing to critique"):
            controller.critique(new_spec())
        with pytest.raises(ToolError):
            await controller.git_summary()  # the project is not a git repository


async def test_session_choices_are_saved(tmp_path: Path, fake_ollama: FakeOllama) -> None:
    async with controller_for(tmp_path, fake_ollama.url) as controller:
        picked = ModelRef("ollama", "qwen2.5-coder:32b", "quality")
        assert controller.next_model("implement") == picked
        assert controller.set_model("implement", picked) is None
        on, problem = controller.toggle_tools()
        assert (on, problem) == (False, None)
        assert controller.save_drafts({"explore": "half typed", "implement": "  "}) is None
        assert controller.remember_section("Notes") is None
        folder = controller.session.folder
    reopened = SessionStore().open(folder.name)
    meta = reopened.meta
    assert meta.models["implement"].name == "qwen2.5-coder:32b"
    assert meta.tools_enabled is False and meta.drafts == {"explore": "half typed"}
    assert meta.promote_section == "Notes"
    reopened.close()
