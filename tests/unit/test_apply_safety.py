"""The user's files are sacred: each test pins down a way an apply could write blind, in the
wrong place or not at all (found by a review of workbench/apply), or guards one that works."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from workbench.apply.changes import ChangeSet
from workbench.apply.commits import PlainChanges
from workbench.apply.edits import Edit, ParsedReply
from workbench.apply.stage import stage_reply
from workbench.apply.staging_area import StagingArea
from workbench.project.files import ToolError


def make(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "project"
    root.mkdir()
    folder = tmp_path / "session"
    folder.mkdir()
    return root, folder


def stage_edits(root: Path, *edits: Edit) -> ChangeSet:
    parsed = ParsedReply(edits=list(edits))
    return asyncio.run(stage_reply(root, parsed, reply_id="r1"))


def area_with(root: Path, folder: Path, *edits: Edit) -> StagingArea:
    area = StagingArea(folder, root)
    area.changes = stage_edits(root, *edits)
    area.save()
    return area


def replace(path: str, search: str, new: str) -> Edit:
    return Edit(path=path, kind="replace", format="search_replace", search=search, replace=new)


def diff(path: str, text: str) -> Edit:
    return Edit(path=path, kind="diff", format="unified_diff", diff=text)


def delete(path: str) -> Edit:
    return Edit(path=path, kind="delete", format="search_replace")


def accept_all(area: StagingArea) -> None:
    for change in area.changes.files:
        area.decide_file(change.path, "accepted")


# --- a deleted file ------------------------------------------------------------------------


def test_delete_is_not_applied_blind_when_the_file_grew_on_disk(tmp_path: Path) -> None:
    """The delete hunk has no `after` context, so rebase finds it again in a file the user
    appended to, keeps it accepted, and apply deletes the user's new lines unseen."""
    root, folder = make(tmp_path)
    (root / "old.py").write_text("a\nb\n")
    area = area_with(root, folder, delete("old.py"))
    accept_all(area)
    (root / "old.py").write_text("a\nb\nuser's new work\n")  # behind the app's back
    result = area.apply()
    assert (root / "old.py").exists(), "deleted a file that changed since its diff"
    assert result.review_again == ["old.py"]


def test_edited_delete_hunk_writes_the_edited_lines(tmp_path: Path) -> None:
    """Editing a deletion hunk's new side by hand accepts it, and apply then deletes the file
    anyway: the user's lines are thrown away (`gone` only looks at the decisions)."""
    root, folder = make(tmp_path)
    (root / "old.py").write_text("a\nb\n")
    area = area_with(root, folder, delete("old.py"))
    area.edit_hunk("old.py", 0, ["keep me"])
    area.apply()
    assert (root / "old.py").exists()
    assert (root / "old.py").read_text() == "keep me\n"


def test_edit_hunk_cannot_accept_a_hunk_with_a_problem(tmp_path: Path) -> None:
    """`decide` refuses to accept a hunk whose lines are gone; so must `edit_hunk`."""
    root, folder = make(tmp_path)
    (root / "m.py").write_text("a\nb\n")
    edit = Edit(path="m.py", kind="replace", format="search_replace", search="b\n", replace="B\n")
    area = area_with(root, folder, edit)
    accept_all(area)
    (root / "m.py").write_text("a\nx\n")  # its line rewritten behind the app's back
    assert area.apply().review_again == ["m.py"]
    assert area.changes.files[0].hunks[0].problem
    with pytest.raises(ToolError, match="cannot be accepted"):
        area.edit_hunk("m.py", 0, ["whatever"])
    area.apply()
    assert (root / "m.py").read_text() == "a\nx\n"


# --- unified diffs -----------------------------------------------------------------------


def test_diff_pure_insertion_goes_after_the_line_its_header_names(tmp_path: Path) -> None:
    """`@@ -2,0 +3 @@` means "insert after old line 2" (what `diff -U0` writes), but `_diff`
    takes every start as 1-based-and-replaced, so the line lands one line too early."""
    root, _ = make(tmp_path)
    (root / "a.py").write_text("a\nb\n")
    changes = stage_edits(root, diff("a.py", "@@ -2,0 +3 @@\n+c\n"))
    [change] = changes.files
    [hunk] = change.hunks
    lines = change.render(["a\n", "b\n"], ("pending",))
    assert "".join(lines) == "a\nb\nc\n"
    assert hunk.old_start == 2


