"""Text a server sends that no terminal or file should get raw: NUL, lone surrogates, C1 controls,
bytes that are not UTF-8 (issue 13, item 7).

The providers clean it where it enters, so a reply carrying it finishes, shows and is saved; a
failure while saving a reply ends it, visibly. Through the real clients against the fakes.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama
from tests.unit.test_conversation import conversation, events_of, reloaded
from workbench.chat.events import Ended, Notice, Text, TurnStatus
from workbench.providers.anthropic import AnthropicProvider
from workbench.providers.base import (
    ChatMessage,
    ErrorKind,
    ProviderError,
    StreamEvent,
    TextDelta,
    ToolRequest,
    Usage,
)
from workbench.providers.ollama import OllamaProvider
from workbench.providers.repaired_stream import repaired, repairing_hook
from workbench.session.model import AssistantMessage
from workbench.session.transcript import Transcript
from workbench.textclean import StreamSanitizer, mend_surrogates, sanitize, sanitize_data

OLLAMA_MODEL = "qwen2.5-coder:7b"
CLAUDE = "claude-sonnet-5-5"
HELLO = [ChatMessage("user", "Say hello")]
REPLY = "one two three four five six"
"""The fakes' reply in these tests: chunks of 4 characters, the hostile one in place of one."""

HOSTILE = {
    "lone surrogate": (b"\\ud800", "\ufffd"),
    "lone low surrogate": (b"\\udc00", "\ufffd"),
    "NUL": (b"a\\u0000b", "ab"),
    "C1 NEL": (b"a\\u0085b", "ab"),
    "C1 CSI": (b"a\\u009b2Jb", "ab"),  # CSI in C1 form: a terminal may clear the screen
    "invalid UTF-8": (b"a\xff\xfeb", "a\ufffd\ufffdb"),
    # Go's JSON encoder (Ollama) writes these raw; httpx would split a line on NEL.
    "raw NEL": (b"a\xc2\x85b", "ab"),
    "raw C1 CSI": (b"a\xc2\x9b2Jb", "ab"),
    "raw line separator": ("a\u2028b\u2029c".encode(), "a\nb\nc"),
}
"""What a chunk's JSON string carries (escapes as spelled, raw bytes), and what is kept of it."""


