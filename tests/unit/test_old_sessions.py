"""Sessions written before the lifecycle moved into the core open unchanged (tests/fixtures)."""

from __future__ import annotations

import shutil
from pathlib import Path

from workbench import paths
from workbench.chat.history import build_history
from workbench.config import load_settings
from workbench.controller import SessionController
from workbench.providers.router import ProviderRouter
from workbench.session.store import SessionStore
from workbench.session.transcript import RECOVERED_NOTE

FIXTURE = Path(__file__).parent.parent / "fixtures" / "sessions" / "20261120T095959000-a14fb61a"


def open_fixture() -> SessionController:
    shutil.copytree(FIXTURE, paths.sessions_dir() / FIXTURE.name)
    session = SessionStore().open(FIXTURE.name)
    settings, _problems = load_settings(Path("/nonexistent.toml"), env={})
    controller = SessionController(session, settings, ProviderRouter(settings))
    assert controller.load() == []
    return controller


def test_the_metadata_of_an_old_session_is_kept() -> None:
    controller = open_fixture()
    meta = controller.session.meta
    assert meta.title == "Add refresh tokens"
    assert controller.explore.model.name == "qwen2.5-coder:7b"
    assert (controller.implement.model.provider, controller.implement.model.name) == (
        "anthropic",
        "claude-sonnet-5-5",
    )
    assert meta.drafts == {"explore": "half a question"}
    assert controller.promote_section == "Context (from exploration)"
    assert controller.explore.tools_on is False and controller.consent.session_allowed
    assert controller.versions.numbers() == [1]
    controller.session.close()


def test_every_message_of_an_old_explore_transcript_loads() -> None:
    controller = open_fixture()
    messages = controller.explore.messages
    shape = [(m.role, m.status, getattr(m, "kind", None)) for m in messages]
    assert shape == [
        ("user", "done", None),
        ("tool", "done", None),
        ("assistant", "done", None),
        ("user", "failed", None),  # an old "not sent" prompt: still retryable
        ("error", "done", None),
        ("assistant", "done", "summary"),
        ("user", "done", "git-summary"),
        ("assistant", "interrupted", None),
        ("assistant", "interrupted", None),  # recovered from checkpoint chunks
    ]
    first = messages[0]
    assert first.attachments is not None and first.attachments[0].tokens == 30
    assert first.attachments[1].error == "binary file"
    assert messages[1].tool_name == "read_file"
    assert messages[2].output_tokens == 8 and messages[2].model == "qwen2.5-coder:7b"
    assert messages[5].covers == messages[2].id
    assert (messages[8].content, messages[8].note) == ("A reply cut by a crash", RECOVERED_NOTE)
    assert controller.explore.waiting_prompts() == [messages[3]]
    # The failed prompt is not sent again; the summary stands for what it covers.
    history = build_history(messages, "explore")
    assert [m.role for m in history] == ["system", "user", "assistant", "assistant"]
    assert "src/auth" in history[0].content
    controller.session.close()


def test_every_message_of_an_old_implement_transcript_loads() -> None:
    controller = open_fixture()
    messages = controller.implement.messages
    shape = [(m.role, m.status, m.kind, m.spec_version) for m in messages]
    assert shape == [
        ("user", "done", "spec", 1),
        ("assistant", "done", None, 1),
        ("user", "retried", None, None),
        ("user", "done", None, None),
        ("assistant", "done", None, None),
    ]
    assert messages[1].fallback_from == "qwen2.5-coder:14b"
    assert messages[0].attachments and messages[0].attachments[0].summary is True
    history = build_history(messages, "implement")
    assert [m.role for m in history] == ["user", "assistant", "user", "assistant"]
    assert "summary of it" in history[0].content
    controller.session.close()


def test_an_old_session_exports_with_its_tool_calls() -> None:
    from workbench.export import export_session

    controller = open_fixture()
    text = export_session(controller.session)
    assert "### Tool read_file path=src/auth/session.py" in text
    assert "```\ndef refresh(token): ...\n```" in text
    assert "A reply cut by a crash" in text
    controller.session.close()