def test_diff_insertion_at_the_end_of_a_file_without_final_newline(tmp_path: Path) -> None:
    """A diff that appends to a file whose last line has no newline: the insertion path of
    `_diff` skips `_ends_cleanly`, so the new line runs on from the old last line."""
    root, _ = make(tmp_path)
    (root / "a.py").write_text("a\nb")
    # "-3,0": after the (missing) line 3, i.e. at the end, with or without the fix above.
    changes = stage_edits(root, diff("a.py", "@@ -3,0 +3 @@\n+c\n"))
    [change] = changes.files
    lines = change.render(["a\n", "b"], ("pending",))
    assert "".join(lines) in ("a\nb\nc\n", "a\nb\nc"), "two lines run into one"


def test_second_diff_hunk_is_placed_with_the_first_hunks_shift(tmp_path: Path) -> None:
    """`near` for a later hunk is its header's line in the old file, but the lines searched
    have already moved by what the earlier hunks added: with a repeated block the nearest hit
    is then the wrong occurrence (patch tracks the offset; this does not)."""
    root, _ = make(tmp_path)
    base = [f"l{i}\n" for i in range(30)]
    base[10] = "dup\n"
    base[20] = "dup\n"
    (root / "a.py").write_text("".join(base))
    added = "".join(f"+n{i}\n" for i in range(10))
    text = f"@@ -1 +1,11 @@\n-l0\n+l0\n{added}@@ -21 +31 @@\n-dup\n+DUP\n"
    changes = stage_edits(root, diff("a.py", text))
    [change] = changes.files
    out = change.render(base, ("pending",))
    assert out.index("DUP\n") == 30, "the diff changed line 11's dup, not line 21's"
    assert out.count("dup\n") == 1 and out.index("dup\n") == 20


# --- encodings ---------------------------------------------------------------------------


def test_latin1_file_with_a_replacement_it_cannot_encode(tmp_path: Path) -> None:
    """A latin-1 file gets a REPLACE holding "→": staging accepts it, and apply dies with a
    bare UnicodeEncodeError (a traceback from `workbench apply`) instead of a clear message."""
    root, folder = make(tmp_path)
    data = "caf\xe9 = 1\nx = 2\n".encode("latin-1")
    (root / "a.py").write_bytes(data)
    area = StagingArea(folder, root)
    area.changes = stage_edits(root, replace("a.py", "x = 2\n", "x = 2  # → three\n"))
    accept_all(area)
    try:
        result = area.apply()
    except ToolError:
        result = None
    except UnicodeError as error:
        pytest.fail(f"apply raised {type(error).__name__}: {error}")
    assert result is None or not result.written
    assert (root / "a.py").read_bytes() == data


# --- the change set falling behind the disk ------------------------------------------------


def test_stale_change_set_does_not_apply_an_insertion_twice(tmp_path: Path) -> None:
    """Two StagingAreas on one session (or a crash between the write and saving changes.json):
    the second still has the hunk "accepted" with the old base hash. Rebase finds an insertion
    at the end again (its `before` is intact, its `after` empty), keeps the decision, and the
    line is written a second time."""
    root, folder = make(tmp_path)
    (root / "a.py").write_text("a\n")
    area = area_with(root, folder, replace("a.py", "a\n", "a\nb\n"))
    accept_all(area)
    other = StagingArea(folder, root)  # e.g. `workbench apply` while the app had it loaded
    area.apply()
    assert (root / "a.py").read_text() == "a\nb\n"
    result = other.apply()
    assert (root / "a.py").read_text() == "a\nb\n", "the same change was applied twice"
    assert result.entry is None


