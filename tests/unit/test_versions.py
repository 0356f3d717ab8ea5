"""Spec versions: every send is a numbered file in the session folder, and diffs between them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workbench.session.model import AssistantMessage, UserMessage
from workbench.session.store import SessionStore
from workbench.session.transcript import Transcript
from workbench.spec.template import new_spec
from workbench.spec.versions import SpecVersions, VersionNotFoundError, diff


def test_each_save_is_a_new_numbered_file_with_the_exact_text(tmp_path: Path) -> None:
    versions = SpecVersions(tmp_path)
    assert (versions.numbers(), versions.latest()) == ([], None)
    first = "# Task: A\n\n## What I want\n\nx ✓\r\n"
    assert versions.save(first) == 1
    assert versions.save("# Task: A\n\n## What I want\n\ny\n") == 2
    assert (tmp_path / "versions" / "v001.md").read_bytes() == first.encode("utf-8")
    assert versions.read(1) == first
    assert versions.read(2).endswith("y\n")
    assert (versions.numbers(), versions.latest()) == ([1, 2], 2)
    assert sorted(os.listdir(tmp_path / "versions")) == ["v001.md", "v002.md"]  # no temp files


def test_sending_the_same_text_again_still_makes_a_version(tmp_path: Path) -> None:
    versions = SpecVersions(tmp_path)
    assert [versions.save("same\n") for _ in range(3)] == [1, 2, 3]
    assert [versions.read(n) for n in versions.numbers()] == ["same\n"] * 3


def test_numbers_sort_numerically_and_ignore_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "versions"
    folder.mkdir()
    for name in ("v009.md", "v1000.md", "v010.md", "notes.md", "v002.md.tmp", ".v003.md.x.tmp"):
        (folder / name).write_text(name)
    versions = SpecVersions(tmp_path)
    assert versions.numbers() == [9, 10, 1000]
    assert versions.save("next\n") == 1001
    assert (folder / "v1001.md").read_text() == "next\n"


def test_reading_a_missing_version_says_which_exist(tmp_path: Path) -> None:
    versions = SpecVersions(tmp_path)
    with pytest.raises(VersionNotFoundError, match="none yet"):
        versions.read(1)
    versions.save("a\n")
    with pytest.raises(VersionNotFoundError, match=r"no spec version 4 \(versions: 1\)"):
        versions.read(4)


def test_a_session_keeps_its_versions_in_its_folder(tmp_path: Path) -> None:
    with SessionStore().create(tmp_path, new_spec("Busy")) as session:
        number = session.versions.save(session.read_spec())
        assert (session.folder / "versions" / "v001.md").read_text() == session.read_spec()
    with SessionStore().open(session.id, readonly=True) as again:
        assert again.versions.numbers() == [number]


def test_diff_is_a_unified_diff_with_the_labels() -> None:
    old = "# Task: A\n\n## What I want\n\nold line\n"
    new = "# Task: A\n\n## What I want\n\nnew line\nmore\n"
    text = diff(old, new, "version 1", "current spec")
    lines = text.splitlines()
    assert lines[:2] == ["--- version 1", "+++ current spec"]
    assert "-old line" in lines and "+new line" in lines and "+more" in lines
    assert " ## What I want" in lines  # context is kept


def test_diff_of_equal_texts_is_empty() -> None:
    assert diff("same\n", "same\n", "a", "b") == ""


def test_diff_marks_a_missing_final_newline_and_keeps_lines_apart() -> None:
    text = diff("a\nb", "a\nc\n", "v1", "v2")
    assert text.splitlines()[-3:] == ["-b", "\\ No newline at end of file", "+c"]


def test_spec_version_round_trips_through_the_transcript(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "implement.jsonl")
    sent = UserMessage(id="s1", content="# Task: A\n", kind="spec", spec_version=3)
    reply = AssistantMessage(id="r1", content="done", model="m", spec_version=3)
    transcript.append(sent)
    transcript.append(reply)
    assert json.loads(transcript.path.read_text().splitlines()[0])["spec_version"] == 3
    messages, warnings = Transcript(transcript.path).load()
    assert messages == [sent, reply]
    assert warnings == []


def test_a_spec_version_of_the_wrong_type_is_dropped_not_the_message(tmp_path: Path) -> None:
    path = tmp_path / "implement.jsonl"
    record = {"v": 1, "type": "message", "id": "r1", "role": "assistant", "content": "ok"}
    path.write_text(json.dumps(record | {"spec_version": "three"}) + "\n")
    messages, _ = Transcript(path).load()
    assert [(m.content, m.spec_version) for m in messages] == [("ok", None)]
