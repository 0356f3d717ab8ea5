"""Transcripts: what was said survives restarts, crashes and damaged lines."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from workbench.session.model import Message
from workbench.session.transcript import RECOVERED_NOTE, Transcript, new_id


def user(text: str, msg_id: str | None = None) -> Message:
    return Message(
        id=msg_id or new_id(), role="user", content=text, created="2026-11-21T10:00:00+00:00"
    )


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "t" / "explore.jsonl")
    question = Message(id="q1", role="user", content="Where is auth?", kind="spec")
    answer = Message(
        id="a1",
        role="assistant",
        content="In `src/auth/` ✓\n\n```py\nx = 1\n```",
        model="qwen2.5-coder:7b",
        created="2026-11-21T10:15:02+00:00",
        input_tokens=12,
        output_tokens=40,
        duration_s=1.5,
    )
    failure = Message(
        id="e1", role="error", content="Ollama is not running", error_kind="unreachable"
    )
    for message in (question, answer, failure):
        transcript.append(message)
    messages, warnings = Transcript(transcript.path).load()
    assert messages == [question, answer, failure]
    assert warnings == []
    assert transcript.count() == 3


def test_each_message_is_one_versioned_json_line(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "explore.jsonl")
    transcript.append(user("line one\nline two"))
    transcript.append_chunk("a1", "partial")
    lines = transcript.path.read_text().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert (first["v"], first["type"], first["content"]) == (1, "message", "line one\nline two")
    assert second == {"v": 1, "type": "chunk", "id": "a1", "text": "partial"}


def test_missing_file_is_an_empty_transcript(tmp_path: Path) -> None:
    assert Transcript(tmp_path / "none.jsonl").load() == ([], [])


def test_bad_lines_are_skipped_with_a_warning_naming_file_and_line(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "explore.jsonl")
    transcript.append(user("first"))
    with transcript.path.open("a") as file:
        file.write("this is not json\n")
        file.write('{"v": 1, "type": "message", "id": "x"}\n')  # no role or content
        file.write('{"v": 99, "type": "message", "id": "y", "role": "user", "content": "?"}\n')
        file.write('{"v": 1, "type": "mystery", "id": "z"}\n')
    transcript.append(user("last"))
    messages, warnings = transcript.load()
    assert [m.content for m in messages] == ["first", "last"]
    assert [w.split(": line")[0] for w in warnings] == [
        f"{transcript.path}:{n}" for n in (2, 3, 4, 5)
    ]
    assert "newer workbench" in warnings[2]


def test_truncated_last_line_is_skipped_and_later_appends_still_work(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "explore.jsonl")
    transcript.append(user("kept"))
    with transcript.path.open("a") as file:
        file.write('{"v": 1, "type": "message", "id": "cut", "role": "assi')  # kill -9 mid-write
    messages, warnings = transcript.load()
    assert [m.content for m in messages] == ["kept"]
    assert len(warnings) == 1 and "incomplete" in warnings[0] and ":2:" in warnings[0]
    # The next run appends after the broken line without gluing itself onto it.
    reopened = Transcript(transcript.path)
    reopened.append(user("after restart"))
    messages, _ = reopened.load()
    assert [m.content for m in messages] == ["kept", "after restart"]


def test_chunks_without_a_final_message_are_recovered_as_interrupted(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "explore.jsonl")
    transcript.append(user("question one", "q1"))
    transcript.append_chunk("a1", "The answer ", model="qwen2.5-coder:7b")
    transcript.append(user("question two", "q2"))  # e.g. the other pane kept working
    transcript.append_chunk("a1", "is 42")
    # ...and then the app was killed before writing the final message for a1.
    messages, warnings = Transcript(transcript.path).load()
    assert warnings == []
    assert [m.id for m in messages] == ["q1", "a1", "q2"]  # where its first chunk was
    recovered = messages[1]
    assert recovered.content == "The answer is 42"
    assert (recovered.role, recovered.status) == ("assistant", "interrupted")
    assert recovered.note == RECOVERED_NOTE
    assert recovered.model == "qwen2.5-coder:7b"


def test_checkpointed_then_finished_reply_loads_once_with_final_content(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "explore.jsonl")
    transcript.append_chunk("a1", "Hel")
    transcript.append_chunk("a1", "lo")
    transcript.append(Message(id="a1", role="assistant", content="Hello!", model="m"))
    messages, _ = transcript.load()
    assert messages == [Message(id="a1", role="assistant", content="Hello!", model="m")]


def test_a_later_message_with_the_same_id_replaces_the_earlier_one(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "implement.jsonl")
    transcript.append(user("build it", "q1"))
    transcript.append(
        Message(id="e1", role="error", content="Model missing", error_kind="model_missing")
    )
    transcript.append(user("next", "q2"))
    transcript.append(
        Message(id="e1", role="error", content="Model missing", note="Pulled; retried")
    )
    messages, _ = transcript.load()
    assert [m.id for m in messages] == ["q1", "e1", "q2"]
    assert messages[1].note == "Pulled; retried"


def test_a_reply_left_streaming_is_loaded_as_interrupted(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "explore.jsonl")
    transcript.append(Message(id="a1", role="assistant", content="", model="m", status="streaming"))
    transcript.append_chunk("a1", "partial text")
    (message,), _ = transcript.load()
    assert (message.status, message.content, message.model) == ("interrupted", "partial text", "m")


def test_concurrent_appenders_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "explore.jsonl"
    big = "x" * 20_000  # far bigger than a pipe buffer; still one write per line

    def writer(name: str) -> None:
        transcript = Transcript(path)
        for index in range(50):
            transcript.append(user(f"{name}-{index}-{big}", f"{name}-{index}"))

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    messages, warnings = Transcript(path).load()
    assert warnings == []
    assert len(messages) == 200


def test_new_ids_are_unique_and_sort_by_time() -> None:
    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    earlier = new_id()
    time.sleep(0.01)
    assert new_id() > earlier
