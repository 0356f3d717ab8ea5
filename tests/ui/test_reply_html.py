"""HTML, XML and JSX in a reply are shown as text, streamed or reopened, in and out of fences."""

from __future__ import annotations

from textual.pilot import Pilot

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, screen_text, wait_until
from tests.ui.test_snapshots import PROJECT, SIZE, message, then_steady
from workbench.app import WorkbenchApp
from workbench.session.store import Session, SessionStore
from workbench.spec.template import new_spec
from workbench.widgets.message_view import MessageView

REPLY = """\
Here is the markup.

<div class="x">
<p>Hello</p>
</div>

In a paragraph, use <br/> and <span> freely.

JSX: <Button onClick={go}>Save</Button>

XML: &lt;tag&gt; and a & b, not markup: [b]bold[/b]

```html
<ul class="menu"><li>One</li></ul>
```
"""

SHOWN = [
    "Here is the markup.",
    # An HTML block is a paragraph of text: its lines are joined like any paragraph's.
    '<div class="x"> <p>Hello</p> </div>',
    "use <br/> and <span> freely.",
    "JSX: <Button onClick={go}>Save</Button>",
    "XML: &lt;tag&gt; and a & b, not markup: [b]bold[/b]",
    '<ul class="menu"><li>One</li></ul>',
]
"""Lines of REPLY as the zoomed Explore pane shows them, each one literally."""


def reply_view(app: WorkbenchApp) -> MessageView | None:
    """The first assistant reply in the Explore pane, once there is one."""
    views = main_screen(app).chat("explore").views()
    return next((view for view in views if view.message.role == "assistant"), None)


async def zoom_explore(pilot: Pilot[None]) -> None:
    """Zoom the Explore pane to full width, so no line of the reply wraps."""
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    main_screen(app).chat("explore").input.focus()
    await pilot.press("ctrl+f")
    await wait_until(pilot, lambda: main_screen(app).has_class("-zoomed"), what="zoom")
    await pilot.pause()


def missing(app: WorkbenchApp) -> list[str]:
    """The lines of SHOWN that are not on screen."""
    shown = screen_text(app)
    return [line for line in SHOWN if line not in shown]


async def test_html_in_a_streamed_reply_is_shown_as_text(ollama: FakeOllama) -> None:
    ollama.reply = REPLY
    ollama.tokens_per_s = 200  # several batches, so the stream appends to what it rendered
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await pilot.press(*"show me markup", "enter")
        await wait_until(
            pilot,
            lambda: (
                (view := reply_view(app)) is not None
                and view.message.status == "done"
                and not explore.is_streaming
            ),
            what="the reply",
        )
        view = reply_view(app)
        assert view is not None and view.markdown.source == REPLY
        await zoom_explore(pilot)
        assert missing(app) == []


def saved_session() -> Session:
    """A session on disk whose Explore pane holds a question and REPLY, fixed ids and times."""
    session = SessionStore().create(PROJECT, new_spec())
    session.explore.append(message("00000", "user", "show me markup"))
    # No token counts: the status bar's speed figure is not what this snapshot is about.
    session.explore.append(message("01000", "assistant", REPLY, model="qwen2.5-coder:7b"))
    return session


async def test_html_in_a_reopened_reply_is_shown_as_text(ollama: FakeOllama) -> None:
    saved = saved_session()
    saved.close()
    app = make_test_app(make_settings(ollama.url), session=SessionStore().open(saved.meta.id))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: reply_view(app) is not None, what="the reply")
        await zoom_explore(pilot)
        assert missing(app) == []


def test_reply_with_html_snapshot(snap_compare, fake_ollama: FakeOllama) -> None:
    """A reply with an HTML block, inline tags, JSX, entities and a fenced block, all as text."""
    app = make_test_app(make_settings(fake_ollama.url), session=saved_session())
    assert snap_compare(app, run_before=then_steady(), terminal_size=SIZE)
