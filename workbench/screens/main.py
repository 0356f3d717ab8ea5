"""The main screen: Explore, Spec and Implement side by side for one session."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static, TextArea

from workbench.config import Settings
from workbench.providers.router import ProviderRouter
from workbench.screens import (
    explore_chores,
    pane_layout,
    pane_models,
    promote_flow,
    send_flow,
    session_lifecycle,
    status_updates,
)
from workbench.screens.consent import ask_cloud_consent
from workbench.screens.section_picker import SectionPickerModal
from workbench.screens.versions import VersionsModal
from workbench.screens.warm_up import WarmUp
from workbench.session.model import CHAT_PANES, ModelChoice, Pane, as_chat_pane
from workbench.session.store import Session
from workbench.spec.payload import Payload
from workbench.spec.sections import Section
from workbench.widgets.chat_pane import ChatPane
from workbench.widgets.file_completion import ProjectFiles
from workbench.widgets.message_view import MessageView
from workbench.widgets.spec_pane import SpecPane
from workbench.widgets.status_bar import StatusBar

PANE_IDS = ("explore", "spec", "implement")


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
        self.painted_pane: str | None = None
        """The pane whose border is highlighted (repainted when the focus leaves it)."""
        self.promote_section: str | None = session.meta.promote_section
        """The spec section notes go to (chosen with P); None = the context section."""
        self.last_chat_pane: Pane = "explore"
        """The chat pane that model keys act on when the Spec pane has focus."""
        self.project_files = ProjectFiles(Path(session.meta.project_dir))
        """The project's file list, shared by the `@` completion of every input."""
        self.warm_up = WarmUp(
            self,
            settings,
            router,
            on_change=lambda: self.status_bar.set_warming(self.warm_up.warming),
        )
        """Loads the Implement model while the spec is edited."""

    def compose(self) -> ComposeResult:
        yield Static(pane_layout.title_text(self), id="title-bar")
        with Horizontal(id="panes"):
            yield self._chat_pane("explore", "Explore")
            yield SpecPane(
                self.session,
                autosave_delay_s=self.settings.autosave_delay_s,
                project_files=self.project_files,
                id="spec",
            )
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
            model=pane_models.initial_model(self.settings, self.session, pane),
            router=self.router,
            checkpoint_interval_s=self.settings.checkpoint_interval_s,
            draft=self.session.meta.drafts.get(pane, ""),
            project_root=Path(self.session.meta.project_dir),
            project_files=self.project_files,
            id=pane,
        )
        if self.session.meta.tools_enabled is not None:
            chat.tools_on = self.session.meta.tools_enabled
        return chat

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(
            self, lambda _theme: pane_layout.paint_active_pane(self)
        )
        self.chat("explore").focus_input()
        for pane in CHAT_PANES:
            self.chat(pane).consent = partial(ask_cloud_consent, self, pane)
            if pane not in self.session.meta.models:
                model = self.chat(pane).model
                self.session.set_model(pane, ModelChoice(model.provider, model.name))
        status_updates.refresh_status(self)

    @property
    def status_bar(self) -> StatusBar:
        """The status line above the footer."""
        return self.query_one(StatusBar)

    @on(TextArea.Changed, "#spec-editor")
    def _spec_edited(self) -> None:
        implement = self.chat("implement")
        if not implement.is_streaming:
            self.warm_up.spec_edited(implement.model, self.status_bar.ollama.loaded.keys())

    @on(StatusBar.OllamaChanged)
    def _ollama_changed(self, event: StatusBar.OllamaChanged) -> None:
        status_updates.ollama_changed(self, event)

    @on(ChatPane.ReplyFinished)
    def _reply_finished(self) -> None:
        status_updates.refresh_status(self)

    @on(SpecPane.Saved)
    def _spec_saved(self) -> None:
        pane_layout.refresh_title(self)

    async def on_screen_resume(self) -> None:
        promote_flow.mark_promoted(self)
        session_lifecycle.show_load_warnings(self)

    def on_descendant_focus(self) -> None:
        active = self.focused_pane_id()
        if active != self.painted_pane:
            pane_layout.paint_active_pane(self)

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
            pane_layout.zoom(self, pane)

    def action_toggle_zoom(self) -> None:
        """Show only the focused pane, full width; again to show all three."""
        pane_layout.toggle_zoom(self)

    async def action_send_spec(self) -> None:
        """Review the exact payload, then send the spec to the Implement pane's model."""
        await self.review_and_send(self.spec.text)

    async def review_and_send(self, text: str, *, resent_from: int | None = None) -> None:
        """Show the send review for `text`; on confirm, snapshot it as a version and send it."""
        await send_flow.review_and_send(self, text, resent_from=resent_from)

    async def spec_payload(self, text: str) -> tuple[Payload, list[dict[str, Any]]] | None:
        """The payload for the Implement model: the spec and the files it names with `@path`."""
        return await send_flow.spec_payload(self, text)

    async def copy_payload(self) -> None:
        """Copy exactly what sending the spec now would give the Implement model."""
        await send_flow.copy_payload(self)

    def action_cycle_model(self) -> None:
        """Switch the chat pane to the next model of its tier list."""
        pane_models.cycle_model(self)

    async def action_git_summary(self) -> None:
        """Summarize the last commits with the fast model, as an Explore message."""
        await explore_chores.git_summary(self)

    def action_toggle_tools(self) -> None:
        """Switch the Explore pane's project tools on or off for this session."""
        explore_chores.toggle_tools(self)

    def action_pick_model(self) -> None:
        """Open the model picker for the chat pane (state, sizes, memory, pulls)."""
        pane_models.pick_model(self)

    async def action_goto_source(self) -> None:
        """Jump from the promoted note under the spec cursor to its message, highlighted."""
        await promote_flow.goto_source(self)

    def action_outline(self) -> None:
        """Show the spec's sections with how full each is; Enter moves the cursor there."""

        def chosen(section: Section | None) -> None:
            if section is not None:
                self.spec.editor.focus()
                self.spec.editor.move_cursor((section.line, 0), center=True)

        self.app.push_screen(SectionPickerModal(self.spec.text, title="Spec outline"), chosen)

    async def action_critique(self) -> None:
        """Ask the Explore model to review the spec; the critique arrives as an Explore reply."""
        await explore_chores.critique(self)

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
        promote_flow.promote_focused(self)

    def action_stop_all(self) -> None:
        """Stop the replies arriving in both chat panes."""
        for pane in CHAT_PANES:
            self.chat(pane).action_cancel()

    # -- events ----------------------------------------------------------------------------

    @on(ChatPane.ModelChanged)
    def _model_changed(self, event: ChatPane.ModelChanged) -> None:
        self.session.set_model(event.pane.pane, ModelChoice(event.model.provider, event.model.name))
        status_updates.refresh_status(self)

    @on(MessageView.PromoteRequested)
    def _promote(self, event: MessageView.PromoteRequested) -> None:
        promote_flow.promote(self, event)

    async def save_all(self, reason: str = "Stopped when workbench closed") -> bool:
        """Save the spec and unsent input first, then stop replies (keeping their text).

        Returns False if the spec could not be saved.
        """
        return await session_lifecycle.save_all(self, reason)
