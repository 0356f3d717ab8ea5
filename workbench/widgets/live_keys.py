"""Which key does what right now: the live binding of an action, after the user's keymap.

Apart from `workbench.keys` so screens can name their keys without importing the key tables (and the
widget classes those list).
"""

from __future__ import annotations

from textual.binding import BindingsMap
from textual.dom import DOMNode


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
