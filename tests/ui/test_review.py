"""Issue 3's review step: promote anything, anywhere; jump back to sources; copy; critique."""

from __future__ import annotations

import base64
import re

from textual.widgets.markdown import MarkdownBlock

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, send_spec, wait_until
from workbench.screens.section_picker import SectionPickerModal
from workbench.spec.critique import CRITIQUE_INSTRUCTIONS

REPLY = """Two helpers matter:

```python
def login(user):
    return issue(user)
```

and the refresh path:

```python
def refresh(token):
    return rotate(token)
```

That is all.
"""
SPEC = "# Task: Refresh\n\n## Context\n\n## What I want\n\nRotate tokens.\n\n## Constraints\n"


def replies(screen, pane: str):
    return [v for v in screen.chat(pane).views() if v.message.role == "assistant"]


def done(screen, pane: str) -> bool:
    found = replies(screen, pane)
    return bool(found) and found[-1].message.status == "done"


async def ask_and_focus_reply(pilot, screen) -> None:
    await pilot.press(*"where", "enter")
    await wait_until(pilot, lambda: done(screen, "explore"), what="reply")
    await pilot.press("up")


def capture_osc52(app) -> list[str]:
    """Decode every OSC 52 sequence the app writes to the terminal from now on."""
    copied: list[str] = []
    driver = app._driver
    write = driver.write

    def spy(data: str) -> None:
        for payload in re.findall(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", data):
            copied.append(base64.b64decode(payload).decode("utf-8"))
        write(data)

    driver.write = spy
    return copied


async def test_b_picks_code_blocks_and_p_promotes_the_block_source(ollama: FakeOllama) -> None:
    ollama.reply = REPLY
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await ask_and_focus_reply(pilot, screen)
        await pilot.press("b", "b")
        view = replies(screen, "explore")[0]
        assert view.block_index == 1
        assert "block 2/2 picked" in str(view.query_one(".message-header").render())
        await pilot.press("p")
        spec = app.session.spec_path.read_text()
        context = spec.split("## What I want")[0]
        assert "> ```python\n> def refresh(token):\n>     return rotate(token)\n> ```" in context
        assert "def login" not in spec and "That is all" not in spec
        # A different part of the same message can still be promoted.
        await pilot.press("b")  # wraps to "no block": the whole message
        assert view.block_index is None
        await pilot.press("b", "p")
        assert "def login" in app.session.spec_path.read_text()


async def test_a_mouse_selection_promotes_the_source_of_the_selected_blocks(
    ollama: FakeOllama,
) -> None:
    ollama.reply = REPLY
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await ask_and_focus_reply(pilot, screen)
        view = replies(screen, "explore")[0]
        blocks = [b for b in view.markdown.query(MarkdownBlock) if b.parent is view.markdown]
        fence = blocks[3]  # the second code block, selected with a mouse drag across it
        await pilot.mouse_down(fence, offset=(2, 1))
        await pilot.hover(fence, offset=(10, 2))
        await pilot.mouse_up(fence, offset=(10, 2))
        await pilot.pause()
        assert screen.selections
        view.focus()
        await pilot.press("p")
        spec = app.session.spec_path.read_text()
        assert "> def refresh(token):" in spec and "> ```python" in spec
        assert "def login" not in spec


async def test_shift_p_chooses_the_section_and_the_choice_is_remembered(
    ollama: FakeOllama,
) -> None:
    ollama.reply = "first note"
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await ask_and_focus_reply(pilot, screen)
        await pilot.press("P")
        await wait_until(pilot, lambda: isinstance(app.screen, SectionPickerModal))
        labels = [str(o.prompt) for o in app.screen.query_one("OptionList")._options]
        assert labels[1].strip().startswith("Context") and "empty" in labels[1]
        assert "What I want" in labels[2] and "2 words" in labels[2]
        await pilot.press(
            "down", "down", "enter"
        )  # Context is highlighted first: go to Constraints
        await pilot.pause()
        spec = app.session.spec_path.read_text()
        assert spec.split("## Constraints")[1].strip().endswith("> first note")
        # The next plain p goes to the same section.
        ollama.reply = "second note"
        await pilot.press("i", *"more", "enter")
        await wait_until(
            pilot, lambda: len(replies(screen, "explore")) == 2 and done(screen, "explore")
        )
        await pilot.press("up", "p")
        tail = app.session.spec_path.read_text().split("## Constraints")[1]
        assert "> first note" in tail and "> second note" in tail
    # Remembered with the session.
    from workbench.session.store import SessionStore

    reopened = SessionStore().open(app.session.meta.id, readonly=True)
    assert reopened.meta.promote_section == "Constraints"


async def test_promote_from_implement_and_jump_back_to_the_source(ollama: FakeOllama) -> None:
    ollama.reply = "Decision: keep the old endpoint."
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await send_spec(pilot)
        await wait_until(pilot, lambda: done(screen, "implement"), what="implement reply")
        await pilot.press("f3", "up", "p")
        spec = app.session.spec_path.read_text()
        reply = replies(screen, "implement")[0]
        assert f"promoted from implement message {reply.message.id}" in spec
        assert "> Decision: keep the old endpoint." in spec
        # From the quoted line in the spec, ctrl+g jumps to that message and highlights it.
        await pilot.press("f1")
        editor = screen.spec.editor
        editor.move_cursor((spec.splitlines().index("> Decision: keep the old endpoint."), 3))
        await pilot.press("f2")
        editor.move_cursor((spec.splitlines().index("> Decision: keep the old endpoint."), 3))
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert app.focused is reply
        assert reply.query_one(".message-header").has_class("-flash")


async def test_jump_reaches_a_message_on_an_earlier_page(ollama: FakeOllama) -> None:
    from workbench.session.model import AssistantMessage, UserMessage
    from workbench.session.store import SessionStore
    from workbench.spec.promote import promote

    store = SessionStore()
    spec = promote(SPEC, "old fact", pane="explore", message_id="old-0", model="m")
    from pathlib import Path

    session = store.create(Path("/tmp/demo-project"), spec)
    session.explore.append(AssistantMessage(id="old-0", content="old fact", model="m"))
    for n in range(30):
        session.explore.append(UserMessage(id=f"q{n}", content=f"question {n}"))
    app = make_test_app(make_settings(ollama.url), session=session)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press("f2")
        screen.spec.editor.move_cursor((spec.splitlines().index("> old fact"), 0))
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert app.focused is not None and app.focused.message.id == "old-0"
        assert app.focused.promoted


async def test_c_copies_the_message_through_osc52(ollama: FakeOllama) -> None:
    ollama.reply = REPLY
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        copied = capture_osc52(app)
        await ask_and_focus_reply(pilot, screen)
        await pilot.press("c")
        assert copied == [REPLY]
        await pilot.press("b", "c")
        assert copied[-1] == "```python\ndef login(user):\n    return issue(user)\n```"
        assert any("Copied code block 1" in n.message for n in app._notifications)


async def test_critique_sends_the_spec_with_the_exploration(ollama: FakeOllama) -> None:
    ollama.reply = "Auth is in src/auth."
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"where is auth", "enter")
        await wait_until(pilot, lambda: done(screen, "explore"))
        ollama.reply = "1. Ambiguity: which tokens?"
        await pilot.press("f4")
        await wait_until(pilot, lambda: len(ollama.chat_requests()) == 2)
        request = ollama.chat_requests()[1]
        assert request["model"] == "qwen2.5-coder:7b"
        turns = [(m["role"], m["content"]) for m in request["messages"] if m["role"] != "system"]
        assert turns[0] == ("user", "where is auth")
        assert turns[1] == ("assistant", "Auth is in src/auth.")
        assert turns[2][0] == "user"
        assert CRITIQUE_INSTRUCTIONS in turns[2][1] and SPEC.rstrip() in turns[2][1]
        await wait_until(
            pilot, lambda: len(replies(screen, "explore")) == 2 and done(screen, "explore")
        )
        critique = replies(screen, "explore")[1]
        assert critique.message.content == "1. Ambiguity: which tokens?"
        await pilot.press("up", "p")  # its points can be promoted like any reply
        assert "> 1. Ambiguity: which tokens?" in app.session.spec_path.read_text()


async def test_outline_shows_fill_and_jumps(ollama: FakeOllama) -> None:
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, SectionPickerModal))
        labels = [str(o.prompt) for o in app.screen.query_one("OptionList")._options]
        assert [label.split("·")[1].strip() for label in labels] == [
            "empty",
            "empty",
            "2 words",
            "empty",
        ]
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.focused is screen.spec.editor
        assert screen.spec.editor.cursor_location == (SPEC.splitlines().index("## What I want"), 0)


async def test_s_selects_part_of_the_source_from_the_keyboard(ollama: FakeOllama) -> None:
    from workbench.screens.source_select import SourceSelectModal

    ollama.reply = REPLY
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await ask_and_focus_reply(pilot, screen)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SourceSelectModal))
        # The cursor starts at the top: select the first line and the opening fence.
        await pilot.press("shift+down", "shift+down", "shift+down")
        assert app.screen.selected == "Two helpers matter:\n\n```python\n"
        await pilot.press("p")
        await pilot.pause()
        context = app.session.spec_path.read_text().split("## What I want")[0]
        assert "> Two helpers matter:\n>\n> ```python" in context
        assert "def login" not in context
