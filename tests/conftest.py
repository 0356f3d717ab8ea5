"""Shared fixtures: every path points into tmp_path, no real config or keys leak in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.fixtures import *  # noqa: F403  (fake_ollama, fake_anthropic fixtures)


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point config and data dirs at tmp_path and drop the developer's model settings."""
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path / "data"))
    for name in ("OLLAMA_HOST", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
