"""Command-palette providers: the model picker, the session picker and the workbench actions."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from workbench.config import ModelRef
from workbench.model_catalog import ModelEntry, build_catalog
from workbench.providers.base import LoadedModel, ModelInfo, ProviderError

if TYPE_CHECKING:
    from workbench.screens.main import MainScreen


def local_time(iso: str) -> str:
    """An ISO timestamp as local "YYYY-MM-DD HH:MM" (as `workbench sessions` shows it)."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


class Choice(NamedTuple):
    """One command a picker offers."""

    title: str
    """Plain text, shown and matched against the query ("model: qwen2.5-coder:7b")."""
    detail: str
    """The help line under the title, matched too."""
    command: Callable[[], object]
    """What choosing it does."""


class PickerCommands(Provider):
    """A provider offering a list of choices read at startup: all of them before anything is
    typed, then those matching the query on their title and detail."""

    PLACEHOLDER: ClassVar[str] = "Search for commands…"
    """The palette's placeholder when it shows only this provider (`palette()`)."""

    @abstractmethod
    def choices(self) -> list[Choice]:
        """The commands to offer, in the order they are listed."""

    async def discover(self) -> Hits:
        for title, detail, command in self.choices():
            yield DiscoveryHit(Content(title), command, help=escape(detail))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, detail, command in self.choices():
            score = matcher.match(f"{title} {detail}")
            if score > 0:
                yield Hit(score, matcher.highlight(escape(title)), command, help=escape(detail))

    @classmethod
    def palette(cls) -> CommandPalette:
        """A palette showing only this provider's choices."""
        return CommandPalette(providers=[cls], placeholder=cls.PLACEHOLDER)


def _title(entry: ModelEntry) -> str:
    """The text matched against the query."""
    return f"model: {entry.ref.name}"


def _details(entry: ModelEntry) -> str:
    """The palette's details line: tier, provider, state, size and memory."""
    parts = [entry.badge, entry.ref.provider, entry.status, entry.size, entry.memory()]
    return " · ".join(p for p in parts if p)


class ModelCommands(PickerCommands):
    """Lists every model with its tier and state; choosing one sets the chat pane's model."""

    async def startup(self) -> None:
        screen = self._main_screen()
        self.entries: list[ModelEntry] = []
        self.current: ModelRef | None = None
        if screen is None:
            return
        installed: list[ModelInfo] | None
        try:
            installed = await asyncio.wait_for(
                screen.controller.router.installed_ollama_models(), 5.0
            )
        except (ProviderError, TimeoutError):
            installed = None
        loaded: list[LoadedModel] = list(screen.controller.monitor.state.loaded.values())
        self.entries = build_catalog(screen.settings, installed, loaded)
        self.current = screen.target_chat().model

    def _main_screen(self) -> MainScreen | None:
        from workbench.screens.main import MainScreen

        screen = self.screen
        return screen if isinstance(screen, MainScreen) else None

    def _choose(self, entry: ModelEntry) -> None:
        screen = self._main_screen()
        if screen is None:
            return
        pane = screen.target_chat()
        screen.use_model(pane, entry.ref)
        message = f"{pane.label}: {entry.ref.name}"
        if entry.can_pull:
            message += " — not installed yet: ctrl+l pulls it"
        self.app.notify(message)

    def _help(self, entry: ModelEntry) -> str:
        """The details line, marking the pane's current model."""
        current = self.current
        if current is not None and (current.provider, current.name) == (
            entry.ref.provider,
            entry.ref.name,
        ):
            return f"● current · {_details(entry)}"
        return _details(entry)

    def choices(self) -> list[Choice]:
        return [
            Choice(_title(entry), self._help(entry), partial(self._choose, entry))
            for entry in self.entries
        ]


class SessionCommands(PickerCommands):
    """Lists saved sessions; choosing one opens it."""

    PLACEHOLDER = "Open a session…"

    async def startup(self) -> None:
        app: Any = self.app
        store = getattr(app, "store", None)
        current = getattr(getattr(app, "session", None), "meta", None)
        # Listing reads every session folder: off the event loop.
        summaries = await asyncio.to_thread(store.list) if store is not None else []
        self.summaries = [s for s in summaries if current is None or s.id != current.id]

    def choices(self) -> list[Choice]:
        app: Any = self.app
        return [
            Choice(
                f"session: {summary.title}",
                f"{summary.id} · updated {local_time(summary.updated)} · "
                f"{summary.explore_count} explore / {summary.implement_count} implement",
                partial(app.open_session, summary.id),
            )
            for summary in self.summaries
        ]


class TemplateCommands(PickerCommands):
    """Lists the spec templates; choosing one starts a new session from it."""

    PLACEHOLDER = "New session from template…"

    async def startup(self) -> None:
        from workbench.spec.templates import list_templates

        self.templates, _problems = await asyncio.to_thread(list_templates)

    def choices(self) -> list[Choice]:
        app: Any = self.app
        choices = []
        for template in self.templates:
            source = "built-in" if template.source == "built-in" else str(template.source)
            detail = f"{source} · " + " / ".join(template.outline)
            command = partial(app.new_session, template)
            choices.append(Choice(f"new session: {template.name}", detail, command))
        return choices
