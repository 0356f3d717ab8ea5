"""Review tests for workbench/apply: each one pins down a bug (it fails until fixed), unless its
docstring says it is a guard."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pytest

from workbench.apply.changes import ChangeSet
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
    """`decide` refuses to accept a hunk whose lines are gone, `edit_hunk` accepts it anyway;
    for a delete that means the file is deleted although its hunk could not be placed."""
    root, folder = make(tmp_path)
    (root / "old.py").write_text("a\nb\n")
    area = area_with(root, folder, delete("old.py"))
    accept_all(area)
    (root / "old.py").write_text("x\ny\n")  # rewritten behind the app's back
    assert area.apply().review_again == ["old.py"]
    assert area.changes.files[0].hunks[0].problem
    with contextlib.suppress(ToolError):  # refusing here is the fix
        area.edit_hunk("old.py", 0, ["whatever"])
    area.apply()
    assert (root / "old.py").exists(), "deleted through a hunk that could not be placed"
    assert (root / "old.py").read_text() == "x\ny\n"


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


def test_staging_a_big_whole_file_rewrite_does_not_freeze(tmp_path: Path) -> None:
    """Staging runs on the event loop (`await changes.stage()` in the app) and `_Work.splice`
    runs difflib over the whole file, quadratic in repeated lines: a whole-file rewrite of a
    file well under MAX_EDIT_BYTES blocks the app for a long time."""
    root, _ = make(tmp_path)
    block = ["def f{i}():\n", "    x = 1\n", "\n", "    return x\n", "\n"]
    lines = [line.format(i=i) for i in range(4000) for line in block]
    (root / "big.py").write_text("".join(lines))
    new = [line.replace("x = 1", "x = 2") if n % 7 == 0 else line for n, line in enumerate(lines)]
    edit = Edit(path="big.py", kind="whole_file", format="fenced_file", replace="".join(new))
    started = time.monotonic()
    stage_edits(root, edit)
    took = time.monotonic() - started
    assert took < 2.0, f"staging a {len(lines)}-line rewrite took {took:.1f} s"
