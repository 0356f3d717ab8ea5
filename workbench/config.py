"""Typed settings read from `config.toml`, then overridden by the environment.

A bad file never stops the app: every problem is reported with the file, line and key, and the
affected setting keeps its default. This is the one place callers import settings from: the
dataclasses live in `settings`, reading and checking the file in `config_reader` (which imports
`settings`, never this module, so the dependency goes one way).
Core module: never imports textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from workbench.settings import (
    DEFAULT_EXPLORE_PROMPT,
    DEFAULT_IMPLEMENT_PROMPT,
    DEFAULT_OLLAMA_HOST,
    OLLAMA_PORT,
    AnthropicSettings,
    ConfigError,
    ConfigProblem,
    GenerationSettings,
    ModelRef,
    ModelSettings,
    OllamaSettings,
    ProjectSettings,
    Provider,
    Settings,
    Source,
    TierSettings,
    display_path,
    models_for_pane,
    normalize_ollama_host,
    tier_for,
    tier_of,
)

__all__ = [
    "DEFAULT_EXPLORE_PROMPT",
    "DEFAULT_IMPLEMENT_PROMPT",
    "DEFAULT_OLLAMA_HOST",
    "OLLAMA_PORT",
    "AnthropicSettings",
    "ConfigError",
    "ConfigProblem",
    "GenerationSettings",
    "ModelRef",
    "ModelSettings",
    "OllamaSettings",
    "ProjectSettings",
    "Provider",
    "Settings",
    "Source",
    "TierSettings",
    "display_path",
    "load_settings",
    "models_for_pane",
    "normalize_ollama_host",
    "tier_for",
    "tier_of",
]


def load_settings(
    path: Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[Settings, list[ConfigProblem]]:
    """Read the config file and the environment; never raises for a bad or missing file."""
    # Imported when settings are read: importing the dataclasses need not pay for the reader.
    from workbench import config_reader

    return config_reader.load_settings(path, env)
