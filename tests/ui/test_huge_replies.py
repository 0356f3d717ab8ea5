"""Huge replies through the real app (issue 13, item 8).

A 10 MB reply and a reply that is one 200 KB line, streamed by the fake Ollama in 4,000-character
pieces as in the report: each must end on screen, show its last text, keep the pane inside its
border and answer keys, and reopen the same way. Before, the 10 MB reply never reached its end
and the one-line reply stayed "streaming…" half a minute after the server finished.
"""

from __future__ import annotations

from rich.cells import cell_len

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, screen_text, wait_until
from workbench.chat.large_text import LARGE_MESSAGE_CHARS, TAIL_LINE_CHARS
from workbench.session.store import SessionStore
from workbench.widgets.message_view import MessageView, PlainBody


def huge_markdown(size: int) -> str:
    """Markdown of about `size` characters: numbered paragraphs with code blocks, a last line."""
    parts = []
    index = length = 0
    while length < size:
        index += 1
        part = f"Paragraph {index} of the reply, with **bold** text and `code`.\n\n"
        if index % 10 == 0:
            part += f"```python\ndef step_{index}():\n    return {index}\n```\n\n"
        parts.append(part)
        length += len(part)
    parts.append("LAST-LINE.")
    return "".join(parts)


async def test_a_10_mb_reply_ends_on_screen_as_plain_text_and_reopens(ollama: FakeOllama) -> None:
    reply = huge_markdown(10_000_000)
    ollama.reply = reply
    ollama.chunk_chars = 4000
    app = make_test_app(make_settings(ollama.url))
    session = app.session
    async with app.run_test(size=(120, 40)) as pilot:
        pane = main_screen(app).chat("explore")
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: ollama.streams_finished == 1, timeout=120, what="end")
        await wait_until(pilot, lambda: not pane.is_streaming, timeout=20, what="the reply done")
        await pilot.pause()
        view = pane.query(MessageView).last()
        assert view.plain, "a 10 MB reply is shown as plain text, not laid out as markdown"
        assert pane.messages[-1].content == reply
        text = screen_text(app)
        assert "LAST-LINE." in text
        assert str(view.query_one(PlainBody).render()).startswith("Large (10.0 MB")
        assert "streaming" not in str(pane.border_subtitle)
        # Keys still answer: the spec takes typing.
        await pilot.press("f2", *"typed")
        await pilot.pause()
        assert "typed" in main_screen(app).spec.editor.text
        await pilot.press("ctrl+q")
    reopened = make_test_app(
        make_settings(ollama.url), session=SessionStore().open(session.meta.id)
    )
    async with reopened.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = main_screen(reopened).chat("explore")
        view = pane.query(MessageView).last()
        assert view.plain and view.message.content == reply
        assert "LAST-LINE." in screen_text(reopened)


async def test_a_reply_that_is_one_200_kb_line_ends_and_stays_in_its_pane(
    ollama: FakeOllama,
) -> None:
    line = "".join(f"w{index:06d} " for index in range(25_000)) + "END"
    assert "\n" not in line and len(line) > 200_000
    ollama.reply = line
    ollama.chunk_chars = 4000
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(120, 40)) as pilot:
        pane = main_screen(app).chat("explore")
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: ollama.streams_finished == 1, timeout=60, what="end")
        await wait_until(pilot, lambda: not pane.is_streaming, timeout=10, what="the reply done")
        await pilot.pause()
        view = pane.query(MessageView).last()
        assert view.plain
        assert pane.messages[-1].content == line
        shown = str(view.query_one(PlainBody).render())
        keep = TAIL_LINE_CHARS // 2
        # The line's start and its newest text, around a count of what is left out.
        assert (
            f"{line[:keep]} … ({len(line) - 2 * keep:,} more characters) … {line[-keep:]}" in shown
        )
        assert "END" in screen_text(app)
        # Nothing spills past the pane's border.
        strips = app.screen._compositor.render_strips()
        region = pane.region
        for y in range(region.y, region.bottom):
            assert cell_len(strips[y].crop(region.x, region.right).text) <= region.width


async def test_a_reply_just_under_the_limit_is_still_markdown(ollama: FakeOllama) -> None:
    reply = huge_markdown(LARGE_MESSAGE_CHARS // 2)
    ollama.reply = reply
    ollama.chunk_chars = 4000
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(120, 40)) as pilot:
        pane = main_screen(app).chat("explore")
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: ollama.streams_finished == 1, timeout=60, what="end")
        await wait_until(pilot, lambda: not pane.is_streaming, timeout=30, what="the reply done")
        view = pane.query(MessageView).last()
        assert not view.plain
        assert view.markdown.source == reply
