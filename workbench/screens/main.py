"""The main screen: Explore, Spec and Implement side by side for one session.

The screen renders what its `SessionController` (core) holds and turns keys into its verbs; the
panes render their conversations and the spec.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, TextArea

from workbench.chat.conversation import ConversationError
from workbench.chat.reply import Reply
from workbench.clipboard import copy_text
from workbench.config import ModelRef
from workbench.controller import SendRefused, SessionController
from workbench.keys import MAIN_BINDINGS
from workbench.ollama_monitor import OllamaState
from workbench.project.files import ToolError
from workbench.screens import loop_actions
from workbench.screens.model_picker import ModelPickerModal
from workbench.screens.send_review import SendReviewModal, payload_text
from workbench.screens.versions import VersionsModal
from workbench.session.model import CHAT_PANES, Pane, as_chat_pane
from workbench.widgets.chat_pane import ChatPane
from workbench.widgets.file_completion import ProjectFiles
from workbench.widgets.live_keys import live_key
from workbench.widgets.message_view import MessageView
from workbench.widgets.pane_row import PaneRow
from workbench.widgets.spec_pane import SpecPane
from workbench.widgets.status_bar import StatusBar
from workbench.widgets.title_bar import TitleBar

PANE_IDS = ("explore", "spec", "implement")
WRITING_ACTIONS = frozenset(
    {"send_spec", "critique", "git_summary", "cycle_model", "pick_model", "toggle_tools"}
    | {"changes", "checks"}
)
"""The bindings that would write in the session's folder: greyed out in a read-only session."""
READ_ONLY_NOTICE_S = 60


