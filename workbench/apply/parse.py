"""Finding the edits in an Implement reply: SEARCH/REPLACE blocks, fenced files, diffs, JSON plans.

Also MODEL_EDIT/END_MODEL_EDIT blocks and DELETE lines. Paths are recognised by `reply_paths`,
diffs cut per file by `unified_diff`, plan items read by `json_plan`. The reply is read line by
line (CRLF made "\\n") with no regex that can backtrack across lines, so a long reply parses in
milliseconds. Core module: never imports textual.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from workbench.apply.edits import Edit, ParsedReply, ParseProblem
from workbench.apply.json_plan import plan_edit, plan_items
from workbench.apply.reply_paths import bare_path, fence_info, path_line
from workbench.apply.unified_diff import (
    DIFF_LINE_STARTS,
    is_file_header,
    split_diff,
    starts_like_diff,
)

_SEARCH = re.compile(r"^\s*<{5,9} ?SEARCH\s*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_REPLACE = re.compile(r"^\s*>{5,9} ?REPLACE\s*$")
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_MODEL_EDIT = re.compile(r"^\s*MODEL_EDIT:?\s+(?P<rest>\S.*?)\s*$")
_END_MODEL_EDIT = re.compile(r"^\s*END_MODEL_EDIT\s*$")
_DELETE = re.compile(
    r"^\s*(?:\*\*)?delete(?:\s+file)?(?:\*\*)?\s*:?(?:\*\*)?\s+(?P<rest>\S.*?)\s*$", re.I
)
_SHELL_LANGS = re.compile(
    r"(?:ba|z|fi|c|power|)sh|pwsh|ps|cmd|console|shell(?:-?session)?|terminal|(?:plain)?text|txt|output"
)
"""Fences of commands and output: never a whole file unless the info string names a path."""
_DIFF_LANGS = frozenset({"diff", "patch", "udiff"})
_JSON_LANGS = frozenset({"json", "jsonc", "json5"})
_PLAN_FILE_KEY = re.compile(r'"(?:file|path)"\s*:')
_JSON_DECODER = json.JSONDecoder()


def parse_edits(text: str) -> ParsedReply:
    """Find every edit an Implement reply asks for, in reply order, and what could not be read."""
    return _ReplyScanner(text).scan()


def _text(lines: list[str]) -> str:
    """Lines as file text: each line ends in "\\n"."""
    return "".join(line + "\n" for line in lines)


@dataclass
class _Fence:
    """An open fenced block: its character, length, indentation and info string."""

    char: str
    length: int
    indent: int
    info: str
    index: int

    def closes(self, line: str) -> bool:
        """Whether `line` ends this block (same character, at least as long; CommonMark)."""
        stripped = line.strip()
        return (
            len(stripped) >= self.length
            and stripped == self.char * len(stripped)
            and len(line) - len(line.lstrip(" ")) <= self.indent + 3
        )


def _fence_at(line: str, index: int) -> _Fence | None:
    """The fence that `line` opens, if it opens one."""
    match = _FENCE.match(line)
    if not match or (match["fence"][0] == "`" and "`" in match["info"]):
        return None
    fence = match["fence"]
    return _Fence(fence[0], len(fence), len(match["indent"]), match["info"].strip(), index)


class _ReplyScanner:
    """One pass over a reply's lines, collecting edits and problems."""

    def __init__(self, text: str) -> None:
        self.text = text.replace("\r\n", "\n")
        self.lines = self.text.split("\n")
        if self.lines[-1] == "":
            self.lines.pop()
        self.starts: list[int] = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line) + 1
        self.reply = ParsedReply()
        self.pending: tuple[str, bool, int] | None = None
        """The path line just read (path, says new, index): the next block's path."""
        self.last_path: str | None = None
        """The path of the last edit: a SEARCH block with no path line of its own edits it too."""
        self.open_fence: _Fence | None = None
        """A fence whose body holds SEARCH/MODEL_EDIT/DELETE blocks, read like the prose around."""

    def scan(self) -> ParsedReply:
        """Read the whole reply."""
        index = 0
        while index < len(self.lines):
            index = self._step(index)
        return self.reply

    def _add(self, edit: Edit) -> None:
        self.reply.edits.append(edit)
        self.last_path = edit.path

    def _problem(self, index: int, message: str) -> None:
        self.reply.problems.append(ParseProblem(line=index + 1, message=message))

    def _take_pending(self) -> tuple[str, bool, int] | None:
        pending, self.pending = self.pending, None
        return pending

    def _next_nonblank(self, index: int) -> int | None:
        while index < len(self.lines):
            if self.lines[index].strip():
                return index
            index += 1
        return None

    def _step(self, index: int) -> int:
        """Read what starts at line `index`; return the index of the next line to read."""
        line = self.lines[index]
        if self.open_fence is not None and self.open_fence.closes(line):
            self.open_fence = None
            return index + 1
        if _SEARCH.match(line):
            return self._search_replace(index)
        if fence := _fence_at(line, index):
            return self._fence(fence)
        if match := _MODEL_EDIT.match(line):
            return self._model_edit(index, match["rest"])
        if (match := _DELETE.match(line)) and (path := bare_path(match["rest"])):
            self._add(Edit(path=path, kind="delete", format="search_replace", line=index + 1))
        elif is_file_header(self.lines, index):
            return self._unfenced_diff(index)
        elif (
            line[:1] in "{["
            and line.lstrip("{[ \t")[:1] in ('"', "")
            and ((after := self._bare_json(index)) is not None)
        ):
            return after
        elif found := path_line(line):
            self.pending = (found[0], found[1], index)
        elif line.strip():
            self.pending = None
        return index + 1

    def _is_directive(self, index: int) -> bool:
        """Whether line `index` starts a SEARCH, MODEL_EDIT or DELETE block (or a path and one)."""
        line = self.lines[index]
        if _SEARCH.match(line) or _MODEL_EDIT.match(line):
            return True
        if (match := _DELETE.match(line)) and bare_path(match["rest"]):
            return True
        after = self._next_nonblank(index + 1)
        return (
            path_line(line) is not None
            and after is not None
            and bool(_SEARCH.match(self.lines[after]))
        )

    def _search_replace(self, index: int) -> int:
        """A SEARCH/REPLACE block for the path line before it (or the last edit's path)."""
        search: list[str] = []
        replace: list[str] = []
        part, end, complete = search, len(self.lines), False
        for at in range(index + 1, len(self.lines)):
            line = self.lines[at]
            if part is search and _DIVIDER.match(line):
                part = replace
            elif part is replace and _REPLACE.match(line):
                end, complete = at + 1, True
                break
            elif _SEARCH.match(line):  # not a fence's end: the text may hold ``` (markdown)
                end = at
                break
            else:
                part.append(line)
        pending = self._take_pending()
        path, start = (pending[0], pending[2]) if pending else (self.last_path, index)
        if path is None:
            self._problem(index, "A SEARCH/REPLACE block has no file path before it.")
            return end
        empty = not "".join(search).strip()  # an empty SEARCH creates the file
        self._add(
            Edit(
                path=path,
                kind="whole_file" if empty else "replace",
                format="search_replace",
                search="" if empty else _text(search),
                replace=_text(replace),
                new_file=empty,
                incomplete=not complete,
                line=start + 1,
            )
        )
        return end

    def _model_edit(self, index: int, rest: str) -> int:
        """A MODEL_EDIT block: the instruction runs to END_MODEL_EDIT."""
        self.pending = None
        body: list[str] = []
        end, complete = len(self.lines), False
        for at in range(index + 1, len(self.lines)):
            line = self.lines[at]
            if _END_MODEL_EDIT.match(line):
                end, complete = at + 1, True
                break
            if _MODEL_EDIT.match(line) or (self.open_fence and self.open_fence.closes(line)):
                end = at
                break
            body.append(line)
        path, instruction = bare_path(rest.replace("**", "")), "\n".join(body).strip()
        if path is None:
            self._problem(index, f"MODEL_EDIT names no file path: {rest!r}.")
        elif not instruction and complete:
            self._problem(index, f"The MODEL_EDIT block for {path} has no instruction.")
        else:
            self._add(
                Edit(
                    path=path,
                    kind="model_edit",
                    format="search_replace",
                    instruction=instruction,
                    incomplete=not complete,
                    line=index + 1,
                )
            )
        return end

    def _fence(self, fence: _Fence) -> int:
        """A fenced block: a whole file, a diff, a JSON plan, blocks to read, or just an example."""
        body_start = fence.index + 1
        lang, info_path = fence_info(fence.info)
        first = self._next_nonblank(body_start)
        if first is not None and self._is_directive(first):
            if info_path:
                self.pending = (info_path, False, fence.index)
            self.open_fence = fence
            return body_start
        close = next(
            (at for at in range(body_start, len(self.lines)) if fence.closes(self.lines[at])), None
        )
        end = len(self.lines) if close is None else close
        body = self.lines[body_start:end]
        if fence.indent:
            body = [self._unindent(line, fence.indent) for line in body]
        pending = self._take_pending()
        path, new_file, start = pending if pending else (None, False, fence.index)
        if info_path and info_path != path:
            path, new_file, start = info_path, False, fence.index
        incomplete = close is None
        if lang in _DIFF_LANGS or (not lang and starts_like_diff(body)):
            self._diff(body, body_start, (path, new_file, start), incomplete)
        elif (lang in _JSON_LANGS or not lang) and self._json_fence(body, body_start, lang):
            pass
        elif path and (info_path or not _SHELL_LANGS.fullmatch(lang)):
            self._add(
                Edit(
                    path=path,
                    kind="whole_file",
                    format="fenced_file",
                    replace=_text(body),
                    new_file=new_file,
                    incomplete=incomplete,
                    line=start + 1,
                )
            )
        return end + 1

    @staticmethod
    def _unindent(line: str, indent: int) -> str:
        """A fence body line without the fence's own indentation (CommonMark)."""
        spaces = len(line) - len(line.lstrip(" "))
        return line[min(spaces, indent) :]

    def _unfenced_diff(self, index: int) -> int:
        """A unified diff written outside a fence: it runs while lines look like diff lines."""
        self.pending = None
        end = index
        while end < len(self.lines):
            line = self.lines[end]
            if not line.startswith(DIFF_LINE_STARTS) and not (
                not line
                and self.lines[end + 1 : end + 2] != []
                and self.lines[end + 1].startswith(DIFF_LINE_STARTS)
            ):
                break
            end += 1
        self._diff(self.lines[index:end], index, (None, False, index), False)
        return end

    def _diff(
        self, lines: list[str], base: int, fallback: tuple[str | None, bool, int], cut: bool
    ) -> None:
        """Edits for each file of a unified diff; `fallback` is the path line before a bare one."""
        files = split_diff(lines)
        if not any(diff_file.hunks or diff_file.deleted for diff_file in files):
            self._problem(fallback[2], "A diff block holds no @@ hunks.")
            return
        for number, diff_file in enumerate(files):
            path, new_file, line = diff_file.path, diff_file.new_file, base + diff_file.index
            if not diff_file.headed and not path:
                path, new_file, line = fallback[0] or "", fallback[1], fallback[2]
            if not path:
                self._problem(line, "A diff has no file path (no ---/+++ header or path line).")
            elif not diff_file.hunks and not diff_file.deleted:
                self._problem(line, f"The diff for {path} holds no @@ hunks.")
            else:
                self._add(
                    Edit(
                        path=path,
                        kind="delete" if diff_file.deleted else "diff",
                        format="unified_diff",
                        diff=_text(diff_file.hunks),
                        new_file=new_file,
                        incomplete=cut and number == len(files) - 1,
                        line=line + 1,
                    )
                )

    def _json_fence(self, body: list[str], base: int, lang: str) -> bool:
        """Read a JSON fence as an edit plan; False when it is not one (so maybe a file)."""
        raw = "\n".join(body)
        if not lang and not raw.lstrip().startswith(("{", "[")):
            return False
        try:
            data = json.loads(raw)
        except ValueError as error:
            if '"edits"' not in raw:
                return False
            where = base + getattr(error, "lineno", 1) - 1
            self._problem(where, f"The JSON edit plan is not valid JSON: {error}.")
            return True
        return self._plan(data, base - 1, base, body)

    def _bare_json(self, index: int) -> int | None:
        """The index after a JSON edit plan written outside a fence at line `index`, else None."""
        rest = self.text[self.starts[index] :]  # a failure near the start then costs little
        try:
            data, end = _JSON_DECODER.raw_decode(rest)
        except ValueError:
            return None
        after = index + rest.count("\n", 0, end) + 1
        return after if self._plan(data, index, index, self.lines[index:after]) else None

    def _plan(self, data: Any, start: int, base: int, lines: list[str]) -> bool:
        """Add a JSON plan's edits; False when `data` holds no edit items (a config example)."""
        items = plan_items(data)
        if items is None:
            return False
        item_lines = [base + at for at, line in enumerate(lines) if _PLAN_FILE_KEY.search(line)]
        if len(item_lines) != len(items):
            item_lines = [start] * len(items)
        for item, line in zip(items, item_lines, strict=True):
            edit = plan_edit(item, line + 1)
            if isinstance(edit, str):
                self._problem(line, edit)
            else:
                self._add(edit)
        return True
