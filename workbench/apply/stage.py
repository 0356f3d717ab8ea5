"""Staging: a reply's edits matched against the project's files and cut into hunks to review.

Each edit is tried directly first (an exact match, then a tolerant one, shown as such). When
nothing matches, or the edit is a plain-language `model_edit`, the fast model gets the region
and the edit and returns the replacement (`ModelEditor`); its hunks are labelled with its name.
An edit that still fails is listed with why. Nothing is written into the project here.
Core module: never imports textual.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from workbench.apply.changes import (
    ChangeSet,
    EditFailure,
    FileChange,
    FileStatus,
    Hunk,
    hunks_from_lines,
    with_context,
)
from workbench.apply.edits import Edit, ParsedReply
from workbench.apply.filetext import FileText, read_file_text, split_lines
from workbench.apply.match import NoMatch, Spot, closest_region, locate, reindent
from workbench.apply.unified_diff import diff_hunks
from workbench.project.files import DEFAULT_SKIP_DIRS as SKIP_DIRS
from workbench.project.files import ToolError, confine
from workbench.session.ids import now_iso

BIG_REGION_LINES = 800
"""Regions bigger than this (old + new lines) are diffed with difflib's autojunk heuristic."""
MISSING_LOOKUP_DIRS = 2_000
"""Folders looked through for a file of the same name when an edit's path does not exist."""
MODEL_EDIT_MAX_LINES = 600
"""A plain-language edit goes to the fast model with the whole file only up to this length."""
CUT_LAST = "unfinished: the reply was cut at its token limit before this edit was complete"
CUT_WHOLE_FILE = (
    "refused: the reply was cut at its token limit, so this whole file may be missing its end; "
    "ask for the rest (or a SEARCH/REPLACE block)"
)
_IMPORT = re.compile(r"(import\s|from\s+\S+\s+import\s|#include\s|use\s+\S|require\()")


class ModelEditError(Exception):
    """The fast model could not make an edit; the message says why."""


class ModelEditor(Protocol):
    """The fast model, asked to carry out one edit on a region of a file."""

    @property
    def name(self) -> str:
        """The model's name, shown on the hunks it made."""
        ...

    async def edit(self, path: str, region: str, request: str) -> str:
        """`region` of `path` with `request` carried out; ModelEditError when it cannot."""
        ...


@dataclass
class _Work:
    """One file being staged: its lines as the edits leave them, and where each came from."""

    path: str
    real: Path
    base: FileText
    exists: bool
    lines: list[str] = field(default_factory=list)
    provenance: list[int] = field(default_factory=list)
    deleted_by: dict[int, int] = field(default_factory=dict)
    deleted: bool = False

    def __post_init__(self) -> None:
        self.lines = list(self.base.lines)
        self.provenance = list(range(len(self.lines)))

    def splice(self, start: int, end: int, new: list[str], edit: int) -> bool:
        """Replace lines [start, end) with `new`, keeping track of which lines stayed; False
        when that changes nothing."""
        old = self.lines[start:end]
        if old == new:
            return False
        region_source = self.provenance[start:end]
        out_lines: list[str] = []
        out_source: list[int] = []
        # A whole-file rewrite of thousands of lines: let difflib skip very common lines
        # (blank lines, braces) as match seeds, or it takes seconds (bench/bench_apply.py).
        big = len(old) + len(new) > BIG_REGION_LINES
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=big)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                out_lines += old[i1:i2]
                out_source += region_source[i1:i2]
                continue
            for source in region_source[i1:i2]:
                if source >= 0:
                    self.deleted_by[source] = edit
            out_lines += new[j1:j2]
            out_source += [-(edit + 1)] * (j2 - j1)
        self.lines[start:end] = out_lines
        self.provenance[start:end] = out_source
        return True


def _new_lines(text: str, base: FileText) -> list[str]:
    """Text from the reply as lines with the file's line ending; NoMatch when the file's
    encoding cannot hold it."""
    try:
        text.encode(base.encoding)
    except UnicodeEncodeError as error:
        bad = text[error.start : error.end]
        raise NoMatch(
            f"the file is {base.encoding} text, which cannot hold {bad!r} from the new text; "
            "edit it by hand or convert the file to UTF-8 first"
        ) from None
    return [base.with_newline(line) for line in split_lines(text)]


def _ends_cleanly(work: _Work, start: int, end: int) -> tuple[int, int]:
    """Widen an insertion at the end of a file whose last line has no newline to take that
    line in, so the new lines do not run on from it."""
    if end == len(work.lines) and work.lines and not work.lines[-1].endswith("\n"):
        return min(start, len(work.lines) - 1), end
    return start, end


