"""Find parts of a markdown source (code blocks, line ranges) so they can be promoted or copied
as written, fences intact. Core module: never imports textual."""

from __future__ import annotations

from markdown_it import MarkdownIt


def _parser() -> MarkdownIt:
    # The same "gfm-like" dialect Textual's Markdown widget renders.
    return MarkdownIt("gfm-like")


def code_blocks(text: str) -> list[tuple[int, int]]:
    """Line ranges (start, end exclusive) of the fenced and indented code blocks, in order."""
    return [
        (token.map[0], token.map[1])
        for token in _parser().parse(text)
        if token.type in ("fence", "code_block") and token.map is not None
    ]


def source_lines(text: str, start: int, end: int) -> str:
    """Lines `start` to `end` (exclusive) of `text`, as written."""
    return "".join(text.splitlines(keepends=True)[start:end]).rstrip("\n")
