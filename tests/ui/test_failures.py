"""What the user sees when things go wrong, and that nothing they typed or received is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.loopback import closed_port_url
from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import (
    main_screen,
    make_settings,
    make_test_app,
    screen_text,
    send_spec,
    wait_until,
)
from workbench.app import WorkbenchApp
from workbench.config import load_settings
from workbench.screens.main import MainScreen
from workbench.screens.send_review import SendReviewModal
from workbench.session.model import AssistantMessage, ModelChoice, UserMessage
from workbench.session.store import SessionStore
from workbench.spec.template import new_spec
from workbench.widgets.message_view import MessageView

LONG_REPLY = "word " * 400


def views(screen: MainScreen, pane: str, role: str) -> list[MessageView]:
    return [v for v in screen.chat(pane).views() if v.message.role == role]  # type: ignore[arg-type]


def error_text(screen: MainScreen, pane: str) -> str:
    errors = views(screen, pane, "error")
    return errors[-1].message.content if errors else ""


async def ask(pilot, text: str) -> None:
    await pilot.press(*text, "enter")


async def test_escape_stops_a_reply_and_keeps_the_partial_text(ollama: FakeOllama) -> None:
    ollama.reply = LONG_REPLY
    ollama.tokens_per_s = 50
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await ask(pilot, "explain")
        await wait_until(pilot, lambda: ollama.chunks_sent >= 5, what="some chunks")
        await wait_until(pilot, lambda: screen.chat("explore").is_streaming)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.chat("explore").is_streaming, what="stop")
        reply = views(screen, "explore", "assistant")[0].message
        assert reply.status == "interrupted"
        assert reply.content and LONG_REPLY.startswith(reply.content)
        assert len(reply.content) < len(LONG_REPLY)
        saved = screen.chat("explore").conversation.transcript.load()[0][-1]
        assert (saved.status, saved.content) == ("interrupted", reply.content)
        assert "Stopped by you" in screen_text(app)
        await wait_until(pilot, lambda: ollama.streams_aborted == 1, what="server sees it closed")


async def test_both_panes_stream_at_the_same_time(ollama: FakeOllama) -> None:
    ollama.replies = {"qwen2.5-coder:14b": "word " * 60, "qwen2.5-coder:7b": "term " * 60}
    ollama.tokens_per_s = 30
    app = make_test_app(make_settings(ollama.url), spec=new_spec("Both") + "\nDo it.\n")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        # Open the send review first, so both replies start close together.
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, SendReviewModal))
        app.screen.dismiss(True)
        await screen.chat("explore").send("question")
        await wait_until(
            pilot,
            lambda: screen.chat("explore").is_streaming and screen.chat("implement").is_streaming,
            what="both streaming",
        )
        await wait_until(
            pilot,
            lambda: (
                not screen.chat("explore").is_streaming
                and not screen.chat("implement").is_streaming
            ),
            what="both done",
        )
        for pane, text in (("explore", "term " * 60), ("implement", "word " * 60)):
            reply = views(screen, pane, "assistant")[0].message
            assert (reply.status, reply.content) == ("done", text)


async def test_ollama_down_says_how_to_fix_and_keeps_the_question() -> None:
    url = closed_port_url()
    app = make_test_app(make_settings(url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await ask(pilot, "where is auth?")
        await wait_until(pilot, lambda: error_text(screen, "explore"), what="error message")
        message = error_text(screen, "explore")
        assert url in message and "ollama serve" in message
        # The question is kept on screen and on disk, marked not sent, to retry with r.
        question = views(screen, "explore", "user")[0].message
        assert (question.content, question.status) == ("where is auth?", "not_sent")
        saved = screen.chat("explore").conversation.transcript.load()[0]
        assert [(m.content, m.status) for m in saved if m.role == "user"] == [
            ("where is auth?", "not_sent")
        ]
        text = screen_text(app)
        assert "ollama serve" in text and "not sent (r retries)" in text


async def test_missing_model_says_ollama_pull(ollama: FakeOllama) -> None:
    ollama.models = ["qwen2.5-coder:14b"]
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await ask(pilot, "hi")
        await wait_until(pilot, lambda: error_text(screen, "explore"), what="error message")
        assert "ollama pull qwen2.5-coder:7b" in error_text(screen, "explore")
        assert views(screen, "explore", "user")[0].message.status == "not_sent"


async def test_stream_cut_half_way_keeps_the_partial_reply(ollama: FakeOllama) -> None:
    ollama.reply = LONG_REPLY
    ollama.cut_after = 10
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await ask(pilot, "explain")
        await wait_until(pilot, lambda: error_text(screen, "explore"), what="error message")
        reply = views(screen, "explore", "assistant")[0].message
        assert reply.status == "failed"
        assert reply.content == LONG_REPLY[: 10 * ollama.chunk_chars]
        assert "cut" in error_text(screen, "explore")
        saved = screen.chat("explore").conversation.transcript.load()[0]
        assert [m.role for m in saved] == ["user", "assistant", "error"]
        assert saved[1].content == reply.content


def claude_session(spec: str = "# Task: Claude\n\nDo it.\n"):
    store = SessionStore()
    session = store.create(Path("/tmp/demo-project"), spec)
    session.set_model("implement", ModelChoice("anthropic", "claude-sonnet-5-5"))
    return session


async def test_claude_streams_the_spec(ollama: FakeOllama, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply = "Claude's **plan**"
    app = make_test_app(make_settings(ollama.url, fake_anthropic), session=claude_session())
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        assert "claude-sonnet-5-5 (cloud)" in str(screen.chat("implement").border_title)
        await send_spec(pilot)
        await wait_until(
            pilot,
            lambda: (
                views(screen, "implement", "assistant")
                and views(screen, "implement", "assistant")[0].message.status == "done"
            ),
            what="claude reply",
        )
        reply = views(screen, "implement", "assistant")[0].message
        assert reply.content == "Claude's **plan**"
        request = fake_anthropic.message_requests()[-1]
        assert request["model"] == "claude-sonnet-5-5"
        assert request["messages"] == [{"role": "user", "content": "# Task: Claude\n\nDo it.\n"}]
        # The key is never written into the session.
        folder = app.session.folder
        assert all("sk-test" not in p.read_text() for p in folder.iterdir() if p.is_file())


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda fake: None, "No Anthropic API key"),
        (lambda fake: setattr(fake, "valid_key", "sk-other"), "rejected the API key"),
        (lambda fake: setattr(fake, "status_override", 429), "rate limited"),
        (lambda fake: setattr(fake, "status_override", 529), "overloaded"),
    ],
    ids=["no-key", "bad-key", "rate-limited", "overloaded"],
)
async def test_claude_failures_are_explained(
    ollama: FakeOllama, fake_anthropic: FakeAnthropic, setup, expected: str
) -> None:
    setup(fake_anthropic)
    key = None if expected == "No Anthropic API key" else "sk-test"
    settings = make_settings(ollama.url, fake_anthropic, key=key)
    app = make_test_app(settings, session=claude_session())
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await send_spec(pilot)
        await wait_until(pilot, lambda: error_text(screen, "implement"), what="error message")
        assert expected in error_text(screen, "implement")
        assert "press r on it" in error_text(screen, "implement")
        # The spec is untouched, and what was sent is on record.
        assert screen.spec.text == "# Task: Claude\n\nDo it.\n"
        assert screen.chat("implement").conversation.transcript.load()[0][0].kind == "spec"


async def test_corrupt_transcript_line_is_skipped_with_a_warning(ollama: FakeOllama) -> None:
    store = SessionStore()
    session = store.create(Path("/tmp/demo-project"), new_spec())
    session.explore.append(UserMessage(id="a1", content="kept question"))
    with session.explore.path.open("a") as handle:
        handle.write("{not json\n")
    session.explore.append(AssistantMessage(id="a2", content="kept answer", model="m"))
    app = make_test_app(make_settings(ollama.url), session=session)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        contents = [v.message.content for v in screen.chat("explore").views()]
        assert contents == ["kept question", "kept answer"]
        notices = [n.message for n in app._notifications]
        assert any("explore.jsonl:2" in n and "not valid JSON" in n for n in notices), notices


async def test_broken_config_is_reported_and_the_app_starts_on_defaults(
    ollama: FakeOllama, isolated_paths: Path
) -> None:
    config = isolated_paths / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('theme = "workbench-light"\n[ollama]\ntimeout_s = "fast"\n')
    settings, problems = load_settings(config, env={"OLLAMA_HOST": ollama.url})
    assert settings.theme == "workbench-light"
    store = SessionStore()
    session = store.create(Path("/tmp/demo-project"), new_spec())
    app = WorkbenchApp(
        settings, session, store=store, problems=problems, remember_theme_changes=False
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        notices = [n.message for n in app._notifications]
        assert any("config.toml:3" in n and "timeout_s" in n for n in notices), notices
        assert app.theme == "workbench-light"
        assert main_screen(app).chat("explore").input.has_focus


async def test_a_theme_that_cannot_be_remembered_is_reported_not_a_crash(
    ollama: FakeOllama, isolated_paths: Path
) -> None:
    config = isolated_paths / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[ollama\nbroken = \n")
    settings, _ = load_settings(config, env={"OLLAMA_HOST": ollama.url})
    store = SessionStore()
    session = store.create(Path("/tmp/demo-project"), new_spec())
    app = WorkbenchApp(settings, session, store=store)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        app.theme = "workbench-light"
        await wait_until(
            pilot,
            lambda: any("remember the theme" in n.message for n in app._notifications),
            what="a notice that the theme was not saved",
        )
        assert app.is_running
    assert config.read_text() == "[ollama\nbroken = \n"