class Stager:
    """Stages the edits of one reply against the project at `root`."""

    def __init__(self, root: Path, *, reply_id: str, editor: ModelEditor | None = None) -> None:
        self.root = root
        self.reply_id = reply_id
        self.editor = editor
        self.files: dict[str, _Work] = {}
        self.origins: list[str] = []
        self.failures: list[EditFailure] = []

    def fail(self, edit: Edit, reason: str) -> None:
        """List `edit` as failed."""
        self.failures.append(EditFailure(edit=edit, reason=reason, reply_id=self.reply_id))

    async def stage(self, parsed: ParsedReply, *, cut: bool = False) -> ChangeSet:
        """The change set the reply's edits make; `cut` when the reply hit its token limit."""
        edits = parsed.edits
        for index, edit in enumerate(edits):
            if edit.incomplete or (cut and index == len(edits) - 1):
                self.fail(edit, CUT_LAST if cut else "unfinished: its block never ends")
            elif cut and edit.kind == "whole_file":
                self.fail(edit, CUT_WHOLE_FILE)
            else:
                await self._one(edit)
        return self.change_set()

    def _work(self, edit: Edit) -> _Work | None:
        try:
            real, relative = confine(self.root, edit.path)
        except ToolError as error:
            self.fail(edit, str(error))
            return None
        if relative in self.files:
            return self.files[relative]
        exists = os.path.lexists(real)
        try:
            base = read_file_text(real, relative) if exists else FileText.empty()
        except ToolError as error:
            self.fail(edit, str(error))
            return None
        work = _Work(relative, real, base, exists)
        self.files[relative] = work
        return work

    async def _one(self, edit: Edit) -> None:
        work = self._work(edit)
        if work is None:
            return
        if work.deleted:
            self.fail(edit, f"{work.path} is deleted earlier in this reply")
            return
        creates = edit.kind == "whole_file" or (edit.kind == "diff" and edit.new_file)
        if not work.exists and not creates and not work.lines:
            self.fail(edit, self._missing(work.path))
            return
        number = len(self.origins)
        self.origins.append("")
        try:
            origin = await self._apply(edit, work, number)
        except NoMatch as error:
            self.fail(edit, str(error))
            return
        except ModelEditError as error:
            self.fail(edit, f"no direct match, and the fast model failed: {error}")
            return
        self.origins[number] = origin

    def _missing(self, path: str) -> str:
        name = Path(path).name
        found: list[str] = []
        for looked, (folder, dirs, names) in enumerate(os.walk(self.root)):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS]
            if name in names:
                found.append(Path(folder, name).relative_to(self.root).as_posix())
            if len(found) >= 3 or looked >= MISSING_LOOKUP_DIRS:
                break  # a hint, not a search: a huge tree is not walked to its end
        hint = f"; did you mean {' or '.join(found)}?" if found else ""
        return f"{path} does not exist{hint}"

    async def _apply(self, edit: Edit, work: _Work, number: int) -> str:
        """Make `edit` in `work`; returns how it was made (the hunk's origin)."""
        base, lines = work.base, work.lines
        if edit.kind == "delete":
            work.splice(0, len(lines), [], number)
            work.deleted = True
            return "delete"
        if edit.kind == "whole_file":
            if edit.new_file and edit.format == "search_replace" and work.exists:
                raise NoMatch(
                    "an empty SEARCH creates a new file, but this file exists: give the lines "
                    "to replace"
                )
            changed = work.splice(0, len(lines), _new_lines(edit.replace, base), number)
            if not changed:
                raise NoMatch("the file in the reply is the same as the file on disk")
            return "whole file"
        if edit.kind == "replace":
            return await self._replace(edit, work, number, split_lines(edit.search), edit.replace)
        if edit.kind == "remove_line":
            return await self._replace(edit, work, number, split_lines(edit.search), "")
        if edit.kind == "diff":
            return await self._diff(edit, work, number)
        if edit.kind in ("add_import", "add_line"):
            return self._add(edit, work, number)
        return await self._model(edit, work, number, edit.instruction)

    async def _replace(
        self, edit: Edit, work: _Work, number: int, search: list[str], replace: str
    ) -> str:
        try:
            spot = locate(work.lines, search)
        except NoMatch as error:
            if error.ambiguous or self.editor is None:
                raise
            request = f"Replace this text:\n{edit.search}\nwith this text:\n{replace}"
            start, end = closest_region(work.lines, search)
            return await self._model(edit, work, number, request, (start, end) if end else None)
        new = reindent(_new_lines(replace, work.base), spot)
        if not work.splice(spot.start, spot.end, new, number):
            raise NoMatch("the REPLACE text is the same as the SEARCH text: it changes nothing")
        return "tolerant" if spot.tolerant else "exact"

    async def _diff(self, edit: Edit, work: _Work, number: int) -> str:
        hunks = diff_hunks(edit.diff)
        if not hunks:
            raise NoMatch("the diff has no hunks (no @@ lines)")
        how = "diff"
        shift = 0  # how far the hunks before this one moved the lines
        for old_start, old, new, raw in hunks:
            near = old_start + shift
            shift += len(new) - len(old)
            if not old:
                start, end = _ends_cleanly(work, *(2 * [min(max(near, 0), len(work.lines))]))
                kept = [work.base.with_newline(x) for x in work.lines[start:end]]
                work.splice(start, end, kept + _new_lines("".join(new), work.base), number)
                continue
            try:
                spot: Spot = locate(work.lines, old, near=near)
            except NoMatch:
                if self.editor is None:
                    raise
                request = "Apply this hunk of a unified diff (- lines go, + lines come):\n" + raw
                start, end = closest_region(work.lines, old)
                how = await self._model(edit, work, number, request, (start, end) if end else None)
                continue
            if spot.tolerant and how == "diff":
                how = "tolerant"
            replacement = reindent(_new_lines("".join(new), work.base), spot)
            work.splice(spot.start, spot.end, replacement, number)
        return how

    def _add(self, edit: Edit, work: _Work, number: int) -> str:
        line = work.base.with_newline(edit.replace)
        lines = work.lines
        if edit.kind == "add_import":
            if any(x.strip() == edit.replace.strip() for x in lines):
                raise NoMatch("the import is already there")
            imports = [i for i, x in enumerate(lines) if _IMPORT.match(x)]
            at = imports[-1] + 1 if imports else (1 if lines and lines[0].startswith("#!") else 0)
        else:
            at = 0 if edit.position == "start" else len(lines)
        start, end = _ends_cleanly(work, at, at)
        new = [work.base.with_newline(x) for x in lines[start:end]] + [line]
        work.splice(start, end, new, number)
        return "plan"

    async def _model(
        self,
        edit: Edit,
        work: _Work,
        number: int,
        request: str,
        region: tuple[int, int] | None = None,
    ) -> str:
        if self.editor is None:
            raise NoMatch("a plain-language edit needs the fast model, and none is set up")
        if region is None:
            if len(work.lines) > MODEL_EDIT_MAX_LINES:
                raise NoMatch(
                    f"{work.path} has {len(work.lines)} lines, over the {MODEL_EDIT_MAX_LINES} "
                    "the fast model is given whole; ask for a SEARCH/REPLACE block instead"
                )
            region = (0, len(work.lines))
        start, end = region
        text = "".join(work.lines[start:end])
        result = await self.editor.edit(work.path, text, request)
        if not work.splice(start, end, _new_lines(result, work.base), number):
            raise NoMatch(f"the fast model ({self.editor.name}) returned the region unchanged")
        return f"model {self.editor.name}"

    def change_set(self) -> ChangeSet:
        """The staged files and failures."""
        files: list[FileChange] = []
        for work in self.files.values():
            found = hunks_from_lines(work.base.lines, work.lines, work.provenance, work.deleted_by)
            if not found and work.deleted and work.exists:
                found = [(0, [], [], {i for i, o in enumerate(self.origins) if o == "delete"})]
            if not found:
                continue
            hunks = []
            for start, old, new, edits in found:
                hunk = Hunk(
                    old_start=start,
                    old_lines=old,
                    new_lines=new,
                    origin=sorted({self.origins[e] for e in edits if self.origins[e]}),
                    reply_id=self.reply_id,
                )
                with_context(work.base.lines, hunk)
                hunks.append(hunk)
            status: FileStatus = "deleted" if work.deleted else "modified" if work.exists else "new"
            files.append(
                FileChange(
                    path=work.path,
                    status=status,
                    hunks=hunks,
                    base_sha256=work.base.sha256 if work.exists else None,
                    encoding=work.base.encoding,
                    bom=work.base.bom.decode("latin-1"),
                    newline=work.base.newline,
                )
            )
        return ChangeSet(
            reply_id=self.reply_id, files=files, failures=self.failures, created=now_iso()
        )


async def stage_reply(
    root: Path,
    parsed: ParsedReply,
    *,
    reply_id: str,
    cut: bool = False,
    editor: ModelEditor | None = None,
) -> ChangeSet:
    """Stage a parsed reply's edits against the project at `root`."""
    return await Stager(root, reply_id=reply_id, editor=editor).stage(parsed, cut=cut)
