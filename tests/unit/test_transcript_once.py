"""A streamed reply is stored once: its final line shares the text its checkpoints hold.

Version 2 `message` lines say `"after": N`: the first N characters are what the earlier lines
of the id hold. Crash safety is unchanged: a file cut anywhere still gives back the text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.unit.helpers import tier_settings
from workbench.chat.conversation import Conversation
from workbench.config import ModelRef
from workbench.providers.router import ProviderRouter
from workbench.session import transcript as transcript_module
from workbench.session.model import AssistantMessage, UserMessage
from workbench.session.transcript import (
    RECOVERED_NOTE,
    SHARE_ABOVE_CHARS,
    TRANSCRIPT_VERSION,
    Transcript,
)

MODEL = "qwen2.5-coder:7b"
PIECE = 4_000


def reply_text(size: int) -> str:
    """`size` characters of varied text (some of it not ASCII), ending in a marker."""
    line = "Line {n}: the parser keeps `state` ✓ — ü and 字 too.\n"
    parts, total, n = [], 0, 0
    while total < size:
        parts.append(line.format(n=n))
        total += len(parts[-1])
        n += 1
    return "".join(parts)[: size - 3] + "END"


def stream(transcript: Transcript, msg_id: str, text: str, piece: int = PIECE) -> None:
    """Checkpoint `text` in pieces, as a reply does while it streams."""
    for start in range(0, len(text), piece):
        transcript.append_chunk(msg_id, text[start : start + piece], model=MODEL)


def reply(text: str, msg_id: str = "a1", **fields: Any) -> AssistantMessage:
    return AssistantMessage(id=msg_id, content=text, model=MODEL, **fields)


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_streamed_reply_is_stored_once_and_loads_exactly(tmp_path: Path) -> None:
    text = reply_text(1_000_000)
    transcript = Transcript(tmp_path / "explore.jsonl")
    transcript.append(UserMessage(id="q1", content="write a lot"))
    stream(transcript, "a1", text)
    transcript.append(reply(text, output_tokens=250))
    size = transcript.path.stat().st_size
    assert size < 1.2 * len(text.encode("utf-8"))
    last = lines_of(transcript.path)[-1]
    assert (last["v"], last["after"], last["content"]) == (2, len(text), "")
    messages, warnings = Transcript(transcript.path).load()
    assert warnings == []
    assert [m.id for m in messages] == ["q1", "a1"]
    assert messages[1] == reply(text, output_tokens=250)


def test_the_final_line_holds_only_what_the_checkpoints_missed(tmp_path: Path) -> None:
    text = reply_text(20_000)
    transcript = Transcript(tmp_path / "explore.jsonl")
    stream(transcript, "a1", text[:15_000])  # the last 5,000 characters never checkpointed
    transcript.append(reply(text, status="interrupted", note="Stopped by you"))
    last = lines_of(transcript.path)[-1]
    assert (last["v"], last["after"], last["content"]) == (2, 15_000, text[15_000:])
    (message,), warnings = Transcript(transcript.path).load()
    assert warnings == []
    assert (message.content, message.status, message.note) == (
        text,
        "interrupted",
        "Stopped by you",
    )


async def test_a_reply_streamed_through_the_conversation_is_stored_once(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    text = reply_text(1_000_000)
    fake_ollama.reply, fake_ollama.chunk_chars = text, PIECE
    router = ProviderRouter(tier_settings(fake_ollama.url))
    model = ModelRef("ollama", MODEL, "fast")
    path = tmp_path / "explore.jsonl"
    conv = Conversation("explore", Transcript(path), router, model, checkpoint_interval_s=0.0)
    try:
        conv.load()
        async for _ in conv.send("write a lot"):
            pass
    finally:
        await router.aclose()
    records = lines_of(path)
    assert sum(r["type"] == "chunk" for r in records) > 1  # it was checkpointed as it came
    assert path.stat().st_size < 1.2 * len(text.encode("utf-8"))
    messages, warnings = Transcript(path).load()
    assert warnings == []
    assert (messages[1].content, messages[1].status) == (text, "done")


@pytest.mark.parametrize("cut_in", ["final line", "a checkpoint"])
def test_a_file_cut_mid_line_still_gives_back_the_text(tmp_path: Path, cut_in: str) -> None:
    """What kill -9 leaves: the file ends part-way through a line."""
    text = reply_text(50_000)
    transcript = Transcript(tmp_path / "explore.jsonl")
    stream(transcript, "a1", text)
    transcript.append(reply(text))
    raw = transcript.path.read_bytes()
    lines = raw.splitlines(keepends=True)
    if cut_in == "final line":
        kept, expected = raw[: len(raw) - len(lines[-1]) // 2 - 1], text
    else:  # the last checkpoint was being written: the final line never was
        kept = b"".join(lines[:-2]) + lines[-2][:100]
        expected = text[: (len(lines) - 2) * PIECE]
    transcript.path.write_bytes(kept)
    reopened = Transcript(transcript.path)
    (message,), warnings = reopened.load()
    assert (message.content, message.status, message.note) == (
        expected,
        "interrupted",
        RECOVERED_NOTE,
    )
    assert len(warnings) == 1 and "incomplete" in warnings[0]
    # The reopened transcript goes on sharing what the lines on disk hold.
    reopened.append(reply(expected, note="kept"))
    assert lines_of_tail(reopened.path)["after"] == len(expected)
    (message,), _ = Transcript(reopened.path).load()
    assert (message.content, message.status, message.note) == (expected, "done", "kept")


def lines_of_tail(path: Path) -> dict[str, Any]:
    return json.loads(path.read_bytes().splitlines()[-1])


def forged(path: Path, *, after: int, digest: str, content: str = "") -> None:
    """Append a version 2 line by hand."""
    record = {"v": 2, "type": "message", "id": "a1", "role": "assistant", "content": content}
    with path.open("a", encoding="utf-8") as file:
        file.write(json.dumps(record | {"after": after, "after_digest": digest}) + "\n")


@pytest.mark.parametrize("wrong", ["digest", "length", "no earlier lines"])
def test_a_line_continuing_text_that_is_not_there_is_bad_and_the_chunks_recovered(
    tmp_path: Path, wrong: str
) -> None:
    text = reply_text(10_000)
    path = tmp_path / "explore.jsonl"
    transcript = Transcript(path)
    transcript.append(UserMessage(id="q1", content="go"))
    good = transcript_module._digest(text)
    if wrong != "no earlier lines":
        stream(transcript, "a1", text)
    after, digest = len(text), good
    if wrong == "digest":
        digest = transcript_module._digest(text[:-1] + "?")
    elif wrong == "length":
        after = len(text) - 1
    forged(path, after=after, digest=digest, content="!")
    messages, warnings = Transcript(path).load()
    assert warnings == [
        f"{path}:{len(lines_of(path))}: line continues text that earlier lines do not hold; skipped"
    ]
    if wrong == "no earlier lines":
        assert [m.id for m in messages] == ["q1"]
    else:
        assert (messages[1].content, messages[1].status) == (text, "interrupted")


def test_a_checkpoint_lost_in_the_middle_makes_the_final_line_bad_not_wrong(
    tmp_path: Path,
) -> None:
    text = reply_text(20_000)
    transcript = Transcript(tmp_path / "explore.jsonl")
    stream(transcript, "a1", text)
    transcript.append(reply(text))
    lines = transcript.path.read_bytes().splitlines(keepends=True)
    lines[1] = b"garbage\n"  # the second checkpoint is damaged
    transcript.path.write_bytes(b"".join(lines))
    (message,), warnings = Transcript(transcript.path).load()
    assert len(warnings) == 2 and "continues text that earlier lines do not hold" in warnings[1]
    assert message.content == text[:PIECE] + text[2 * PIECE :]  # what the chunks hold
    assert message.status == "interrupted"


def test_small_messages_and_short_replies_are_plain_version_1_lines(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "explore.jsonl")
    question = UserMessage(id="q1", content="hello")
    transcript.append(question)
    short = "x" * (SHARE_ABOVE_CHARS - 1)
    stream(transcript, "a1", short, piece=1_000)
    transcript.append(reply(short + " done"))
    question.status = "retried"
    transcript.append(question)  # the same id again, too short to share
    records = lines_of(transcript.path)
    assert {r["v"] for r in records} == {1}
    assert not any("after" in r for r in records)
    assert records[-2]["content"] == short + " done"
    messages, _ = Transcript(transcript.path).load()
    assert [m.content for m in messages] == ["hello", short + " done"]


def test_an_older_workbench_skips_shared_lines_and_recovers_the_checkpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = reply_text(10_000)
    transcript = Transcript(tmp_path / "explore.jsonl")
    stream(transcript, "a1", text)
    transcript.append(reply(text))
    assert TRANSCRIPT_VERSION == 2
    monkeypatch.setattr(transcript_module, "TRANSCRIPT_VERSION", 1)  # as version 1 reads
    (message,), warnings = Transcript(transcript.path).load()
    assert ["newer workbench (version 2)" in w for w in warnings] == [True]
    assert (message.content, message.status) == (text, "interrupted")


def test_a_version_1_transcript_written_by_hand_loads_unchanged(tmp_path: Path) -> None:
    text = reply_text(9_000)
    path = tmp_path / "explore.jsonl"
    records = [
        {"v": 1, "type": "message", "id": "q1", "role": "user", "content": "go"},
        {"v": 1, "type": "chunk", "id": "a1", "text": text[:5_000], "model": MODEL},
        {"v": 1, "type": "chunk", "id": "a1", "text": text[5_000:]},
        # An "after" on a version 1 line means nothing: version 1 never shares.
        {"v": 1, "type": "message", "id": "a1", "role": "assistant", "content": text,
         "model": MODEL, "after": 5_000},
        {"v": 1, "type": "chunk", "id": "a2", "text": "cut short"},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    before = path.read_bytes()
    messages, warnings = Transcript(path).load()
    assert warnings == []
    assert [(m.id, m.content, m.status) for m in messages] == [
        ("q1", "go", "done"),
        ("a1", text, "done"),
        ("a2", "cut short", "interrupted"),
    ]
    assert path.read_bytes() == before


def test_a_reopened_transcript_shares_what_its_lines_hold(tmp_path: Path) -> None:
    """What the lines hold is worked out again on load: a continued reply shares too."""
    text = reply_text(30_000)
    path = tmp_path / "explore.jsonl"
    stream(Transcript(path), "a1", text[:10_000])  # then the app was killed
    reopened = Transcript(path)
    (message,), _ = reopened.load()
    assert message.content == text[:10_000]
    reopened.append(reply(text[:10_000], status="streaming"))  # a continuation starts
    stream(reopened, "a1", text[10_000:])
    reopened.append(reply(text))
    records = lines_of(path)
    assert [r.get("after") for r in records if r["type"] == "message"] == [10_000, 30_000]
    assert path.stat().st_size < 1.2 * len(text.encode("utf-8"))
    (message,), warnings = Transcript(path).load()
    assert warnings == [] and (message.content, message.status) == (text, "done")


@pytest.mark.parametrize("failure", ["cut short", "written, then an error"])
def test_after_a_failed_write_the_next_line_shares_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """Whether a line that failed is on disk is unknown: the next one holds the whole text."""
    text = reply_text(10_000)
    transcript = Transcript(tmp_path / "explore.jsonl")
    stream(transcript, "a1", text[:8_000])
    real = Transcript._write_line

    def failing(self: Transcript, record: Any) -> None:
        if failure == "cut short":
            with self.path.open("a") as file:
                file.write('{"v": 1, "type": "chunk", "id": "a1", "te')
        else:
            real(self, record)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Transcript, "_write_line", failing)
    with pytest.raises(OSError):
        transcript.append_chunk("a1", text[8_000:])
    monkeypatch.setattr(Transcript, "_write_line", real)
    transcript.append(reply(text))
    last = lines_of_tail(transcript.path)
    assert (last["v"], last["content"]) == (1, text)
    (message,), _ = Transcript(transcript.path).load()
    assert (message.content, message.status) == (text, "done")


def test_a_lone_surrogate_is_mended_the_same_in_shared_and_whole_lines(tmp_path: Path) -> None:
    text = reply_text(10_000)
    text = text[:100] + "\ud83d" + text[101:]
    transcript = Transcript(tmp_path / "explore.jsonl")
    stream(transcript, "a1", text)
    transcript.append(reply(text))
    assert lines_of_tail(transcript.path)["after"] == len(text)
    (message,), warnings = Transcript(transcript.path).load()
    assert warnings == []
    assert message.content == text[:100] + "\ufffd" + text[101:]
