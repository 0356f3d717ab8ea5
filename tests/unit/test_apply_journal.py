"""Applying accepted changes to the project and undoing them exactly, through the journal."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from workbench.apply import journal as journal_module
from workbench.apply.journal import (
    ChangedOnDisk,
    Journal,
    NothingToUndo,
    PlannedWrite,
    UndoRefused,
    apply_writes,
    undo_last,
)
from workbench.fileio import atomic_write
from workbench.project.files import OutsideProject, ToolError


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def change(root: Path, path: str, data: bytes | None) -> PlannedWrite:
    """A write of `path` made from its current bytes (or from nothing, for a new file)."""
    target = root / path
    expect = sha(target.read_bytes()) if target.exists() else None
    return PlannedWrite(path=path, data=data, expect_sha256=expect)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every file and directory under `root`, with bytes (None for directories) and mode."""
    found: dict[str, tuple[bytes | None, int]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            continue
        data = None if path.is_dir() else path.read_bytes()
        found[path.relative_to(root).as_posix()] = (data, mode(path))
    return found


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    return project


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "session")


def test_apply_then_undo_restores_every_byte_and_mode(root: Path, journal: Journal) -> None:
    (root / "crlf.txt").write_bytes(b"one\r\ntwo\r\n")
    (root / "latin.txt").write_bytes("café naïve\n".encode("latin-1"))
    (root / "no_newline.py").write_bytes(b"x = 1")
    (root / "run.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    before = snapshot(root)
    writes = [
        change(root, "crlf.txt", b"one\r\nTWO\r\n"),
        change(root, "latin.txt", "café\n".encode("latin-1")),
        change(root, "no_newline.py", b"x = 2"),
        change(root, "run.sh", b"#!/bin/sh\necho bye\n"),
    ]

    entry = apply_writes(root, writes, journal, reply_id="r1")

    assert entry.state == "applied" and entry.id == "0001" and entry.reply_id == "r1"
    assert (root / "crlf.txt").read_bytes() == b"one\r\nTWO\r\n"
    assert (root / "no_newline.py").read_bytes() == b"x = 2"
    assert mode(root / "run.sh") == 0o755
    undone = undo_last(root, journal)
    assert undone.state == "undone" and undone.id == "0001"
    assert snapshot(root) == before
    assert journal.entries()[0].state == "undone"


def test_new_file_in_new_directories_is_removed_with_them_on_undo(
    root: Path, journal: Journal
) -> None:
    before = snapshot(root)
    entry = apply_writes(root, [change(root, "a/b/c/new.py", b"new\n")], journal, reply_id="r")

    assert (root / "a/b/c/new.py").read_bytes() == b"new\n"
    assert mode(root / "a/b/c/new.py") == 0o644
    assert entry.created_dirs == ["a", "a/b", "a/b/c"]
    assert entry.files[0].before_sha256 is None and entry.files[0].blob is None
    undo_last(root, journal)
    assert snapshot(root) == before


def test_undo_keeps_a_created_directory_the_user_put_files_in(root: Path, journal: Journal) -> None:
    apply_writes(root, [change(root, "pkg/sub/new.py", b"new\n")], journal, reply_id="r")
    (root / "pkg/mine.txt").write_text("mine")

    undo_last(root, journal)

    assert not (root / "pkg/sub").exists()
    assert (root / "pkg/mine.txt").read_text() == "mine"


def test_deleted_file_comes_back_with_its_mode(root: Path, journal: Journal) -> None:
    (root / "secret.cfg").write_bytes(b"token = 1\n")
    (root / "secret.cfg").chmod(0o600)

    entry = apply_writes(root, [change(root, "secret.cfg", None)], journal, reply_id="r")

    assert not (root / "secret.cfg").exists()
    assert entry.files[0].after_sha256 is None and entry.files[0].mode_before == 0o600
    undo_last(root, journal)
    assert (root / "secret.cfg").read_bytes() == b"token = 1\n"
    assert mode(root / "secret.cfg") == 0o600


def test_a_file_changed_since_its_diff_stops_the_whole_apply(root: Path, journal: Journal) -> None:
    (root / "a.py").write_text("a\n")
    (root / "b.py").write_text("b\n")
    writes = [change(root, "a.py", b"A\n"), change(root, "b.py", b"B\n")]
    (root / "b.py").write_text("b edited meanwhile\n")
    writes.append(PlannedWrite(path="c.py", data=b"c\n", expect_sha256=None))
    (root / "c.py").write_text("created meanwhile\n")

    with pytest.raises(ChangedOnDisk, match=r"b\.py, c\.py changed on disk") as caught:
        apply_writes(root, writes, journal, reply_id="r")

    assert caught.value.paths == ["b.py", "c.py"]
    assert "review" in str(caught.value) and "Nothing was written" in str(caught.value)
    assert (root / "a.py").read_text() == "a\n"
    assert journal.entries() == [] and not journal.folder.exists()


@pytest.mark.parametrize("escape", ["../x.py", "absolute", "out/x.py", ".git/config"])
def test_paths_that_leave_the_project_are_refused_before_anything_is_written(
    root: Path, journal: Journal, tmp_path: Path, escape: str
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "out").symlink_to(outside)
    (root / ".git").mkdir()
    (root / "a.py").write_text("a\n")
    path = str(outside / "x.py") if escape == "absolute" else escape

    with pytest.raises(ToolError, match="Nothing was written") as caught:
        apply_writes(
            root,
            [change(root, "a.py", b"A\n"), PlannedWrite(path=path, data=b"x", expect_sha256=None)],
            journal,
            reply_id="r",
        )

    if escape != ".git/config":
        assert isinstance(caught.value, OutsideProject)
    assert (root / "a.py").read_text() == "a\n"
    assert list(outside.iterdir()) == [] and not (tmp_path / "x.py").exists()
    assert not (root / ".git/config").exists()
    assert not journal.folder.exists()


def test_directories_and_fifos_are_not_written(root: Path, journal: Journal) -> None:
    (root / "pkg").mkdir()
    os.mkfifo(root / "pipe")

    (root / "pkg/x.py").write_text("x")

    for path, refusal in [
        ("pkg", "pkg is a directory"),
        ("pipe", "pipe is a FIFO"),
        ("pkg/x.py/y.py", "pkg/x.py is a file"),
    ]:
        write = PlannedWrite(path=path, data=b"x", expect_sha256=None)
        with pytest.raises(ToolError, match=refusal):
            apply_writes(root, [write], journal, reply_id="r")
    assert not journal.folder.exists()


@pytest.mark.parametrize(
    ("after_apply", "why"),
    [
        (lambda p: p.write_text("edited\n"), "edited after the apply"),
        (lambda p: p.unlink(), "deleted after the apply"),
    ],
)
def test_undo_refuses_when_a_file_changed_after_the_apply(
    root: Path, journal: Journal, after_apply: object, why: str
) -> None:
    (root / "a.py").write_text("a\n")
    (root / "b.py").write_text("b\n")
    apply_writes(
        root, [change(root, "a.py", b"A\n"), change(root, "b.py", b"B\n")], journal, reply_id="r"
    )
    assert callable(after_apply)
    after_apply(root / "b.py")

    with pytest.raises(UndoRefused, match=rf"b\.py was {why}") as caught:
        undo_last(root, journal)

    assert "Nothing was changed" in str(caught.value)
    assert caught.value.reasons == {"b.py": why}
    assert (root / "a.py").read_text() == "A\n"
    assert journal.last_applied() is not None


def test_undo_refuses_when_a_deleted_file_was_created_again(root: Path, journal: Journal) -> None:
    (root / "old.py").write_text("old\n")
    apply_writes(root, [change(root, "old.py", None)], journal, reply_id="r")
    (root / "old.py").write_text("something new\n")

    with pytest.raises(UndoRefused, match=r"old\.py was created after the apply"):
        undo_last(root, journal)
    assert (root / "old.py").read_text() == "something new\n"


def test_undo_works_after_a_restart(root: Path, tmp_path: Path) -> None:
    (root / "a.py").write_text("a\n")
    apply_writes(root, [change(root, "a.py", b"A\n")], Journal(tmp_path / "session"), reply_id="r")

    reopened = Journal(tmp_path / "session")
    undone = undo_last(root, reopened)

    assert undone.id == "0001" and (root / "a.py").read_text() == "a\n"


def test_an_apply_that_died_half_way_can_be_undone(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.py", "b.py", "c.py"):
        (root / name).write_text(f"{name}\n")
    writes = [change(root, name, name.upper().encode()) for name in ("a.py", "b.py", "c.py")]
    project_writes: list[Path] = []

    def dies_on_second_project_file(path: Path, data: bytes, *, new_mode: int = 0o644) -> None:
        if path.is_relative_to(root.resolve()):
            project_writes.append(path)
            if len(project_writes) == 2:
                raise KeyboardInterrupt  # stands in for the process being killed
        atomic_write(path, data, new_mode=new_mode)

    monkeypatch.setattr(journal_module, "atomic_write", dies_on_second_project_file)
    with pytest.raises(KeyboardInterrupt):
        apply_writes(root, writes, Journal(tmp_path / "session"), reply_id="r")
    monkeypatch.undo()

    reopened = Journal(tmp_path / "session")
    entry = reopened.last_applied()
    assert entry is not None and entry.state == "writing"
    assert (root / "a.py").read_text() == "A.PY" and (root / "b.py").read_text() == "b.py\n"
    undo_last(root, reopened)
    assert [(root / n).read_text() for n in ("a.py", "b.py", "c.py")] == [
        "a.py\n",
        "b.py\n",
        "c.py\n",
    ]
    assert reopened.last_applied() is None


def test_a_failed_write_puts_back_what_was_written(
    root: Path, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "a.py").write_text("a\n")
    writes = [change(root, "a.py", b"A\n"), change(root, "new/b.py", b"B\n")]

    def refuses_b(path: Path, data: bytes, *, new_mode: int = 0o644) -> None:
        if path.name == "b.py":
            raise PermissionError(13, "Permission denied")
        atomic_write(path, data, new_mode=new_mode)

    monkeypatch.setattr(journal_module, "atomic_write", refuses_b)
    with pytest.raises(ToolError, match="were put back; nothing changed"):
        apply_writes(root, writes, journal, reply_id="r")

    assert (root / "a.py").read_text() == "a\n" and not (root / "new").exists()
    [entry] = journal.entries()
    assert entry.state == "undone" and "Permission denied" in entry.note


def test_two_applies_are_undone_newest_first(root: Path, journal: Journal) -> None:
    (root / "a.py").write_text("1\n")
    first = apply_writes(root, [change(root, "a.py", b"2\n")], journal, reply_id="r1")
    second = apply_writes(root, [change(root, "a.py", b"3\n")], journal, reply_id="r2")
    assert (first.id, second.id) == ("0001", "0002")

    assert undo_last(root, journal).id == "0002"
    assert (root / "a.py").read_text() == "2\n"
    assert undo_last(root, journal).id == "0001"
    assert (root / "a.py").read_text() == "1\n"
    with pytest.raises(NothingToUndo):
        undo_last(root, journal)


def test_an_empty_apply_and_a_file_written_twice_are_refused(root: Path, journal: Journal) -> None:
    with pytest.raises(ToolError, match="Nothing to apply"):
        apply_writes(root, [], journal, reply_id="r")
    twice = [change(root, "a.py", b"1"), change(root, "./a.py", b"2")]
    with pytest.raises(ToolError, match="same file"):
        apply_writes(root, twice, journal, reply_id="r")
    assert not journal.folder.exists() and not (root / "a.py").exists()


def test_nothing_to_undo_in_a_new_session(root: Path, journal: Journal) -> None:
    with pytest.raises(NothingToUndo, match="Nothing to undo"):
        undo_last(root, journal)


def test_a_corrupt_entry_is_skipped_with_a_warning(root: Path, journal: Journal) -> None:
    (root / "a.py").write_text("1\n")
    apply_writes(root, [change(root, "a.py", b"2\n")], journal, reply_id="r1")
    apply_writes(root, [change(root, "a.py", b"3\n")], journal, reply_id="r2")
    (journal.folder / "0002" / "entry.json").write_text('{"version": 1, "id": ')

    assert [entry.id for entry in journal.entries()] == ["0001"]
    assert len(journal.warnings) == 1 and "0002" in journal.warnings[0]
    third = apply_writes(root, [change(root, "a.py", b"4\n")], journal, reply_id="r3")
    assert third.id == "0003"


def test_an_entry_naming_a_blob_outside_its_folder_is_skipped(root: Path, journal: Journal) -> None:
    (root / "a.py").write_text("1\n")
    entry = apply_writes(root, [change(root, "a.py", b"2\n")], journal, reply_id="r")
    path = journal.entry_folder(entry) / "entry.json"
    record = json.loads(path.read_text())
    record["files"][0]["blob"] = "../../../etc/passwd"
    path.write_text(json.dumps(record))

    assert journal.entries() == [] and "0001" in journal.warnings[0]


def test_extra_blobs_and_commits_are_kept_with_the_entry(root: Path, journal: Journal) -> None:
    entry = apply_writes(
        root,
        [change(root, "a.py", b"a\n")],
        journal,
        reply_id="r",
        extra={"changes.json": b'{"hunks": []}'},
    )
    entry = journal.record(entry, commit="abc123", note="committed")

    [saved] = Journal(journal.folder.parent).entries()
    assert saved == entry and saved.commit == "abc123" and saved.note == "committed"
    assert journal.extra(saved, "changes.json") == b'{"hunks": []}'
    assert journal.extra(saved, "missing") is None
    with pytest.raises(ValueError, match="plain file name"):
        journal.extra(saved, "../entry.json")
    assert journal.before_bytes(saved, saved.files[0]) is None
