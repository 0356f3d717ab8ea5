"""The task spec: template, sections, and promoting notes without losing the user's text."""

from __future__ import annotations

import random

import pytest
from markdown_it import MarkdownIt

from workbench.spec.promote import promote, promoted_ids
from workbench.spec.sections import Section, find_context_section, parse_sections, spec_title
from workbench.spec.template import DEFAULT_TEMPLATE, new_spec
from workbench.spec.templates import ACCEPTANCE_HINT

NOTE_WITH_CODE = (
    "Auth lives in `src/auth/`.\n\n```python\n# not a heading\ndef login(user): ...\n```\n"
)

SPECS = [
    DEFAULT_TEMPLATE,
    new_spec("Add refresh tokens"),
    "# Task: X\n\n## Context (from exploration)\n\n- existing note\n\n\n## What I want\n\n- a\n",
    "## Codebase Notes\n\nnotes here\n\n## Task\n\ndo it\n",
    "# Add email verification\n\nIntro para.\n\n## Requirements:\n- one\n",
    "## Task\n\nno title and no context\n",
    "just some text\nwith no headings\n",
    "",
    "# Task: CRLF\r\n\r\n## Context\r\n\r\nold\r\n\r\n## What I want\r\n",
]


def test_template_is_exact_and_takes_a_title() -> None:
    assert DEFAULT_TEMPLATE == (
        "# Task: <title>\n\n## Context (from exploration)\n\n## What I want\n\n"
        "## Constraints\n\n## Acceptance\n\n" + ACCEPTANCE_HINT
    )
    assert new_spec() == DEFAULT_TEMPLATE
    assert new_spec("Add refresh tokens").startswith("# Task: Add refresh tokens\n\n## Context")


def test_sections_ignore_hashes_in_code_fences() -> None:
    text = "# Task: T\n\n## Context\n\n```bash\n# a comment\n## another\n```\n\n## What I want\n"
    assert parse_sections(text) == [
        Section("Task: T", 1, 0, 10),
        Section("Context", 2, 2, 9),
        Section("What I want", 2, 9, 10),
    ]


def test_context_section_is_found_by_name() -> None:
    notes = parse_sections("## Codebase Notes\n\nx\n\n## Task\n")
    assert find_context_section(notes) == notes[0]
    menu = parse_sections("# Task: Add a context menu\n\n## What I want\n")
    assert find_context_section(menu) is None  # the title is not the notes section
    assert find_context_section(parse_sections("# Context\n\nx\n")) is not None


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("# Task: Add refresh tokens\n", "Add refresh tokens"),
        ("# Add email verification\n", "Add email verification"),
        ("intro\n\n# task:  Lower case  \n", "Lower case"),
        (DEFAULT_TEMPLATE, None),
        ("## Codebase Notes\n", None),
        ("```\n# Task: in code\n```\n", None),
    ],
)
def test_spec_title(text: str, title: str | None) -> None:
    assert spec_title(text) == title


def body_of(spec: str, heading: str) -> str:
    """The text of the section with this title, without its heading line."""
    lines = spec.splitlines()
    section = next(s for s in parse_sections(spec) if s.title == heading)
    return "\n".join(lines[section.line + 1 : section.end_line])


def test_promote_appends_to_the_end_of_the_context_section() -> None:
    spec = (
        "# Task: X\n\n## Context (from exploration)\n\n- existing note\n\n\n## What I want\n\n- a\n"
    )
    result = promote(
        spec, "New finding.", pane="explore", message_id="m1", model="qwen2.5-coder:7b"
    )
    assert result == (
        "# Task: X\n\n## Context (from exploration)\n\n- existing note\n\n"
        "<!-- promoted from explore message m1 (qwen2.5-coder:7b) -->\n"
        "> New finding.\n\n## What I want\n\n- a\n"
    )


def test_second_promote_goes_after_the_first() -> None:
    spec = promote(new_spec("T"), "first", pane="explore", message_id="a")
    spec = promote(spec, "second", pane="implement", message_id="b", model="m")
    context = body_of(spec, "Context (from exploration)")
    assert context.index("> first") < context.index("> second")
    assert "\n\n<!-- promoted from implement message b (m) -->\n> second\n" in spec
    assert promoted_ids(spec) == {"a", "b"}


