"""Transcripts: what was said survives restarts, crashes and damaged lines."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from workbench.session.model import AssistantMessage, AttachedFile, ErrorMessage, UserMessage
from workbench.session.transcript import RECOVERED_NOTE, Transcript, new_id


def user(text: str, msg_id: str | None = None) -> UserMessage:
    return UserMessage(id=msg_id or new_id(), content=text, created="2026-11-21T10:00:00+00:00")


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "t" / "explore.jsonl")
    question = UserMessage(id="q1", content="Where is auth?", kind="spec")
    answer = AssistantMessage(
        id="a1",
        content="In `src/auth/` ✓\n\n```py\nx = 1\n```",
        model="qwen2.5-coder:7b",
        created="2026-11-21T10:15:02+00:00",
        input_tokens=12,
        output_tokens=40,
        duration_s=1.5,
    )
    failure = ErrorMessage(id="e1", content="Ollama is not running", error_kind="unreachable")
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
    transcript.append(AssistantMessage(id="a1", content="Hello!", model="m"))
    messages, _ = transcript.load()
    assert messages == [AssistantMessage(id="a1", content="Hello!", model="m")]


def test_a_later_message_with_the_same_id_replaces_the_earlier_one(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "implement.jsonl")
    transcript.append(user("build it", "q1"))
    transcript.append(ErrorMessage(id="e1", content="Model missing", error_kind="model_missing"))
    transcript.append(user("next", "q2"))
    transcript.append(ErrorMessage(id="e1", content="Model missing", note="Pulled; retried"))
    messages, _ = transcript.load()
    assert [m.id for m in messages] == ["q1", "e1", "q2"]
    assert messages[1].note == "Pulled; retried"


def test_a_reply_left_streaming_is_loaded_as_interrupted(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "explore.jsonl")
    transcript.append(AssistantMessage(id="a1", content="", model="m", status="streaming"))
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


FIXTURE = Path(__file__).parent.parent / "fixtures" / "sessions" / "20261120T095959000-a14fb61a"
COMMON_KEYS = {"v", "type", "id", "role", "content", "status", "created", "note"}
ROLE_KEYS = {
    "user": {"kind", "spec_version", "attachments"},
    "assistant": {
        "model",
        "input_tokens",
        "output_tokens",
        "duration_s",
        "kind",
        "spec_version",
        "covers",
        "fallback_from",
        "stop_reason",
        "generation_s",
    },
    "tool": {"tool_name", "tool_args"},
    "error": {"error_kind"},
}
"""The keys of a message line by role: those of the fields the old single record had."""


def test_lines_written_now_keep_the_old_keys_and_values_of_their_role(tmp_path: Path) -> None:
    for name in ("explore.jsonl", "implement.jsonl"):
        old_lines = [json.loads(line) for line in (FIXTURE / name).read_text().splitlines()]
        # The last line of an id is the one that counts; the fixture predates stop_reason.
        old = {line["id"]: line for line in old_lines if line["type"] == "message"}
        messages, warnings = Transcript(FIXTURE / name).load()
        assert warnings == []
        rewritten = Transcript(tmp_path / name)
        for message in messages:
            rewritten.append(message)
        new_lines = [json.loads(line) for line in rewritten.path.read_text().splitlines()]
        for line in new_lines:
            assert set(line) == COMMON_KEYS | ROLE_KEYS[line["role"]]
            if line["id"] not in old:
                continue  # recovered from checkpoint chunks: it had no message line
            before = old[line["id"]]
            assert set(line) - {"stop_reason", "generation_s"} <= set(before)
            for key in set(line) - {"stop_reason", "generation_s", "attachments"}:
                assert line[key] == before[key], (line["id"], key)
            if line["role"] == "user" and before["attachments"] is not None:
                # A loaded file now always says whether it is a summary (the git log did not).
                assert line["attachments"] == [
                    item | ({"summary": item.get("summary", False)} if "text" in item else {})
                    for item in before["attachments"]
                ]
            elif line["role"] == "user":
                assert line["attachments"] is None
        assert Transcript(rewritten.path).load() == (messages, [])
        assert len(new_lines) == len(messages)


def test_attached_files_keep_their_three_shapes(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "explore.jsonl")
    files = [
        AttachedFile(path="src/a.py", size_bytes=10, tokens=3, text="x = 1\n"),
        AttachedFile(path="big.py", size_bytes=900, tokens=200, text="summary", summary=True),
        AttachedFile(path="logo.png", error="a binary file, not text"),
        AttachedFile(path="later.py"),
    ]
    transcript.append(UserMessage(id="q1", content="see @src/a.py", attachments=files))
    (line,) = (json.loads(text) for text in transcript.path.read_text().splitlines())
    assert line["attachments"] == [
        {"path": "src/a.py", "size_bytes": 10, "tokens": 3, "text": "x = 1\n", "summary": False},
        {"path": "big.py", "size_bytes": 900, "tokens": 200, "text": "summary", "summary": True},
        {"path": "logo.png", "error": "a binary file, not text"},
        {"path": "later.py"},
    ]
    ((message,), _) = transcript.load()
    assert isinstance(message, UserMessage) and message.attachments == files


def test_a_field_of_the_wrong_type_is_dropped_not_the_message(tmp_path: Path) -> None:
    path = tmp_path / "explore.jsonl"
    records = [
        {"v": 1, "type": "message", "id": "a1", "role": "assistant", "content": "hi",
         "model": 7, "output_tokens": "many", "duration_s": 2, "kind": "spec", "covers": None},
        {"v": 1, "type": "message", "id": "q1", "role": "user", "content": "see",
         "attachments": [{"path": "a.py", "tokens": "x", "text": "t"}, {"text": "no path"}, 3]},
        {"v": 1, "type": "message", "id": "t1", "role": "tool", "content": "out", "status": "odd"},
        {"v": 1, "type": "message", "id": "s1", "role": "system", "content": "?"},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    messages, warnings = Transcript(path).load()
    assert messages == [
        AssistantMessage(id="a1", content="hi", duration_s=2),
        UserMessage(id="q1", content="see", attachments=[AttachedFile(path="a.py", text="t")]),
    ]
    assert len(warnings) == 2
    assert "unknown status 'odd'" in warnings[0] and "unknown role 'system'" in warnings[1]
