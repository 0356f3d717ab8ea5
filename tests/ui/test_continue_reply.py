"""A reply cut at its token limit says so, and m on it asks the model to go on: one reply."""

from __future__ import annotations

from textual.widgets import Static

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, screen_text, wait_until
from workbench.session.model import AssistantMessage
from workbench.session.store import SessionStore
from workbench.widgets.message_view import MessageView

FIRST = "Step one: read the file.\n\nStep two: "
WHOLE = FIRST + "apply the patch.\n\nStep three: run the tests."


def header(view: MessageView) -> str:
    return str(view.query_one(".message-header", Static).render())


async def test_m_on_a_cut_reply_continues_it_in_place() -> None:
    ollama = FakeOllama(models=["qwen2.5-coder:7b"])
    ollama.reply = WHOLE
    ollama.start()
    try:
        settings = make_settings(ollama.url)
        settings.tiers["fast"].max_tokens = len(FIRST) // 4  # the fake: 4 characters a token
        app = make_test_app(settings)
        session_id = app.session.meta.id
        async with app.run_test(size=(160, 48)) as pilot:
            explore = main_screen(app).chat("explore")
            await pilot.press(*"plan it", "enter")
            await wait_until(
                pilot,
                lambda: any(m.status == "cut" for m in explore.messages),
                what="a cut reply",
            )
            [reply] = [m for m in explore.messages if isinstance(m, AssistantMessage)]
            view = explore.views()[-1]
            await wait_until(pilot, lambda: "(m continues)" in header(view))
            assert "Step two" in screen_text(app) and "Step three" not in screen_text(app)

            # The rest of the reply, as the server goes on from the cut text.
            ollama.reply = WHOLE[len(reply.content.rstrip()) :]
            settings.tiers["fast"].max_tokens = None
            await pilot.press("up")  # from the input to the reply
            assert explore.views()[-1].message is reply and explore.views()[-1].has_focus
            await pilot.press("m")
            await wait_until(pilot, lambda: reply.status == "done", what="continued")
            await wait_until(pilot, lambda: "Step three: run the tests." in screen_text(app))
            assert "Continued after the token limit: one reply." in screen_text(app)
            assert "cut at the token limit" not in header(view)
            # Still one reply: one view, one message, the whole text.
            assert [m.role for m in explore.messages] == ["user", "assistant"]
            assert sum(v.message.role == "assistant" for v in explore.views()) == 1
            assert reply.content == WHOLE
            # m on a finished reply does nothing (and is not offered).
            await pilot.press("m")
            await pilot.pause()
            assert len(ollama.chat_requests()) == 2
            await pilot.press("ctrl+q")

        # Reopened: the one reply, whole.
        app2 = make_test_app(settings, session=SessionStore().open(session_id))
        async with app2.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            explore = main_screen(app2).chat("explore")
            [saved] = [m for m in explore.messages if m.role == "assistant"]
            assert (saved.content, saved.status) == (WHOLE, "done")
            await pilot.press("ctrl+q")
    finally:
        ollama.stop()
