"""Find parts of a markdown source (code blocks, line ranges) so they can be promoted or copied
as written, fences intact. Core module: never imports textual."""

from __future__ import annotations

from markdown_it import MarkdownIt


def reply_parser() -> MarkdownIt:
    """The markdown dialect messages are shown in: GitHub-like, with HTML and entities as text.

    Textual's Markdown widget renders no HTML, so raw HTML (and the lines an HTML block swallows)
    would vanish; with HTML off, tags, JSX and XML are plain text, and entities such as `&lt;`
    stay as written, so what a reply says about HTML reads as the model wrote it.
    The message views render with this parser and `code_blocks` parses with it, so the code
    blocks found here are the ones on screen.
    """
    return MarkdownIt("gfm-like", {"html": False}).disable("entity")


def code_blocks(text: str) -> list[tuple[int, int]]:
    """Line ranges (start, end exclusive) of the fenced and indented code blocks, in order."""
    return [
        (token.map[0], token.map[1])
        for token in reply_parser().parse(text)
        if token.type in ("fence", "code_block") and token.map is not None
    ]


def source_lines(text: str, start: int, end: int) -> str:
    """Lines `start` to `end` (exclusive) of `text`, as written."""
    return "".join(text.splitlines(keepends=True)[start:end]).rstrip("\n")
