"""Fixtures for UI tests: fakes with the configured models installed, and settings for them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import FAST, QUALITY


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    """A running fake Ollama with the fast and quality models installed."""
    server = FakeOllama(models=[*FAST, *QUALITY])
    server.start()
    yield server
    server.stop()
