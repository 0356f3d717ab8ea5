"""A reply whose wire text is hostile, and a reply that cannot be saved, through the real app
(issue 13, item 7).

The fake Ollama streams what real servers and tokenizers send: half of an emoji's surrogate pair
as a JSON escape, NUL, C1 controls (escaped, and NEL as the raw bytes Go's JSON encoder writes),
bytes that are not UTF-8. The reply must end, show, stay inside its pane and be saved.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from textual.widget import Widget

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, wait_until
from workbench.app import WorkbenchApp
from workbench.session.store import SessionStore

PIECES = [
    b"Hostile reply: ",
    b"half an emoji \\ud800 here, ",
    b"NUL\\u0000 gone, C1\\u009b2J gone, ",
    b"raw NEL \xc2\x85 gone, raw LS\xe2\x80\xa8a line break, ",
    b"bytes \xff\xfe not UTF-8, ",
    b"an emoji split over two chunks \\ud83d",
    b"\\ude00 joined, ",
    b"then a long line: " + b"wide " * 40 + b"end.",
]
"""What the stream's chunks carry between their JSON string's quotes, one chunk each."""
SHOWN = (
    "Hostile reply: half an emoji \ufffd here, NUL gone, C1 gone, raw NEL  gone, "
    "raw LS\na line break, "
    "bytes \ufffd\ufffd not UTF-8, an emoji split over two chunks 😀 joined, "
    "then a long line: " + "wide " * 40 + "end."
)
"""The reply as it must be shown and saved."""


def hostile_stream(ollama: FakeOllama) -> None:
    """Make the fake stream `PIECES` as its reply, one chunk each."""
    ollama.reply = "." * ollama.chunk_chars * len(PIECES)  # every chunk is replaced
    ollama.raw_chunks = dict(enumerate(PIECES))


def rows_of(app: WorkbenchApp, widget: Widget) -> list[str]:
    """The screen rows a widget covers, cut to its width, as the terminal shows them."""
    region = widget.region
    strips = app.screen._compositor.render_strips()
    return [
        strips[y].crop(region.x, region.right).text
        for y in range(region.y, min(region.bottom, len(strips)))
    ]


def words(rows: list[str]) -> str:
    """Rows of a bordered pane joined into one line of words (border glyphs and wraps gone)."""
    inner = [row[1:-1] for row in rows]
    return re.sub(r"[\s▌]+", " ", " ".join(inner)).strip()  # ▌: an error's left border


async def test_a_reply_with_hostile_text_ends_stays_in_its_pane_and_is_saved(
    ollama: FakeOllama,
) -> None:
    hostile_stream(ollama)
    app = make_test_app(make_settings(ollama.url))
    session = app.session
    async with app.run_test(size=(120, 60)) as pilot:
        pane = main_screen(app).chat("explore")
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: ollama.streams_finished == 1, what="the server's end")
        await wait_until(pilot, lambda: not pane.is_streaming, what="the reply to end")
        await pilot.pause()
        assert "streaming" not in str(pane.border_subtitle)
        reply = pane.messages[-1]
        assert (reply.role, reply.status, reply.content) == ("assistant", "done", SHOWN)
        # On screen: the whole text, U+FFFD where a surrogate or a bad byte was.
        rows = rows_of(app, pane)
        assert words([f" {SHOWN} "]) in words(rows)
        # Inside the pane: every row is exactly as wide as the pane, its borders intact.
        width = pane.region.width
        assert all(cell_len(row) == width for row in rows), [r for r in rows if len(r) != width]
        left, right = rows[1][0], rows[1][-1]
        assert left.strip() and right.strip(), rows[1]
        assert all((row[0], row[-1]) == (left, right) for row in rows[1:-1]), rows
        assert not any(
            re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]", r) for r in rows
        )
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    saved, warnings = SessionStore().open(session.meta.id).explore.load()
    assert not warnings
    assert [(m.role, m.status) for m in saved] == [("user", "done"), ("assistant", "done")]
    assert saved[1].content == SHOWN


async def test_a_reply_that_cannot_be_saved_ends_visibly_with_its_text_on_screen(
    ollama: FakeOllama,
) -> None:
    ollama.reply = "word " * 400
    ollama.tokens_per_s = 50
    app = make_test_app(make_settings(ollama.url))
    async with app.run_test(size=(120, 60)) as pilot:
        pane = main_screen(app).chat("explore")
        transcript = pane.conversation.transcript.path
        await pilot.press(*"hello", "enter")
        await wait_until(pilot, lambda: ollama.chunks_sent >= 5, what="some chunks")
        await wait_until(pilot, lambda: transcript.stat().st_size > 0, what="a checkpoint")
        # The transcript becomes unwritable mid-stream: every append now fails (EISDIR).
        transcript.unlink()
        transcript.mkdir()
        await wait_until(pilot, lambda: not pane.is_streaming, what="the reply to end")
        await wait_until(pilot, lambda: ollama.streams_aborted == 1, what="the stream closed")
        await pilot.pause()
        assert "streaming" not in str(pane.border_subtitle)
        reply, error = pane.messages[-2:]
        assert (reply.role, reply.status) == ("assistant", "failed")
        assert reply.content and ("word " * 400).startswith(reply.content)
        assert len(reply.content) < len("word " * 400)  # stopped, not read to the end
        assert error.role == "error"
        shown = words(rows_of(app, pane))
        assert "Could not save the reply to" in shown and "explore.jsonl" in shown
        assert "so it was stopped" in shown and "press c on it to copy it" in shown
        assert "word word word" in shown  # the reply's text stays on screen
        await pilot.press("ctrl+q")
    assert app.return_code == 0
