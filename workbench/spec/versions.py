"""Numbered snapshots of the spec, one per send, and diffs between them.

Every send of the spec to the Implement model is kept as `<session folder>/versions/v001.md`,
`v002.md`, ...: the exact text sent, so any reply can be read against the spec it answered.
Core module: never imports textual.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from workbench.fileio import atomic_write

_NAME = re.compile(r"^v(\d+)\.md$")
_NO_NEWLINE = "\\ No newline at end of file\n"


class VersionNotFoundError(LookupError):
    """The session has no spec version with that number."""


class SpecVersions:
    """The spec versions of one session folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        """The session folder; versions live in its `versions/` sub-folder."""

    @property
    def directory(self) -> Path:
        """Where the version files are."""
        return self.folder / "versions"

    def path(self, number: int) -> Path:
        """The file of version `number` (which may not exist yet)."""
        return self.directory / f"v{number:03d}.md"

    def numbers(self) -> list[int]:
        """The version numbers on disk, oldest first."""
        try:
            names = [p.name for p in self.directory.iterdir() if p.is_file()]
        except FileNotFoundError:
            return []
        return sorted(int(m.group(1)) for name in names if (m := _NAME.match(name)))

    def latest(self) -> int | None:
        """The newest version's number; None before the first send."""
        numbers = self.numbers()
        return numbers[-1] if numbers else None

    def save(self, text: str) -> int:
        """Snapshot `text` as a new version and return its number (every send gets one)."""
        number = (self.latest() or 0) + 1
        atomic_write(self.path(number), text.encode("utf-8"))
        return number

    def read(self, number: int) -> str:
        """The text of version `number`; VersionNotFoundError if there is none."""
        try:
            data = self.path(number).read_bytes()
        except FileNotFoundError:
            known = ", ".join(str(n) for n in self.numbers()) or "none yet"
            raise VersionNotFoundError(
                f"There is no spec version {number} (versions: {known})"
            ) from None
        return data.decode("utf-8", errors="replace")


def diff(old: str, new: str, old_label: str, new_label: str) -> str:
    """A unified diff from `old` to `new`; "" when they are equal."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=old_label,
        tofile=new_label,
    )
    out: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:  # the last line of a text without a final newline: say so, as git does
            out += [line + "\n", _NO_NEWLINE]
    return "".join(out)
