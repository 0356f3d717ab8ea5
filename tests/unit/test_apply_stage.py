"""Staging edits against real files: exact and tolerant matches, hunks, failures, rebase."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.apply.changes import ChangeSet, load_changes, save_changes
from workbench.apply.edits import Edit, ParsedReply
from workbench.apply.filetext import decode, read_file_text
from workbench.apply.follow_up import FollowUp, edit_parts
from workbench.apply.rebase import rebase
from workbench.apply.stage import ModelEditError, stage_reply

APP = "".join(f"line {i}\n" for i in range(1, 31))


def stage(root: Path, *edits: Edit, cut: bool = False, editor: object = None) -> ChangeSet:
    parsed = ParsedReply(edits=list(edits))
    return asyncio.run(stage_reply(root, parsed, reply_id="r1", cut=cut, editor=editor))  # type: ignore[arg-type]


def replace(path: str, search: str, new: str) -> Edit:
    return Edit(path=path, kind="replace", format="search_replace", search=search, replace=new)


def accept_all(root: Path, changes: ChangeSet) -> dict[str, bytes]:
    """The bytes each file gets when every hunk is accepted."""
    out = {}
    for change in changes.files:
        for hunk in change.hunks:
            hunk.decide("accepted")
        path = root / change.path
        base = read_file_text(path, change.path).lines if path.exists() else []
        lines = change.render(base)
        out[change.path] = change.file_text(lines).encode(lines)
    return out


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(APP)
    return project


def test_exact_replace_makes_one_hunk_with_context(root: Path) -> None:
    changes = stage(root, replace("app.py", "line 10\nline 11\n", "ten\neleven\n"))
    [change] = changes.files
    assert change.status == "modified"
    [hunk] = change.hunks
    assert (hunk.old_start, hunk.old_lines, hunk.new_lines) == (
        9,
        ["line 10\n", "line 11\n"],
        ["ten\n", "eleven\n"],
    )
    assert hunk.before == ["line 7\n", "line 8\n", "line 9\n"]
    assert hunk.after == ["line 12\n", "line 13\n", "line 14\n"]
    assert hunk.origin == ["exact"]
    assert (
        accept_all(root, changes)["app.py"]
        == APP.replace("line 10\nline 11\n", "ten\neleven\n").encode()
    )


def test_two_edits_to_one_file_are_two_hunks_decided_apart(root: Path) -> None:
    changes = stage(
        root,
        replace("app.py", "line 2\n", "two\n"),
        replace("app.py", "line 20\n", "twenty\n"),
    )
    [change] = changes.files
    assert [h.old_start for h in change.hunks] == [1, 19]
    change.hunks[0].decide("accepted")
    change.hunks[1].decide("rejected", "keep twenty as it is")
    base = read_file_text(root / "app.py", "app.py").lines
    assert "".join(change.render(base)) == APP.replace("line 2\n", "two\n")
    assert change.hunks[1].note == "keep twenty as it is"


def test_tolerant_match_reindents_and_says_so(root: Path) -> None:
    (root / "mod.py").write_text("class A:\n    def f(self):\n        return 1\n\n    x = 2\n")
    changes = stage(
        root, replace("mod.py", "def f(self):\n    return 1\n", "def f(self):\n    return 2\n")
    )
    [hunk] = changes.files[0].hunks
    assert hunk.origin == ["tolerant"]
    assert hunk.new_lines == ["        return 2\n"]
    assert hunk.old_lines == ["        return 1\n"]


def test_a_tab_indented_file_keeps_its_tabs_when_the_reply_used_spaces(root: Path) -> None:
    (root / "t.py").write_text("def f(x):\n\tif x:\n\t\treturn 1\n\treturn 0\n")
    search = "if x:\n    return 1\n"
    changes = stage(root, replace("t.py", search, "if x:\n    return 2\n"))
    assert changes.files[0].hunks[0].origin == ["tolerant"]
    assert accept_all(root, changes)["t.py"] == b"def f(x):\n\tif x:\n\t\treturn 2\n\treturn 0\n"


def test_crlf_and_latin1_files_keep_their_bytes(root: Path) -> None:
    (root / "win.txt").write_bytes(b"alpha\r\nbeta\r\ngamma\r\n")
    (root / "old.txt").write_bytes("caf\xe9\nna\xefve\n".encode("latin-1"))
    changes = stage(
        root,
        replace("win.txt", "beta\n", "BETA\nbeta2\n"),
        replace("old.txt", "na\xefve\n", "plain\n"),
    )
    out = accept_all(root, changes)
    assert out["win.txt"] == b"alpha\r\nBETA\r\nbeta2\r\ngamma\r\n"
    assert out["old.txt"] == b"caf\xe9\nplain\n"


def test_a_file_without_a_final_newline_keeps_it_that_way(root: Path) -> None:
    (root / "end.txt").write_text("a\nb\nc")
    changes = stage(root, replace("end.txt", "a\n", "A\n"))
    assert accept_all(root, changes)["end.txt"] == b"A\nb\nc"


def test_add_line_at_the_end_of_a_file_without_newline(root: Path) -> None:
    (root / "end.txt").write_text("a\nb")
    edit = Edit(path="end.txt", kind="add_line", format="json_plan", replace="c", position="end")
    assert accept_all(root, stage(root, edit))["end.txt"] == b"a\nb\nc\n"


def test_add_import_goes_after_the_last_import(root: Path) -> None:
    (root / "m.py").write_text("import os\nfrom x import y\n\nprint(1)\n")
    edit = Edit(path="m.py", kind="add_import", format="json_plan", replace="import sys")
    changes = stage(root, edit)
    assert (
        accept_all(root, changes)["m.py"] == b"import os\nfrom x import y\nimport sys\n\nprint(1)\n"
    )
    assert changes.files[0].hunks[0].origin == ["plan"]


def test_remove_line_and_missing_line(root: Path) -> None:
    gone = Edit(path="app.py", kind="remove_line", format="json_plan", search="line 3")
    absent = Edit(path="app.py", kind="remove_line", format="json_plan", search="line 99")
    changes = stage(root, gone, absent)
    assert accept_all(root, changes)["app.py"] == APP.replace("line 3\n", "").encode()
    [failure] = changes.failures
    assert failure.edit is absent and "not in the file" in failure.reason


def test_whole_file_new_and_existing(root: Path) -> None:
    new = Edit(path="pkg/new.py", kind="whole_file", format="fenced_file", replace="x = 1\n")
    whole = Edit(
        path="app.py",
        kind="whole_file",
        format="fenced_file",
        replace=APP.replace("line 5", "five"),
    )
    changes = stage(root, new, whole)
    by_path = {c.path: c for c in changes.files}
    assert by_path["pkg/new.py"].status == "new"
    assert by_path["pkg/new.py"].base_sha256 is None
    [hunk] = by_path["app.py"].hunks  # a whole file shows only what changed
    assert hunk.old_lines == ["line 5\n"] and hunk.new_lines == ["five\n"]
    assert hunk.origin == ["whole file"]


def test_delete_then_another_edit_to_it_fails(root: Path) -> None:
    delete = Edit(path="app.py", kind="delete", format="search_replace")
    later = replace("app.py", "line 1\n", "one\n")
    changes = stage(root, delete, later)
    assert changes.files[0].status == "deleted"
    assert changes.files[0].hunks[0].new_lines == []
    assert "deleted earlier" in changes.failures[0].reason


def test_unified_diff_edit(root: Path) -> None:
    diff = "@@ -4,3 +4,3 @@\n line 4\n-line 5\n+five\n line 6\n"
    edit = Edit(path="app.py", kind="diff", format="unified_diff", diff=diff)
    changes = stage(root, edit)
    assert accept_all(root, changes)["app.py"] == APP.replace("line 5\n", "five\n").encode()
    assert changes.files[0].hunks[0].origin == ["diff"]


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../outside.py", "above the project root"),
        ("/etc/hosts", "outside the project"),
        (".git/config", "inside .git/"),
        ("nowhere/app.py", "does not exist; did you mean app.py?"),
    ],
)
def test_paths_that_cannot_be_edited_are_listed_with_why(root: Path, path: str, why: str) -> None:
    changes = stage(root, replace(path, "a\n", "b\n"))
    assert changes.files == []
    [failure] = changes.failures
    assert why in failure.reason


def test_a_symlink_leading_out_is_refused(root: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("a\n")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    changes = stage(root, replace("link.txt", "a\n", "b\n"))
    assert changes.files == [] and "symlink" in changes.failures[0].reason


def test_ambiguous_search_text_fails_without_guessing(root: Path) -> None:
    (root / "dup.py").write_text("x = 1\ny = 2\nx = 1\n")
    changes = stage(root, replace("dup.py", "x = 1\n", "x = 3\n"))
    assert changes.files == []
    assert "found 2 times (lines 1, 3)" in changes.failures[0].reason


def test_a_cut_reply_marks_its_last_edit_unfinished_and_refuses_whole_files(root: Path) -> None:
    whole = Edit(path="n.py", kind="whole_file", format="fenced_file", replace="a = 1\n")
    first = replace("app.py", "line 1\n", "one\n")
    last = replace("app.py", "line 2\n", "two\n")
    changes = stage(root, whole, first, last, cut=True)
    assert [c.path for c in changes.files] == ["app.py"]
    assert len(changes.files[0].hunks) == 1
    reasons = {f.edit.path + ":" + f.edit.search: f.reason for f in changes.failures}
    assert "refused" in reasons["n.py:"] and "token limit" in reasons["n.py:"]
    assert "unfinished" in reasons["app.py:line 2\n"]


def test_an_incomplete_block_is_never_applied(root: Path) -> None:
    edit = Edit(
        path="app.py", kind="replace", format="search_replace", search="line 1\n", incomplete=True
    )
    changes = stage(root, edit)
    assert changes.files == [] and "never ends" in changes.failures[0].reason


class ScriptedEditor:
    """A stand-in fast model for the stager's protocol (the real one is tested against the fake
    Ollama server in test_apply_model_edit.py)."""

    name = "tiny:1b"

    def __init__(self, answer: Callable[[str], str] | None) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str, str]] = []

    async def edit(self, path: str, region: str, request: str) -> str:
        self.requests.append((path, region, request))
        if self.answer is None:
            raise ModelEditError("server unreachable")
        return self.answer(region)


def test_no_match_goes_to_the_fast_model_with_the_closest_region(root: Path) -> None:
    editor = ScriptedEditor(lambda region: region.replace("line 12\n", "TWELVE-ish\n"))
    changes = stage(root, replace("app.py", "line 13 \nline 12b\n", "x\n"), editor=editor)
    [(path, region, request)] = editor.requests
    assert path == "app.py" and "line 13\n" in region and "line 12b" in request
    [hunk] = changes.files[0].hunks
    assert hunk.origin == ["model tiny:1b"]
    assert "TWELVE-ish\n" in hunk.new_lines


def test_model_edit_failure_is_listed(root: Path) -> None:
    edit = Edit(path="app.py", kind="model_edit", format="search_replace", instruction="rename")
    changes = stage(root, edit, editor=ScriptedEditor(None))
    assert changes.files == []
    assert "fast model failed: server unreachable" in changes.failures[0].reason


def test_model_edit_without_a_fast_model_is_listed(root: Path) -> None:
    edit = Edit(path="app.py", kind="model_edit", format="search_replace", instruction="rename")
    assert "needs the fast model" in stage(root, edit).failures[0].reason


def test_rebase_keeps_decisions_when_lines_moved_and_asks_again_otherwise(root: Path) -> None:
    changes = stage(
        root,
        replace("app.py", "line 5\n", "five\n"),
        replace("app.py", "line 15\n", "fifteen\n"),
        replace("app.py", "line 25\n", "twenty-five\n"),
    )
    change = changes.files[0]
    for hunk in change.hunks:
        hunk.decide("accepted")
    # Behind the app's back: two lines on top, line 16 (context of the 2nd) and line 25 changed.
    now = "new a\nnew b\n" + APP.replace("line 16\n", "sixteen\n").replace("line 25\n", "25\n")
    (root / "app.py").write_text(now)
    reset = rebase(change, decode(now.encode(), "app.py"))
    assert reset == 2
    first, second, third = change.hunks
    assert (first.decision, first.old_start) == ("accepted", 6)
    assert (second.decision, second.problem) == ("pending", "")
    assert third.problem and third.decision == "pending"
    base = read_file_text(root / "app.py", "app.py").lines
    second.decide("accepted")
    assert "".join(change.render(base)) == now.replace("line 5\n", "five\n").replace(
        "line 15\n", "fifteen\n"
    )


def test_changes_survive_a_restart(root: Path, tmp_path: Path) -> None:
    changes = stage(root, replace("app.py", "line 5\n", "five\n"), replace("nope.py", "a", "b"))
    changes.files[0].hunks[0].decide("rejected", "no: keep 5")
    save_changes(tmp_path, changes)
    again = load_changes(tmp_path)
    assert again == changes
    sent_back = FollowUp(edit_parts(again)).text
    assert "nope.py" in sent_back and "no: keep 5" in sent_back


def test_side_by_side_rows_match_small_hunks_and_pair_big_ones_line_by_line() -> None:
    from workbench.apply.changes import Hunk
    from workbench.apply.staging_area import side_by_side_rows

    small = Hunk(
        old_start=0,
        old_lines=["one\n", "two\n", "three\n"],
        new_lines=["one\n", "inserted\n", "two\n", "THREE\n"],
    )
    assert side_by_side_rows(small) == [
        ("one", "one"),
        (None, "inserted"),
        ("two", "two"),
        ("three", "THREE"),
    ]
    # Every line rewritten but the blank ones: difflib took ~6 s on this 5,000-line hunk.
    old = [f"    value = compute({i})\n" if i % 10 else "\n" for i in range(5_000)]
    new = [line.replace("value", "result") for line in old]
    rows = side_by_side_rows(Hunk(old_start=0, old_lines=old, new_lines=new))
    assert len(rows) == 5_000
    assert rows[1] == (old[1].rstrip("\n"), new[1].rstrip("\n"))


def test_the_printed_diff_applies_with_git_even_when_hunks_share_context(root: Path) -> None:
    import shutil
    import subprocess

    from workbench.apply.staging_area import unified_diff

    if shutil.which("git") is None:
        pytest.skip("git not installed")
    changes = stage(
        root,
        replace("app.py", "line 5\n", "five\n"),
        replace("app.py", "line 7\n", "seven\n"),
        replace("app.py", "line 20\n", ""),
    )
    text = "".join(unified_diff(changes.files[0]))
    assert text.count(" line 6\n") == 1  # shared context printed once
    (root / "change.diff").write_text(text)
    subprocess.run(["git", "apply", "change.diff"], cwd=root, check=True, capture_output=True)
    expected = APP.replace("line 5\n", "five\n").replace("line 7\n", "seven\n")
    assert (root / "app.py").read_text() == expected.replace("line 20\n", "")
