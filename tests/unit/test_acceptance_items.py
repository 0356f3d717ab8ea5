"""The spec's acceptance items, and the send review's warning when there are none."""

from __future__ import annotations

from workbench.spec.acceptance import AcceptanceItem, acceptance_items
from workbench.spec.payload import build_payload, readiness_checks
from workbench.spec.template import new_spec

SPEC = """\
# Task: Farewell

## What I want

- this list is not acceptance

## Acceptance

- [ ] `pytest -q` passes
- [x] bye("Ann") returns
  "Goodbye, Ann"
1. no new dependency
   - a nested note belongs to its item

<!--
- an example inside a comment is not an item
-->

```
- nor is a line in a code block
```

## Notes

- after the section: not an item
"""


def test_items_are_the_top_level_list_items_under_acceptance() -> None:
    assert acceptance_items(SPEC) == [
        AcceptanceItem("`pytest -q` passes", 8),
        AcceptanceItem('bye("Ann") returns "Goodbye, Ann"', 9),
        AcceptanceItem("no new dependency", 11),
    ]


def test_other_titles_count_and_no_section_means_no_items() -> None:
    assert [i.text for i in acceptance_items("## Done when\n\n* it works\n")] == ["it works"]
    assert acceptance_items("# Task: x\n\n## What I want\n\n- a\n") == []


def test_the_template_shows_how_to_write_items_without_counting_as_any() -> None:
    spec = new_spec("Farewell")
    assert "`pytest -q` passes" in spec
    assert acceptance_items(spec) == []


def codes(spec: str) -> list[str]:
    payload = build_payload("m", "system", spec)
    return [w.code for w in readiness_checks(spec, payload, context_window=None, explore_texts=[])]


def test_the_review_warns_when_there_are_no_acceptance_items() -> None:
    assert "no_acceptance" in codes(new_spec("Farewell") + "\nDo it.\n")
    assert "no_acceptance" not in codes(SPEC)
    [warning] = [
        w
        for w in readiness_checks(
            "# T\n\n## Acceptance\n",
            build_payload("m", "s", "# T\n\n## Acceptance\n"),
            context_window=None,
            explore_texts=[],
        )
        if w.code == "no_acceptance"
    ]
    assert 'under "Acceptance"' in warning.message and "one item per line" in warning.message
