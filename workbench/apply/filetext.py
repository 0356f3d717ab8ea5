"""A project file as lines that can be written back byte for byte: encoding, BOM, line endings.

Core module: never imports textual.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

from workbench.project.files import ToolError

MAX_EDIT_BYTES = 4 * 1024 * 1024
"""Files bigger than this are not edited (a reply's edit to one is listed as failed)."""

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def sha256(data: bytes) -> str:
    """The hex sha256 of `data`: how a file's state is recognised later."""
    return hashlib.sha256(data).hexdigest()


def split_lines(text: str) -> list[str]:
    """`text` as lines that keep their ending ("\\n" or "\\r\\n"); the last may have none.

    Only "\\n" ends a line: `str.splitlines` would also split on form feeds and U+2028, and
    writing the lines back would then not give the same bytes.
    """
    lines = text.split("\n")
    last = lines.pop()
    out = [line + "\n" for line in lines]
    if last:
        out.append(last)
    return out


def bare(line: str) -> str:
    """A line without its ending."""
    return line.rstrip("\r\n")


@dataclass(frozen=True, kw_only=True)
class FileText:
    """A text file as read: its lines (endings kept) and how to turn them back into bytes."""

    lines: list[str]
    encoding: str
    """"utf-8", "utf-16-le", "utf-16-be" or "latin-1" (any other 8-bit text, kept byte for byte)."""
    bom: bytes = b""
    newline: str = "\n"
    """The ending new lines get: the file's own ("\\r\\n" when most of its lines use it)."""
    sha256: str = ""
    """sha256 of the bytes read."""

    @classmethod
    def empty(cls) -> FileText:
        """A file that does not exist yet."""
        return cls(lines=[], encoding="utf-8")

    def encode(self, lines: list[str]) -> bytes:
        """`lines` as this file's bytes (same encoding and BOM)."""
        return self.bom + "".join(lines).encode(self.encoding)

    def with_newline(self, line: str) -> str:
        """`line` ending in this file's newline."""
        return bare(line) + self.newline


def decode(data: bytes, shown_as: str) -> FileText:
    """`data` as a FileText; ToolError for binary data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                break
            return _file_text(text, encoding, bom, data)
    if b"\x00" in data[:8192]:
        raise ToolError(f"{shown_as} is a binary file; it is not edited.")
    try:
        return _file_text(data.decode("utf-8"), "utf-8", b"", data)
    except UnicodeDecodeError:
        # Not UTF-8 but no NUL bytes: some 8-bit encoding. latin-1 maps every byte to one
        # character and back, so the lines an edit leaves alone are written back unchanged.
        return _file_text(data.decode("latin-1"), "latin-1", b"", data)


def _file_text(text: str, encoding: str, bom: bytes, data: bytes) -> FileText:
    lines = split_lines(text)
    crlf = sum(1 for line in lines if line.endswith("\r\n"))
    newline = (
        "\r\n" if crlf and crlf * 2 >= sum(1 for line in lines if line.endswith("\n")) else "\n"
    )
    return FileText(lines=lines, encoding=encoding, bom=bom, newline=newline, sha256=sha256(data))


def read_file_text(path: Path, shown_as: str) -> FileText:
    """The file at `path` as a FileText; ToolError if it is not a regular text file."""
    try:
        if not path.is_file():
            raise ToolError(f"{shown_as} is not a regular file; it is not edited.")
        size = path.stat().st_size
        if size > MAX_EDIT_BYTES:
            raise ToolError(
                f"{shown_as} is {size // 1024} KB, over the {MAX_EDIT_BYTES // 1024} KB that "
                "edits are applied to; edit it by hand."
            )
        data = path.read_bytes()
    except OSError as error:
        raise ToolError(f"{shown_as} cannot be read: {error.strerror or error}") from None
    return decode(data, shown_as)
