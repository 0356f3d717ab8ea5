"""Make model output safe to show in a terminal: no escape sequences, no stray control characters.

Models (and the tool output they quote) can emit ANSI/VT sequences that would move the cursor,
retitle the window or write to the clipboard if printed raw. Everything here is plain text in,
plain text out. Core module: never imports textual.
"""

from __future__ import annotations

import re

# String sequences (OSC, DCS, SOS, PM, APC) carry a payload up to a terminator: BEL, ST (ESC \ or
# the 8-bit 0x9C). An ESC inside the payload cancels the string in real terminals, so the match
# stops before it and the ESC starts the next sequence.
_STRING_START = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])"
_STRING_BODY = r"[^\x07\x1b\x9c]*"
_STRING = _STRING_START + _STRING_BODY + r"(?:\x07|\x1b\\|\x9c|(?=\x1b[^\\]))"
# CSI: parameter bytes, intermediate bytes, one final byte.
_CSI_START = r"(?:\x1b\[|\x9b)"
_CSI = _CSI_START + r"[0-?]*[ -/]*[@-~]"
# Everything else that starts with ESC: optional intermediates then one final byte (ESC 7, ESC ( B).
_ESC_OTHER = r"\x1b[ -/]*[0-~]"

_SEQUENCE = re.compile("|".join((_STRING, _CSI, _ESC_OTHER)))
# C0 controls except \t and \n, DEL and C1 controls. \r goes too: "\r\n" becomes "\n" and a lone
# "\r" (used by progress bars to overwrite a line) is dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# The same, plus sequences cut off at the end of a chunk. Partial alternatives come before
# `_ESC_OTHER`, which would otherwise take "ESC [" as a complete two-character sequence.
_SCAN = re.compile(
    "|".join(
        (
            _STRING,
            _CSI,
            r"(?P<partial>"
            + _STRING_START
            + _STRING_BODY
            + r"\x1b?\Z|"
            + _CSI_START
            + r"[0-?]*[ -/]*\Z|\x1b[ -/]*\Z)",
            _ESC_OTHER,
        )
    )
)

DEFAULT_MAX_PENDING = 64
"""How many characters a `StreamSanitizer` holds back waiting for a sequence to end."""


def sanitize(text: str) -> str:
    """Strip terminal escape sequences and control characters, keeping newlines and tabs."""
    if not text:
        return text
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


class StreamSanitizer:
    """`sanitize` for text that arrives in chunks, removing sequences split across chunks."""

    def __init__(self, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self._pending = ""
        self._max_pending = max_pending

    def feed(self, chunk: str) -> str:
        """Take the next chunk; return the clean text that is safe to show now."""
        text = self._pending + chunk
        self._pending = ""
        start = _incomplete_tail(text)
        # A stray ESC or an unterminated OSC must not swallow the rest of the reply, so past the
        # bound the introducer is dropped and what followed is shown as text.
        if start is not None and len(text) - start <= self._max_pending:
            self._pending = text[start:]
            text = text[:start]
        return sanitize(text)

    def flush(self) -> str:
        """End of stream: return whatever was held back, cleaned."""
        text, self._pending = self._pending, ""
        return sanitize(text)


def _incomplete_tail(text: str) -> int | None:
    """Where an escape sequence that is still incomplete at the end of `text` starts, if any."""
    last = None
    for last in _SCAN.finditer(text):  # noqa: B007 (only the last match matters)
        pass
    if last is not None and last.group("partial") is not None:
        return last.start()
    return None
