"""The process the quit tests quit: the real app in a real terminal, with some work stuck.

    python -m tests.ui.quit_child OLLAMA_URL PROJECT {thread|task}

It runs the app as the CLI does (`app.run()`, in the terminal it was given), then starts work
that never ends: `thread` opens PROJECT/pipe, a named pipe nobody writes to, in a thread worker
(the hang of issue 13, now outside the project tools); `task` starts a task that ignores being
cancelled, so the event loop can never finish. The test then presses ctrl+q. Sessions go where
WORKBENCH_DATA_DIR says.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

from textual.pilot import Pilot

from tests.ui.harness import make_settings, make_test_app


def open_pipe(path: Path) -> None:
    """Waits for ever: opening a FIFO for reading waits for a writer."""
    os.close(os.open(path, os.O_RDONLY))


async def stubborn() -> None:
    """A task that will not end: it shrugs off every cancellation."""
    while True:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3600)


def main(ollama_url: str, project: str, how: str) -> None:
    app = make_test_app(make_settings(ollama_url), project=Path(project))
    tasks: list[asyncio.Task[None]] = []

    async def get_stuck(pilot: Pilot[None]) -> None:
        if how == "thread":
            pipe = Path(project) / "pipe"
            pilot.app.run_worker(lambda: open_pipe(pipe), thread=True, exit_on_error=False)
        else:
            tasks.append(asyncio.get_running_loop().create_task(stubborn()))

    app.run(auto_pilot=get_stuck)
    print(f"run returned {app.return_code}", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:4])
