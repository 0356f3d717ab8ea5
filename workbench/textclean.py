"""Make model output safe to show in a terminal and to save: no escape sequences, no stray control
characters, no lone surrogates.

Models (and the tool output they quote) can emit ANSI/VT sequences that would move the cursor,
retitle the window or write to the clipboard if printed raw. A server's JSON can also carry half
of a surrogate pair (`"\\ud83d"`: tokenizers split emoji), which no file can store as UTF-8 and a
terminal cannot measure. The providers clean what a server sends here, where it enters; everything
is plain text in, plain text out. Core module: never imports textual.
"""

from __future__ import annotations

import re
from typing import Any

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

# Surrogate code points: in a Python str they only come from JSON escapes such as "\ud800"
# (a pair that arrives in one string is joined into one character by the JSON decoder).
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Unicode's line and paragraph separators: zero cells wide to Rich, not so to every terminal.
_SEPARATORS = str.maketrans({"\u2028": "\n", "\u2029": "\n"})

# Anything `sanitize` would change: text without it (nearly all of a reply) is passed through
# after this one scan.
_DIRTY = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# What can start an escape sequence (ESC, and the 8-bit introducers CSI, DCS, SOS, OSC, PM, APC).
_INTRODUCER = re.compile(r"[\x1b\x90\x98\x9b\x9d\x9e\x9f]")

DEFAULT_MAX_PENDING = 64
"""How many characters a `StreamSanitizer` holds back waiting for a sequence to end."""


def sanitize(text: str) -> str:
    """Strip escape sequences and control characters but newlines and tabs; mend surrogates.

    NUL, C1 controls (0x80-0x9f, NEL too) and carriage returns go; a lone surrogate becomes
    U+FFFD; U+2028 and U+2029 become newlines.
    """
    if not text or not _DIRTY.search(text):
        return text
    return _CONTROL.sub("", _SEQUENCE.sub("", mend_surrogates(text))).translate(_SEPARATORS)


def mend_surrogates(text: str) -> str:
    """Join surrogate pairs into the characters they encode; a lone surrogate becomes U+FFFD.

    The result can always be encoded as UTF-8 (a str with a surrogate in it cannot).
    """
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def sanitize_data(value: Any) -> Any:
    """`sanitize` every string in a JSON-like value (tool-call arguments), keys included."""
    if isinstance(value, str):
        return sanitize(value)
    if isinstance(value, dict):
        return {sanitize_data(key): sanitize_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(sanitize_data(item) for item in value)
    return value


class StreamSanitizer:
    """`sanitize` for text that arrives in chunks, removing sequences split across chunks.

    Half of a surrogate pair at the end of a chunk waits for the other half at the start of the
    next one (an emoji split by a tokenizer is shown whole); alone, it becomes U+FFFD.
    """

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
        elif text and "\ud800" <= text[-1] <= "\udbff":  # half a pair: the rest may follow
            self._pending = text[-1]
            text = text[:-1]
        return sanitize(text)

    def flush(self) -> str:
        """End of stream: return whatever was held back, cleaned."""
        text, self._pending = self._pending, ""
        return sanitize(text)


def _incomplete_tail(text: str) -> int | None:
    """Where an escape sequence that is still incomplete at the end of `text` starts, if any."""
    if not _INTRODUCER.search(text):
        return None
    last = None
    for last in _SCAN.finditer(text):  # noqa: B007 (only the last match matters)
        pass
    if last is not None and last.group("partial") is not None:
        return last.start()
    return None
