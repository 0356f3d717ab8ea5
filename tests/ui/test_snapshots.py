"""Snapshots of each visible state of the main screen (`pytest --snapshot-update` to accept).

Everything on screen is fixed: conversations are written to disk before the app starts (no
streaming, so no timing), the project folder is a fixed path, cursors do not blink and no toast
is left on screen.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama, LoadedState
from tests.ui.harness import main_screen, make_settings, make_test_app, send_spec, wait_until
from workbench.app import WorkbenchApp
from workbench.session.model import (
    AssistantMessage,
    Message,
    MessageRole,
    ModelChoice,
    ToolMessage,
    UserMessage,
)
from workbench.session.store import Session, SessionStore
from workbench.spec.promote import promote
from workbench.spec.template import new_spec
from workbench.widgets.message_view import MessageView

SIZE = (160, 48)
PROJECT = Path("/tmp/demo-project")
DOWN_URL = "http://127.0.0.1:1"
"""Nothing listens on port 1, so the "cannot reach Ollama" text is the same on every run."""

QUESTION = "Where is the session token refreshed?"
EXPLORE_ANSWER = """\
In `src/auth/session.py`, `refresh_token()` is called by the middleware:

```python
def refresh_token(session: Session) -> str:
    session.token = issue(session.user, ttl=3600)
    return session.token
```

It runs **only** when the token is older than 50 minutes.
"""
FOLLOW_UP = "Is the TTL configurable?"
FOLLOW_UP_ANSWER = "Not yet: `ttl=3600` is hard-coded. `settings.py` has no auth section."
IMPLEMENT_ANSWER = """\
src/auth/session.py

```python
def refresh_token(session: Session, ttl: int = settings.AUTH_TTL) -> str:
    session.token = issue(session.user, ttl=ttl)
    return session.token
```

- Add `AUTH_TTL = 3600` to `settings.py` by hand.
"""


def message(msg_id: str, role: MessageRole, content: str, **fields: Any) -> Message:
    """A finished transcript message with a fixed id and time."""
    kind = {"user": UserMessage, "assistant": AssistantMessage, "tool": ToolMessage}[role]
    return kind(
        id=f"20261121T1015{msg_id}-000000",
        content=content,
        created="2026-11-21T10:15:00+00:00",
        **fields,
    )


def explore_conversation() -> list[Message]:
    """Two questions and their answers in the Explore pane."""
    return [
        message("00000", "user", QUESTION),
        message(
            "01000",
            "assistant",
            EXPLORE_ANSWER,
            model="qwen2.5-coder:7b",
            input_tokens=212,
            output_tokens=96,
            duration_s=1.42,
        ),
        message("02000", "user", FOLLOW_UP),
        message(
            "03000",
            "assistant",
            FOLLOW_UP_ANSWER,
            model="qwen2.5-coder:7b",
            input_tokens=330,
            output_tokens=21,
            duration_s=0.38,
        ),
    ]


def stored_session(*, implement: bool) -> Session:
    """A session on disk with an Explore conversation and (optionally) an Implement one."""
    explore = explore_conversation()
    spec = new_spec("Make the session TTL configurable")
    # The first answer was promoted, so its header shows it is in the spec.
    spec = promote(
        spec, explore[1].content, pane="explore", message_id=explore[1].id, model="qwen2.5-coder:7b"
    )
    spec = spec.replace("## What I want\n", "## What I want\n\nRead the TTL from settings.\n")
    session = SessionStore().create(PROJECT, spec)
    for item in explore:
        session.explore.append(item)
    if implement:
        session.implement.append(message("04000", "user", spec, kind="spec"))
        session.implement.append(
            message(
                "05000",
                "assistant",
                IMPLEMENT_ANSWER,
                model="qwen2.5-coder:14b",
                input_tokens=1480,
                output_tokens=187,
                duration_s=9.61,
            )
        )
    return session


def steady(pilot: Pilot[None]) -> None:
    """Stop every cursor blinking and drop toasts, so the screenshot is the same every run."""
    app = pilot.app
    for screen in app.screen_stack:
        for widget in screen.query("TextArea, Input"):
            assert isinstance(widget, TextArea | Input)
            widget.cursor_blink = False
            if isinstance(widget, TextArea):
                # TextArea's line cache keys the cursor only while it blinks: a line cached in
                # the blink's "off" phase would be reused without the cursor. Drop the cache.
                widget.notify_style_update()
                widget.refresh()
    app.clear_notifications()


def then_steady(
    before: Callable[[Pilot[None]], Awaitable[None]] | None = None,
) -> Callable[[Pilot[None]], Awaitable[None]]:
    """A `run_before` that waits for the main screen, runs `before`, then calls `steady`."""

    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, WorkbenchApp)
        await wait_until(pilot, lambda: app.main_screen is not None, what="main screen")
        # The status bar shows what the first poll of Ollama found, the same on every run.
        monitor = app.main_screen.controller.monitor
        await wait_until(pilot, lambda: monitor.state.reachable is not None, what="Ollama polled")
        await pilot.pause()
        if before is not None:
            await before(pilot)
        steady(pilot)
        await pilot.pause()

    return run_before


def test_new_session(snap_compare, fake_ollama: FakeOllama) -> None:
    """A new session: the spec template, empty chats, the cursor in the Explore input."""
    app = make_test_app(make_settings(fake_ollama.url), project=PROJECT)
    assert snap_compare(app, run_before=then_steady(), terminal_size=SIZE)


def test_conversation_in_both_panes(snap_compare, fake_ollama: FakeOllama) -> None:
    """A reopened session: Explore answers (one promoted), the spec sent, Implement's answer."""
    app = make_test_app(make_settings(fake_ollama.url), session=stored_session(implement=True))
    assert snap_compare(app, run_before=then_steady(), terminal_size=SIZE)


