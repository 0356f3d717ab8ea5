"""The main screen: Explore, Spec and Implement side by side for one session."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from workbench.config import ModelRef, Settings, models_for_pane, tier_of
from workbench.providers.router import ProviderRouter
from workbench.session.model import ModelChoice, Pane
from workbench.session.store import Session
from workbench.spec.promote import promoted_ids
from workbench.spec.template import new_spec
from workbench.widgets.chat_pane import ChatPane
from workbench.widgets.message_view import MessageView
from workbench.widgets.spec_pane import SpecPane

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
            "ctrl+n",
            "cycle_model",
            "Next model",
            tooltip="Cycle the chat pane's model through its tier",
            id="model.cycle",
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
        self.last_chat_pane: Pane = "explore"
        """The chat pane that model keys act on when the Spec pane has focus."""

    def compose(self) -> ComposeResult:
        yield Static(self._title_text(), id="title-bar")
        with Horizontal(id="panes"):
            yield self._chat_pane("explore", "Explore", self.settings.explore_system_prompt)
            yield SpecPane(self.session, autosave_delay_s=self.settings.autosave_delay_s, id="spec")
            yield self._chat_pane("implement", "Implement", self.settings.implement_system_prompt)
        yield Footer()

    def _chat_pane(self, pane: Pane, label: str, system_prompt: str) -> ChatPane:
        return ChatPane(
            pane,
            label=label,
            transcript=self.session.transcript(pane),
            model=initial_model(self.settings, self.session, pane),
            router=self.router,
            system_prompt=system_prompt,
            checkpoint_interval_s=self.settings.checkpoint_interval_s,
            draft=self.session.meta.drafts.get(pane, ""),
            id=pane,
        )

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._paint_active_pane())
        self.chat("explore").focus_input()
        for pane in CHAT_PANES:
            if pane not in self.session.meta.models:
                model = self.chat(pane).model
                self.session.set_model(pane, ModelChoice(model.provider, model.name))

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
        chat_pane = next((name for name in CHAT_PANES if name == focused), None)
        if chat_pane is not None:
            self.last_chat_pane = chat_pane
        return self.chat(self.last_chat_pane)

    # -- actions ---------------------------------------------------------------------------

    def action_focus_pane(self, pane: str) -> None:
        """Focus the input of a chat pane, or the spec editor."""
        chat_pane = next((name for name in CHAT_PANES if name == pane), None)
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
        """Send the spec, exactly as written, to the Implement pane's model."""
        text = self.spec.text
        if not text.strip():
            self.notify("The spec is empty: write the task first.", severity="warning")
            return
        if text == new_spec():
            self.notify(
                "The spec is still the blank template: press F2 and write the task first.",
                severity="warning",
            )
            return
        implement = self.chat("implement")
        if implement.is_streaming:
            self.notify(
                "Implement is still answering: Escape in that pane stops it.", severity="warning"
            )
            return
        self.spec.save()
        await implement.send(text, kind="spec")
        self.notify(f"Spec sent to {implement.model.name}")

    def action_cycle_model(self) -> None:
        """Switch the chat pane to the next model of its tier list."""
        pane = self.target_chat()
        models = models_for_pane(self.settings, pane.pane)
        names = [(m.provider, m.name) for m in models]
        current = (pane.model.provider, pane.model.name)
        index = (names.index(current) + 1) % len(models) if current in names else 0
        pane.set_model(models[index])
        self.notify(f"{pane.label}: {models[index].name} ({models[index].tier})")

    def action_pick_model(self) -> None:
        """Open the model picker for the chat pane."""
        from workbench.commands import ModelCommands

        self.app.push_screen(ModelCommands.palette(self.target_chat().label))

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

    @on(MessageView.PromoteRequested)
    def _promote(self, event: MessageView.PromoteRequested) -> None:
        message = event.view.message
        if message.role == "error":
            self.notify("Problem messages are not promoted.", severity="warning")
            return
        if message.kind == "spec":
            self.notify("That is the spec as it was sent: it is already in the Spec pane.")
            return
        if event.view.promoted:
            self.notify("Already in the spec (see its context section).")
            return
        if message.status == "streaming":
            self.notify(
                "Wait for the reply to finish (or stop it with Escape).", severity="warning"
            )
            return
        self.spec.promote(
            message.content, pane=event.view.pane, message_id=message.id, model=message.model
        )
        event.view.mark_promoted()
        self.chat(event.view.pane).promoted_ids.add(message.id)  # type: ignore[arg-type]
        self.notify("Promoted into the spec's context section")

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