def storable(text: str) -> bool:
    """Whether text can be shown and saved: encodable as UTF-8, no controls but tab/newline."""
    text.encode("utf-8")
    return not any((ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F for c in text)


async def collect(
    stream: AsyncIterator[StreamEvent],
) -> tuple[str, list[StreamEvent], ProviderError | None]:
    """Drain a stream into (its text, every event, the error that ended it)."""
    events: list[StreamEvent] = []
    try:
        async for event in stream:
            events.append(event)
    except ProviderError as error:
        return _text(events), events, error
    return _text(events), events, None


def _text(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def expected(clean: str, index: int = 1) -> str:
    """The reply with chunk `index` replaced by `clean`."""
    chunks = [REPLY[i : i + 4] for i in range(0, len(REPLY), 4)]
    chunks[index] = clean
    return "".join(chunks)


# -- the cleaning functions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("half \ud83d of an emoji", "half \ufffd of an emoji"),
        ("\udc00low first", "\ufffdlow first"),
        ("a pair \ud83d\ude00 joined", "a pair 😀 joined"),
        ("nul\x00 gone", "nul gone"),
        ("next\x85line and \x9b2Jcsi", "nextline and csi"),
        ("\x9d0;title\x9cosc", "osc"),
        ("keep\ttabs\nand lines", "keep\ttabs\nand lines"),
        ("line\u2028and paragraph\u2029separators", "line\nand paragraph\nseparators"),
        ("emoji 😀 and 日本語 stay", "emoji 😀 and 日本語 stay"),
    ],
)
def test_sanitize_makes_text_storable(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean
    assert storable(sanitize(raw))


def test_mend_surrogates_leaves_clean_text_alone() -> None:
    text = "plain ✓ 😀"
    assert mend_surrogates(text) is text
    assert mend_surrogates("x\ud800y\udfffz") == "x\ufffdy\ufffdz"


def test_a_surrogate_pair_split_over_chunks_is_joined() -> None:
    cleaner = StreamSanitizer()
    assert cleaner.feed("smile \ud83d") == "smile "
    assert cleaner.feed("\ude00!") == "😀!"
    assert cleaner.flush() == ""


def test_half_a_pair_at_the_end_of_the_stream_becomes_a_replacement_character() -> None:
    cleaner = StreamSanitizer()
    assert cleaner.feed("cut \ud83d") == "cut "
    assert cleaner.feed("x") == "\ufffdx"
    assert cleaner.feed("end \ud83d") == "end "
    assert cleaner.flush() == "\ufffd"


def test_sanitize_data_cleans_every_string_keys_included() -> None:
    raw = {"pa\x00th": ["a\ud800", {"n": 1, "s": "\x9b2Jx"}], "ok": True, "none": None}
    assert sanitize_data(raw) == {"path": ["a\ufffd", {"n": 1, "s": "x"}], "ok": True, "none": None}


# -- the repair of JSON bodies on their way to the clients ---------------------------------


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_a_json_body_is_repaired_across_chunk_boundaries() -> None:
    parts = [b'{"t": "caf\xc3', b"\xa9 \xe2\x80", b"\xa8 \xc2", b'\x85 \xff"}\n']
    body = b"".join([part async for part in repaired(_chunks(*parts))])
    assert body == '{"t": "caf\u00e9 \\u2028 \\u0085 \ufffd"}\n'.encode()
    assert json.loads(body) == {"t": "caf\u00e9 \u2028 \x85 \ufffd"}


class _Body(httpx.AsyncByteStream):
    """A response body as it comes off the socket, in one piece."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data


BROKEN = b'{"t": "a\xc2\x85b \xff"}'
"""A JSON body with a raw NEL and a byte that is not UTF-8."""
REPAIRED = b'{"t": "a\\u0085b \xef\xbf\xbd"}'
"""`BROKEN` as the client must read it: NEL escaped, U+FFFD for the bad byte."""


@pytest.mark.parametrize(
    ("headers", "wire", "read"),
    [
        ({"content-type": "application/x-ndjson"}, BROKEN, REPAIRED),
        ({"content-type": "text/event-stream; charset=utf-8"}, BROKEN, REPAIRED),
        ({"content-type": "text/plain"}, BROKEN, BROKEN),
        # Compressed: the hook sees it before it is decompressed, so it must not touch it.
        (
            {"content-type": "application/json", "content-encoding": "gzip"},
            gzip.compress(BROKEN),
            BROKEN,
        ),
    ],
    ids=["ndjson", "sse", "text", "gzip"],
)
async def test_only_uncompressed_json_bodies_are_repaired(
    headers: dict[str, str], wire: bytes, read: bytes
) -> None:
    response = httpx.Response(200, headers=headers, stream=_Body(wire))
    await repairing_hook(httpx.AsyncByteStream)(response)
    assert await response.aread() == read


# -- Ollama, through the real client ---------------------------------------------------------


@pytest.fixture
async def ollama_provider(fake_ollama: FakeOllama) -> AsyncIterator[OllamaProvider]:
    fake_ollama.reply = REPLY
    provider = OllamaProvider(fake_ollama.url, timeout_s=5, connect_timeout_s=2)
    yield provider
    await provider.aclose()


@pytest.mark.parametrize("case", HOSTILE)
async def test_ollama_cleans_hostile_text_and_finishes(
    fake_ollama: FakeOllama, ollama_provider: OllamaProvider, case: str
) -> None:
    raw, clean = HOSTILE[case]
    fake_ollama.raw_chunks = {1: raw}
    text, events, error = await collect(ollama_provider.stream_chat(OLLAMA_MODEL, HELLO))
    assert error is None
    assert isinstance(events[-1], Usage)
    assert text == expected(clean)
    assert storable(text)


async def test_ollama_joins_an_emoji_split_over_two_chunks(
    fake_ollama: FakeOllama, ollama_provider: OllamaProvider
) -> None:
    fake_ollama.raw_chunks = {1: b"\\ud83d", 2: b"\\ude00"}
    text, _, error = await collect(ollama_provider.stream_chat(OLLAMA_MODEL, HELLO))
    assert error is None
    assert text == "one 😀e four five six"


async def test_ollama_half_an_emoji_at_the_very_end_is_kept_as_a_replacement(
    fake_ollama: FakeOllama, ollama_provider: OllamaProvider
) -> None:
    fake_ollama.reply = "ab"
    fake_ollama.raw_chunks = {0: b"end \\ud83d"}
    text, events, error = await collect(ollama_provider.stream_chat(OLLAMA_MODEL, HELLO))
    assert error is None and isinstance(events[-1], Usage)
    assert text == "end \ufffd"


async def test_ollama_cleans_tool_call_names_and_arguments(
    fake_ollama: FakeOllama, ollama_provider: OllamaProvider
) -> None:
    hostile = {"path": "src/\ud800a\x00.py", "pat\x85tern": ["\x9b2Jx", 3]}
    fake_ollama.tool_script = [[{"name": "read_\x00file", "arguments": hostile}]]
    _, events, error = await collect(ollama_provider.stream_chat(OLLAMA_MODEL, HELLO))
    assert error is None
    request = next(e for e in events if isinstance(e, ToolRequest))
    (call,) = request.calls
    assert call.name == "read_file"
    assert call.arguments == {"path": "src/\ufffda.py", "pattern": ["x", 3]}


async def test_ollama_cleans_an_error_line_and_keeps_the_text(
    fake_ollama: FakeOllama, ollama_provider: OllamaProvider
) -> None:
    fake_ollama.error_after = 3
    fake_ollama.error_message = "runner \ud800 died\x00 \x9b2J\x1b]0;PWNED\x07now"
    text, _, error = await collect(ollama_provider.stream_chat(OLLAMA_MODEL, HELLO))
    assert text == REPLY[:12]
    assert error is not None
    assert "runner \ufffd died" in error.message and "now" in error.message
    assert "PWNED" not in error.message and storable(error.message)


async def test_ollama_cleans_an_http_error_body(
    fake_ollama: FakeOllama, ollama_provider: OllamaProvider
) -> None:
    fake_ollama.status_override = 500
    fake_ollama.status_message = "boom \ud800\x00\x85"
    _, _, error = await collect(ollama_provider.stream_chat(OLLAMA_MODEL, HELLO))
    assert error is not None and "boom \ufffd" in error.message
    assert storable(error.message)


async def test_ollama_cleans_the_model_names_it_lists(
    fake_ollama: FakeOllama, ollama_provider: OllamaProvider
) -> None:
    # Names end up in the picker, the status bar and session.json.
    fake_ollama.models = ["evil\x1b]0;PWNED\x07\ud800:7b", "fine:3b"]
    names = [model.name for model in await ollama_provider.list_models()]
    assert names == ["evil\ufffd:7b", "fine:3b"]


# -- Anthropic, through the real SDK ---------------------------------------------------------


@pytest.fixture
async def claude(fake_anthropic: FakeAnthropic) -> AsyncIterator[AnthropicProvider]:
    fake_anthropic.reply = REPLY
    provider = AnthropicProvider(
        "sk-test", base_url=fake_anthropic.url, max_retries=0, timeout_s=5.0, models=[CLAUDE]
    )
    yield provider
    await provider.aclose()


@pytest.mark.parametrize("case", HOSTILE)
async def test_anthropic_cleans_hostile_text_and_finishes(
    fake_anthropic: FakeAnthropic, claude: AnthropicProvider, case: str
) -> None:
    raw, clean = HOSTILE[case]
    fake_anthropic.raw_chunks = {1: raw}
    text, events, error = await collect(claude.stream_chat(CLAUDE, HELLO))
    assert error is None
    assert isinstance(events[-1], Usage)
    assert text == expected(clean)
    assert storable(text)


async def test_anthropic_joins_an_emoji_split_over_two_deltas(
    fake_anthropic: FakeAnthropic, claude: AnthropicProvider
) -> None:
    fake_anthropic.raw_chunks = {1: b"\\ud83d", 2: b"\\ude00"}
    text, _, error = await collect(claude.stream_chat(CLAUDE, HELLO))
    assert error is None
    assert text == "one 😀e four five six"


async def test_anthropic_cleans_an_error_event(
    fake_anthropic: FakeAnthropic, claude: AnthropicProvider
) -> None:
    fake_anthropic.error_event_after = 2
    fake_anthropic.error_event_type = "api_error"
    fake_anthropic.error_event_message = "bad \ud800 thing\x00\x9b2J\x1b]52;c;eA==\x07 here"
    text, _, error = await collect(claude.stream_chat(CLAUDE, HELLO))
    assert text == REPLY[:8]
    assert error is not None and "bad \ufffd thing here" in error.message
    assert storable(error.message)


# -- a whole turn: the reply finishes and is saved -------------------------------------------


async def test_a_reply_with_a_lone_surrogate_finishes_and_is_saved(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.reply = REPLY
    fake_ollama.raw_chunks = {1: b"\\ud800", 3: b"\\u0000\\u009b2J"}
    async with conversation(tmp_path, fake_ollama.url) as conv:
        reply = conv.send("hi")
        async with asyncio.timeout(10):
            events = await events_of(reply)
        ended = events[-1]
        assert isinstance(ended, Ended) and ended.status is TurnStatus.ANSWERED
        shown = "".join(e.text for e in events if isinstance(e, Text))
        assert shown == "one \ufffdthreur five six"
        saved = reloaded(conv)
        assert [m.role for m in saved] == ["user", "assistant"]
        assert saved[1].content == shown and saved[1].status == "done"


class FailingChunks(Transcript):
    """A transcript whose checkpoint writes fail with `error` (the whole message still saves)."""

    def __init__(self, path: Path, error: Exception) -> None:
        super().__init__(path)
        self.error = error

    def append_chunk(self, msg_id: str, text: str, *, model: str | None = None) -> None:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [RuntimeError("transcript bug"), OSError(28, "No space left on device"), ValueError("x")],
    ids=["unexpected", "oserror", "valueerror"],
)
async def test_a_checkpoint_that_fails_ends_the_reply_visibly_and_keeps_its_text(
    tmp_path: Path, fake_ollama: FakeOllama, error: Exception
) -> None:
    fake_ollama.reply = "word " * 200
    fake_ollama.tokens_per_s = 400
    async with conversation(tmp_path, fake_ollama.url) as conv:
        conv.transcript = FailingChunks(conv.transcript.path, error)
        reply = conv.send("hi")
        async with asyncio.timeout(10):
            events = await events_of(reply)
        ended = events[-1]
        assert isinstance(ended, Ended) and ended.status is TurnStatus.FAILED
        assert ended.error is not None and ended.error.kind is ErrorKind.NOT_SAVED
        message = ended.error.message
        assert "Could not save the reply" in message and str(conv.transcript.path) in message
        assert "stopped" in message and "kept, on screen and on disk" in message
        assert ended.reply is not None and ended.reply.status == "failed"
        # The stream was stopped, not read to the end.
        assert fake_ollama.chunks_sent < 200
        saved = reloaded(conv)
        assert [m.role for m in saved] == ["user", "assistant", "error"]
        assert saved[1].content == ended.reply.content and saved[1].content
        assert saved[2].content.startswith("Could not save the reply")


async def test_a_transcript_gone_mid_reply_ends_it_and_says_how_to_copy_it(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.reply = "word " * 200
    fake_ollama.tokens_per_s = 200
    async with conversation(tmp_path, fake_ollama.url) as conv:
        reply = conv.send("hi")
        events = []
        async with asyncio.timeout(10):
            async for event in reply:
                events.append(event)
                if isinstance(event, Text) and not conv.transcript.path.is_dir():
                    conv.transcript.path.unlink()
                    conv.transcript.path.mkdir()  # every write now fails with an OSError
        ended = events[-1]
        assert isinstance(ended, Ended) and ended.status is TurnStatus.FAILED
        assert ended.error is not None and ended.error.kind is ErrorKind.NOT_SAVED
        assert "on screen only" in ended.error.message and "press c" in ended.error.message
        assert ended.reply is not None and ended.reply.content
        notices = [e for e in events if isinstance(e, Notice)]
        assert notices and all(n.severity == "error" for n in notices)


def test_a_message_with_a_lone_surrogate_is_saved_with_a_replacement(tmp_path: Path) -> None:
    # Text that never went through a provider (a bug elsewhere): saved rather than lost.
    transcript = Transcript(tmp_path / "t.jsonl")
    transcript.append(AssistantMessage(id="a1", content="half \ud83d here", model="m"))
    transcript.append_chunk("a2", "chunk \udc00", model="m\ud800")
    raw = transcript.path.read_bytes().decode("utf-8")
    assert [json.loads(line)["type"] for line in raw.splitlines()] == ["message", "chunk"]
    messages, warnings = transcript.load()
    assert not warnings
    assert [m.content for m in messages] == ["half \ufffd here", "chunk \ufffd"]
