"""Telling a file path from prose in an Implement reply: path lines and fence info strings.

A path line holds only a path and its decoration, never a sentence, so "Run it with
`python main.py`:" names no file. Core module: never imports textual.
"""

from __future__ import annotations

import re

_HEADING_OR_BULLET = re.compile(r"^(?:#{1,6}\s+)?(?:(?:[-*+]|\d{1,3}[.)])\s+)?")
_LABEL = re.compile(
    r"^(?:(?P<verb>new|create|creating|created|updated|modified|changed|full|complete)\s+)?"
    r"(?:file(?:name)?|path)(?:\s*:\s*|\s+)|^(?P<bare>new|create|creating)(?:\s*:\s*|\s+)",
    re.I,
)
_NEW_SUFFIX = re.compile(
    r"\s+(?:[-\u2013\u2014]\s*)?[(\[]?(?:new(?:\s+file)?|create[ds]?|creating)[)\]]?$", re.I
)
_NEW_VERBS = frozenset({"new", "create", "creating", "created"})
_FILE_NAME = re.compile(r"^(?:[\w+-][\w.+-]*\.[\w+-]*[A-Za-z][\w+-]*|\.[\w.+-]*[A-Za-z][\w.+-]*)$")
"""A name with an extension holding a letter (`app.py`, not `3.14`), or a dotfile."""
_PLAIN_NAME = re.compile(
    r"(?:GNU)?[Mm]akefile|Dockerfile|Containerfile|Procfile|Gemfile|Rakefile|Jenkinsfile"
    r"|Vagrantfile|[Jj]ustfile|LICENSE|COPYING|NOTICE|AUTHORS|README|CHANGELOG|CODEOWNERS"
)
"""Files commonly named without an extension."""
_INFO_PATH_KEYS = frozenset({"title", "file", "filename", "path", "name"})


def looks_like_path(path: str) -> bool:
    """Whether a token can be a file's path: not a URL, an option, a number or a directory.

    It needs a `/`, an extension with a letter in it, a leading dot or a well-known
    extension-less name (Makefile, LICENSE...). Absolute and `..` paths pass: refusing them is
    the stager's business.
    """
    if not path or path[0] == "-" or "://" in path or path.endswith(("/", ".")):
        return False
    if any(char in path for char in '<>|*?"`'):
        return False
    name = path.rsplit("/", 1)[-1]
    if not any(char.isalpha() for char in name):
        return False
    return "/" in path or bool(_PLAIN_NAME.fullmatch(name)) or bool(_FILE_NAME.match(name))


def clean_path(path: str) -> str:
    """A path as written, with `\\` made `/` (when it has no `/`) and a leading `./` dropped."""
    path = path.strip()
    if "/" not in path:
        path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def bare_path(text: str) -> str | None:
    """The path when `text` is only a path, maybe in backticks or quotes (which allow spaces)."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "`'\"":
        text = text[1:-1].strip()
    elif any(char.isspace() for char in text):
        return None
    path = clean_path(text)
    return path if looks_like_path(path) else None


def path_line(line: str) -> tuple[str, bool] | None:
    """(path, says "new file") when a line holds only a path and its decoration, else None.

    Decoration: a heading or bullet, `**bold**`, a `File:`/`Path:`/`New file:` label, a trailing
    colon and a "(new file)"/"(new)"/"(create)" note. Anything more (a sentence) is no path line.
    """
    text = line.strip()
    if not text or len(text) > 300 or text.count(" ") > 8:  # a sentence, quickly
        return None
    text = _HEADING_OR_BULLET.sub("", text, count=1).replace("**", "").strip().rstrip(":").rstrip()
    new_file = False
    if suffix := _NEW_SUFFIX.search(text):
        new_file = True
        text = text[: suffix.start()].rstrip().rstrip(":").rstrip()
    if label := _LABEL.match(text):
        new_file = new_file or (label["verb"] or label["bare"] or "").lower() in _NEW_VERBS
        text = text[label.end() :].strip().rstrip(":").rstrip()
    path = bare_path(text)
    return (path, new_file) if path else None


def fence_info(info: str) -> tuple[str, str | None]:
    """A fence info string's language (lower case) and the path it names, if any.

    Reads `python src/a.py`, `src/a.py`, `python:src/a.py` and `title="src/a.py"`.
    """
    lang, path = "", None
    for position, word in enumerate(info.split()):
        key, equals, value = word.partition("=")
        if equals:
            if key.lower() in _INFO_PATH_KEYS and path is None:
                path = bare_path(value)
            continue
        head, colon, tail = word.partition(":")
        if position == 0 and colon and tail and "/" not in head and "." not in head:
            lang, path = head.lower(), bare_path(tail)
        elif path is None and (found := bare_path(word)) and ("/" in word or "." in word):
            path = found
        elif position == 0:
            lang = word.lower()
    return lang, path
