"""Typing in the spec survives kill -9: steady typing (no pause for the autosave) is journaled
every 0.3 s, and the next start puts it back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, wait_until
from tests.ui.typing_child import SPEC
from workbench.session.store import SessionStore

ROOT = Path(__file__).resolve().parents[2]
TYPED = "Refresh tokens rotate on every use, and old ones are refused at once"
"""68 keys at 10 a second: 6.8 s of typing with no pause, so the autosave never runs."""


async def test_kill_9_while_typing_steadily_loses_at_most_a_second(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    log = tmp_path / "child.log"
    with log.open("wb") as output:
        child = subprocess.Popen(
            [sys.executable, "-u", "-m", "tests.ui.typing_child", ollama.url, TYPED],
            cwd=ROOT,
            env=os.environ.copy(),  # WORKBENCH_DATA_DIR / CONFIG_DIR point into tmp_path
            stdout=subprocess.PIPE,
            stderr=output,
        )
    assert child.stdout is not None
    folder: Path | None = None
    typed = 0
    loop = asyncio.get_running_loop()
    try:
        while typed < len(TYPED):
            line = (await loop.run_in_executor(None, child.stdout.readline)).decode()
            assert line, f"the app exited early:\n{log.read_text()}"
            if line.startswith("session "):
                folder = Path(line.split(" ", 1)[1].strip())
            elif line.startswith("typed "):
                typed = int(line.split()[1])
        await asyncio.sleep(0.3)  # 0.3 s after the last key, as a crash might come
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert folder is not None
    # Nothing reached context.md: the autosave never had its pause.
    assert (folder / "context.md").read_text() == SPEC

    session = SessionStore().open(folder.name)
    app = make_test_app(make_settings(ollama.url), session=session)
    async with app.run_test(size=(160, 48)) as pilot:
        spec = main_screen(app).spec
        await wait_until(pilot, lambda: spec.text != SPEC, what="the typing put back")
        recovered = spec.text[: -len(SPEC)]
        assert spec.text.endswith(SPEC) and TYPED.startswith(recovered)
        assert len(TYPED) - len(recovered) <= 10  # at most a second of typing is lost
        await wait_until(pilot, lambda: not spec.dirty, what="saved at once")
        assert (folder / "context.md").read_text() == spec.text