class MainScreen(Screen[None]):
    """One session: explore with the fast tier, edit the spec, implement with the quality tier."""

    CSS_PATH = "main.tcss"

    BINDINGS = MAIN_BINDINGS  # declared in keys.py, which lists every remappable binding

    def __init__(self, controller: SessionController) -> None:
        super().__init__()
        self.controller = controller
        self.session = controller.session
        self.settings = controller.settings
        self.last_chat_pane: Pane = "explore"
        """The chat pane that model keys act on when the Spec pane has focus."""
        self.project_files = ProjectFiles(controller.project_root)
        """The project's file list, shared by the `@` completion of every input."""
        self.load_warnings = controller.load()
        controller.warm_up.notify = lambda text: self.notify(
            text, title="Warm-up", severity="warning"
        )

    def compose(self) -> ComposeResult:
        meta = self.session.meta
        title = TitleBar(id="title-bar")
        title.title, title.project = meta.title, meta.project_dir
        if self.session.readonly:  # for as long as it is open, not only while the notice shows
            title.title += " · READ-ONLY, nothing is saved"
        yield title
        with PaneRow(id="panes"):
            yield self._chat_pane("explore", "Explore")
            yield SpecPane(
                self.session,
                autosave_delay_s=self.settings.autosave_delay_s,
                project_files=self.project_files,
                id="spec",
            )
            yield self._chat_pane("implement", "Implement")
        yield StatusBar(self.controller, id="status-bar")
        yield Footer()

    def _chat_pane(self, pane: Pane, label: str) -> ChatPane:
        return ChatPane(
            self.controller.conversation(pane),
            label=label,
            draft=self.session.meta.drafts.get(pane, ""),
            project_files=self.project_files,
            id=pane,
        )

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.pane_row.paint())
        if self.session.readonly:
            self._show_read_only()
        else:
            self.chat("explore").focus_input()
            self._problem(self.controller.remember_models())
        self.status_bar.refresh_line()
        self.controller.monitor.subscribe(self._ollama_changed)
        self.controller.monitor.start()

    async def on_unmount(self) -> None:
        self.controller.monitor.unsubscribe(self._ollama_changed)
        self.controller.warm_up.cancel()
        await self.controller.monitor.stop()

    async def on_screen_resume(self) -> None:
        self.spec.mark_promoted([chat.message_list for chat in self.chats()])
        for warning in self.load_warnings:
            self.notify(warning, title="Session", severity="warning", timeout=20)
        self.load_warnings = []

    def on_descendant_focus(self) -> None:
        self.pane_row.active = self.focused_pane_id()

    def _busy(self, pane: Pane) -> bool:
        """True (and says so) while the pane's reply is still arriving or being drawn."""
        chat = self.chat(pane)
        if chat.is_streaming:
            self.notify(f"{chat.label} is still answering: Escape in that pane stops it.")
        return chat.is_streaming

    def _problem(self, problem: str | None) -> None:
        if problem:
            self.notify(problem, severity="warning")

    def _show_read_only(self) -> None:
        """A session whose folder cannot be written: shown, with nothing that could be typed
        and then not saved (the spec is read-only, the inputs are off), and the reason."""
        self.spec.editor.read_only = True
        for chat in self.chats():
            chat.input.placeholder = "Read-only session: nothing can be sent"
            chat.input.disabled = True
        self.spec.editor.focus()  # the cursor still moves, selects and copies
        reason = self.session.not_writable
        self.notify(
            reason.view_notice()
            if reason is not None
            else f"Session {self.session.id} is open read-only: nothing can be saved.",
            title="Read-only session",
            severity="warning",
            timeout=READ_ONLY_NOTICE_S,
        )

    def _read_only(self, doing: str) -> bool:
        """True in a read-only session, saying that `doing` cannot be done there."""
        if self.session.readonly:
            self.notify(
                f"This session is read-only: {doing} would change it, and nothing can be saved.",
                severity="warning",
            )
        return self.session.readonly

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out, in a read-only session, the bindings that would write in its folder."""
        return None if self.session.readonly and action in WRITING_ACTIONS else True

    # -- parts ------------------------------------------------------------------------------

    @property
    def status_bar(self) -> StatusBar:
        """The status line above the footer."""
        return self.query_one(StatusBar)

    def chat(self, pane: Pane) -> ChatPane:
        """The Explore or Implement pane."""
        return self.query_one(f"#{pane}", ChatPane)

    def chats(self) -> list[ChatPane]:
        """Both chat panes."""
        return [self.chat(pane) for pane in CHAT_PANES]

    @property
    def spec(self) -> SpecPane:
        """The Spec pane."""
        return self.query_one("#spec", SpecPane)

    def focused_pane_id(self) -> str | None:
        """Which pane holds the focus (explore, spec, implement), if any."""
        node = self.focused
        while node is not None:
            if node.id in PANE_IDS:
                return node.id
            node = node.parent  # type: ignore[assignment]
        return None

    def target_chat(self) -> ChatPane:
        """The chat pane that model actions apply to: the focused one, else the last one used."""
        chat_pane = as_chat_pane(self.focused_pane_id())
        if chat_pane is not None:
            self.last_chat_pane = chat_pane
        return self.chat(self.last_chat_pane)

    # -- what the panes and bars show -------------------------------------------------------

    @property
    def pane_row(self) -> PaneRow:
        """The row of the three panes."""
        return self.query_one(PaneRow)

    def zoom(self, pane_id: str | None) -> None:
        """Show only the pane `pane_id`, full width; None shows all three."""
        self.pane_row.zoomed = pane_id
        self.set_class(pane_id is not None, "-zoomed")
        self.query_one(TitleBar).zoomed = pane_id is not None

    def _ollama_changed(self, state: OllamaState, was_reachable: bool | None) -> None:
        """When Ollama is back, say how many prompts marked not sent can be retried now."""
        waiting = self.controller.waiting_prompts()
        if was_reachable is False and state.reachable and waiting:
            self.notify(
                f"Ollama is reachable again: r on a message marked not sent retries it "
                f"({waiting} waiting).",
                title="Ollama is back",
                timeout=10,
            )

    @on(TextArea.Changed, "#spec-editor")
    def _spec_edited(self) -> None:
        implement = self.controller.implement
        if not implement.is_streaming:
            self.controller.warm_up.spec_edited(implement.model)

    @on(ChatPane.ReplyFinished)
    def _reply_finished(self, event: ChatPane.ReplyFinished) -> None:
        self.status_bar.refresh_line()
        reply = event.outcome.reply
        if event.pane.pane == "implement" and reply is not None:
            from workbench.apply.session_changes import edited_files  # not needed at start-up

            files = edited_files(reply.content)
            if files:
                key = live_key(self, "implement.changes") or "F6"
                self.notify(f"The reply edits {files} file(s): {key} reviews the changes.")

    # -- the Implement reply's edits ----------------------------------------------------------

    def action_changes(self) -> None:
        """Review the Implement reply's edits (staged first if they are not yet)."""
        from workbench.screens.changes import show_changes  # loaded on first use

        if self.controller.changes.needs_staging() and self._busy("implement"):
            return
        shown = show_changes(
            self.app,
            self.controller.changes,
            self._follow_up,
            lambda entry: loop_actions.after_apply(self, entry),
        )
        self.run_worker(shown, group="changes", exclusive=True)

    async def _follow_up(self, text: str | None) -> None:
        """Send the Changes view's follow-up (failed edits, rejection notes), reviewed first."""
        if text and not self._busy("implement"):  # a worker: the screen keeps answering keys
            self.run_worker(loop_actions.send_follow_up(self), group="loop", exclusive=True)

    # -- checks, follow-ups, acceptance, rounds ----------------------------------------------

    def action_checks(self) -> None:
        """Open the Checks view: this round's checks, run them, send failures back."""
        if not self._read_only("running checks"):
            loop_actions.open_checks(self)

    def action_acceptance(self) -> None:
        """Show this round's acceptance checklist."""
        if not self._read_only("the acceptance review"):
            loop_actions.show_acceptance(self)

    def action_rounds(self) -> None:
        """Show the round history."""
        loop_actions.show_rounds(self)

    @on(SpecPane.Saved)
    def _spec_saved(self) -> None:
        self.query_one(TitleBar).title = self.session.meta.title

    # -- actions ----------------------------------------------------------------------------

    def action_focus_pane(self, pane: str) -> None:
        """Focus the input of a chat pane, or the spec editor."""
        chat_pane = as_chat_pane(pane)
        if chat_pane is not None:
            self.chat(chat_pane).focus_input()
            self.last_chat_pane = chat_pane
        else:
            self.spec.focus_editor()
        if self.has_class("-zoomed"):
            self.zoom(pane)

    def action_toggle_zoom(self) -> None:
        """Show only the focused pane, full width; again to show all three."""
        self.zoom(None if self.has_class("-zoomed") else self.focused_pane_id() or "explore")

    async def follow(self, pane: Pane, reply: Reply) -> None:
        """Show a reply the controller started in its pane."""
        await self.chat(pane).follow(reply)

    async def action_send_spec(self) -> None:
        """Review the exact payload, then send the spec to the Implement pane's model."""
        await self.review_and_send(self.spec.text)

    async def review_and_send(self, text: str, *, resent_from: int | None = None) -> None:
        """Show the send review for `text`; on confirm, snapshot it as a version and send it."""
        if self._read_only("sending the spec") or self._busy("implement"):
            return
        if self.controller.summarizes_attachments(text):
            self.notify("Summarizing the large files the spec attaches, with the fast model…")
        try:
            plan = await self.controller.prepare_send(text, resent_from=resent_from)
        except SendRefused as refused:
            self.notify(str(refused), title="Not sent", severity="warning", timeout=15)
            return
        for problem in plan.problems:
            self.notify(problem, title="Not attached", severity="warning")

        async def decided(send: bool | None) -> None:
            if not send:
                return
            if text == self.spec.text:
                self.spec.save()
            try:
                reply = self.controller.commit_send(plan)
            except OSError as error:
                self.notify(f"Could not save the spec version: {error}", severity="error")
                return
            except ConversationError as error:
                self.notify(str(error), title="Not sent", severity="error", timeout=15)
                return
            await self.follow("implement", reply)
            self.notify(f"Spec v{reply.prompt.spec_version} sent to {plan.estimate.model}")

        await self.app.push_screen(
            SendReviewModal(plan.payload, plan.estimate, plan.warnings), decided
        )

    async def copy_payload(self) -> None:
        """Copy exactly what sending the spec now would give the Implement model."""
        try:
            payload, _entries, _problems = await self.controller.spec_payload(self.spec.text)
        except SendRefused as refused:
            self.notify(str(refused), severity="warning")
            return
        copy_text(self.app, payload_text(payload), "the payload")

    def use_model(self, chat: ChatPane, model: ModelRef) -> None:
        """Switch a chat pane to `model` (remembered with the session)."""
        self._problem(self.controller.set_model(chat.pane, model))
        chat.model_changed()
        self.status_bar.refresh_line()

    def action_cycle_model(self) -> None:
        """Switch the chat pane to the next model of its tier list."""
        chat = self.target_chat()
        model = self.controller.next_model(chat.pane)
        self.use_model(chat, model)
        self.notify(f"{chat.label}: {model.name} ({model.tier})")

    def action_pick_model(self) -> None:
        """Open the model picker for the chat pane (state, sizes, memory, pulls)."""
        chat = self.target_chat()

        def picked(model: ModelRef | None) -> None:
            self.controller.monitor.poll_soon()  # a pull may have installed a model
            if model is not None:
                self.use_model(chat, model)
                self.notify(f"{chat.label}: {model.name}")

        picker = ModelPickerModal(
            self.settings,
            self.controller.router,
            pane_label=chat.label,
            current=chat.model,
            loaded=list(self.controller.monitor.state.loaded.values()),
        )
        self.app.push_screen(picker, picked)

    async def action_git_summary(self) -> None:
        """Summarize the last commits with the fast model, as an Explore message."""
        if self._busy("explore"):
            return
        try:
            reply = await self.controller.git_summary()
        except ToolError as error:
            self.notify(str(error), title="No git history", severity="warning")
            return
        except ConversationError as error:
            self.notify(str(error), severity="warning")
            return
        await self.follow("explore", reply)

    async def action_critique(self) -> None:
        """Ask the Explore model to review the spec; the critique arrives as an Explore reply."""
        text = self.spec.text
        if self._busy("explore"):
            return
        try:
            reply = self.controller.critique(text)
        except (SendRefused, ConversationError) as error:
            self.notify(str(error), severity="warning")
            return
        self.spec.save()
        await self.follow("explore", reply)

    def action_toggle_tools(self) -> None:
        """Switch the Explore pane's project tools on or off for this session."""
        on_now, problem = self.controller.toggle_tools()
        self._problem(problem)
        self.chat("explore").model_changed()
        state = "on: the fast model can read the project" if on_now else "off"
        self.notify(f"Explore tools {state}.")

    async def action_goto_source(self) -> None:
        """Jump from the promoted note under the spec cursor to its message, highlighted."""
        found = self.spec.source_under_cursor()
        if found is None:
            self.notify(
                "Put the spec cursor on a promoted note (a quoted block) to jump to its message."
            )
            return
        pane_name, message_id = found
        pane = as_chat_pane(pane_name)
        view = await self.chat(pane).reveal(message_id) if pane is not None else None
        if view is None:
            self.notify("That message is not in this session's transcripts.", severity="warning")
            return
        if self.has_class("-zoomed"):
            self.zoom(view.pane)
        view.focus()
        view.scroll_visible(animate=False)
        view.flash()

    def action_outline(self) -> None:
        """Show the spec's sections with how full each is; Enter moves the cursor there."""
        self.spec.show_outline()

    def action_versions(self) -> None:
        """Show the diff between the spec and the last version sent; r re-sends a version."""

        async def chosen(version: int | None) -> None:
            if version is not None:
                text = self.controller.versions.read(version)
                await self.review_and_send(text, resent_from=version)

        self.app.push_screen(VersionsModal(self.controller.versions, self.spec.text), chosen)

    def action_save_spec(self) -> None:
        """Write the spec to disk now."""
        self.spec.action_save()

    def action_promote_focused(self) -> None:
        """Promote the focused message, or else the last reply in Explore."""
        focused = self.focused
        if isinstance(focused, MessageView):
            focused.action_promote()
            return
        replies = [v for v in self.chat("explore").views() if v.message.role == "assistant"]
        if not replies:
            self.notify(
                "Nothing to promote yet: ask something in Explore first.", severity="warning"
            )
            return
        replies[-1].action_promote()

    def action_stop_all(self) -> None:
        """Stop the replies arriving in both chat panes."""
        for chat in self.chats():
            chat.action_cancel()

    @on(MessageView.PromoteRequested)
    def _promote(self, event: MessageView.PromoteRequested) -> None:
        if self._read_only("promoting to the spec"):
            return
        chat = self.chat(event.view.pane)  # type: ignore[arg-type]
        self.spec.promote_from(event, chat.message_list, self.controller)

    async def save_all(self, reason: str = "Stopped when workbench closed") -> bool:
        """Save the spec and unsent input first, then stop replies (keeping their text).

        Returns False if the spec could not be saved.
        """
        saved = self.spec.save() if self.spec.dirty else True
        problem = self.controller.save_drafts({chat.pane: chat.input.text for chat in self.chats()})
        if problem:
            self.notify(problem, severity="error")
            saved = False
        await self.controller.stop_replies(reason)
        return saved
