"""Key remapping from the config's `[keys]` table, through Textual's keymap (binding ids).

Every remappable binding has an id such as `spec.send`; `[keys]` maps ids to keys
(`"spec.send" = "f9"`). Help (footer, palette, keys panel) is read from the live bindings, so it
shows the remapped keys.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode


def binding_owners() -> list[type[DOMNode]]:
    """The classes whose bindings users can remap (imported here to avoid import cycles)."""
    from workbench.app import WorkbenchApp
    from workbench.screens.main import MainScreen
    from workbench.widgets.chat_input import ChatInput
    from workbench.widgets.chat_pane import ChatPane
    from workbench.widgets.message_view import MessageView

    return [WorkbenchApp, MainScreen, ChatPane, ChatInput, MessageView]


def remappable_bindings() -> dict[str, Binding]:
    """Binding id -> its default binding, for every binding that has an id."""
    found: dict[str, Binding] = {}
    for owner in binding_owners():
        for binding in owner.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                found.setdefault(binding.id, binding)
    return found


def check_keymap(keys: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The usable part of `[keys]`, and a problem line per id that does not exist."""
    known = remappable_bindings()
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, value in keys.items():
        if binding_id in known:
            keymap[binding_id] = value
        else:
            problems.append(
                f"[keys] {binding_id}: no key binding has this id; ignored. "
                f"Known ids: {', '.join(sorted(known))}"
            )
    return keymap, problems


def live_key(node: DOMNode, binding_id: str) -> str:
    """The first key bound to `binding_id` on `node` right now (after the keymap), or ""."""
    bindings: BindingsMap = node._bindings.copy()
    keymap = node.app._keymap if node.is_attached else {}
    if keymap:
        bindings.apply_keymap(keymap)
    for key, key_bindings in bindings.key_to_bindings.items():
        if any(binding.id == binding_id for binding in key_bindings):
            return key
    return ""


def keys_help() -> str:
    """Every remappable binding with its id and default key (`workbench keys`)."""
    bindings = remappable_bindings()
    width = max(len(binding_id) for binding_id in bindings)
    keys = max(len(binding.key) for binding in bindings.values())
    lines = ["Binding ids for [keys] in the config file, with their default keys:", ""]
    for binding_id, binding in sorted(bindings.items()):
        lines.append(f"  {binding_id:<{width}}  {binding.key:<{keys}}  {binding.description}")
    return "\n".join(lines) + "\n"
