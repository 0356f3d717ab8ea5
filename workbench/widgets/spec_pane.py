"""The Spec pane: the human-owned task spec (context.md), autosaved as it is edited."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import TextArea
from textual.widgets.text_area import Document, Selection

from workbench.fileio import atomic_write
from workbench.screens.section_picker import SectionPickerModal
from workbench.screens.source_select import SourceSelectModal
from workbench.session.ids import new_id
from workbench.session.model import is_spec
from workbench.session.store import Session
from workbench.spec.edit_journal import (
    JOURNAL_FILE,
    JOURNAL_INTERVAL_S,
    EditJournal,
    common_prefix,
    common_suffix,
    recover,
)
from workbench.spec.promote import promote, promoted_ids, source_at
from workbench.spec.sections import Section, find_context_section, parse_sections
from workbench.widgets.file_completion import (
    CompletingTextArea,
    CompletionDriver,
    FileCompletion,
    ProjectFiles,
)
from workbench.widgets.large_text import LARGE_TEXT_CHARS, ScaledTextArea
from workbench.widgets.message_list import MessageList
from workbench.widgets.message_view import MessageView


def replace_changed_region(editor: TextArea, new_text: str) -> None:
    """Turn the editor's text into `new_text` as one undoable edit of the region that changed."""
    old = editor.text
    if old == new_text:
        return
    prefix = common_prefix(old, new_text)
    suffix = common_suffix(old, new_text, min(len(old), len(new_text)) - prefix)
    document = editor.document
    assert isinstance(document, Document)
    start = document.get_location_from_index(prefix)
    end = document.get_location_from_index(len(old) - suffix)
    editor.replace(
        new_text[prefix : len(new_text) - suffix], start, end, maintain_selection_offset=True
    )


class Promoting(Protocol):
    """Where promoted notes go by default, and how a new choice is remembered (the controller)."""

    @property
    def promote_section(self) -> str | None: ...

    def remember_section(self, title: str) -> str | None: ...


DISK_CHECK_INTERVAL_S = 1.0
"""How often the spec file is checked for changes made outside workbench."""


class SpecEditor(ScaledTextArea, CompletingTextArea):
    """The markdown editor of the spec; `@` completes a project file to attach. A spec above
    `LARGE_TEXT_CHARS` opens plain (no highlighting, no soft wrap) so that typing stays instant."""

    DEFAULT_CSS = """
    SpecEditor {
        height: 1fr;
        border: none;
        padding: 0 1;
        &:focus { border: none; }
    }
    """

    BINDINGS = [
        Binding("ctrl+home", "document_start", "Start", show=False),
        Binding("ctrl+end", "document_end", "End", show=False),
        Binding("ctrl+shift+home", "document_start(True)", "Select to start", show=False),
        Binding("ctrl+shift+end", "document_end(True)", "Select to end", show=False),
    ]

    def action_document_start(self, select: bool = False) -> None:
        """Move the cursor to the start of the spec (as in any editor)."""
        self.move_cursor((0, 0), select=select)

    def action_document_end(self, select: bool = False) -> None:
        """Move the cursor to the end of the spec (as in any editor)."""
        self.move_cursor(self.document.end, select=select)


