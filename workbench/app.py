"""WorkbenchApp: wires settings, themes, the session and the main screen together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import Screen

from workbench.clipboard import copy_text
from workbench.commands import ModelCommands, SessionCommands, TemplateCommands
from workbench.config import ConfigError, ConfigProblem, Settings, load_settings
from workbench.config_file import remember_theme
from workbench.controller import SessionController
from workbench.keys import APP_BINDINGS, check_keymap
from workbench.project.background import DaemonExecutor, exit_guard
from workbench.providers.router import ProviderRouter
from workbench.screens.main import MainScreen
from workbench.session.store import Session, SessionError, SessionStore
from workbench.spec.templates import Template
from workbench.themes import load_themes
from workbench.widgets.live_keys import live_key

FALLBACK_THEME = "workbench-dark"
QUIT_WITHIN_S = 1.5
"""After ctrl+q the process is gone within this long, even if some work in it is stuck."""
_TERMINAL_BACK = (
    "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l"  # mouse reports off
    "\x1b[?2004l\x1b[?1004l\x1b[?2048l"  # bracketed paste, focus and resize reports off
    "\x1b[<u\x1b[?7h"  # the kitty keyboard protocol off, line wrap on
    "\x1b[?1049l\x1b[?25h"  # the normal screen back, the cursor shown
)
"""What Textual writes on its way out, for a quit that cannot wait for Textual."""


class WorkbenchApp(App[None]):
    """The fast → review → slow workbench."""

    TITLE = "workbench"
    COMMANDS = App.COMMANDS | {ModelCommands, SessionCommands}
    BINDINGS = APP_BINDINGS  # declared in keys.py, which lists every remappable binding

    def __init__(
        self,
        settings: Settings,
        session: Session,
        *,
        store: SessionStore | None = None,
        problems: Iterable[ConfigProblem | str] = (),
        remember_theme_changes: bool = True,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.session = session
        self.store = store or SessionStore()
        self.problems = list(problems)
        self.router = ProviderRouter(settings)
        self._remember_theme = remember_theme_changes
        self._theme_ready = False
        self._quit_anyway = False
        self._ends_process = False
        self._run_returned = False
        self._reported_clashes: set[tuple[str, ...]] = set()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a notification; its text is always plain (titles, paths and model names in it
        come from users and servers, and `[/]` in one would be read as markup)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def run(self, **kwargs: Any) -> None:
        """Run in the terminal (the CLI): here a quit ends the process, even if work is stuck.

        Tests run the app inside their own process (`run_test`, or `run(headless=True)` for
        snapshots), which a quit must not end.
        """
        self._ends_process = not kwargs.get("headless", False)
        try:
            return super().run(**kwargs)
        finally:
            self._run_returned = True
            if self._ends_process:
                # Everything is saved and closed: spare the interpreter its last collection
                # of the whole heap at exit (0.7-0.9 s measured after a session; 0.1 s now).
                gc.freeze()

    def on_load(self) -> None:
        # Threads of asyncio's own executor are waited for at exit: one stuck call (a hung
        # mount, a named pipe) would keep the process alive after the app has gone.
        asyncio.get_running_loop().set_default_executor(DaemonExecutor())

    def on_mount(self) -> None:
        themes, theme_problems = load_themes()
        for theme in themes:
            self.register_theme(theme)
        wanted = self.settings.theme
        if wanted not in self.available_themes:
            self.notify(f"Theme {wanted!r} not found; using {FALLBACK_THEME}.", severity="warning")
            wanted = FALLBACK_THEME if FALLBACK_THEME in self.available_themes else "textual-dark"
        self.theme = wanted
        self._theme_ready = True
        keymap, key_problems = check_keymap(self.settings.keys)
        self.set_keymap(keymap)
        for problem in [*self.problems, *theme_problems, *key_problems]:
            self.notify(
                str(problem),
                title="Config problem (using defaults)",
                severity="warning",
                timeout=15,
            )
        self.push_screen(MainScreen(SessionController(self.session, self.settings, self.router)))

    def handle_bindings_clash(self, clashed_bindings: set[Binding], node: DOMNode) -> None:
        """A `[keys]` remap took a key another binding had: say which, once."""
        lost = sorted(b.id or b.action for b in clashed_bindings)
        if lost and tuple(lost) not in self._reported_clashes:
            self._reported_clashes.add(tuple(lost))
            self.notify(
                f"[keys] in the config gives a key that {', '.join(lost)} used, so "
                f"{'they have' if len(lost) > 1 else 'it has'} no key now: choose another key.",
                title="Key clash",
                severity="warning",
                timeout=15,
            )

    def watch_theme(self, theme: str) -> None:
        if self._theme_ready and self._remember_theme and theme != self.settings.theme:
            self.settings.theme = theme
            try:
                remember_theme(theme)
            except (OSError, ConfigError) as error:
                self.notify(
                    f"Could not remember the theme in the config: {error}", severity="warning"
                )

    @property
    def main_screen(self) -> MainScreen | None:
        """The session's screen, if it is up."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main_screen
        if main is None:
            return
        for binding in MainScreen.BINDINGS:
            assert isinstance(binding, Binding) and binding.id
            key = live_key(main, binding.id)
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip}  [{key}]" if key else binding.tooltip,
                lambda action=binding.action: self.run_action(action, main),
            )
        yield SystemCommand(
            "Promote",
            "Append the focused (or last) Explore message to the spec  [p]",
            main.action_promote_focused,
        )
        yield SystemCommand(
            "Stop reply",
            "Stop the replies that are arriving, keep their text  [escape]",
            main.action_stop_all,
        )
        yield SystemCommand(
            "Save spec", "Write the spec to disk now  [ctrl+s]", main.spec.action_save
        )
        yield SystemCommand("Sessions", "Open another session  [ctrl+o]", self.action_pick_session)
        yield SystemCommand(
            "New session", "Start a new session from a spec template", self.action_new_session
        )
        yield SystemCommand(
            "Copy spec",
            "Copy the whole spec as markdown",
            lambda: copy_text(self, main.spec.text, "the spec"),
        )
        yield SystemCommand(
            "Copy payload",
            "Copy exactly what the next send would give the model",
            main.copy_payload,
        )
        yield SystemCommand(
            "Checks",
            "Run the project's checks, see their output, send failures back  [f7]",
            main.action_checks,
        )
        yield SystemCommand(
            "Acceptance review",
            "This round's verdict on each acceptance item of the spec; overrule, promote",
            main.action_acceptance,
        )
        yield SystemCommand(
            "Round history",
            "Each round: the spec version or follow-up sent, what changed, what passed",
            main.action_rounds,
        )
        yield SystemCommand(
            "Export session",
            "Write the spec, the versions sent and both chats to export.md in the session folder",
            self.action_export,
        )

    def action_new_session(self) -> None:
        """Pick a template, then start a new session from it."""
        self.push_screen(TemplateCommands.palette())

    async def new_session(self, template: Template) -> None:
        """Create a session about the same project from `template` and switch to it."""
        try:
            session = self.store.create(Path(self.session.meta.project_dir), template.render())
        except (SessionError, OSError) as error:
            self.notify(f"Could not create a session: {error}", severity="error")
            return
        session.close()
        await self.open_session(session.meta.id)

    def action_export(self) -> None:
        """Write the session as one markdown file into its folder."""
        from workbench.export import export_session
        from workbench.fileio import atomic_write

        path = self.session.folder / "export.md"
        try:
            atomic_write(path, export_session(self.session).encode("utf-8"))
        except OSError as error:
            self.notify(f"Could not export: {error}", severity="error")
            return
        self.notify(f"Exported to {path}", timeout=10)

    def action_pick_session(self) -> None:
        """Open the session picker."""
        self.push_screen(SessionCommands.palette())

    async def open_session(self, ref: str) -> None:
        """Save the current session and show another one."""
        if ref == self.session.meta.id:
            self.notify("That session is already open.")
            return
        try:
            session = self.store.open(ref, view_if_not_writable=True)
        except SessionError as error:
            self.notify(str(error), severity="error", timeout=10)
            return
        main = self.main_screen
        if main is not None and not await main.save_all("Stopped when you switched sessions"):
            session.close()
            self.notify(
                "Staying in this session: its spec could not be saved (see the error above).",
                severity="error",
            )
            return
        old = self.session
        self.session = session
        await self.switch_screen(MainScreen(SessionController(session, self.settings, self.router)))
        old.close()
        self.notify(f"Opened {session.meta.title}", markup=False)

    async def on_unmount(self) -> None:
        await self.router.aclose()

    async def action_quit(self) -> None:
        """Save everything (partial replies included), then exit.

        If the spec cannot be saved the app stays open, so the text is not lost; a second
        ctrl+q quits anyway. Run from the terminal, the process is gone QUIT_WITHIN_S after
        ctrl+q, whatever is stuck: saving comes first, so only work that hangs is cut short.
        """
        disarm = self._guard_quit()
        main = self.main_screen
        if main is not None and not await main.save_all() and not self._quit_anyway:
            disarm()
            self._quit_anyway = True
            self.notify(
                "Not quitting: the spec could not be saved, and your text is still in the "
                "editor. Fix the problem and press ctrl+s, or press ctrl+q again to quit "
                "without saving it.",
                severity="error",
                timeout=20,
            )
            return
        self.session.close()
        self.exit()

    def _guard_quit(self) -> Callable[[], None]:
        """End the process QUIT_WITHIN_S from now (when the app owns it); the way to call it off."""
        if not self._ends_process:
            return lambda: None
        return exit_guard(QUIT_WITHIN_S, self._cut_short)

    def _cut_short(self) -> int:
        """Called when a quit did not end the process in time: put the terminal back, say so."""
        if self._run_returned:  # Textual has put the terminal back; something after it hangs
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            return self.return_code or 0
        fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else 2
        attrs = getattr(self._driver, "attrs_before", None)  # the terminal's modes before us
        with contextlib.suppress(Exception):  # termios is POSIX only; termios.error
            import termios

            if attrs is not None:
                termios.tcsetattr(fd, termios.TCSANOW, attrs)
        with contextlib.suppress(OSError):  # no terminal left to put back
            os.write(fd, _TERMINAL_BACK.encode())
            os.write(
                fd,
                f"workbench: quitting took over {QUIT_WITHIN_S:g} s (some work was stuck), so it "
                f"was cut short after saving. Session folder: {self.session.folder}\n".encode(),
            )
        return 1


def make_app(
    settings: Settings | None = None,
    session: Session | None = None,
    *,
    store: SessionStore | None = None,
    problems: Iterable[ConfigProblem] = (),
    project_dir: str | None = None,
) -> WorkbenchApp:
    """Build the app; with no session, a new one is created for `project_dir` (default: cwd)."""
    from pathlib import Path

    from workbench.spec.templates import template_for_new_session

    all_problems: list[ConfigProblem | str] = list(problems)
    if settings is None:
        settings, loaded = load_settings()
        all_problems += loaded
    store = store or SessionStore()
    if session is None:
        template, template_problems = template_for_new_session(settings.default_template)
        all_problems += template_problems
        session = store.create(Path(project_dir or Path.cwd()).resolve(), template.render())
    return WorkbenchApp(settings, session, store=store, problems=all_problems)
