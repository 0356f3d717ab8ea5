"""The headings of a markdown spec, found with a real markdown parser.

A `#` line inside a code fence is not a heading, so the sections are read from markdown-it-py's
tokens rather than from a regex. Core module: never imports textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

_NEWLINE = re.compile(r"\r\n?|\n")
_TASK_PREFIX = re.compile(r"^\s*task\s*:\s*", re.IGNORECASE)
_CONTEXT_WORDS = ("context", "notes")


@dataclass(frozen=True)
class Section:
    """A heading and the lines it governs."""

    title: str
    """The heading's text, without the `#` marks."""
    level: int
    """1 for `#`, 2 for `##`, ..."""
    line: int
    """0-based line of the heading."""
    end_line: int
    """Exclusive end: the next heading of the same or a higher level, or the end of the text."""


def split_lines(text: str) -> list[str]:
    """The lines of `text` as the markdown parser counts them (no final empty line)."""
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_sections(text: str) -> list[Section]:
    """Every heading in the text, in order, with the range of lines each one covers."""
    tokens = MarkdownIt("commonmark").parse(text)
    found: list[tuple[str, int, int]] = []
    for index, token in enumerate(tokens):
        # Only top-level headings: one inside a quoted (promoted) note is part of that note.
        if token.type == "heading_open" and token.level == 0 and token.map is not None:
            found.append((tokens[index + 1].content.strip(), int(token.tag[1:]), token.map[0]))
    total = len(split_lines(text))
    sections = []
    for index, (title, level, line) in enumerate(found):
        end = next((other[2] for other in found[index + 1 :] if other[1] <= level), total)
        sections.append(Section(title, level, line, end))
    return sections


def _is_context(section: Section) -> bool:
    title = section.title.lower()
    return any(word in title for word in _CONTEXT_WORDS)


def find_context_section(sections: list[Section]) -> Section | None:
    """The section exploration notes go into: the first titled "...Context..." or "...Notes..."."""
    # Sub-headings are tried first, so a title like "# Task: Add a context menu" is not taken
    # for the notes section; a level-1 "# Codebase Notes" still counts when nothing else does.
    for section in sections:
        if section.level > 1 and _is_context(section):
            return section
    for section in sections:
        if section.level == 1 and _is_context(section) and not _TASK_PREFIX.match(section.title):
            return section
    return None


_LEVEL_ONE_LINE = re.compile(r"^ {0,3}(?:#(?:[ \t]|$)|=+[ \t]*$)", re.MULTILINE)
"""A line that may be (or underline) a top-level level-1 heading; the parser decides."""


def spec_title(text: str) -> str | None:
    """The task's title from the first level-1 heading, without "Task:"; None if unset.

    A large spec is not parsed whole on each save: only up to a line that may be a level-1
    heading (at least twice as far as the last try). Lines after a heading never change what
    came before it, so a heading found in a prefix is the text's first one.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # as the parser reads it
    cut = 0
    while cut < len(text):
        candidate = _LEVEL_ONE_LINE.search(text, cut)
        if candidate is None:
            return None
        cut = max(candidate.end(), 2 * cut)
        line_end = text.find("\n", cut)
        cut = len(text) if line_end < 0 else line_end + 1
        for section in parse_sections(text[:cut]):
            if section.level == 1:
                title = _TASK_PREFIX.sub("", section.title).strip()
                return title if title and title != "<title>" else None
    return None
