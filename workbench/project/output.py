"""Caps on what a tool returns, so one call cannot flood a small model's context.

Core module: never imports textual.
"""

from __future__ import annotations

MAX_OUTPUT_BYTES = 16 * 1024
"""A tool's output is cut to at most this many bytes of UTF-8..."""
MAX_OUTPUT_LINES = 400
"""...and at most this many lines, with a note saying how many lines were left out."""


def truncation_note(more_lines: int) -> str:
    """The line that ends a capped output."""
    return f"[output truncated: {more_lines} more line{'s' if more_lines != 1 else ''}]"


def cap_output(
    text: str, *, max_bytes: int = MAX_OUTPUT_BYTES, max_lines: int = MAX_OUTPUT_LINES
) -> str:
    """`text` cut to whole lines within both caps, plus a truncation note when anything was cut.

    A single line longer than the byte cap is cut inside the line (and counted as left out).
    """
    lines = text.removesuffix("\n").split("\n") if text else []
    kept: list[str] = []
    used = 0
    partial = False
    for line in lines[:max_lines]:
        size = len(line.encode("utf-8")) + 1
        if used + size > max_bytes:
            if not kept:  # one enormous line: keep what fits of it rather than nothing
                kept.append(line.encode("utf-8")[: max_bytes - 1].decode("utf-8", "ignore"))
                partial = True
            break
        kept.append(line)
        used += size
    more = len(lines) - len(kept) + partial  # a line cut short counts as left out
    if more == 0:
        return text
    return "\n".join([*kept, truncation_note(more)]) + "\n"
