"""Build the real app against the fake servers, and wait for things to happen on screen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama
from workbench.app import WorkbenchApp
from workbench.config import Settings, TierSettings, load_settings
from workbench.screens.main import MainScreen
from workbench.session.store import Session, SessionStore
from workbench.spec.template import new_spec

FAST = ["qwen2.5-coder:7b", "qwen2.5-coder:3b"]
QUALITY = ["qwen2.5-coder:14b", "qwen2.5-coder:32b"]
CLOUD = ["claude-sonnet-5-5"]


def make_settings(
    ollama_url: str, anthropic: FakeAnthropic | None = None, *, key: str | None = "sk-test"
) -> Settings:
    """Settings pointing at the fakes (no config file), with the tiers the tests use."""
    env = {"OLLAMA_HOST": ollama_url}
    if anthropic is not None:
        env["ANTHROPIC_BASE_URL"] = anthropic.url
        if key is not None:
            env["ANTHROPIC_API_KEY"] = key
    settings, problems = load_settings(Path("/nonexistent/config.toml"), env=env)
    assert not problems
    settings.anthropic.max_retries = 0
    settings.tiers = {
        "fast": TierSettings("ollama", list(FAST)),
        "quality": TierSettings("ollama", list(QUALITY)),
        "cloud": TierSettings("anthropic", list(CLOUD)),
    }
    settings.checkpoint_interval_s = 0.05
    settings.autosave_delay_s = 0.2
    return settings


def make_test_app(
    settings: Settings,
    *,
    session: Session | None = None,
    project: Path | None = None,
    spec: str | None = None,
) -> WorkbenchApp:
    """A WorkbenchApp on a new (or given) session; theme changes are not written to config."""
    store = SessionStore()
    if session is None:
        project = project or Path("/tmp/demo-project")
        session = store.create(project, spec if spec is not None else new_spec())
    return WorkbenchApp(settings, session, store=store, remember_theme_changes=False)


def main_screen(app: WorkbenchApp) -> MainScreen:
    """The app's main screen (fails the test if it is not up)."""
    screen = app.main_screen
    assert screen is not None, "main screen not shown"
    return screen


async def wait_until(
    pilot: Pilot[None], predicate: Callable[[], object], *, timeout: float = 10.0, what: str = ""
) -> None:
    """Let the app run until `predicate()` is true; fail with `what` if it never becomes true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what or predicate}")
        await pilot.pause(0.02)


def ollama_with_tiers() -> FakeOllama:
    """A fake Ollama with every fast and quality model installed (not started)."""
    return FakeOllama(models=[*FAST, *QUALITY])


def screen_text(app: WorkbenchApp) -> str:
    """What the terminal shows right now, as plain text lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def send_spec(pilot: Pilot[None]) -> None:
    """Press ctrl+r, wait for the send review, and confirm it with Enter."""
    from workbench.screens.send_review import SendReviewModal

    app = pilot.app
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: isinstance(app.screen, SendReviewModal), what="send review")
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, SendReviewModal), what="sent")
