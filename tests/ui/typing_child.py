"""The process the typing kill -9 test kills: the real app, headless, typing into the spec.

    python -m tests.ui.typing_child OLLAMA_URL TEXT

It focuses the Spec pane, then types TEXT one key every 0.1 s (10 characters a
second, never pausing long enough for the autosave), printing `typed N` after each key, and
then waits to be killed. Sessions go where WORKBENCH_DATA_DIR says.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.ui.harness import make_settings, make_test_app
from workbench.config import Settings

SPEC = "# Task: Steady typing\n\n## What I want\n\n"


async def type_and_wait(ollama_url: str, text: str) -> None:
    settings = make_settings(ollama_url)
    settings.autosave_delay_s = Settings().autosave_delay_s  # what a user has: 0.5 s
    app = make_test_app(settings, project=Path("/tmp/demo-project"), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f2")  # the cursor starts at the top: the typing goes first
        print(f"session {app.session.folder}", flush=True)
        for count, key in enumerate(text, 1):
            await pilot.press("space" if key == " " else key)
            print(f"typed {count}", flush=True)
            await asyncio.sleep(0.1)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(type_and_wait(sys.argv[1], sys.argv[2]))
