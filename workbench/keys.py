"""Key remapping from the config's `[keys]` table, through Textual's keymap (binding ids).

Every remappable binding has an id such as `spec.send`; `[keys]` maps ids to keys
(`"spec.send" = "f9"`). Help (footer, palette, keys panel) is read from the live bindings, so it
shows the remapped keys. The app-wide bindings are declared here, beside the list of classes
whose bindings can be remapped, so that listing them (`workbench keys`) does not import the app.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from workbench.widgets.chat_input import ChatInput
from workbench.widgets.chat_pane import ChatPane
from workbench.widgets.message_view import MessageView

APP_BINDINGS: list[BindingType] = [
    Binding(
        "ctrl+q",
        "quit",
        "Quit",
        tooltip="Save everything and quit (twice: quit even if saving fails)",
        show=False,
        priority=True,
        id="app.quit",
    ),
    Binding(
        "ctrl+o", "pick_session", "Sessions", tooltip="Open another session", id="session.pick"
    ),
]
"""The bindings of `WorkbenchApp` itself, which work on every screen."""

MAIN_BINDINGS: list[BindingType] = [
    Binding(
        "f1,alt+1",
        "focus_pane('explore')",
        "Explore",
        tooltip="Focus the Explore pane",
        id="pane.explore",
    ),
    Binding(
        "f2,alt+2", "focus_pane('spec')", "Spec", tooltip="Focus the Spec pane", id="pane.spec"
    ),
    Binding(
        "f3,alt+3",
        "focus_pane('implement')",
        "Implement",
        tooltip="Focus the Implement pane",
        id="pane.implement",
    ),
    Binding(
        "ctrl+f",
        "toggle_zoom",
        "Zoom",
        tooltip="Zoom the focused pane to full width and back",
        id="pane.zoom",
    ),
    Binding(
        "ctrl+r",
        "send_spec",
        "Send spec",
        tooltip="Send the spec to the Implement model",
        id="spec.send",
    ),
    Binding(
        "ctrl+g",
        "goto_source",
        "Source",
        tooltip="From a promoted note in the spec, jump to the message it came from",
        show=False,
        id="spec.source",
    ),
    Binding(
        "ctrl+t",
        "outline",
        "Outline",
        tooltip="The spec's sections and how full they are; Enter jumps to one",
        id="spec.outline",
    ),
    Binding(
        "f4",
        "critique",
        "Critique",
        tooltip="Ask the fast model to review the spec against the exploration",
        id="spec.critique",
    ),
    Binding(
        "f5",
        "versions",
        "Versions",
        tooltip="Diff the spec against the last sent version (or any two); re-send one",
        id="spec.versions",
    ),
    Binding(
        "ctrl+n",
        "cycle_model",
        "Next model",
        tooltip="Cycle the chat pane's model through its tier",
        show=False,
        id="model.cycle",
    ),
    Binding(
        "f9",
        "git_summary",
        "Git history",
        tooltip="Ask the fast model to summarize the project's recent commits",
        show=False,
        id="explore.git_summary",
    ),
    Binding(
        "f6",
        "changes",
        "Changes",
        tooltip="Review the Implement reply's edits hunk by hunk, apply them, undo",
        priority=True,  # text inputs bind F6 to "select line"
        id="implement.changes",
    ),
    Binding(
        "f7",
        "checks",
        "Checks",
        tooltip="Run the project's checks; send failures back; judge the acceptance items",
        priority=True,  # text inputs bind F7 to "select all"
        id="verify.checks",
    ),
    Binding(
        "f8",
        "toggle_tools",
        "Tools",
        tooltip="Let the Explore model read the project with read-only tools, or not",
        id="explore.tools",
    ),
    Binding(
        "ctrl+l",
        "pick_model",
        "Models",
        tooltip="Pick any model for the chat pane",
        id="model.pick",
    ),
]
"""The main screen's bindings (`MainScreen.BINDINGS`)."""


def binding_owners() -> list[type[DOMNode]]:
    """The widget classes, besides the app and the main screen, whose bindings can be remapped."""
    # The Changes view is imported only here: the app does not load it until F6.
    from workbench.screens.acceptance import AcceptanceModal
    from workbench.screens.changes import ChangesScreen
    from workbench.screens.checks import ChecksScreen
    from workbench.screens.hunk_modals import EditHunkModal, HunkModal
    from workbench.screens.model_picker import ModelPickerModal
    from workbench.screens.rounds import RoundsModal
    from workbench.widgets.diff_view import DiffView

    return [
        ChatPane,
        ChatInput,
        MessageView,
        ModelPickerModal,
        ChangesScreen,
        ChecksScreen,
        AcceptanceModal,
        RoundsModal,
        DiffView,
        HunkModal,
        EditHunkModal,
    ]


def remappable_bindings() -> dict[str, Binding]:
    """Binding id -> its default binding, for every binding that has an id."""
    found: dict[str, Binding] = {}
    tables = [APP_BINDINGS, MAIN_BINDINGS]
    tables += [owner.__dict__.get("BINDINGS", []) for owner in binding_owners()]
    for bindings in tables:
        for binding in bindings:
            if isinstance(binding, Binding) and binding.id:
                found.setdefault(binding.id, binding)
    return found


def check_keymap(keys: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The usable part of `[keys]`, and a problem line per id that does not exist."""
    if not keys:
        return {}, []  # nothing to check: the bindings' classes need not be imported
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


def keys_help() -> str:
    """Every remappable binding with its id and default key (`workbench keys`)."""
    bindings = remappable_bindings()
    width = max(len(binding_id) for binding_id in bindings)
    keys = max(len(binding.key) for binding in bindings.values())
    lines = ["Binding ids for [keys] in the config file, with their default keys:", ""]
    for binding_id, binding in sorted(bindings.items()):
        lines.append(f"  {binding_id:<{width}}  {binding.key:<{keys}}  {binding.description}")
    return "\n".join(lines) + "\n"