def test_empty_search_on_an_existing_file_does_not_replace_it_whole(tmp_path: Path) -> None:
    """parse.py turns an empty SEARCH into a `whole_file` edit with new_file=True ("creates the
    file"), but the stager never looks at new_file: on an existing file the block stages the
    removal of every line it had (aider appends; a clear failure would do)."""
    root, _ = make(tmp_path)
    (root / "a.py").write_text("".join(f"keep {i}\n" for i in range(50)))
    edit = Edit(
        path="a.py", kind="whole_file", format="search_replace", replace="x = 1\n", new_file=True
    )
    changes = stage_edits(root, edit)
    removed = sum(h.removed for f in changes.files for h in f.hunks)
    assert removed == 0 or changes.failures, f"{removed} existing lines staged for removal"


def test_delete_of_an_empty_file_is_listed_not_dropped(tmp_path: Path) -> None:
    """Deleting an empty file makes no hunk (splice changes nothing) and no failure either:
    the edit silently disappears ("listed, never dropped")."""
    root, _ = make(tmp_path)
    (root / "empty.py").write_text("")
    changes = stage_edits(root, delete("empty.py"))
    assert changes.files or changes.failures


# --- never freezes -----------------------------------------------------------------------


def test_a_big_whole_file_rewrite_stages_every_change(tmp_path: Path) -> None:
    """A 2,500-line rewrite with scattered changes (its speed: bench/bench_apply.py)."""
    root, _ = make(tmp_path)
    block = ["def f{i}():\n", "    x = 1\n", "\n", "    return x\n", "\n"]
    lines = [line.format(i=i) for i in range(500) for line in block]
    (root / "big.py").write_text("".join(lines))
    new = [line.replace("x = 1", "x = 2") if n % 7 == 0 else line for n, line in enumerate(lines)]
    edit = Edit(path="big.py", kind="whole_file", format="fenced_file", replace="".join(new))
    changes = stage_edits(root, edit)
    hunks = changes.files[0].hunks
    assert len(hunks) == sum(1 for a, b in zip(lines, new, strict=True) if a != b)
    assert all(h.old_lines == ["    x = 1\n"] and h.new_lines == ["    x = 2\n"] for h in hunks)


# --- bad input: a clear message --------------------------------------------------------


def test_cli_apply_reports_a_target_that_is_no_longer_a_file(tmp_path: Path) -> None:
    """`workbench apply` does not catch the ToolError StagingArea.apply raises when a staged
    file became a FIFO (or a directory, or grew over 4 MB, or two paths are one file through a
    symlink): the user gets a traceback instead of a message and an exit code."""
    import io

    from workbench import cli_apply
    from workbench.reply_printer import ReplyPrinter

    root, folder = make(tmp_path)
    (root / "a.py").write_text("x = 1\n")
    area = area_with(root, folder, replace("a.py", "x = 1\n", "x = 2\n"))
    (root / "a.py").unlink()
    os.mkfifo(root / "a.py")
    plain = PlainChanges(area)

    async def stage() -> ChangeSet:
        return area.changes

    changes = SimpleNamespace(
        needs_staging=lambda: False,
        stage=stage,
        staging=area,
        apply_changes=plain.apply_changes,
    )
    controller = SimpleNamespace(changes=changes)
    args = argparse.Namespace(file=None, yes=True)
    err = io.StringIO()
    printer = ReplyPrinter(json_lines=False, out=io.StringIO(), err=err)
    try:
        code = asyncio.run(cli_apply.apply_changes(controller, args, printer))  # type: ignore[arg-type]
    except ToolError as error:
        pytest.fail(f"`workbench apply` would end in a traceback: ToolError: {error}")
    assert code != 0
    assert "a.py" in err.getvalue()


def test_rebase_onto_a_file_converted_to_crlf_writes_matching_endings(tmp_path: Path) -> None:
    """The file went from LF to CRLF behind the app's back: rebase matches without endings,
    keeps the accepted hunk and updates `change.newline`, but the hunk's lines keep the old
    "\n", so apply writes a mixed-ending file without asking."""
    root, folder = make(tmp_path)
    base = "".join(f"l{i}\n" for i in range(10))
    (root / "a.py").write_text(base)
    area = area_with(root, folder, replace("a.py", "l3\n", "X\n"))
    accept_all(area)
    (root / "a.py").write_bytes(base.replace("\n", "\r\n").encode())
    area.apply()
    data = (root / "a.py").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n"), data


# --- guards (these pass; they pin down what the standard depends on) -----------------------


