"""Promote a chat message into the spec: quote it at the end of the context section.

Each promoted note is preceded by an invisible marker, `<!-- promoted from explore message <id>
(model) -->`, so the UI can tell which messages are already in the spec.
Core module: never imports textual.
"""

from __future__ import annotations

import re

from workbench.spec.sections import find_context_section, parse_sections, split_lines

NEW_CONTEXT_HEADING = "## Context (from exploration)"

_MARKER = re.compile(r"^<!-- promoted from (\S+) message (\S+)(?: \((.*)\))? -->\s*$", re.MULTILINE)


def provenance_marker(pane: str, message_id: str, model: str | None = None) -> str:
    """The HTML comment line that records where a promoted note came from."""
    # "--" would end the comment early and leave the rest visible in the rendered spec.
    parts = [re.sub(r"-{2,}", "-", " ".join(p.split())) for p in (pane, message_id)]
    marker = f"<!-- promoted from {parts[0]} message {parts[1]}"
    if model:
        marker += f" ({re.sub(r'-{2,}', '-', ' '.join(model.split()))})"
    return marker + " -->"


def quote_note(note: str) -> list[str]:
    """The note as blockquote lines (`> ` prefix, `>` for empty lines), blank edges trimmed."""
    lines = split_lines(note)
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return [f"> {line}" if line.strip() else ">" for line in lines]


def promote(
    spec: str,
    note: str,
    *,
    pane: str,
    message_id: str,
    model: str | None = None,
    section: str | None = None,
) -> str:
    """Return the spec with `note` quoted at the end of a section.

    The section is the one titled `section` when given and present, else the context section
    (made if missing).
    """
    block = [provenance_marker(pane, message_id, model), *quote_note(note)]
    lines = split_lines(spec)
    sections = parse_sections(spec)
    chosen = next((s for s in sections if section is not None and s.title == section), None)
    context = chosen or find_context_section(sections)
    if context is not None:
        before = lines[: _last_content(lines, context.line, context.end_line) + 1]
        after = lines[context.end_line :]
    else:
        block = [NEW_CONTEXT_HEADING, "", *block]
        title = next((s for s in sections if s.level == 1), None)
        if title is None:
            # No title: the new section goes first, above whatever the spec already has.
            split = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
            before, after = [], lines[split:]
        else:
            # After the title block: the title and any text before the next heading.
            index = sections.index(title)
            end = sections[index + 1].line if index + 1 < len(sections) else len(lines)
            before, after = lines[: _last_content(lines, title.line, end) + 1], lines[end:]
    # Exactly one blank line around the note; blank lines are all that may be dropped here.
    new = [*before, *([""] if before else []), *block, *([""] if after else []), *after]
    newline = "\r\n" if "\r\n" in spec else "\n"
    return newline.join(new) + newline


def source_at(spec: str, line: int) -> tuple[str, str] | None:
    """(pane, message id) of the promoted note that `line` (0-based) belongs to, if any."""
    lines = split_lines(spec)
    if not 0 <= line < len(lines):
        return None
    for index in range(line, -1, -1):
        if match := _MARKER.match(lines[index]):
            return match.group(1), match.group(2)
        if index != line and not lines[index].startswith(">"):
            return None  # left the quoted note without meeting its marker
        if index == line and not (lines[index].startswith(">") or _MARKER.match(lines[index])):
            return None
    return None


def promoted_ids(spec: str) -> set[str]:
    """The ids of the messages already promoted into the spec."""
    return {match.group(2) for match in _MARKER.finditer(spec)}


def _last_content(lines: list[str], start: int, end: int) -> int:
    """The last non-blank line in `lines[start:end]` (the heading itself at least)."""
    for index in range(end - 1, start, -1):
        if lines[index].strip():
            return index
    return start
