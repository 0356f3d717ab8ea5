"""Fallback chains: the next model answers, labelled; Claude only with the user's consent."""

from __future__ import annotations

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
from workbench.screens.consent import CloudConsentModal
from workbench.session.store import SessionStore
from workbench.spec.template import new_spec
from workbench.widgets.chat_pane import ChatPane

SPEC = new_spec("Fallback") + "\nDo it.\n"


def replies(pane: ChatPane) -> list:
    return [m for m in pane.messages if m.role == "assistant"]


def cloud_settings(ollama_url: str, anthropic: FakeAnthropic, *, key: str | None = "sk-test"):
    settings = make_settings(ollama_url, anthropic, key=key)
    settings.tiers["quality"].fallback = "cloud"
    return settings


async def test_missing_model_falls_back_to_the_next_in_its_tier(ollama: FakeOllama) -> None:
    ollama.models = ["qwen2.5-coder:3b"]
    ollama.reply = "from the small one"
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        monitor = main_screen(app).controller.monitor
        await wait_until(pilot, lambda: monitor.state.installed is not None, what="first poll")
        await pilot.press(*"hi", "enter")
        await wait_until(pilot, lambda: replies(explore) and not explore.is_streaming)
        reply = replies(explore)[0]
        assert (reply.model, reply.fallback_from) == ("qwen2.5-coder:3b", "qwen2.5-coder:7b")
        assert reply.content == "from the small one"
        assert reply.note == "Fallback: qwen2.5-coder:7b not installed."
        # The status bar's poll listed the installed models: the missing one is not asked.
        asked = [r["model"] for r in ollama.chat_requests()]
        assert asked == ["qwen2.5-coder:3b"]
        text = screen_text(app)
        assert "qwen2.5-coder:3b (fallback for qwen2.5-coder:7b)" in text
        # The pane keeps the user's choice: the next send tries the first model again.
        assert explore.model.name == "qwen2.5-coder:7b"
    saved = explore.conversation.transcript.load()[0][-1]
    assert (saved.model, saved.fallback_from) == ("qwen2.5-coder:3b", "qwen2.5-coder:7b")


async def test_crossing_to_claude_asks_first_and_once_sends(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.reply = "Claude answers"
    app = make_test_app(cloud_settings(closed_port_url(), fake_anthropic), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        implement = main_screen(app).chat("implement")
        await send_spec(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, CloudConsentModal), what="ask")
        text = screen_text(app)
        assert "Send to claude-sonnet-5-5?" in text
        assert "qwen2.5-coder:14b: server unreachable" in text
        assert not fake_anthropic.message_requests()  # nothing left before the answer
        await pilot.press("y")
        await wait_until(pilot, lambda: replies(implement) and not implement.is_streaming)
        reply = replies(implement)[0]
        assert (reply.model, reply.fallback_from) == ("claude-sonnet-5-5", "qwen2.5-coder:14b")
        assert fake_anthropic.message_requests()[0]["messages"][0]["content"] == SPEC
        assert not app.session.meta.cloud_fallback_allowed
        # "Once" means the next fallback asks again.
        await pilot.press("f3", *"more", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CloudConsentModal), what="again")
        await pilot.press("n")


async def test_declining_keeps_the_prompt_here_marked_not_sent(
    fake_anthropic: FakeAnthropic,
) -> None:
    app = make_test_app(cloud_settings(closed_port_url(), fake_anthropic), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        implement = main_screen(app).chat("implement")
        await send_spec(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, CloudConsentModal))
        await pilot.press("escape")
        await wait_until(pilot, lambda: any(m.role == "error" for m in implement.messages))
        error = implement.messages[-1].content
        assert "Cannot reach Ollama" in error
        assert "Also tried the fallback models: qwen2.5-coder:32b" not in error  # same server
        assert "Not sent to claude-sonnet-5-5" in error
        assert implement.messages[0].status == "not_sent"
        assert not fake_anthropic.message_requests()


async def test_always_for_this_session_is_remembered(fake_anthropic: FakeAnthropic) -> None:
    settings = cloud_settings(closed_port_url(), fake_anthropic)
    app = make_test_app(settings, spec=SPEC)
    session_id = app.session.meta.id
    async with app.run_test(size=(160, 48)) as pilot:
        implement = main_screen(app).chat("implement")
        await send_spec(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, CloudConsentModal))
        await pilot.press("a")
        await wait_until(pilot, lambda: replies(implement) and not implement.is_streaming)
        await pilot.press("ctrl+q")
    app2 = make_test_app(settings, session=SessionStore().open(session_id))
    async with app2.run_test(size=(160, 48)) as pilot:
        implement = main_screen(app2).chat("implement")
        await pilot.press("f3", *"more", "enter")
        await wait_until(pilot, lambda: len(fake_anthropic.message_requests()) == 2)
        assert not isinstance(app2.screen, CloudConsentModal)


async def test_config_can_allow_the_cloud_without_asking(fake_anthropic: FakeAnthropic) -> None:
    settings = cloud_settings(closed_port_url(), fake_anthropic)
    settings.anthropic.fallback_without_asking = True
    app = make_test_app(settings, spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        implement = main_screen(app).chat("implement")
        await send_spec(pilot)
        await wait_until(pilot, lambda: replies(implement) and not implement.is_streaming)
        assert replies(implement)[0].model == "claude-sonnet-5-5"


async def test_busy_ollama_falls_back_past_its_other_models(
    ollama: FakeOllama, fake_anthropic: FakeAnthropic
) -> None:
    ollama.status_override = 503
    ollama.status_message = "server busy, please try again.  maximum pending requests exceeded"
    settings = cloud_settings(ollama.url, fake_anthropic)
    settings.anthropic.fallback_without_asking = True
    app = make_test_app(settings, spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        implement = main_screen(app).chat("implement")
        await send_spec(pilot)
        await wait_until(pilot, lambda: replies(implement) and not implement.is_streaming)
        reply = replies(implement)[0]
        assert reply.model == "claude-sonnet-5-5"
        assert reply.note == "Fallback: qwen2.5-coder:14b overloaded."
        # The whole server is busy: its other model is not asked.
        assert [r["model"] for r in ollama.chat_requests()] == ["qwen2.5-coder:14b"]


async def test_without_a_key_the_cloud_is_not_offered(fake_anthropic: FakeAnthropic) -> None:
    app = make_test_app(cloud_settings(closed_port_url(), fake_anthropic, key=None), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        implement = main_screen(app).chat("implement")
        await send_spec(pilot)
        await wait_until(pilot, lambda: any(m.role == "error" for m in implement.messages))
        assert not isinstance(app.screen, CloudConsentModal)
        assert "Cannot reach Ollama" in implement.messages[-1].content
