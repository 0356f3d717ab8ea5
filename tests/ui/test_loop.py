"""The whole loop a user runs: ask → reply streams → promote → edit → send → quit → reopen."""

from __future__ import annotations

import json

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
from workbench.widgets.chat_input import ChatInput
from workbench.widgets.message_view import MessageView

EXPLORE_REPLY = "Auth lives in `src/auth/`.\n\n```python\ndef login(user): ...\n```\n"
IMPLEMENT_REPLY = "## src/auth/refresh.py\n\n```python\ndef refresh(token): ...\n```\n"


def replies(screen, pane: str) -> list[MessageView]:
    return [v for v in screen.chat(pane).views() if v.message.role == "assistant"]


def first_reply_done(screen, pane: str) -> bool:
    found = replies(screen, pane)
    rendered = not screen.chat(pane).is_streaming  # the whole reply is on screen
    return bool(found) and found[0].message.status == "done" and rendered


async def test_explore_promote_edit_send_quit_reopen(ollama: FakeOllama) -> None:
    ollama.replies = {"qwen2.5-coder:7b": EXPLORE_REPLY, "qwen2.5-coder:14b": IMPLEMENT_REPLY}
    settings = make_settings(ollama.url)
    app = make_test_app(settings)
    session = app.session
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        # A new session opens with the cursor in the Explore input.
        assert isinstance(app.focused, ChatInput) and app.focused.id == "explore-input"

        await pilot.press(*"where is auth?", "enter")
        await wait_until(
            pilot,
            lambda: first_reply_done(screen, "explore"),
            what="explore reply",
        )
        reply_view = replies(screen, "explore")[0]
        assert reply_view.markdown.source == EXPLORE_REPLY
        assert reply_view.message.model == "qwen2.5-coder:7b"
        assert "where is auth?" in [m.content for m in session.explore.load()[0]]

        # Up from the input moves to the last message; p promotes it into the spec, on disk at once.
        await pilot.press("up")
        assert app.focused is reply_view
        await pilot.press("p")
        on_disk = session.spec_path.read_text()
        context, _, _ = on_disk.partition("## What I want")
        assert "> Auth lives in `src/auth/`." in context
        assert "> ```python" in context
        assert f"promoted from explore message {reply_view.message.id}" in context
        assert "✓ in spec" in str(reply_view.query_one(".message-header").render())

        # Edit the spec: F2 focuses it; typing is autosaved.
        await pilot.press("f2")
        editor = screen.spec.editor
        assert app.focused is editor
        editor.move_cursor((on_disk.splitlines().index("## What I want") + 1, 0))
        await pilot.press(*"- add a refresh endpoint")
        await wait_until(
            pilot,
            lambda: "- add a refresh endpoint" in session.spec_path.read_text(),
            what="autosave",
        )
        spec_text = screen.spec.text

        # Send: the Implement model gets exactly the spec as the user turn.
        await send_spec(pilot)
        await wait_until(
            pilot,
            lambda: first_reply_done(screen, "implement"),
            what="implement reply",
        )
        implement_request = ollama.chat_requests()[-1]
        assert implement_request["model"] == "qwen2.5-coder:14b"
        user_turns = [m for m in implement_request["messages"] if m["role"] == "user"]
        assert [m["content"] for m in user_turns] == [spec_text]
        assert "where is auth?" not in json.dumps(implement_request)
        assert replies(screen, "implement")[0].markdown.source == IMPLEMENT_REPLY
        sent = [m for m in session.implement.load()[0] if m.kind == "spec"]
        assert [m.content for m in sent] == [spec_text]

        # Switch the Implement model from the keyboard; the choice is saved with the session.
        await pilot.press("f3", "ctrl+n")
        assert "qwen2.5-coder:32b" in str(screen.chat("implement").border_title)
        await pilot.press("ctrl+q")
    assert app.return_code == 0 or app.return_code is None

    # Reopen: transcripts, spec, chosen models and the promoted mark are all back.
    reopened = SessionStore().open(session.meta.id)
    assert reopened.meta.models["implement"].name == "qwen2.5-coder:32b"
    app2 = make_test_app(settings, session=reopened)
    async with app2.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app2)
        await pilot.pause()
        assert screen.spec.text == spec_text
        explore = [v.message.content for v in screen.chat("explore").views()]
        assert explore == ["where is auth?", EXPLORE_REPLY]
        implement = screen.chat("implement").views()
        assert [v.message.kind for v in implement] == ["spec", None]
        assert implement[1].markdown.source == IMPLEMENT_REPLY
        assert "qwen2.5-coder:32b" in str(screen.chat("implement").border_title)
        assert replies(screen, "explore")[0].promoted
        await pilot.press("ctrl+q")


