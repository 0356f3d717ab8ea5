"""The status bar: Ollama's state (polled in the background), models, last reply, Claude cost."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TextArea

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import (
    main_screen,
    make_settings,
    make_test_app,
    send_spec,
    wait_until,
)
from workbench.session.model import ModelChoice
from workbench.session.store import SessionStore
from workbench.spec.template import new_spec


def status(app) -> str:
    return str(main_screen(app).status_bar.render())


async def test_status_follows_ollama_going_down_and_coming_back() -> None:
    ollama = FakeOllama(models=["qwen2.5-coder:7b"])
    ollama.start()
    try:
        settings = make_settings(ollama.url)
        settings.ollama.poll_interval_s = 0.1
        app = make_test_app(settings)
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_until(pilot, lambda: "● Ollama 0.12.6" in status(app), what="up")
            text = status(app)
            assert "Explore: qwen2.5-coder:7b" in text
            assert "Implement: qwen2.5-coder:14b" in text
            ollama.stop()
            await wait_until(pilot, lambda: "✗ Ollama unreachable" in status(app), what="down")
            await pilot.press(*"anyone there?", "enter")
            explore = main_screen(app).chat("explore")
            await wait_until(pilot, lambda: explore.messages[0].status == "not_sent")
            ollama.start()
            await wait_until(pilot, lambda: "● Ollama" in status(app), what="back up")
            notices = [n.message for n in app._notifications]
            assert any(
                "r on a message marked not sent retries it (1 waiting)" in n for n in notices
            )
    finally:
        ollama.stop()


async def test_status_shows_the_last_reply_and_what_is_loaded(ollama: FakeOllama) -> None:
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await pilot.press(*"hi", "enter")
        await wait_until(pilot, lambda: len(explore.messages) == 2 and not explore.is_streaming)
        reply = explore.messages[-1]
        expected = f"last reply: {reply.input_tokens} in · {reply.output_tokens:,} out · "
        await wait_until(pilot, lambda: expected in status(app), what="reply figures")
        assert "tok/s" in status(app)


async def test_status_adds_up_the_claude_cost(
    ollama: FakeOllama, fake_anthropic: FakeAnthropic
) -> None:
    store = SessionStore()
    session = store.create(Path("/tmp/demo-project"), new_spec("Cost") + "\nDo it.\n")
    session.set_model("implement", ModelChoice("anthropic", "claude-sonnet-5-5"))
    app = make_test_app(make_settings(ollama.url, fake_anthropic), session=session)
    async with app.run_test(size=(160, 48)) as pilot:
        implement = main_screen(app).chat("implement")
        await send_spec(pilot)
        await wait_until(pilot, lambda: len(implement.messages) == 2 and not implement.is_streaming)
        reply = implement.messages[-1]
        # $3 per million in, $15 per million out (the built-in Sonnet prices).
        cost = (reply.input_tokens * 3 + reply.output_tokens * 15) / 1_000_000
        await wait_until(pilot, lambda: f"Claude ${cost:.3f}" in status(app), what="cost")


async def test_editing_the_spec_warms_up_the_implement_model(ollama: FakeOllama) -> None:
    settings = make_settings(ollama.url)
    settings.tiers["quality"].keep_alive = "30m"
    settings.tiers["quality"].num_ctx = 8192
    app = make_test_app(settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f2", *"Task")
        await wait_until(pilot, lambda: ollama.generate_requests(), what="warm-up request")
        request = ollama.generate_requests()[0]
        assert (request["model"], request["prompt"]) == ("qwen2.5-coder:14b", "")
        assert request["keep_alive"] == "30m"
        await wait_until(pilot, lambda: "qwen2.5-coder:14b (loaded)" in status(app), what="shown")
        assert request["options"] == {"num_ctx": 8192, "num_predict": 1}  # as the send loads it
        # More typing does not ask again while the model is loaded.
        screen = main_screen(app)
        loaded = set(screen.controller.monitor.state.loaded)
        assert (
            screen.controller.warm_up.spec_edited(screen.chat("implement").model, loaded)
            == "loaded"
        )
        assert len(ollama.generate_requests()) == 1


async def test_warm_up_can_be_switched_off(ollama: FakeOllama) -> None:
    settings = make_settings(ollama.url)
    settings.ollama.warm_up = False
    app = make_test_app(settings)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press("f2", *"Task")
        editor = screen.query_one("#spec-editor", TextArea)
        await wait_until(pilot, lambda: "Task" in editor.text)
        assert screen.controller.warm_up.spec_edited(screen.chat("implement").model, set()) == "off"
        assert screen.controller.warm_up.warming is None
