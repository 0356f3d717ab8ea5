"""Paging of a long transcript: the first page is sized by rows, the top of the list loads more."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, screen_text, wait_until
from workbench.session.model import AssistantMessage, UserMessage
from workbench.session.store import Session, SessionStore
from workbench.spec.template import new_spec
from workbench.widgets.message_list import PAGE_SIZE, EarlierMessages, MessageList, estimated_rows


def long_session(turns: int, reply_lines: int) -> Session:
    """A session of `turns` questions, each answered in `reply_lines` lines ending `end-<n>`."""
    session = SessionStore().create(Path("/tmp/demo-project"), new_spec())
    for n in range(turns):
        session.explore.append(UserMessage(id=f"u{n}", content=f"question {n}"))
        body = "\n\n".join(f"line {i} of answer {n}" for i in range(reply_lines))
        session.explore.append(
            AssistantMessage(id=f"a{n}", content=f"{body}\n\nend-{n}", model="m")
        )
    return session


def test_rows_are_estimated_from_lines_and_wrapping() -> None:
    assert estimated_rows("one line", 40) == 3
    assert estimated_rows("a\nb\nc", 40) == 5
    assert estimated_rows("x" * 100, 40) == 5  # wraps onto three rows


async def test_a_session_of_long_replies_mounts_only_what_fills_the_pane(
    ollama: FakeOllama,
) -> None:
    app = make_test_app(make_settings(ollama.url), session=long_session(500, 30))
    async with app.run_test(size=(160, 48)) as pilot:
        pane = main_screen(app).chat("explore")
        await wait_until(pilot, lambda: "end-499" in screen_text(app), what="last reply shown")
        views = pane.views()
        assert 1 <= len(views) < PAGE_SIZE
        assert views[-1].message.id == "a499"
        assert pane.message_list.first_mounted == 1000 - len(views)
        earlier = pane.query_one(EarlierMessages)
        assert f"▲ {1000 - len(views)} earlier messages" in str(earlier.render())


async def test_scrolling_to_the_top_loads_the_previous_page_and_keeps_the_view_in_place(
    ollama: FakeOllama,
) -> None:
    app = make_test_app(make_settings(ollama.url), session=long_session(500, 30))
    async with app.run_test(size=(160, 48)) as pilot:
        pane = main_screen(app).chat("explore")
        listing = pane.query_one(MessageList)
        await wait_until(pilot, lambda: "end-499" in screen_text(app), what="last reply shown")
        first = listing.first_mounted
        kept = pane.views()[0]
        at_top = kept.virtual_region.y  # its offset from the top of the list, scrolled home
        listing.scroll_home(animate=False)
        await wait_until(pilot, lambda: listing.first_mounted < first, what="earlier page")
        await pilot.pause()
        await wait_until(
            pilot,
            lambda: kept.virtual_region.y - listing.scroll_y == at_top,
            what="the old first view where it was",
        )
        assert pane.views().index(kept) == first - listing.first_mounted
        assert listing.scroll_y > 0
