"""Promoting chat messages into the spec, and finding the message a promoted note came from.

A promoted note carries its pane and message id, so its message can be marked and found again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.screens import pane_layout
from workbench.screens.section_picker import SectionPickerModal
from workbench.screens.source_select import SourceSelectModal
from workbench.session.model import CHAT_PANES, as_chat_pane
from workbench.spec.promote import promoted_ids, source_at
from workbench.spec.sections import Section, find_context_section, parse_sections
from workbench.widgets.message_view import MessageView

if TYPE_CHECKING:
    from workbench.screens.main import MainScreen


def promote(screen: MainScreen, event: MessageView.PromoteRequested) -> None:
    """Promote what the event asks for: the message, a block, a selection, maybe to a section."""
    view = event.view
    message = view.message
    if message.role == "error":
        screen.notify("Problem messages are not promoted.", severity="warning")
        return
    if message.kind == "spec":
        screen.notify("That is the spec as it was sent: it is already in the Spec pane.")
        return
    if message.status == "streaming":
        screen.notify("Wait for the reply to finish (or stop it with Escape).", severity="warning")
        return
    if event.select:

        def selected(text: str | None) -> None:
            if text:
                promote_into(screen, view, text, "the selection", screen.promote_section)

        screen.app.push_screen(SourceSelectModal(message.content), selected)
        return
    text, what = view.selected_source()
    if view.promoted and what == "the message":
        screen.notify("Already in the spec: pick a block (b) or select text to add a part.")
        return
    if not event.choose_section:
        promote_into(screen, view, text, what, screen.promote_section)
        return

    def chosen(section: Section | None) -> None:
        if section is not None:
            screen.promote_section = section.title
            screen.session.meta.promote_section = section.title
            try:
                screen.session.save_meta()
            except OSError as error:
                screen.notify(f"Could not remember the section: {error}", severity="warning")
            promote_into(screen, view, text, what, section.title)

    default = screen.promote_section or context_title(screen)
    picker = SectionPickerModal(screen.spec.text, title=f"Promote {what} to…", default=default)
    screen.app.push_screen(picker, chosen)


def promote_focused(screen: MainScreen) -> None:
    """Promote the focused message, or else the last reply in Explore."""
    focused = screen.focused
    if isinstance(focused, MessageView):
        focused.action_promote()
        return
    replies = [v for v in screen.chat("explore").views() if v.message.role == "assistant"]
    if not replies:
        screen.notify("Nothing to promote yet: ask something in Explore first.", severity="warning")
        return
    replies[-1].action_promote()


def context_title(screen: MainScreen) -> str | None:
    """The title of the spec's context section (where notes go by default), if it has one."""
    context = find_context_section(parse_sections(screen.spec.text))
    return context.title if context else None


def promote_into(
    screen: MainScreen, view: MessageView, text: str, what: str, section: str | None
) -> None:
    """Add `text` from the message of `view` to the spec's `section`, and mark it promoted."""
    message = view.message
    screen.spec.promote(
        text, pane=view.pane, message_id=message.id, model=message.model, section=section
    )
    view.mark_promoted()
    screen.chat(view.pane).promoted_ids.add(message.id)  # type: ignore[arg-type]
    where = section if section in {s.title for s in parse_sections(screen.spec.text)} else None
    screen.notify(f"Promoted {what} into “{where or context_title(screen) or 'Context'}”")


def mark_promoted(screen: MainScreen) -> None:
    """Mark the messages whose notes are in the spec now (the spec may have been edited)."""
    ids = promoted_ids(screen.spec.text)
    for pane in CHAT_PANES:
        screen.chat(pane).promoted_ids = ids
        for view in screen.chat(pane).views():
            if view.message.id in ids and not view.promoted:
                view.mark_promoted()


async def goto_source(screen: MainScreen) -> None:
    """Jump from the promoted note under the spec cursor to its message, highlighted."""
    editor = screen.spec.editor
    found = source_at(editor.text, editor.cursor_location[0])
    if found is None:
        screen.notify(
            "Put the spec cursor on a promoted note (a quoted block) to jump to its message."
        )
        return
    pane_name, message_id = found
    pane = as_chat_pane(pane_name)
    view = await screen.chat(pane).reveal(message_id) if pane is not None else None
    if view is None:
        screen.notify("That message is not in this session's transcripts.", severity="warning")
        return
    if screen.has_class("-zoomed"):
        pane_layout.zoom(screen, view.pane)
    view.focus()
    view.scroll_visible(animate=False)
    view.flash()
