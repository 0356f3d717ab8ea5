"""parse_edits: finding the edits in realistic Implement replies, and leaving examples alone.

Longer replies live in tests/fixtures/replies/*.md; short cases are written inline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.apply.edits import Edit, ParseProblem
from workbench.apply.parse import parse_edits

REPLIES = Path(__file__).parent.parent / "fixtures" / "replies"


def reply(name: str) -> str:
    """A stored reply's text."""
    return (REPLIES / name).read_text(encoding="utf-8")


def only_edit(text: str) -> Edit:
    """The single edit of a reply that must hold exactly one and no problems."""
    parsed = parse_edits(text)
    assert parsed.problems == []
    assert len(parsed.edits) == 1, parsed.edits
    return parsed.edits[0]


def test_search_replace_reply_with_prose_new_file_delete_and_model_edit() -> None:
    parsed = parse_edits(reply("search_replace_mixed.md"))
    assert parsed.problems == []
    assert parsed.edits == [
        Edit(
            path="src/app.py",
            kind="replace",
            format="search_replace",
            search='def greet(name):\n    return "Hello " + name\n',
            replace='def greet(name: str) -> str:\n    return f"Hello, {name}!"\n',
            line=3,
        ),
        Edit(
            path="src/app.py",
            kind="replace",
            format="search_replace",
            search='        print(greet("world"))\n',
            replace='        print(greet(name="world"))\n',
            line=17,
        ),
        Edit(
            path="src/helpers.py",
            kind="whole_file",
            format="fenced_file",
            replace='"""Small helpers."""\n\n\ndef shout(text: str) -> str:\n'
            "    return text.upper()\n",
            new_file=True,
            line=24,
        ),
        Edit(path="scripts/old_greet.py", kind="delete", format="search_replace", line=33),
        Edit(
            path="src/cli.py",
            kind="model_edit",
            format="search_replace",
            instruction="Rename every use of `greet_old` to `greet` inside class Runner.",
            line=35,
        ),
    ]


def test_unified_diff_reply_splits_files_new_deleted_and_bare_hunks() -> None:
    parsed = parse_edits(reply("unified_diff.md"))
    assert [(e.path, e.kind, e.new_file, e.line) for e in parsed.edits] == [
        ("src/app.py", "diff", False, 4),
        ("src/new_module.py", "diff", True, 13),
        ("src/legacy.py", "delete", False, 18),
        ("src/config.py", "diff", False, 27),
    ]
    assert {e.format for e in parsed.edits} == {"unified_diff"}
    assert (
        parsed.edits[0].diff
        == '@@ -1,3 +1,3 @@\n import sys\n-print("hi")\n+print("hello")\n sys.exit(0)\n'
    )
    assert parsed.edits[1].diff == '@@ -0,0 +1,2 @@\n+"""New module."""\n+VALUE = 1\n'
    assert parsed.edits[3].diff == (
        "@@ -10,2 +10,2 @@\n-    timeout = 5\n+    timeout = 30\n     retries = 3\n"
    )
    assert parsed.problems == [ParseProblem(line=35, message="A diff block holds no @@ hunks.")]


def test_json_plan_with_every_item_type_and_a_config_example() -> None:
    parsed = parse_edits(reply("json_plan.md"))
    assert {e.format for e in parsed.edits} == {"json_plan"}
    fields = [
        (e.path, e.kind, e.search, e.replace, e.position, e.instruction, e.new_file, e.line)
        for e in parsed.edits
    ]
    assert fields == [
        ("src/app.py", "replace", "x = 1\n", "x = 2\n", "end", "", False, 6),
        ("src/app.py", "add_import", "", "import os", "end", "", False, 7),
        ("src/app.py", "add_line", "", "# end", "start", "", False, 8),
        ("src/app.py", "remove_line", "print('debug')", "", "end", "", False, 9),
        ("src/cli.py", "model_edit", "", "", "end", "Make --verbose a flag.", False, 10),
        ("src/old.py", "delete", "", "", "end", "", False, 11),
        ("src/new.py", "whole_file", "", "VALUE = 1\n", "end", "", True, 12),
    ]
    assert parsed.problems == [
        ParseProblem(line=13, message="Unknown edit type 'rename' for src/x.py.")
    ]


