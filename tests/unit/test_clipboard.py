"""Copying works through anything with `copy_to_clipboard` and `notify`, a Textual App or not."""

from __future__ import annotations

import pytest

from workbench import clipboard


class FakeApp:
    def __init__(self) -> None:
        self.copied: list[str] = []
        self.notices: list[str] = []

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)

    def notify(self, message: str) -> None:
        self.notices.append(message)


@pytest.fixture(autouse=True)
def no_system_clipboard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clipboard, "_system_copy", lambda text: None)


def test_copy_text_sends_the_text_and_says_what_was_copied() -> None:
    app = FakeApp()
    clipboard.copy_text(app, "first\nsecond", "the spec")
    assert app.copied == ["first\nsecond"]
    assert app.notices == ["Copied the spec (2 lines, 12 characters)"]


def test_copying_nothing_says_zero_lines() -> None:
    app = FakeApp()
    clipboard.copy_text(app, "", "the selection")
    assert app.notices == ["Copied the selection (0 lines, 0 characters)"]
