"""Shared by the unit tests of the core: settings pointing at the fakes, and waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from tests.fakes.anthropic_server import FakeAnthropic
from workbench.config import Settings, TierSettings, load_settings


def tier_settings(ollama_url: str, anthropic: FakeAnthropic | None = None) -> Settings:
    """No config file; Ollama (and Claude, with a key) at the fakes; three small tiers."""
    env = {"OLLAMA_HOST": ollama_url}
    if anthropic is not None:
        env |= {"ANTHROPIC_BASE_URL": anthropic.url, "ANTHROPIC_API_KEY": "sk-test"}
    settings, problems = load_settings(Path("/nonexistent.toml"), env=env)
    assert not problems
    settings.anthropic.max_retries = 0
    settings.checkpoint_interval_s = 0.01
    settings.tiers = {
        "fast": TierSettings("ollama", ["qwen2.5-coder:7b"]),
        "quality": TierSettings(
            "ollama", ["qwen2.5-coder:14b", "qwen2.5-coder:32b"], fallback="cloud"
        ),
        "cloud": TierSettings("anthropic", ["claude-sonnet-5-5"]),
    }
    return settings


async def until(predicate: Callable[[], object], what: str = "condition") -> None:
    """Wait for `predicate()` to hold (a generous bound only catches a hang)."""
    try:
        async with asyncio.timeout(10):
            while not predicate():
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None