def test_four_backtick_tilde_and_info_string_fences() -> None:
    parsed = parse_edits(reply("fences_and_info_strings.md"))
    assert parsed.problems == []
    assert [(e.path, e.kind, e.format, e.line) for e in parsed.edits] == [
        ("docs/README.md", "whole_file", "fenced_file", 3),
        ("src/tilde.py", "whole_file", "fenced_file", 12),
        ("src/colon.py", "whole_file", "fenced_file", 16),
        ("src/titled.py", "whole_file", "fenced_file", 20),
        ("src/bare_info.py", "whole_file", "fenced_file", 24),
        ("scripts/run.sh", "whole_file", "fenced_file", 28),
    ]
    assert parsed.edits[0].replace == "# Tool\n\n```bash\ntool --help\n```\n"
    assert parsed.edits[1].replace == 'print("tilde")\n'
    assert parsed.edits[5].replace == "#!/bin/sh\nexec python -m tool\n"


@pytest.mark.parametrize(
    ("path_line", "path", "new_file"),
    [
        ("src/app.py", "src/app.py", False),
        ("`src/app.py`", "src/app.py", False),
        ("**src/app.py**", "src/app.py", False),
        ("## src/app.py", "src/app.py", False),
        ("### File: src/app.py", "src/app.py", False),
        ("**File: `src/app.py`**", "src/app.py", False),
        ("**File:** `src/app.py`", "src/app.py", False),
        ("src/app.py:", "src/app.py", False),
        ("Filename: src/app.py", "src/app.py", False),
        ("1. `src/app.py`", "src/app.py", False),
        ("`src/app.py` (new file)", "src/app.py", True),
        ("src/app.py (new)", "src/app.py", True),
        ("New file: `src/app.py`", "src/app.py", True),
        ("Create `src/app.py`:", "src/app.py", True),
        ("`./src/app.py`", "src/app.py", False),
        ("src\\app.py", "src/app.py", False),
        ("Makefile", "Makefile", False),
        (".gitignore", ".gitignore", False),
        ("`docs/read me.md`", "docs/read me.md", False),
    ],
)
def test_path_line_forms_name_a_whole_file(path_line: str, path: str, new_file: bool) -> None:
    edit = only_edit(f"{path_line}\n```python\nx = 1\n```\n")
    assert (edit.path, edit.kind, edit.new_file, edit.replace, edit.line) == (
        path,
        "whole_file",
        new_file,
        "x = 1\n",
        1,
    )


@pytest.mark.parametrize(
    "line",
    [
        "Run it with `python main.py`:",
        "Here is the updated `src/app.py`:",
        "Notes:",
        "https://example.com/app.py",
        "-v",
        "3.14",
        "src/",
        "my file.py",
        "Example",
    ],
)
def test_a_sentence_or_non_path_before_a_fence_makes_it_an_example(line: str) -> None:
    parsed = parse_edits(f"{line}\n```python\nx = 1\n```\n")
    assert parsed.edits == []
    assert parsed.problems == []


@pytest.mark.parametrize("lang", ["bash", "sh", "console", "shell", "text", "output"])
def test_command_fences_after_a_path_line_are_not_files(lang: str) -> None:
    parsed = parse_edits(f"scripts/run.sh\n```{lang}\n$ ./scripts/run.sh\nok\n```\n")
    assert parsed.edits == []


def test_a_fence_without_path_is_an_example() -> None:
    assert parse_edits("For example:\n\n```python\nprint('hi')\n```\n").edits == []


def test_a_path_line_then_prose_then_a_fence_is_no_edit() -> None:
    text = "src/app.py\n\nThis file needs the following, roughly:\n\n```python\nx = 1\n```\n"
    assert parse_edits(text).edits == []


def test_unfenced_search_replace_blocks_share_one_path_and_keep_indentation() -> None:
    text = (
        "src/app.py\n"
        "<<<<< SEARCH\n"
        "        if ready:\n"
        "            go()\n"
        "=====\n"
        "    if ready:\n"
        "        go()\n"
        ">>>>> REPLACE\n"
        "\n"
        "<<<<<<<<< SEARCH\n"
        "a = 1\n"
        "=========\n"
        "a = 2\n"
        ">>>>>>>>> REPLACE\n"
    )
    parsed = parse_edits(text)
    assert parsed.problems == []
    assert [(e.path, e.search, e.replace, e.line) for e in parsed.edits] == [
        ("src/app.py", "        if ready:\n            go()\n", "    if ready:\n        go()\n", 1),
        ("src/app.py", "a = 1\n", "a = 2\n", 10),
    ]


