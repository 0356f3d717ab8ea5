"""The main screen: Explore, Spec and Implement side by side for one session."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static, TextArea

from workbench.clipboard import copy_text
from workbench.config import ModelRef, Settings, models_for_pane, tier_of
from workbench.project.attach import (
    as_attachment,
    describe_entry,
    load_entries,
    needs_summary,
    pending_attachments,
)
from workbench.project.attachments import attachment_text
from workbench.project.files import ToolError
from workbench.project.git import git_history
from workbench.providers.base import ProviderError
from workbench.providers.chain import Attempt
from workbench.providers.router import ProviderRouter
from workbench.screens.consent import CloudConsentModal
from workbench.screens.model_picker import ModelPickerModal
from workbench.screens.section_picker import SectionPickerModal
from workbench.screens.send_flow import context_window, send_estimate
from workbench.screens.send_review import SendReviewModal, payload_text
from workbench.screens.source_select import SourceSelectModal
from workbench.screens.versions import VersionsModal
from workbench.screens.warm_up import WarmUp
from workbench.session.model import ModelChoice, Pane
from workbench.session.store import Session
from workbench.spec.critique import critique_request
from workbench.spec.payload import Payload, build_payload, estimate_tokens, readiness_checks
from workbench.spec.promote import promoted_ids, source_at
from workbench.spec.sections import Section, find_context_section, parse_sections
from workbench.spec.templates import is_blank_template
from workbench.usage import session_cost
from workbench.widgets.chat_pane import ChatPane
from workbench.widgets.message_list import build_history
from workbench.widgets.message_view import MessageView
from workbench.widgets.spec_pane import SpecPane
from workbench.widgets.status_bar import StatusBar

PANE_IDS = ("explore", "spec", "implement")
CHAT_PANES: tuple[Pane, ...] = ("explore", "implement")


def initial_model(settings: Settings, session: Session, pane: Pane) -> ModelRef:
    """The model a pane starts with: the session's choice, else its tier's first model."""
    choice = session.meta.models.get(pane)
    candidates = models_for_pane(settings, pane)
    if choice is not None:
        for ref in candidates:
            if ref.provider == choice.provider and ref.name == choice.name:
                return ref
        default_tier = "fast" if pane == "explore" else "quality"
        tier = tier_of(settings, choice.provider, choice.name) or default_tier
        return ModelRef(choice.provider, choice.name, tier)
    return candidates[0]


def as_chat_pane(name: str | None) -> Pane | None:
    """`name` as a chat pane name, or None for the Spec pane or anything else."""
    return next((pane for pane in CHAT_PANES if pane == name), None)


def short_path(path: str) -> str:
    """A path with the home folder written as ~."""
    home = str(Path.home())
    return "~" + path[len(home) :] if path.startswith(home + "/") or path == home else path


class MainScreen(Screen[None]):
    """One session: explore with the fast tier, edit the spec, implement with the quality tier."""

    CSS_PATH = "main.tcss"

    BINDINGS = [
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

    def __init__(self, session: Session, settings: Settings, router: ProviderRouter) -> None:
        super().__init__()
        self.session = session
        self.settings = settings
        self.router = router
        self._painted_pane: str | None = None
        self.promote_section: str | None = session.meta.promote_section
        """The spec section notes go to (chosen with P); None = the context section."""
        self.last_chat_pane: Pane = "explore"
        """The chat pane that model keys act on when the Spec pane has focus."""
        self.warm_up = WarmUp(
            self,
            settings,
            router,
            on_change=lambda: self.status_bar.set_warming(self.warm_up.warming),
        )
        """Loads the Implement model while the spec is edited."""

    def compose(self) -> ComposeResult:
        yield Static(self._title_text(), id="title-bar")
        with Horizontal(id="panes"):
            yield self._chat_pane("explore", "Explore")
            yield SpecPane(self.session, autosave_delay_s=self.settings.autosave_delay_s, id="spec")
            yield self._chat_pane("implement", "Implement")
        yield StatusBar(
            self.router, poll_interval_s=self.settings.ollama.poll_interval_s, id="status-bar"
        )
        yield Footer()

    def _chat_pane(self, pane: Pane, label: str) -> ChatPane:
        chat = ChatPane(
            pane,
            label=label,
            transcript=self.session.transcript(pane),
            model=initial_model(self.settings, self.session, pane),
            router=self.router,
            checkpoint_interval_s=self.settings.checkpoint_interval_s,
            draft=self.session.meta.drafts.get(pane, ""),
            project_root=Path(self.session.meta.project_dir),
            id=pane,
        )
        if self.session.meta.tools_enabled is not None:
            chat.tools_on = self.session.meta.tools_enabled
        return chat

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._paint_active_pane())
        self.chat("explore").focus_input()
        for pane in CHAT_PANES:
            self.chat(pane).consent = partial(self._cloud_consent, pane)
            if pane not in self.session.meta.models:
                model = self.chat(pane).model
                self.session.set_model(pane, ModelChoice(model.provider, model.name))
        self._refresh_status()

    async def _cloud_consent(
        self, pane: Pane, model: ModelRef, attempts: tuple[Attempt, ...]
    ) -> bool:
        """May this pane's prompt fall back to Claude? Asks unless allowed (config or session)."""
        if (
            self.settings.anthropic.fallback_without_asking
            or self.session.meta.cloud_fallback_allowed
        ):
            return True
        history = build_history(self.chat(pane).messages, pane)
        tokens = sum(estimate_tokens(m.content) for m in history)
        answer = await self.app.push_screen_wait(CloudConsentModal(model, attempts, tokens=tokens))
        if answer == "session":
            self.session.meta.cloud_fallback_allowed = True
            try:
                self.session.save_meta()
            except OSError as error:
                self.notify(f"Could not save the session: {error}", severity="warning")
        return answer != "no"

    @property
    def status_bar(self) -> StatusBar:
        """The status line above the footer."""
        return self.query_one(StatusBar)

    def _refresh_status(self) -> None:
        """Show each pane's model, the last reply's figures and the cloud cost."""
        messages = [m for pane in CHAT_PANES for m in self.chat(pane).messages]
        replies = [m for m in messages if m.role == "assistant" and m.status != "streaming"]
        last = max(replies, key=lambda m: (m.created, m.id), default=None)
        cost = session_cost(messages, self.settings.models)
        self.status_bar.set_models({pane: self.chat(pane).model for pane in CHAT_PANES})
        self.status_bar.set_usage(last, cost)

    @on(TextArea.Changed, "#spec-editor")
    def _spec_edited(self) -> None:
        implement = self.chat("implement")
        if not implement.is_streaming:
            self.warm_up.spec_edited(implement.model, set(self.status_bar.ollama.loaded))

    @on(StatusBar.OllamaChanged)
    def _ollama_changed(self, event: StatusBar.OllamaChanged) -> None:
        if event.was_reachable is False and event.state.reachable:
            failed = [
                m for pane in CHAT_PANES for m in self.chat(pane).messages if m.status == "failed"
            ]
            if failed:
                self.notify(
                    f"Ollama is reachable again: r on a message marked not sent retries it "
                    f"({len(failed)} waiting).",
                    title="Ollama is back",
                    timeout=10,
                )

    @on(ChatPane.ReplyFinished)
    def _reply_finished(self) -> None:
        self._refresh_status()

    def _title_text(self) -> Content:
        meta = self.session.meta
        zoomed = " · zoomed: ctrl+f shows all panes" if self.has_class("-zoomed") else ""
        return Content(f"workbench · {meta.title} · {short_path(meta.project_dir)}{zoomed}")

    def _refresh_title(self) -> None:
        self.query_one("#title-bar", Static).update(self._title_text())

    @on(SpecPane.Saved)
    def _spec_saved(self) -> None:
        self._refresh_title()

    async def on_screen_resume(self) -> None:
        self._mark_promoted()
        for warning in self.session.warnings:
            self.notify(warning, title="Session", severity="warning", timeout=20)
        self.session.warnings.clear()
        for pane in CHAT_PANES:
            for warning in self.chat(pane).load_warnings:
                self.notify(
                    warning, title="Transcript line skipped", severity="warning", timeout=10
                )
            self.chat(pane).load_warnings = []

    def _mark_promoted(self) -> None:
        ids = promoted_ids(self.spec.text)
        for pane in CHAT_PANES:
            self.chat(pane).promoted_ids = ids
            for view in self.chat(pane).views():
                if view.message.id in ids and not view.promoted:
                    view.mark_promoted()

    def on_descendant_focus(self) -> None:
        active = self.focused_pane_id()
        if active != self._painted_pane:
            self._paint_active_pane()

    def _paint_active_pane(self) -> None:
        """Highlight the border of the pane that holds the focus (inline: see main.tcss)."""
        variables = self.app.get_css_variables()
        active = self._painted_pane = self.focused_pane_id()
        for pane in self.query(".pane"):
            is_active = pane.id == active
            border = variables["border" if is_active else "border-blurred"]
            pane.styles.border = ("round", Color.parse(border))
            title = Color.parse(variables["foreground"])
            if not is_active:
                title = title.blend(Color.parse(variables["background"]), 0.4)
            pane.styles.border_title_color = title
            pane.styles.border_title_style = "bold" if is_active else "none"

    # -- parts -----------------------------------------------------------------------------

    def chat(self, pane: Pane) -> ChatPane:
        """The Explore or Implement pane."""
        return self.query_one(f"#{pane}", ChatPane)

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
        focused = self.focused_pane_id()
        chat_pane = as_chat_pane(focused)
        if chat_pane is not None:
            self.last_chat_pane = chat_pane
        return self.chat(self.last_chat_pane)

    # -- actions ---------------------------------------------------------------------------

    def action_focus_pane(self, pane: str) -> None:
        """Focus the input of a chat pane, or the spec editor."""
        chat_pane = as_chat_pane(pane)
        if chat_pane is not None:
            self.chat(chat_pane).focus_input()
            self.last_chat_pane = chat_pane
        else:
            self.spec.focus_editor()
        if self.has_class("-zoomed"):
            self._zoom(pane)

    def action_toggle_zoom(self) -> None:
        """Show only the focused pane, full width; again to show all three."""
        if self.has_class("-zoomed"):
            self.remove_class("-zoomed")
            for pane in self.query(".pane"):
                pane.remove_class("-zoomed")
            self._refresh_title()
        else:
            self._zoom(self.focused_pane_id() or "explore")

    def _zoom(self, pane_id: str) -> None:
        self.add_class("-zoomed")
        for pane in self.query(".pane"):
            pane.set_class(pane.id == pane_id, "-zoomed")
        self._refresh_title()

    async def action_send_spec(self) -> None:
        """Review the exact payload, then send the spec to the Implement pane's model."""
        await self.review_and_send(self.spec.text)

    async def review_and_send(self, text: str, *, resent_from: int | None = None) -> None:
        """Show the send review for `text`; on confirm, snapshot it as a version and send it."""
        if not text.strip():
            self.notify("The spec is empty: write the task first.", severity="warning")
            return
        implement = self.chat("implement")
        if implement.is_streaming:
            self.notify(
                "Implement is still answering: Escape in that pane stops it.", severity="warning"
            )
            return
        model = implement.model
        prepared = await self.spec_payload(text)
        if prepared is None:
            return
        payload, entries = prepared
        window = await context_window(self.settings, self.router, model)
        explore_texts = [m.content for m in self.chat("explore").messages if m.role != "error"]
        warnings = readiness_checks(
            text, payload, context_window=window, explore_texts=explore_texts
        )
        version = (self.session.versions.latest() or 0) + 1
        estimate = send_estimate(self.settings, model, implement.messages, payload, window, version)

        async def decided(send: bool | None) -> None:
            if not send:
                return
            if text == self.spec.text:
                self.spec.save()
            try:
                version = self.session.versions.save(text)
            except OSError as error:
                self.notify(f"Could not save the spec version: {error}", severity="error")
                return
            note = f"re-send of v{resent_from}" if resent_from else None
            sent = await implement.send(
                text, kind="spec", spec_version=version, note=note, attachments=entries
            )
            if sent:
                self.notify(f"Spec v{version} sent to {model.name}")

        await self.app.push_screen(SendReviewModal(payload, estimate, warnings), decided)

    def action_cycle_model(self) -> None:
        """Switch the chat pane to the next model of its tier list."""
        pane = self.target_chat()
        models = models_for_pane(self.settings, pane.pane)
        names = [(m.provider, m.name) for m in models]
        current = (pane.model.provider, pane.model.name)
        index = (names.index(current) + 1) % len(models) if current in names else 0
        pane.set_model(models[index])
        self.notify(f"{pane.label}: {models[index].name} ({models[index].tier})")

    async def action_git_summary(self) -> None:
        """Summarize the last commits with the fast model, as an Explore message."""
        explore = self.chat("explore")
        if explore.is_streaming:
            self.notify("Explore is still answering: Escape in that pane stops it.")
            return
        count = self.settings.project.git_log_commits
        root = Path(self.session.meta.project_dir)
        try:
            log = await asyncio.to_thread(git_history, root, count)
        except ToolError as error:
            self.notify(str(error), title="No git history", severity="warning")
            return
        entry = {
            "path": f"git log -n {count}",
            "size_bytes": len(log.encode()),
            "tokens": estimate_tokens(log),
            "text": log,
        }
        request = (
            f"Summarize the last {count} commits of this project (the git log is attached): "
            "what changed and why, which parts of the code are active, and anything a task "
            "spec about this codebase should know."
        )
        await explore.send(request, kind="git-summary", attachments=[entry])

    def action_toggle_tools(self) -> None:
        """Switch the Explore pane's project tools on or off for this session."""
        explore = self.chat("explore")
        explore.tools_on = not explore.tools_on
        self.session.meta.tools_enabled = explore.tools_on
        try:
            self.session.save_meta()
        except OSError as error:
            self.notify(f"Could not save the session: {error}", severity="warning")
        explore.update_title()
        explore.check_tool_support()
        state = "on: the fast model can read the project" if explore.tools_on else "off"
        self.notify(f"Explore tools {state}.")

    def action_pick_model(self) -> None:
        """Open the model picker for the chat pane (state, sizes, memory, pulls)."""
        pane = self.target_chat()

        def picked(model: ModelRef | None) -> None:
            self.status_bar.poll()  # a pull may have installed a model
            if model is not None:
                pane.set_model(model)
                self.notify(f"{pane.label}: {model.name}")

        picker = ModelPickerModal(
            self.settings,
            self.router,
            pane_label=pane.label,
            current=pane.model,
            loaded=list(self.status_bar.ollama.loaded.values()),
        )
        self.app.push_screen(picker, picked)

    async def action_goto_source(self) -> None:
        """Jump from the promoted note under the spec cursor to its message, highlighted."""
        editor = self.spec.editor
        found = source_at(editor.text, editor.cursor_location[0])
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
            self._zoom(view.pane)
        view.focus()
        view.scroll_visible(animate=False)
        view.flash()

    def action_outline(self) -> None:
        """Show the spec's sections with how full each is; Enter moves the cursor there."""

        def chosen(section: Section | None) -> None:
            if section is not None:
                self.spec.editor.focus()
                self.spec.editor.move_cursor((section.line, 0), center=True)

        self.app.push_screen(SectionPickerModal(self.spec.text, title="Spec outline"), chosen)

    async def action_critique(self) -> None:
        """Ask the Explore model to review the spec; the critique arrives as an Explore reply."""
        text = self.spec.text
        if not text.strip() or is_blank_template(text):
            self.notify("Write the spec first: there is nothing to critique yet.")
            return
        explore = self.chat("explore")
        if explore.is_streaming:
            self.notify("Explore is still answering: Escape in that pane stops it.")
            return
        self.spec.save()
        await explore.send(critique_request(text), kind="critique")

    async def copy_payload(self) -> None:
        """Copy exactly what sending the spec now would give the Implement model."""
        prepared = await self.spec_payload(self.spec.text)
        if prepared is not None:
            copy_text(self.app, payload_text(prepared[0]), "the payload")

    async def spec_payload(self, text: str) -> tuple[Payload, list[dict[str, Any]]] | None:
        """The payload for the Implement model: the spec and the files it names with `@path`.

        Files over the threshold are summarized by the fast model first; None (with a notice)
        when that fails.
        """
        implement = self.chat("implement")
        entries = pending_attachments(text)
        if entries:
            root = Path(self.session.meta.project_dir)
            over = int(self.settings.project.summarize_over_kb * 1024)
            if any(needs_summary(entry, root, over) for entry in entries):
                self.notify("Summarizing the large files the spec attaches, with the fast model…")
            try:
                entries = await load_entries(
                    entries,
                    root,
                    summarize_over_bytes=over,
                    ask=self.chat("explore").ask_fast_model,
                )
            except ProviderError as error:
                self.notify(
                    f"Could not summarize an attached file: {error.message}",
                    title="Not sent",
                    severity="error",
                    timeout=15,
                )
                return None
            for entry in entries:
                if "error" in entry:
                    self.notify(describe_entry(entry), title="Not attached", severity="warning")
        attached = [
            (att.path, attachment_text(att))
            for att in (as_attachment(entry) for entry in entries)
            if att is not None
        ]
        payload = build_payload(implement.model.name, implement.system_prompt, text, attached)
        return payload, entries

    def action_versions(self) -> None:
        """Show the diff between the spec and the last version sent; r re-sends a version."""

        async def chosen(version: int | None) -> None:
            if version is not None:
                await self.review_and_send(self.session.versions.read(version), resent_from=version)

        self.app.push_screen(VersionsModal(self.session.versions, self.spec.text), chosen)

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
        for pane in CHAT_PANES:
            self.chat(pane).action_cancel()

    # -- events ----------------------------------------------------------------------------

    @on(ChatPane.ModelChanged)
    def _model_changed(self, event: ChatPane.ModelChanged) -> None:
        self.session.set_model(event.pane.pane, ModelChoice(event.model.provider, event.model.name))
        self._refresh_status()

    @on(MessageView.PromoteRequested)
    def _promote(self, event: MessageView.PromoteRequested) -> None:
        view = event.view
        message = view.message
        if message.role == "error":
            self.notify("Problem messages are not promoted.", severity="warning")
            return
        if message.kind == "spec":
            self.notify("That is the spec as it was sent: it is already in the Spec pane.")
            return
        if message.status == "streaming":
            self.notify(
                "Wait for the reply to finish (or stop it with Escape).", severity="warning"
            )
            return
        if event.select:

            def selected(text: str | None) -> None:
                if text:
                    self._promote_into(view, text, "the selection", self.promote_section)

            self.app.push_screen(SourceSelectModal(message.content), selected)
            return
        text, what = view.selected_source()
        if view.promoted and what == "the message":
            self.notify("Already in the spec: pick a block (b) or select text to add a part.")
            return
        if not event.choose_section:
            self._promote_into(view, text, what, self.promote_section)
            return

        def chosen(section: Section | None) -> None:
            if section is not None:
                self.promote_section = section.title
                self.session.meta.promote_section = section.title
                try:
                    self.session.save_meta()
                except OSError as error:
                    self.notify(f"Could not remember the section: {error}", severity="warning")
                self._promote_into(view, text, what, section.title)

        default = self.promote_section or self._context_title()
        picker = SectionPickerModal(self.spec.text, title=f"Promote {what} to…", default=default)
        self.app.push_screen(picker, chosen)

    def _context_title(self) -> str | None:
        context = find_context_section(parse_sections(self.spec.text))
        return context.title if context else None

    def _promote_into(self, view: MessageView, text: str, what: str, section: str | None) -> None:
        message = view.message
        self.spec.promote(
            text, pane=view.pane, message_id=message.id, model=message.model, section=section
        )
        view.mark_promoted()
        self.chat(view.pane).promoted_ids.add(message.id)  # type: ignore[arg-type]
        where = section if section in {s.title for s in parse_sections(self.spec.text)} else None
        self.notify(f"Promoted {what} into “{where or self._context_title() or 'Context'}”")

    async def save_all(self, reason: str = "Stopped when workbench closed") -> bool:
        """Save the spec and unsent input first, then stop replies (keeping their text).

        Returns False if the spec could not be saved.
        """
        saved = self.spec.save() if self.spec.dirty else True
        typed = {pane: self.chat(pane).input.text for pane in CHAT_PANES}
        drafts: dict[str, str] = {pane: text for pane, text in typed.items() if text.strip()}
        if drafts != self.session.meta.drafts:
            self.session.meta.drafts = drafts
            try:
                self.session.save_meta()
            except OSError as error:
                self.notify(f"Could not save the unsent input: {error}", severity="error")
                saved = False
        for pane in CHAT_PANES:
            await self.chat(pane).stop_streaming(reason)
        return saved
