"""The process the kill -9 test kills: the real app, headless, asking Explore one question.

    python -m tests.ui.crash_child OLLAMA_URL QUESTION

Sessions go where WORKBENCH_DATA_DIR says. The app streams the reply until it is killed; it uses
the default checkpoint interval, so the test measures what a user would lose.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.ui.harness import make_settings, make_test_app
from workbench.config import Settings


async def ask_and_wait(ollama_url: str, question: str) -> None:
    """Start the app, send `question` from the Explore input, then wait to be killed."""
    settings = make_settings(ollama_url)
    settings.checkpoint_interval_s = Settings().checkpoint_interval_s
    app = make_test_app(settings, project=Path("/tmp/demo-project"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press(*question, "enter")
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(ask_and_wait(sys.argv[1], sys.argv[2]))
