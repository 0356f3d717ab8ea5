"""Quitting, switching and failing at awkward moments: nothing typed or received is lost."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, screen_text, wait_until
from workbench.session.model import AssistantMessage, UserMessage
from workbench.session.store import SessionStore
from workbench.spec.template import new_spec
from workbench.widgets.message_list import EarlierMessages

LONG_REPLY = "word " * 400


async def test_quit_while_streaming_keeps_the_partial_reply_and_the_spec_edit(
    ollama: FakeOllama,
) -> None:
    ollama.reply = LONG_REPLY
    ollama.tokens_per_s = 50
    settings = make_settings(ollama.url)
    settings.autosave_delay_s = 60  # only quitting can save the edit
    app = make_test_app(settings)
    session = app.session
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press("f2", *"EDITED", "f1")
        await pilot.press(*"explain", "enter")
        await wait_until(pilot, lambda: ollama.chunks_sent >= 5, what="some chunks")
        assert "EDITED" not in session.spec_path.read_text()
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    assert "EDITED" in session.spec_path.read_text()
    messages, warnings = SessionStore().open(session.meta.id).explore.load()
    assert not warnings
    reply = messages[-1]
    assert reply.status == "interrupted" and reply.content
    assert LONG_REPLY.startswith(reply.content)
    assert "closed" in (reply.note or "")
    assert screen is not None


async def test_switching_sessions_while_streaming_saves_everything(ollama: FakeOllama) -> None:
    ollama.reply = LONG_REPLY
    ollama.tokens_per_s = 50
    store = SessionStore()
    other = store.create(Path("/tmp/other"), "# Task: Other\n")
    other.close()
    settings = make_settings(ollama.url)
    settings.autosave_delay_s = 60  # only the switch can save the edit
    app = make_test_app(settings)
    first = app.session
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f2", *"EDITED", "f1")
        await pilot.press(*"explain", "enter")
        await wait_until(pilot, lambda: ollama.chunks_sent >= 5, what="some chunks")
        await app.open_session(other.meta.id)
        await wait_until(pilot, lambda: app.session.meta.id == other.meta.id)
        await pilot.pause()
        assert main_screen(app).spec.text == "# Task: Other\n"
    assert "EDITED" in first.spec_path.read_text()
    reply = store.open(first.meta.id).explore.load()[0][-1]
    assert reply.status == "interrupted" and reply.content
    assert "switched sessions" in (reply.note or "")


async def test_a_second_escape_does_not_lose_the_reply(ollama: FakeOllama) -> None:
    ollama.reply = LONG_REPLY
    ollama.tokens_per_s = 50
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        pane = screen.chat("explore")
        await pilot.press(*"explain", "enter")
        await wait_until(pilot, lambda: ollama.chunks_sent >= 5, what="some chunks")
        pane.action_cancel()
        pane.action_cancel()
        await pilot.press("escape")
        await wait_until(pilot, lambda: not pane.is_streaming)
        await pilot.pause()
        saved = pane.conversation.transcript.load()[0]
        assert [m.role for m in saved] == ["user", "assistant"]
        assert saved[1].status == "interrupted" and saved[1].content
        assert [m.role for m in pane.messages] == ["user", "assistant"]


async def test_a_transcript_that_cannot_be_written_keeps_the_question_in_the_input(
    ollama: FakeOllama,
) -> None:
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        transcript = screen.chat("explore").conversation.transcript.path
        transcript.unlink(missing_ok=True)
        transcript.mkdir()  # any write now fails with an OSError
        await pilot.press(*"keep me", "enter")
        await pilot.pause()
        assert screen.chat("explore").input.text == "keep me"
        assert ollama.chat_requests() == []
        notices = [n.message for n in app._notifications]
        assert any("Could not write" in n and "explore.jsonl" in n for n in notices), notices


async def test_markup_in_a_session_title_is_shown_as_text(ollama: FakeOllama) -> None:
    store = SessionStore()
    other = store.create(Path("/tmp/other"), "# Task: Fix list[int] and [/] parsing\n")
    other.close()
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        await app.open_session(other.meta.id)
        await wait_until(pilot, lambda: app.main_screen is not None and app.session is not None)
        await pilot.pause()
        assert "Fix list[int] and [/] parsing" in screen_text(app)


async def test_escape_codes_in_server_errors_are_stripped(ollama: FakeOllama) -> None:
    ollama.status_override = 500
    ollama.status_message = "boom \x1b]0;PWNED\x07 \x1b[2Jgone"
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"hi", "enter")
        await wait_until(
            pilot, lambda: any(m.role == "error" for m in screen.chat("explore").messages)
        )
        error = screen.chat("explore").messages[-1].content
        assert "\x1b" not in error and "PWNED" not in error and "boom" in error
        assert "\x1b" not in screen.chat("explore").conversation.transcript.path.read_text()


async def test_a_reopened_session_shows_its_last_message(ollama: FakeOllama) -> None:
    store = SessionStore()
    session = store.create(Path("/tmp/demo-project"), new_spec())
    for n in range(30):
        session.explore.append(UserMessage(id=f"u{n}", content=f"question {n}"))
        session.explore.append(
            AssistantMessage(id=f"a{n}", content=f"answer {n}\n\n" * 3, model="m")
        )
    app = make_test_app(make_settings(ollama.url), session=session)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert "answer 29" in screen_text(app)
        assert "question 0" not in screen_text(app)


async def test_a_long_session_opens_on_its_last_page_and_shows_earlier_ones_on_demand(
    ollama: FakeOllama,
) -> None:
    store = SessionStore()
    session = store.create(Path("/tmp/demo-project"), new_spec())
    for n in range(25):  # questions and their answers, alternating
        kind, word = (UserMessage, "question") if n % 2 == 0 else (AssistantMessage, "answer")
        session.explore.append(kind(id=f"m{n:02}", content=f"{word} {n}"))
    app = make_test_app(make_settings(ollama.url), session=session)
    async with app.run_test(size=(160, 48)) as pilot:
        pane = main_screen(app).chat("explore")
        await pilot.pause()
        assert pane.views()[0].message.content == "answer 5"
        earlier = pane.query_one(EarlierMessages)
        assert "▲ 5 earlier messages" in str(earlier.render())
        # Up from the input walks to the oldest shown message, then onto the "earlier" line.
        await pilot.press("up", *(["up"] * 20), "enter")
        await pilot.pause()
        assert pane.views()[0].message.content == "question 0"
        assert len(pane.views()) == 25
        assert not pane.query(EarlierMessages)
        # Everything is still sent to the model, not only what is shown.
        await pilot.press("i", *"next", "enter")
        await wait_until(pilot, lambda: len(ollama.chat_requests()) == 1)
        sent = [m["content"] for m in ollama.chat_requests()[0]["messages"] if m["role"] == "user"]
        assert sent[0] == "question 0" and sent[-1] == "next"


async def test_unsent_input_survives_quit_and_reopen(ollama: FakeOllama) -> None:
    app = make_test_app(make_settings(ollama.url))
    session = app.session
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press(*"half a question", "f3", *"a follow-up", "ctrl+q")
    reopened = SessionStore().open(session.meta.id)
    app2 = make_test_app(make_settings(ollama.url), session=reopened)
    async with app2.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app2)
        await pilot.pause()
        assert screen.chat("explore").input.text == "half a question"
        assert screen.chat("implement").input.text == "a follow-up"
        # Sending clears the draft for next time.
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(ollama.chat_requests()) == 1)
        await pilot.press("f3", "ctrl+a", "ctrl+k", "ctrl+q")
    assert SessionStore().open(session.meta.id).meta.drafts == {}