async def test_enter_sends_and_ctrl_j_inserts_a_newline(ollama: FakeOllama) -> None:
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press("a", "ctrl+j", "b")
        assert screen.chat("explore").input.text == "a\nb"
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(ollama.chat_requests()) == 1, what="request")
        assert ollama.chat_requests()[0]["messages"][-1] == {"role": "user", "content": "a\nb"}
        assert screen.chat("explore").input.text == ""


async def test_second_question_carries_the_conversation(ollama: FakeOllama) -> None:
    ollama.reply = "first answer"
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"one", "enter")
        await wait_until(pilot, lambda: first_reply_done(screen, "explore"))
        await pilot.press(*"two", "enter")
        await wait_until(pilot, lambda: len(ollama.chat_requests()) == 2)
        sent = [(m["role"], m["content"]) for m in ollama.chat_requests()[1]["messages"]]
        assert sent[0][0] == "system"
        assert sent[1:] == [("user", "one"), ("assistant", "first answer"), ("user", "two")]


async def test_pane_keys_focus_and_zoom(ollama: FakeOllama) -> None:
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press("f3")
        assert app.focused is screen.chat("implement").input
        await pilot.press("ctrl+f")
        assert not screen.chat("explore").display or screen.chat("explore").region.width == 0
        assert screen.chat("implement").region.width == 160
        await pilot.press("f2")  # focusing another pane while zoomed zooms that one
        await pilot.pause()
        assert screen.spec.region.width == 160 and screen.chat("implement").region.width == 0
        await pilot.press("ctrl+f")
        await pilot.pause()
        widths = [screen.chat("explore").region.width, screen.spec.region.width]
        assert all(w > 40 for w in widths)


async def test_model_output_markup_and_escape_codes_are_shown_as_text(ollama: FakeOllama) -> None:
    ollama.reply = "[bold red]not markup[/] \x1b[31mred\x1b[0m \x1b]0;pwned\x07done"
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"hi", "enter")
        await wait_until(
            pilot,
            lambda: first_reply_done(screen, "explore"),
        )
        view = replies(screen, "explore")[0]
        assert view.message.content == "[bold red]not markup[/] red done"
        on_disk = screen.chat("explore").conversation.transcript.load()[0][-1].content
        assert "\x1b" not in on_disk
        shown = screen_text(app)
        assert "[bold red]not markup[/] red done" in shown
        assert "pwned" not in shown


async def test_promoting_twice_or_promoting_the_sent_spec_changes_nothing(
    ollama: FakeOllama,
) -> None:
    app = make_test_app(make_settings(ollama.url), spec="# Task: T\n\n## Context\n\nDo it.\n")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"q", "enter")
        await wait_until(pilot, lambda: first_reply_done(screen, "explore"))
        await pilot.press("up", "p")
        once = app.session.spec_path.read_text()
        await pilot.press("p")
        assert app.session.spec_path.read_text() == once
        await send_spec(pilot)
        await wait_until(pilot, lambda: first_reply_done(screen, "implement"))
        await pilot.press("f3", "up", "up", "p")
        assert screen.chat("implement").views()[0].message.kind == "spec"
        assert app.focused is screen.chat("implement").views()[0]
        assert app.session.spec_path.read_text() == once


async def test_the_blank_template_is_flagged_in_the_review_and_escape_sends_nothing(
    ollama: FakeOllama,
) -> None:
    from workbench.screens.send_review import SendReviewModal

    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, SendReviewModal))
        codes = {warning.code for warning in app.screen.warnings}
        assert {"empty_what_i_want", "no_context", "placeholders"} <= codes
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SendReviewModal)
        assert ollama.chat_requests() == []
        assert app.session.versions.latest() is None


async def test_f2_on_a_new_spec_lets_the_user_type_the_title(ollama: FakeOllama) -> None:
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f2", *"Add refresh tokens")
        await wait_until(
            pilot,
            lambda: app.session.spec_path.read_text().startswith("# Task: Add refresh tokens\n"),
            what="autosave",
        )
        assert app.session.meta.title == "Add refresh tokens"
        assert "Add refresh tokens" in str(app.screen.query_one("#title-bar").render())