def test_guard_partial_applies_follow_the_base_and_undo_exactly(tmp_path: Path) -> None:
    """Guard: apply the middle of three hunks, then the outer two (mark_applied must shift them
    and move the base hash), then undo both applies back to the original bytes and decisions."""
    root, folder = make(tmp_path)
    original = "".join(f"line {i}\r\n" for i in range(40)) + "tail"  # CRLF, no final newline
    (root / "a.py").write_bytes(original.encode())
    area = area_with(
        root,
        folder,
        replace("a.py", "line 2\n", "two\ntwo b\n"),
        replace("a.py", "line 20\n", "twenty\n"),
        replace("a.py", "tail", "tail\nend"),
    )
    assert len(area.changes.files[0].hunks) == 3
    area.decide("a.py", 1, "accepted")
    first = area.apply()
    assert first.written == ["a.py"]
    area.decide("a.py", 0, "accepted")
    area.decide("a.py", 2, "accepted")
    second = area.apply()
    assert second.written == ["a.py"]
    expected = (
        original.replace("line 2\r\n", "two\r\ntwo b\r\n", 1)
        .replace("line 20\r\n", "twenty\r\n")
        .replace("tail", "tail\r\nend\r\n")
    )
    assert (root / "a.py").read_bytes() == expected.encode()
    area.undo()
    assert [h.decision for h in area.changes.files[0].hunks] == ["accepted", "applied", "accepted"]
    area.undo()
    assert (root / "a.py").read_bytes() == original.encode()
    assert [h.decision for h in area.changes.files[0].hunks] == ["pending", "accepted", "pending"]


def test_guard_new_file_created_behind_our_back_is_not_overwritten(tmp_path: Path) -> None:
    """Guard: a staged new file that appeared on disk before the apply is left alone."""
    root, folder = make(tmp_path)
    new = Edit(path="pkg/new.py", kind="whole_file", format="fenced_file", replace="x = 1\n")
    area = area_with(root, folder, new)
    accept_all(area)
    (root / "pkg").mkdir()
    (root / "pkg" / "new.py").write_text("mine\n")
    result = area.apply()
    assert result.entry is None and result.review_again == ["pkg/new.py"]
    assert (root / "pkg" / "new.py").read_text() == "mine\n"


def test_guard_new_file_under_a_symlink_out_of_the_project(tmp_path: Path) -> None:
    """Guard: a new file whose parent directory is a symlink leaving the project is refused at
    staging, and at apply time if the symlink appears after staging."""
    root, folder = make(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "out").symlink_to(outside)
    new = Edit(path="out/x.py", kind="whole_file", format="fenced_file", replace="x = 1\n")
    changes = stage_edits(root, new)
    assert not changes.files and changes.failures
    (root / "out").unlink()
    area = area_with(root, folder, new)
    accept_all(area)
    (root / "out").symlink_to(outside)
    with pytest.raises(ToolError):
        area.apply()
    assert list(outside.iterdir()) == []


def test_guard_utf16_bom_crlf_round_trip(tmp_path: Path) -> None:
    """Guard: a UTF-16 file with a BOM and CRLF keeps its encoding, BOM and endings."""
    root, folder = make(tmp_path)
    text = "a\r\nb\r\nc\r\n"
    data = b"\xff\xfe" + text.encode("utf-16-le")
    (root / "u.txt").write_bytes(data)
    area = area_with(root, folder, replace("u.txt", "b\n", "B\nB2\n"))
    accept_all(area)
    area.apply()
    assert (root / "u.txt").read_bytes() == b"\xff\xfe" + "a\r\nB\r\nB2\r\nc\r\n".encode(
        "utf-16-le"
    )
    area.undo()
    assert (root / "u.txt").read_bytes() == data


def test_guard_fifo_in_the_project_does_not_hang_staging(tmp_path: Path) -> None:
    """Guard: an edit to a FIFO is listed as failed at once (never opened for reading)."""
    root, _ = make(tmp_path)
    os.mkfifo(root / "pipe")
    changes = stage_edits(root, replace("pipe", "a\n", "b\n"))
    assert not changes.files and "not a regular file" in changes.failures[0].reason
