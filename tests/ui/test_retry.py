"""A prompt that could not be sent stays in the pane, on disk, and can be retried, even later."""

from __future__ import annotations

from textual.widgets import Static

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import (
    main_screen,
    make_settings,
    make_test_app,
    screen_text,
    send_spec,
    wait_until,
)
from workbench.session.store import SessionStore
from workbench.spec.template import new_spec
from workbench.widgets.chat_pane import ChatPane
from workbench.widgets.message_view import MessageView


def header(view: MessageView) -> str:
    return str(view.query_one(".message-header", Static).render())


def statuses(pane: ChatPane) -> list[tuple[str, str, str]]:
    """(role, status, content) of every message, as saved on disk."""
    return [(m.role, m.status, m.content) for m in pane.conversation.transcript.load()[0]]


async def test_failed_question_is_retried_after_a_restart_once_ollama_is_back() -> None:
    ollama = FakeOllama(models=["qwen2.5-coder:7b"])
    ollama.start()
    ollama.stop()  # down, on a port we can bring it back on
    settings = make_settings(ollama.url)
    app = make_test_app(settings)
    session_id = app.session.meta.id
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await pilot.press(*"where is auth?", "enter")
        await wait_until(pilot, lambda: any(m.role == "error" for m in explore.messages))
        assert explore.input.text == ""  # not back in the input: it is in the pane
        assert "✗ not sent (r retries)" in screen_text(app)
        await pilot.press("ctrl+q")
    assert ("user", "not_sent", "where is auth?") in statuses(explore)

    ollama.start()
    try:
        app2 = make_test_app(settings, session=SessionStore().open(session_id))
        async with app2.run_test(size=(160, 48)) as pilot:
            explore = main_screen(app2).chat("explore")
            await pilot.pause()
            assert "✗ not sent (r retries)" in screen_text(app2)
            # Up from the input reaches the notice, then the question; r on either retries.
            await pilot.press("up")
            assert explore.views()[-1].has_focus
            await pilot.press("r")
            await wait_until(
                pilot,
                lambda: any(m.role == "assistant" for m in explore.messages),
                what="the reply",
            )
            await wait_until(pilot, lambda: not explore.is_streaming)
            sent = ollama.chat_requests()[0]["messages"]
            assert [m["content"] for m in sent if m["role"] == "user"] == ["where is auth?"]
            assert "✗ not sent" not in screen_text(app2)
        saved = statuses(explore)
        assert saved[0] == ("user", "done", "where is auth?")
        assert [role for role, _, _ in saved] == ["user", "error", "assistant"]
    finally:
        ollama.stop()


async def test_retry_after_later_turns_sends_the_prompt_again_as_a_new_turn(
    ollama: FakeOllama,
) -> None:
    ollama.models = ["qwen2.5-coder:7b"]
    ollama.status_override = 503
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await pilot.press(*"first", "enter")
        await wait_until(pilot, lambda: explore.messages[0].status == "not_sent")
        ollama.status_override = None
        await pilot.press(*"second", "enter")
        await wait_until(pilot, lambda: explore.messages[-1].role == "assistant")
        await wait_until(pilot, lambda: not explore.is_streaming)
        # The failed turn is not sent with the next question.
        sent = ollama.chat_requests()[-1]["messages"]
        assert [m["content"] for m in sent if m["role"] == "user"] == ["second"]
        failed = next(v for v in explore.views() if v.message.content == "first")
        failed.focus()
        before = len(ollama.chat_requests())
        await pilot.press("r")
        await wait_until(pilot, lambda: len(ollama.chat_requests()) == before + 1)
        await wait_until(pilot, lambda: not explore.is_streaming)
        sent = ollama.chat_requests()[-1]["messages"]
        assert [m["content"] for m in sent if m["role"] == "user"] == ["second", "first"]
        assert failed.message.status == "retried"
        assert "sent again below" in header(failed)
    users = [(s, c) for role, s, c in statuses(explore) if role == "user"]
    assert users == [("retried", "first"), ("done", "second"), ("done", "first")]


async def test_failed_spec_send_is_retried_with_the_same_spec(ollama: FakeOllama) -> None:
    ollama.models = ["qwen2.5-coder:7b"]  # the quality models are missing
    app = make_test_app(make_settings(ollama.url), spec=new_spec("Retry") + "\nDo it.\n")
    async with app.run_test(size=(160, 48)) as pilot:
        implement = main_screen(app).chat("implement")
        await send_spec(pilot)
        await wait_until(
            pilot, lambda: implement.messages and implement.messages[0].status == "not_sent"
        )
        spec_sent = implement.messages[0].content
        ollama.models.append("qwen2.5-coder:14b")
        notice = implement.views()[-1]
        notice.focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: implement.messages[-1].role == "assistant")
        request = ollama.chat_requests()[-1]["messages"]
        assert request[-1]["content"] == spec_sent
        assert implement.messages[0].status == "done"


async def test_stopping_before_the_reply_keeps_the_prompt_to_retry(ollama: FakeOllama) -> None:
    ollama.delay_first_s = 5
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await pilot.press(*"slow one", "enter")
        await wait_until(pilot, lambda: ollama.chat_requests(), what="the request")
        await pilot.press("escape")
        await wait_until(pilot, lambda: explore.messages[0].status == "not_sent")
        assert explore.messages[0].note == "Stopped before any reply arrived."