class SpecPane(Vertical):
    """Edits the session's context.md; saves within a second of a pause and on demand."""

    class Saved(Message):
        """The spec was written to disk (the title may have changed)."""

    def __init__(
        self,
        session: Session,
        *,
        autosave_delay_s: float = 0.5,
        project_files: ProjectFiles | None = None,
        id: str | None = None,
    ):
        super().__init__(id=id, classes="pane spec-pane")
        self.session = session
        self.project_files = project_files or ProjectFiles(Path(session.meta.project_dir))
        """Where the `@` completion gets the project's files."""
        self.autosave_delay_s = autosave_delay_s
        self.dirty = False
        """True when the editor holds text not yet on disk."""
        self._save_timer: Timer | None = None
        self._saved_text: str | None = None
        """What the file held when last read or written by this pane."""
        self._stamp: tuple[int, int] | None = None
        self._conflict = False
        """True while the user is asked about an outside change (no saves meanwhile)."""
        self._journal = EditJournal(session.folder / JOURNAL_FILE)
        """Unsaved typing, appended every 0.3 s so that a crash loses at most that much."""
        self._journal_timer: Timer | None = None
        self._journal_ok = session.not_writable is None
        """False once the journal could not be written (said once; typing goes on), and in a
        read-only session, which nothing is written to."""

    def compose(self) -> ComposeResult:
        editor = SpecEditor(
            self.session.read_spec(),
            language="markdown",
            soft_wrap=True,
            tab_behavior="indent",
            show_line_numbers=False,
            id="spec-editor",
        )
        completion = FileCompletion(id="spec-completion")
        editor.completer = CompletionDriver(editor, completion, self.project_files)
        yield editor
        yield completion

    def on_mount(self) -> None:
        self.border_title = Content(f"Spec · {self.session.spec_path.name}")
        self._saved_text = self.text
        self._stamp = self._disk_stamp()
        self._show_state("saved")
        self.call_after_refresh(self._say_if_plain)
        recovered = recover(self._journal.path, self._saved_text)
        if recovered is not None:
            self.editor.load_text(recovered)  # TextArea.Changed marks it unsaved
            self.notify(
                "Recovered the typing that was not saved when workbench last stopped.",
                title="Spec",
                timeout=10,
            )
            self.call_after_refresh(self.save)
        else:
            self._start_journal(self._saved_text)
        # Another editor (or a second tool) may change context.md: look once a second.
        self.set_interval(DISK_CHECK_INTERVAL_S, self.check_disk)

    def _disk_stamp(self) -> tuple[int, int] | None:
        try:
            info = self.session.spec_path.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size)

    def check_disk(self) -> bool:
        """Take in an outside change to the file; False when it conflicts with unsaved edits."""
        stamp = self._disk_stamp()
        if stamp == self._stamp or stamp is None or self._conflict:
            return not self._conflict
        try:
            on_disk = self.session.spec_path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return True
        self._stamp = stamp
        if on_disk == self._saved_text:
            return True
        if not self.dirty:
            self._load(on_disk)
            self.notify(f"{self.session.spec_path.name} changed on disk: reloaded.")
            return True
        self._ask_about_conflict(on_disk)
        return False

    def _load(self, text: str) -> None:
        """Show `text` (what the file holds now) as one undoable edit, or afresh when it grew
        past (or shrank below) the size for plain text."""
        self._saved_text = text
        editor = self.editor
        if editor.fits(text):
            replace_changed_region(editor, text)
        else:
            editor.load_text(text)
            self._say_if_plain()
        self.dirty = False
        self._start_journal(text)
        self._show_state("saved")

    def _say_if_plain(self) -> None:
        """Tell the user why a large spec shows no highlighting and no soft wrap."""
        if self.editor.plain:
            megabytes = len(self.editor.text.encode("utf-8", errors="replace")) / 1_000_000
            self.notify(
                f"This spec is {megabytes:.1f} MB: highlighting and soft wrap are off above "
                f"{LARGE_TEXT_CHARS // 1000} KB, so typing stays instant.",
                title="Spec",
                timeout=10,
            )

    def _ask_about_conflict(self, on_disk: str) -> None:
        from workbench.screens.conflict import SpecConflictModal

        self._conflict = True
        self._show_state("CHANGED ON DISK")

        def decided(choice: str | None) -> None:
            self._conflict = False
            if choice == "theirs":
                backup = self.session.folder / f"context-backup-{new_id()}.md"
                try:
                    atomic_write(backup, self.text.encode("utf-8"))
                except OSError as error:
                    self.notify(f"Could not back up the editor: {error}", severity="error")
                    return
                self._load(on_disk)
                self.notify(f"Loaded the file's version; yours is in {backup}", timeout=15)
            else:
                self._saved_text = on_disk  # the user has seen it: overwrite
                self.save()

        self.app.push_screen(SpecConflictModal(str(self.session.spec_path)), decided)

    @property
    def editor(self) -> SpecEditor:
        """The text editor."""
        return self.query_one(SpecEditor)

    def focus_editor(self) -> None:
        """Focus the editor; in a fresh template, select `<title>` so typing replaces it."""
        editor = self.editor
        editor.focus()
        first_line = editor.document.get_line(0)
        column = first_line.find("<title>")
        if column >= 0 and editor.cursor_location == (0, 0):
            editor.selection = Selection((0, column), (0, column + len("<title>")))

    @property
    def text(self) -> str:
        """The spec as currently edited."""
        return self.editor.text

    def _show_state(self, state: str) -> None:
        plain = " · plain text (large)" if self.editor.plain else ""
        self.border_subtitle = Content(state + plain)
        self.set_class(state != "saved", "-dirty")

    def _start_journal(self, saved: str) -> None:
        """Journal the typing from `saved` (just read or written) on."""
        if not self._journal_ok:
            return
        try:
            self._journal.start(saved)
        except OSError as error:
            self._journal_failed(error)

    def _journal_failed(self, error: OSError) -> None:
        self._journal_ok = False
        self._journal.close()
        self.notify(
            f"Could not keep a journal of the spec's typing ({error.strerror or error}): "
            "a crash before the next save would lose it. Saving works as before.",
            severity="warning",
        )

    def _journal_now(self) -> None:
        """Append the unsaved typing to the journal (what a crash would otherwise lose)."""
        self._journal_timer = None
        if not self.dirty or not self._journal_ok:
            return
        try:
            self._journal.record(self.text)
        except OSError as error:
            self._journal_failed(error)

    def on_unmount(self) -> None:
        if self._journal_timer is not None:
            self._journal_timer.stop()
        if not self.dirty:
            self._journal.discard()  # everything is in context.md
        else:
            self._journal.close()  # kept: the next start offers what was typed

    @on(TextArea.Changed, "#spec-editor")
    def _changed(self, event: TextArea.Changed) -> None:
        # Once dirty, the text is not compared per key (a join of the whole spec): the timers
        # are just pushed on, and the autosave writes what is there.
        if not self.dirty and event.text_area.text == self._saved_text:
            return
        self.dirty = True
        self._show_state("unsaved")
        if self._journal_timer is None:
            # Not pushed back by each key, unlike the autosave: steady typing is journaled too.
            self._journal_timer = self.set_timer(JOURNAL_INTERVAL_S, self._journal_now)
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(self.autosave_delay_s, self.save)

    def save(self) -> bool:
        """Write the spec to disk now (atomically); False, with a notice, if that failed."""
        if not self.check_disk():
            return False  # changed outside workbench: the user is being asked
        text = self.text
        try:
            self.session.write_spec(text)
        except OSError as error:
            self._show_state("NOT SAVED")
            self.notify(
                f"Could not save {self.session.spec_path}: {error.strerror or error}. "
                "Your text is still in the editor; fix the problem and press ctrl+s.",
                severity="error",
                timeout=10,
            )
            return False
        self._saved_text = text
        self._stamp = self._disk_stamp()
        self.dirty = False
        self._start_journal(text)
        self.post_message(self.Saved())
        self._show_state("saved")
        return True

    def action_save(self) -> None:
        if self.save():
            self.notify(f"Saved {self.session.spec_path.name}")

    def promote(
        self,
        note: str,
        *,
        pane: str,
        message_id: str,
        model: str | None,
        section: str | None = None,
    ) -> None:
        """Append a note to a section (default: the context section) and save at once."""
        new_text = promote(
            self.text, note, pane=pane, message_id=message_id, model=model, section=section
        )
        replace_changed_region(self.editor, new_text)
        self.save()

    # -- promoting chat messages into the spec ----------------------------------------------

    def promote_from(
        self, event: MessageView.PromoteRequested, messages: MessageList, controller: Promoting
    ) -> None:
        """Promote what the event asks for: the message, a block or a selection, maybe to a
        section of the user's choice."""
        view = event.view
        message = view.message
        if message.role == "error":
            self.notify("Problem messages are not promoted.", severity="warning")
            return
        if is_spec(message):
            self.notify("That is the spec as it was sent: it is already in the Spec pane.")
            return
        if message.status == "streaming":
            self.notify(
                "Wait for the reply to finish (or stop it with Escape).", severity="warning"
            )
            return

        def into(text: str, what: str, section: str | None) -> None:
            self._promote_view(view, messages, text, what, section)

        if event.select:

            def selected(text: str | None) -> None:
                if text:
                    into(text, "the selection", controller.promote_section)

            self.app.push_screen(SourceSelectModal(message.content), selected)
            return
        text, what = view.selected_source()
        if view.promoted and what == "the message":
            self.notify("Already in the spec: pick a block (b) or select text to add a part.")
            return
        if not event.choose_section:
            into(text, what, controller.promote_section)
            return

        def chosen(section: Section | None) -> None:
            if section is not None:
                problem = controller.remember_section(section.title)
                if problem:
                    self.notify(f"Could not remember the section: {problem}", severity="warning")
                into(text, what, section.title)

        default = controller.promote_section or self.context_title()
        picker = SectionPickerModal(self.text, title=f"Promote {what} to…", default=default)
        self.app.push_screen(picker, chosen)

    def show_outline(self) -> None:
        """The spec's sections with how full each is; choosing one moves the cursor there."""

        def chosen(section: Section | None) -> None:
            if section is not None:
                self.editor.focus()
                self.editor.move_cursor((section.line, 0), center=True)

        self.app.push_screen(SectionPickerModal(self.text, title="Spec outline"), chosen)

    def context_title(self) -> str | None:
        """The title of the spec's context section (where notes go by default), if it has one."""
        context = find_context_section(parse_sections(self.text))
        return context.title if context else None

    def _promote_view(
        self, view: MessageView, messages: MessageList, text: str, what: str, section: str | None
    ) -> None:
        message = view.message
        model = message.model if message.role == "assistant" else None
        self.promote(text, pane=view.pane, message_id=message.id, model=model, section=section)
        view.mark_promoted()
        messages.promoted_ids.add(message.id)
        titles = {s.title for s in parse_sections(self.text)}
        where = section if section in titles else None
        self.notify(f"Promoted {what} into “{where or self.context_title() or 'Context'}”")

    def mark_promoted(self, lists: list[MessageList]) -> None:
        """Mark the messages whose notes are in the spec now (the spec may have been edited)."""
        ids = promoted_ids(self.text)
        for message_list in lists:
            message_list.promoted_ids = set(ids)
            for view in message_list.views():
                if view.message.id in ids and not view.promoted:
                    view.mark_promoted()

    def source_under_cursor(self) -> tuple[str, str] | None:
        """(pane, message id) of the promoted note under the cursor, if it is on one."""
        return source_at(self.editor.text, self.editor.cursor_location[0])