def test_one_fence_with_two_blocks_and_the_path_inside() -> None:
    text = (
        "```\nsrc/app.py\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"
        "<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n```\n\nDone.\n"
    )
    parsed = parse_edits(text)
    assert [(e.path, e.kind, e.search, e.replace, e.line) for e in parsed.edits] == [
        ("src/app.py", "replace", "a\n", "b\n", 2),
        ("src/app.py", "replace", "c\n", "d\n", 8),
    ]


def test_search_text_holding_a_fence_in_a_three_backtick_block() -> None:
    text = (
        "README.md\n```markdown\n<<<<<<< SEARCH\n```bash\nmake\n```\n=======\n"
        "```bash\nmake all\n```\n>>>>>>> REPLACE\n```\n\nDone.\n"
    )
    edit = only_edit(text)
    assert (edit.search, edit.replace, edit.incomplete) == (
        "```bash\nmake\n```\n",
        "```bash\nmake all\n```\n",
        False,
    )


def test_empty_search_creates_the_file() -> None:
    text = "src/new.py\n```python\n<<<<<<< SEARCH\n=======\nVALUE = 1\n>>>>>>> REPLACE\n```\n"
    edit = only_edit(text)
    assert (edit.kind, edit.format, edit.new_file, edit.search, edit.replace) == (
        "whole_file",
        "search_replace",
        True,
        "",
        "VALUE = 1\n",
    )


def test_search_block_without_a_path_is_a_problem() -> None:
    parsed = parse_edits("Change this:\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n")
    assert parsed.edits == []
    assert parsed.problems == [
        ParseProblem(line=2, message="A SEARCH/REPLACE block has no file path before it.")
    ]


def test_search_block_cut_mid_replace_is_incomplete() -> None:
    text = "src/app.py\n```python\n<<<<<<< SEARCH\nold()\n=======\nnew_one()\nnew_tw"
    edit = only_edit(text)
    assert (edit.kind, edit.search, edit.replace, edit.incomplete, edit.line) == (
        "replace",
        "old()\n",
        "new_one()\nnew_tw\n",
        True,
        1,
    )


def test_search_block_cut_before_the_divider_is_incomplete() -> None:
    edit = only_edit("src/app.py\n<<<<<<< SEARCH\nold()\n")
    assert (edit.search, edit.replace, edit.incomplete) == ("old()\n", "", True)


def test_unclosed_whole_file_fence_is_incomplete() -> None:
    edit = only_edit("Here it is.\n\n`src/app.py`\n```python\nprint(1)\nprint(2")
    assert (edit.path, edit.kind, edit.replace, edit.incomplete, edit.line) == (
        "src/app.py",
        "whole_file",
        "print(1)\nprint(2\n",
        True,
        3,
    )


def test_crlf_reply_is_read_as_lf() -> None:
    text = "src/a.py\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n"
    text = text.replace("\n", "\r\n")
    edit = only_edit(text)
    assert (edit.search, edit.replace) == ("x = 1\n", "x = 2\n")


def test_tabs_are_kept() -> None:
    edit = only_edit("Makefile\n```make\nall:\n\tgo build ./...\n```\n")
    assert edit.replace == "all:\n\tgo build ./...\n"


def test_paths_outside_the_project_and_missing_paths_are_still_edits() -> None:
    text = (
        "../etc/passwd\n```text\nroot::0:0::/:/bin/sh\n```\n"
        "/etc/hosts\n<<<<<<< SEARCH\n127.0.0.1 a\n=======\n127.0.0.1 b\n>>>>>>> REPLACE\n"
        "src/does/not/exist_yet.py\n```python\nx = 1\n```\n"
    )
    parsed = parse_edits(text)
    assert [(e.path, e.kind, e.line) for e in parsed.edits] == [
        ("/etc/hosts", "replace", 5),
        ("src/does/not/exist_yet.py", "whole_file", 11),
    ]


def test_path_outside_the_project_in_a_code_fence_is_an_edit() -> None:
    edit = only_edit("`../etc/passwd`\n```\nroot::0:0::/:/bin/sh\n```\n")
    assert (edit.path, edit.kind, edit.replace) == (
        "../etc/passwd",
        "whole_file",
        "root::0:0::/:/bin/sh\n",
    )