def test_model_picker(snap_compare, ollama: FakeOllama) -> None:
    """ctrl+l: every model with its tier, state, size and memory (loaded, installed, missing)."""
    from workbench.screens.model_picker import ModelPickerModal

    ollama.models = ["qwen2.5-coder:7b", "qwen2.5-coder:14b", "llama3.2:3b"]
    ollama.loaded = {
        "qwen2.5-coder:14b": LoadedState(
            datetime.now(UTC) + timedelta(minutes=4, seconds=20), 9_663_676_416
        )
    }

    async def open_picker(pilot: Pilot[None]) -> None:
        await pilot.press("f3", "ctrl+l")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ModelPickerModal))
        picker = pilot.app.screen
        await wait_until(pilot, lambda: len(picker.entries) == 6, what="all six models listed")

    app = make_test_app(make_settings(ollama.url), project=PROJECT)
    assert snap_compare(app, run_before=then_steady(open_picker), terminal_size=SIZE)


def test_pull_progress(snap_compare, ollama: FakeOllama) -> None:
    """ctrl+d on a missing model in the picker: the pull's progress bar and status line."""
    from textual.widgets import ProgressBar

    from workbench.screens.model_picker import ModelPickerModal

    ollama.pull_delay_s = 3.0  # the first progress line stays on screen for the snapshot

    async def pull(pilot: Pilot[None]) -> None:
        await pilot.press("f3", "ctrl+l")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ModelPickerModal))
        picker = pilot.app.screen
        await wait_until(pilot, lambda: len(picker.entries) == 5, what="models listed")
        picker.table.move_cursor(row=5)  # qwen2.5-coder:32b, not installed (under a heading)
        await pilot.press("ctrl+d")
        bar = picker.query_one(ProgressBar)
        await wait_until(pilot, lambda: bar.percentage, what="some progress", timeout=15)

    ollama.models = ["qwen2.5-coder:7b", "qwen2.5-coder:3b", "qwen2.5-coder:14b"]
    app = make_test_app(make_settings(ollama.url), project=PROJECT)
    assert snap_compare(app, run_before=then_steady(pull), terminal_size=SIZE)


def test_cloud_consent(snap_compare, fake_anthropic: FakeAnthropic) -> None:
    """The local model cannot answer: asked before the spec goes to Claude instead."""
    from workbench.screens.consent import CloudConsentModal

    async def send(pilot: Pilot[None]) -> None:
        await send_spec(pilot)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CloudConsentModal))

    settings = make_settings(DOWN_URL, fake_anthropic)
    settings.tiers["quality"].fallback = "cloud"
    spec = new_spec("Make the session TTL configurable").replace(
        "## What I want\n", "## What I want\n\nRead the TTL from settings.\n"
    )
    app = make_test_app(settings, project=PROJECT, spec=spec)
    assert snap_compare(app, run_before=then_steady(send), terminal_size=SIZE)


def test_status_bar(snap_compare, ollama: FakeOllama) -> None:
    """The status line: Ollama's version, each pane's model (loaded or not), the last reply's
    tokens and speed, and what Claude cost in this session."""
    ollama.loaded = {"qwen2.5-coder:7b": LoadedState()}
    session = stored_session(implement=True)
    session.set_model("implement", ModelChoice("anthropic", "claude-sonnet-5-5"))
    session.implement.append(
        message(
            "06000",
            "assistant",
            "Done: `AUTH_TTL` is read in `session.py`.",
            model="claude-sonnet-5-5",
            input_tokens=1620,
            output_tokens=412,
            duration_s=6.2,
        )
    )
    app = make_test_app(make_settings(ollama.url), session=session)
    assert snap_compare(app, run_before=then_steady(), terminal_size=SIZE)