def test_code_fences_survive_inside_the_quote() -> None:
    spec = promote(new_spec("T"), NOTE_WITH_CODE, pane="explore", message_id="m1")
    assert "> ```python\n> # not a heading\n> def login(user): ...\n> ```\n" in spec
    assert ">\n> ```python" in spec  # the empty line is quoted, not left bare
    assert [s.title for s in parse_sections(spec)] == [
        "Task: T",
        "Context (from exploration)",
        "What I want",
        "Constraints",
        "Acceptance",
    ]
    tokens = MarkdownIt("commonmark").parse(spec)
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1 and fences[0].content == "# not a heading\ndef login(user): ...\n"


def test_headings_in_a_promoted_note_do_not_split_the_spec() -> None:
    spec = promote(new_spec("T"), "# Summary\n\ntext", pane="explore", message_id="a")
    spec = promote(spec, "more", pane="explore", message_id="b")
    assert spec.index("> text") < spec.index("> more") < spec.index("## What I want")
    assert [s.title for s in parse_sections(spec)][1:] == [
        "Context (from exploration)",
        "What I want",
        "Constraints",
        "Acceptance",
    ]
    assert spec_title("> # Quoted\n\n# Task: Real\n") == "Real"


def test_missing_context_section_is_created_after_the_title_block() -> None:
    spec = "# Add email verification\n\nIntro para.\n\n## Requirements:\n- one\n"
    result = promote(spec, "note", pane="explore", message_id="m1")
    assert result == (
        "# Add email verification\n\nIntro para.\n\n## Context (from exploration)\n\n"
        "<!-- promoted from explore message m1 -->\n> note\n\n## Requirements:\n- one\n"
    )


def test_missing_context_section_without_title_goes_on_top() -> None:
    result = promote("## Task\n\ndo it\n", "note", pane="explore", message_id="m1")
    assert result.startswith(
        "## Context (from exploration)\n\n<!-- promoted from explore message m1 -->\n> note\n\n"
        "## Task\n"
    )
    assert promote("", "note", pane="explore", message_id="m1") == (
        "## Context (from exploration)\n\n<!-- promoted from explore message m1 -->\n> note\n"
    )


@pytest.mark.parametrize("spec", SPECS)
def test_promote_never_loses_or_reorders_the_users_text(spec: str) -> None:
    result = promote(spec, NOTE_WITH_CODE, pane="explore", message_id="m1", model="m")
    original = [line for line in spec.splitlines() if line.strip()]
    remaining = iter(result.splitlines())
    for line in original:
        assert any(line == candidate for candidate in remaining), f"lost {line!r}"
    assert promoted_ids(result) == {"m1"}


def test_line_endings_of_the_spec_are_kept() -> None:
    spec = "# Task: CRLF\r\n\r\n## Context\r\n\r\nold\r\n\r\n## What I want\r\n"
    result = promote(spec, "new", pane="explore", message_id="m1")
    assert result.count("\r\n") == result.count("\n")
    assert "old\r\n\r\n<!-- promoted" in result


def test_marker_stays_a_comment_whatever_the_model_name() -> None:
    result = promote(DEFAULT_TEMPLATE, "x", pane="explore", message_id="m1", model="evil-->model")
    marker = next(line for line in result.splitlines() if line.startswith("<!--"))
    assert marker.count("-->") == 1 and marker.endswith("-->")
    assert promoted_ids(result) == {"m1"}
    assert promoted_ids("> <!-- promoted from explore message quoted -->\n") == set()


def test_spec_title_of_a_large_spec_is_found_without_parsing_all_of_it() -> None:
    notes = "- a note\n" * 8_000  # more than the first prefix parsed
    assert spec_title("# Task: Big\n\n" + notes) == "Big"
    assert spec_title(notes + "# Task: Late\n") == "Late"  # past the first prefix
    # A fence left open at a prefix's end hides nothing: the heading after it still counts.
    fenced = "```\n" + "code\n" * 14_000 + "```\n\n# Task: After code\n" + notes
    assert spec_title(fenced) == "After code"
    assert spec_title("## Task\n\n" + notes) is None  # no level-1 line: nothing parsed
    assert spec_title("intro\r\nMy task\r\n===\r\n" + notes) == "intro\nMy task"


def test_spec_title_matches_a_parse_of_the_whole_text() -> None:
    rng = random.Random(5)
    pieces = ["# A\n", "## B\n", "===\n", "text\n", "```\n", "> # Q\n", "- # L\n", "\n", "   # C\n"]
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(12)))
        first = next((s for s in parse_sections(text) if s.level == 1), None)
        expected = None if first is None else first.title or None
        assert spec_title(text) == expected, text
