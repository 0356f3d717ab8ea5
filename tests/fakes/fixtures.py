"""Pytest fixtures that start the fake servers for one test and stop them afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama

__all__ = ["fake_anthropic", "fake_ollama"]


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A running fake Ollama on a free loopback port."""
    server = FakeOllama()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    """A running fake Anthropic API on a free loopback port (accepts key "sk-test")."""
    server = FakeAnthropic()
    server.start()
    yield server
    server.stop()