def test_ollama_down(snap_compare) -> None:
    """Explore asked while Ollama is not running: the problem and how to fix it."""

    async def ask(pilot: Pilot[None]) -> None:
        await pilot.press(*"hello", "enter")
        explore = main_screen(app).chat("explore")
        await wait_until(
            pilot,
            lambda: (
                any(v.message.role == "error" for v in explore.query(MessageView))
                and not explore.is_streaming
            ),
            what="the error message",
        )

    app = make_test_app(make_settings(DOWN_URL), project=PROJECT)
    assert snap_compare(app, run_before=then_steady(ask), terminal_size=SIZE)


def test_explore_zoomed(snap_compare, fake_ollama: FakeOllama) -> None:
    """ctrl+f: the Explore pane alone, full width."""

    async def zoom(pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: main_screen(app).has_class("-zoomed"), what="zoom")

    app = make_test_app(make_settings(fake_ollama.url), session=stored_session(implement=False))
    assert snap_compare(app, run_before=then_steady(zoom), terminal_size=SIZE)


def test_send_review(snap_compare, ollama: FakeOllama) -> None:
    """ctrl+r: the exact payload, its size, the target model and the readiness warnings."""
    from workbench.screens.send_review import SendReviewModal

    async def review(pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SendReviewModal))

    spec = new_spec("Make the session TTL configurable").replace(
        "## What I want\n", "## What I want\n\nRead the TTL from settings.\n"
    )
    app = make_test_app(make_settings(ollama.url), project=PROJECT, spec=spec)
    assert snap_compare(app, run_before=then_steady(review), terminal_size=SIZE)


def test_section_picker(snap_compare, fake_ollama: FakeOllama) -> None:
    """P on a message: the spec's sections with how full they are, the context one first."""
    from workbench.screens.section_picker import SectionPickerModal

    async def pick(pilot: Pilot[None]) -> None:
        await pilot.press("up", "P")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SectionPickerModal))

    app = make_test_app(make_settings(fake_ollama.url), session=stored_session(implement=False))
    assert snap_compare(app, run_before=then_steady(pick), terminal_size=SIZE)


def test_version_diff(snap_compare, fake_ollama: FakeOllama) -> None:
    """F5: what changed in the spec since the version last sent."""
    from workbench.screens.versions import VersionsModal

    session = stored_session(implement=True)
    sent = session.read_spec()
    session.versions.save(sent)
    session.write_spec(sent.replace("Read the TTL from settings.", "Read AUTH_TTL from settings."))

    async def diff(pilot: Pilot[None]) -> None:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, VersionsModal))
        await pilot.pause()

    app = make_test_app(make_settings(fake_ollama.url), session=session)
    assert snap_compare(app, run_before=then_steady(diff), terminal_size=SIZE)


def fixed_project() -> Path:
    """The fixture project at a fixed path, so the title bar is the same on every run."""
    import shutil

    from tests.fakes.project import make_project

    base = Path("/tmp/workbench-snapshot")
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir()
    return make_project(base)


def test_file_completion(snap_compare, fake_ollama: FakeOllama) -> None:
    """@ in the Explore input: the project's files, best fuzzy match first."""
    from workbench.widgets.file_completion import FileCompletion

    async def complete(pilot: Pilot[None]) -> None:
        await pilot.press(*"what calls ", "@", *"src")
        completion = main_screen(app).query_one("#explore-completion", FileCompletion)
        await wait_until(pilot, lambda: completion.is_open and completion.paths, what="list")

    app = make_test_app(make_settings(fake_ollama.url), project=fixed_project())
    assert snap_compare(app, run_before=then_steady(complete), terminal_size=SIZE)


def test_collapsed_tool_calls(snap_compare, fake_ollama: FakeOllama) -> None:
    """The fast model read the project: each tool call one collapsed line above its answer."""
    session = SessionStore().create(fixed_project(), new_spec())
    calls = [
        ("read_file", {"path": "src/auth/session.py"}, "1  def login(user, password):\n2  ..."),
        ("search", {"pattern": "def refresh"}, "src/auth/session.py:14: def refresh(session):"),
        ("read_file", {"path": "leak.txt"}, "Error: leak.txt leads outside the project."),
    ]
    session.explore.append(message("00000", "user", QUESTION))
    for index, (name, args, result) in enumerate(calls, 1):
        session.explore.append(
            message(f"0{index}000", "tool", result, tool_name=name, tool_args=json.dumps(args))
        )
    session.explore.append(
        message(
            "09000",
            "assistant",
            "`refresh()` in `src/auth/session.py` (line 14) issues the new token.",
            model="qwen2.5-coder:7b",
            input_tokens=1830,
            output_tokens=24,
            duration_s=2.1,
        )
    )
    app = make_test_app(make_settings(fake_ollama.url), session=session)
    assert snap_compare(app, run_before=then_steady(), terminal_size=SIZE)
