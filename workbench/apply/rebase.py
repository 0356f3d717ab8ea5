"""Re-fitting staged hunks onto a file that changed on disk since they were made.

Core module: never imports textual.
"""

from __future__ import annotations

from workbench.apply.changes import FileChange, Hunk, with_context
from workbench.apply.filetext import FileText, bare


def _find(lines: list[str], block: list[str], near: int) -> list[int]:
    """Positions where `block` (compared without line endings) occurs, nearest `near` first."""
    if not block:
        return []
    want = [bare(line) for line in block]
    first = want[0]
    hits = [
        i
        for i in range(len(lines) - len(want) + 1)
        if bare(lines[i]) == first and [bare(x) for x in lines[i : i + len(want)]] == want
    ]
    return sorted(hits, key=lambda i: abs(i - near))


def rebase(change: FileChange, now: FileText) -> int:
    """Re-fit `change`'s unapplied hunks onto the file as it is now (`now`); returns how many
    decisions could not be kept.

    A hunk found again with its surrounding lines unchanged keeps its decision; one whose own
    lines are found but whose surroundings changed goes back to pending; one whose lines are gone
    gets a `problem` and cannot be accepted. Overlaps are problems too.
    """
    lines = now.lines
    reset = 0
    taken_until = 0
    fitted: list[Hunk] = []
    if now.newline != change.newline:  # the file's line endings changed: the new lines follow
        for hunk in change.hunks:
            hunk.new_lines = [bare(line) + now.newline for line in hunk.new_lines]
            if hunk.edited is not None:
                hunk.edited = [bare(line) + now.newline for line in hunk.edited]
    for hunk in sorted(change.hunks, key=lambda h: h.old_start):
        if hunk.decision == "applied":
            continue
        if change.status == "deleted":
            # A deletion covers the whole file: what it deletes now is what the user must see.
            same = [bare(x) for x in hunk.old_lines] == [bare(x) for x in lines]
            if not same and hunk.decision != "pending":
                reset += 1
                hunk.decision = "pending"
            hunk.old_start, hunk.old_lines, hunk.before, hunk.after = 0, list(lines), [], []
            hunk.problem = ""
            fitted.append(hunk)
            continue
        whole = hunk.before + hunk.old_lines + hunk.after
        spots = _find(lines, whole, hunk.old_start - len(hunk.before))
        if spots:
            start = spots[0] + len(hunk.before)
            keep = len(spots) == 1  # found twice: the nearest is used, and asked about again
        else:
            own = _find(lines, hunk.old_lines, hunk.old_start)
            start = own[0] if len(own) == 1 else -1
            keep = False
        present = not hunk.old_lines and [bare(x) for x in lines[start : start + hunk.added]] == [
            bare(x) for x in hunk.final_lines
        ]
        if start < taken_until or start < 0 or present:
            hunk.problem = (
                "these lines are in the file already"
                if present and start >= taken_until
                else "the file changed on disk where this change goes; it cannot be applied"
            )
            if hunk.decision == "accepted":
                reset += 1
            hunk.decision = "pending"
            fitted.append(hunk)
            continue
        if not keep and hunk.decision != "pending":
            hunk.decision = "pending"
            reset += 1
        hunk.old_start = start
        hunk.old_lines = lines[start : start + len(hunk.old_lines)]  # their endings as they are now
        hunk.problem = ""
        taken_until = start + len(hunk.old_lines)
        with_context(lines, hunk)
        fitted.append(hunk)
    applied = [h for h in change.hunks if h.decision == "applied"]
    change.hunks = sorted(fitted, key=lambda h: (bool(h.problem), h.old_start)) + applied
    change.base_sha256 = now.sha256
    change.encoding, change.newline = now.encoding, now.newline
    change.bom = now.bom.decode("latin-1")
    if change.status == "new":
        change.status = "modified"
    return reset
