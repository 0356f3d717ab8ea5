"""Reading a JSON edit plan (`{"edits": [{"file": ..., "type": ...}]}`) into edits.

Core module: never imports textual.
"""

from __future__ import annotations

from typing import Any

from workbench.apply.edits import Edit, EditKind
from workbench.apply.reply_paths import clean_path

_KINDS: dict[str, EditKind] = {
    "replace": "replace",
    "add_import": "add_import",
    "add_line": "add_line",
    "remove_line": "remove_line",
    "model_edit": "model_edit",
}
_NEEDS = {
    "replace": ("find",),
    "add_import": ("import_line",),
    "add_line": ("line_content",),
    "remove_line": ("find",),
    "model_edit": ("action", "instruction"),
}
"""The keys (any one of them) each item type cannot do without."""
_REPLACE_KEY = {"replace": "replace", "add_import": "import_line", "add_line": "line_content"}


def is_plan_item(item: Any) -> bool:
    """Whether a JSON value is an edit-plan item: an object with a type and a file."""
    return isinstance(item, dict) and "type" in item and ("file" in item or "path" in item)


def plan_items(data: Any) -> list[Any] | None:
    """The items of a JSON edit plan, or None when `data` holds no edit items (a config example).

    A plan is an object whose "edits" list holds at least one item, or a list of items only.
    """
    if isinstance(data, dict) and isinstance(data.get("edits"), list):
        items: list[Any] = data["edits"]
        return items if any(is_plan_item(item) for item in items) else None
    if isinstance(data, list) and data and all(is_plan_item(item) for item in data):
        return data
    return None


def plan_edit(item: Any, line: int) -> Edit | str:
    """The edit a plan item asks for (`line` is 1-based), or what is wrong with it."""
    if not is_plan_item(item):
        return 'A plan item has no "type" or no "file".'
    raw_path = item.get("file", item.get("path"))
    path = clean_path(raw_path) if isinstance(raw_path, str) else ""
    kind = str(item["type"]).lower()

    def value(*keys: str) -> str:
        return next((item[key] for key in keys if isinstance(item.get(key), str)), "")

    if not path:
        return f'A "{kind}" plan item has no "file".'
    if kind == "delete":
        return Edit(path=path, kind="delete", format="json_plan", line=line)
    if kind in ("create", "new_file"):
        content = value("content", "replace")
        content += "\n" if content and not content.endswith("\n") else ""
        return Edit(
            path=path,
            kind="whole_file",
            format="json_plan",
            replace=content,
            new_file=True,
            line=line,
        )
    if kind not in _KINDS:
        return f"Unknown edit type {kind!r} for {path}."
    if not value(*_NEEDS[kind]):
        return f'The "{kind}" item for {path} has no "{_NEEDS[kind][0]}".'
    return Edit(
        path=path,
        kind=_KINDS[kind],
        format="json_plan",
        search=value("find") if kind in ("replace", "remove_line") else "",
        replace=value(_REPLACE_KEY[kind]) if kind in _REPLACE_KEY else "",
        position="start" if item.get("position") == "start" else "end",
        instruction=value("action", "instruction") if kind == "model_edit" else "",
        line=line,
    )