def test_model_edit_inside_a_fence_and_an_unclosed_one() -> None:
    text = (
        "```\nMODEL_EDIT `src/a.py`\nSort the imports.\nEND_MODEL_EDIT\n```\n"
        "MODEL_EDIT src/b.py\nMove the constants to the top"
    )
    parsed = parse_edits(text)
    assert [(e.path, e.kind, e.instruction, e.incomplete, e.line) for e in parsed.edits] == [
        ("src/a.py", "model_edit", "Sort the imports.", False, 2),
        ("src/b.py", "model_edit", "Move the constants to the top", True, 6),
    ]


@pytest.mark.parametrize(
    "line", ["DELETE src/old.py", "Delete file: src/old.py", "**Delete** `src/old.py`"]
)
def test_deletion_lines(line: str) -> None:
    edit = only_edit(f"Some cleanup.\n\n{line}\n")
    assert (edit.path, edit.kind, edit.line) == ("src/old.py", "delete", 3)


def test_a_sentence_about_deleting_is_not_an_edit() -> None:
    assert parse_edits("Delete the cache folder before running the tests.\n").edits == []


def test_unfenced_diff_ends_at_the_prose_after_it() -> None:
    text = "--- a/src/app.py\n+++ b/src/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n\nThat is all.\n"
    edit = only_edit(text)
    assert (edit.path, edit.kind, edit.diff, edit.line) == (
        "src/app.py",
        "diff",
        "@@ -1 +1 @@\n-x = 1\n+x = 2\n",
        1,
    )


def test_unclosed_diff_fence_marks_its_last_file_incomplete() -> None:
    text = "```diff\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-a\n+b\n"
    text += "--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-c"
    parsed = parse_edits(text)
    assert [(e.path, e.incomplete) for e in parsed.edits] == [("a.py", False), ("b.py", True)]


def test_diff_fence_without_headers_or_path_is_a_problem() -> None:
    parsed = parse_edits("```diff\n@@ -1 +1 @@\n-a\n+b\n```\n")
    assert parsed.edits == []
    assert parsed.problems == [
        ParseProblem(line=1, message="A diff has no file path (no ---/+++ header or path line).")
    ]


def test_invalid_json_plan_is_a_problem() -> None:
    text = (
        'Plan:\n```json\n{"edits": [\n  {"file": "a.py", "type": "replace" "find": "x"}\n]}\n```\n'
    )
    parsed = parse_edits(text)
    assert parsed.edits == []
    assert len(parsed.problems) == 1
    assert parsed.problems[0].line == 4
    assert parsed.problems[0].message.startswith("The JSON edit plan is not valid JSON")


def test_bare_json_list_plan_outside_a_fence() -> None:
    text = (
        'The plan:\n[{"path": "a.py", "type": "add_import", "import_line": "import re"}]\nDone.\n'
    )
    edit = only_edit(text)
    assert (edit.path, edit.kind, edit.replace, edit.line) == ("a.py", "add_import", "import re", 2)


def test_json_file_with_its_path_is_a_whole_file_not_a_plan() -> None:
    edit = only_edit('package.json\n```json\n{"name": "tool"}\n```\n')
    assert (edit.kind, edit.replace) == ("whole_file", '{"name": "tool"}\n')


def test_plan_item_missing_its_text_is_a_problem() -> None:
    parsed = parse_edits('```json\n{"edits": [{"file": "a.py", "type": "replace"}]}\n```\n')
    assert parsed.edits == []
    assert parsed.problems == [
        ParseProblem(line=2, message='The "replace" item for a.py has no "find".')
    ]


def test_a_large_reply_gives_every_edit() -> None:
    body = "".join(f"    value_{n} = compute({n}) + offset\n" for n in range(35))
    blocks = [
        f"Change {n}:\n\nsrc/module_{n % 10}.py\n```python\n<<<<<<< SEARCH\n{body}=======\n"
        f"{body}>>>>>>> REPLACE\n```\n\n"
        for n in range(20)
    ]
    text = "".join(blocks)
    assert len(text) > 50_000
    parsed = parse_edits(text)  # its speed is measured in bench/bench_apply.py, not here
    assert len(parsed.edits) == 20
    assert {e.path for e in parsed.edits} == {f"src/module_{n}.py" for n in range(10)}
