"""Where workbench keeps its files: functions, never import-time constants.

`WORKBENCH_CONFIG_DIR` and `WORKBENCH_DATA_DIR` override the platform locations (tests and
portable set-ups use them).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "workbench"


def config_dir() -> Path:
    """The user's config folder (config.toml, themes/, templates/)."""
    override = os.environ.get("WORKBENCH_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def config_file() -> Path:
    """The TOML settings file."""
    return config_dir() / "config.toml"


def user_themes_dir() -> Path:
    """Extra theme files the user drops in."""
    return config_dir() / "themes"


def data_dir() -> Path:
    """The user's data folder (sessions live here)."""
    override = os.environ.get("WORKBENCH_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def sessions_dir() -> Path:
    """One sub-folder per session."""
    return data_dir() / "sessions"


def project_checks_dir() -> Path:
    """The checks a person chose for a project, one small file per project (never in it)."""
    return data_dir() / "project-checks"
