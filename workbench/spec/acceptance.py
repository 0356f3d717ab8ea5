"""The spec's acceptance items: the checkable lines under its Acceptance heading.

An item is a list item (`- ...`, `1. ...`, `- [ ] ...`) directly under a heading titled
"Acceptance" (or "Acceptance criteria", "Done when", "Definition of done"); a nested list belongs
to its parent item. Lines inside HTML comments or code are not items. Core module: never imports
textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from workbench.spec.sections import Section, parse_sections

_ACCEPTANCE_WORDS = ("acceptance", "done when", "definition of done")
_CHECKBOX = re.compile(r"^\[( |x|X)\]\s+")


@dataclass(frozen=True)
class AcceptanceItem:
    """One thing that must be true when the task is done."""

    text: str
    """The item's text, without its list marker or checkbox (its first paragraph)."""
    line: int
    """0-based line of the item in the spec."""


def acceptance_section(sections: list[Section]) -> Section | None:
    """The section holding the acceptance items, if the spec has one."""
    return next((s for s in sections if any(w in s.title.lower() for w in _ACCEPTANCE_WORDS)), None)


def acceptance_items(spec: str) -> list[AcceptanceItem]:
    """The top-level list items of the spec's Acceptance section, in order."""
    section = acceptance_section(parse_sections(spec))
    if section is None:
        return []
    items: list[AcceptanceItem] = []
    tokens = MarkdownIt("commonmark").parse(spec)
    list_depth = 0
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif token.type == "list_item_open" and list_depth == 1 and token.map is not None:
            start = token.map[0]
            if not section.line < start < section.end_line:
                continue
            text = _first_inline(tokens, index)
            text = _CHECKBOX.sub("", text).strip()
            if text:
                items.append(AcceptanceItem(" ".join(text.split()), start))
    return items


def _first_inline(tokens: list[Token], start: int) -> str:
    """The text of the first inline token after `start` (the item's first paragraph)."""
    for token in tokens[start + 1 :]:
        if token.type == "inline":
            return token.content
        if token.type == "list_item_close":
            break
    return ""
