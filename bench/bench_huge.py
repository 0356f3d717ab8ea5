"""Benchmark huge replies in the real app: a 10 MB reply, and a reply that is one 200 KB line.

    .venv/bin/python bench/bench_huge.py              # 3 cases, ~10 minutes before the fixes
    .venv/bin/python bench/bench_huge.py --quick      # 1 MB / 50 KB replies, 60 s cap
    .venv/bin/python bench/bench_huge.py --only 10mb --cap 300 --json

Cases (`--only`): `10mb`, a 10 MB markdown reply (prose, lists, tables, code, diffs) in
4,000-character pieces; `line`, one 200 KB line (a paragraph, no newline) in 4,000-character
pieces; `line-tokens`, the same line in 4-character pieces, one per token as Ollama sends them.
Every stream goes at full speed.

Each case runs the loopback fake Ollama (tests/fakes/ollama_server.py) in this process and the
app in a fresh child process, started like the `workbench` command (`workbench.__main__.main`,
`--project`) with `App.run` switched to headless 160x48 and an auto-pilot, as bench_app.py does.
time.monotonic() is the same clock in both processes (CLOCK_MONOTONIC). Definitions:

- server finished: the fake returned from writing the stream's last byte (the `done` line and
  the end of the chunked body). With TCP back-pressure a slow reader makes it late.
- a frame: one call of `App._display` (Textual calls it once per frame), after the hook has
  also built the byte string a real terminal would be sent (headless Textual skips that).
- end visible: the first frame in which the Explore pane's screen region, read as text, holds
  the reply's last characters (a unique marker word ending the reply).
- done on screen: the first frame that also no longer says "streaming" in that region (the
  pane's border subtitle and the message header say "streaming…" until the reply is done).
- keystroke echo: a thread types into the Spec editor (at the end of the spec, a new line
  `zq0100xabc…` at a time, Enter between lines) one key every 50 ms, through the driver's
  `process_message`, the call a terminal's input thread makes. A key is echoed at the first frame
  in which the editor's content region shows a row equal to its line typed up to that key; echo
  = that frame's time - the time the key was sent. Enter is typed but not timed. Typing runs from
  Enter on the question to done on screen (or the cap); keys sent then and never echoed are
  counted, and their age at the end is a lower bound on the worst echo. Before the question,
  25 keys give the echo of an idle app.
- peak RSS: VmHWM of the app's process (the fake runs in this one), read when the case ends.
- transcript: explore.jsonl's bytes after the app quit vs the reply's UTF-8 bytes, and the reply
  text held in checkpoint (`chunk`) lines and in the final `message` line.
- floor: a bare `ollama.AsyncClient` in a fresh process consuming the same stream (keeping the
  parts and joining them): server finished -> last part received, and its peak RSS.

A case that is not done on screen `--cap` seconds after Enter says "did not finish within N s";
a child that does not answer is killed and its last progress report (written every second by a
thread) is used. To measure another checkout, put it first on PYTHONPATH, see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    # Appended, not prepended: a checkout first on PYTHONPATH (a worktree) is the one measured.
    sys.path.append(REPO)

SIZE = (160, 48)
MODEL = "qwen2.5-coder:7b"  # the first model of the default "fast" tier
QUESTION = "Print the generated storage module again, every file of it, in one answer."
END_MARK = "bench-end-7f3a"
"""The reply's last word: short, so it never wraps in the ~50-column Explore pane."""
TYPE_INTERVAL_S = 0.05
IDLE_KEYS = 25
SETTLE_S = float(os.environ.get("BENCH_SETTLE_S", "2.0"))
"""Seconds between the first frame and the idle typing, for start-up work to settle."""
"""Keys typed before the question, for the echo of an idle app."""
TARGETS = {"end_s": 2.0, "echo_worst_ms": 100.0, "rss_mb": 250.0}
"""Issue 13, item 8: end on screen within 2 s, echo under 100 ms at worst, under 250 MB."""


# ------------------------------------------------------------------------------------------
# Replies
# ------------------------------------------------------------------------------------------

_PYTHON = '''```python
class Shard{n}:
    """Records of shard {n}, one JSON object per line, appended with O_APPEND."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._buffer: list[str] = []

    def add(self, record: dict[str, Any]) -> None:
        self._buffer.append(json.dumps(record, ensure_ascii=False) + "\\n")
        if len(self._buffer) >= {batch}:
            self.flush()

    def flush(self) -> None:
        data = "".join(self._buffer).encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        self._buffer.clear()
```'''

_DIFF = """```diff
--- a/src/storage/shard_{n}.py
+++ b/src/storage/shard_{n}.py
@@ -{line},7 +{line},9 @@ class Shard{n}:
     def flush(self) -> None:
-        self._file.write(self._buffer)
+        data = "".join(self._buffer)
+        self._file.write(data)
+        self._buffer.clear()
         self._file.flush()
```"""

_CONSOLE = """```console
$ pytest tests/unit/test_shard_{n}.py -q
........................................................................ [ 87%]
..........                                                               [100%]
82 passed in 1.{ms:03d}s
$ ls -la data/shard-{n}
-rw-r--r-- 1 dev dev {size} Nov 21 10:15 records.jsonl
```"""

_JSON = """```json
{{"shard": {n}, "records": {size}, "path": "data/shard-{n}/records.jsonl", "ok": true}}
```"""

_TABLE = """| shard | records | bytes | flushed |
|---|---|---|---|
| {n} | {size} | {bytes} | yes |
| {m} | {size} | {bytes} | no |"""


def make_reply(target_chars: int) -> str:
    """About `target_chars` of model markdown in lines of realistic length, ending in END_MARK."""
    parts: list[str] = []
    total = 0
    n = 0
    while total < target_chars - 200:
        n += 1
        size = 1000 + (n * 7919) % 90000
        blocks = [
            f"## {n}. Shard {n}: how its records are written",
            f"Shard {n} keeps its records in **one JSONL file**, appended with `O_APPEND` so "
            "two writers never interleave; a crash loses at most the line being written, and "
            f"the reader skips a broken line with a warning naming the file and line (case {n}).",
            f"- the buffer holds up to {n % 50 + 10} records before a flush\n"
            "- `flush()` encodes once and writes once\n"
            f"- the file is opened per flush, so rotation (step {n}) needs no signal",
            (_PYTHON, _DIFF, _CONSOLE, _JSON)[n % 4].format(
                n=n, batch=n % 50 + 10, line=n % 400 + 12, ms=n % 1000, size=size
            ),
        ]
        if n % 5 == 0:
            blocks.append(_TABLE.format(n=n, m=n + 1, size=size, bytes=size * 187))
        for block in blocks:
            parts.append(block)
            total += len(block) + 2
    parts.append(END_MARK)
    return "\n\n".join(parts) + "\n"


def make_line(target_chars: int) -> str:
    """One line of `target_chars`: a paragraph with inline code, no newline, ending in END_MARK."""
    parts: list[str] = []
    total = 0
    n = 0
    while total < target_chars - len(END_MARK) - 1:
        n += 1
        part = (
            f"record {n} goes to `shard_{n % 97}.jsonl` with one `os.write` and the reader "
            f"skips a broken record {n} with a warning;"
        )
        parts.append(part)
        total += len(part) + 1
    parts.append(END_MARK)
    return " ".join(parts)


CASES = {
    "10mb": ("a {size} markdown reply", "reply", 10_000_000, 4000),
    "line": ("one {size} line", "line", 200_000, 4000),
    "line-tokens": ("one {size} line, token-sized pieces", "line", 200_000, 4),
}
"""name: (label, kind of reply, characters, characters per streamed piece)."""
QUICK_CHARS = {"reply": 1_000_000, "line": 50_000}


# ------------------------------------------------------------------------------------------
# Child side, shared with bench_big_session.py: frames, watches, typing, memory
# ------------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def write_json(path: str, data: dict[str, Any]) -> None:
    """Write `data` to `path` atomically (a reader never sees half a file)."""
    temp = f"{path}.tmp"
    with open(temp, "w", encoding="utf-8") as file:
        json.dump(data, file, default=str)
    os.replace(temp, path)


class FrameProbe:
    """Keeps the screen a terminal would show, from the updates Textual displays; runs checks
    on every frame against it."""

    def __init__(self) -> None:
        self.frames = 0
        self.checks: list[Callable[[float, Any], bool]] = []
        """Called with (time, screen) on every frame; a check returning True is dropped."""
        self.errors: dict[str, str] = {}
        self.cells: list[list[str]] = []
        """The terminal's screen: one list of characters per row."""

    def install(self, app_class: Any) -> None:
        """Hook `app_class._display`, which Textual calls once per frame."""
        original = app_class._display

        def display(app: Any, screen: Any, renderable: Any) -> None:
            original(app, screen, renderable)
            if renderable is None or app._batch_count:
                return
            render = getattr(renderable, "render_segments", None)
            if app.is_headless and render is not None:
                render(app.console)  # what a real terminal would be sent; headless skips it
            self.apply(renderable, app.size)
            self.on_frame(screen)

        app_class._display = display

    def apply(self, update: Any, size: Any) -> None:
        """Write a compositor update into `cells`, as a terminal writes what it is sent."""
        from textual._compositor import ChopsUpdate, LayoutUpdate

        if len(self.cells) != size.height or (self.cells and len(self.cells[0]) != size.width):
            self.cells = [[" "] * size.width for _ in range(size.height)]
        if isinstance(update, LayoutUpdate):
            for y, line in enumerate(update.strips, update.region.y):
                x = update.region.x
                for part in line:
                    self._put(y, x, part, 0, size.width)
                    x += part.cell_length
        elif isinstance(update, ChopsUpdate):
            for y, x1, x2 in update.spans:
                ends = update.chop_ends[y]
                for end, (x, strip) in zip(ends, update.chops[y].items(), strict=False):
                    if strip is not None and x <= x2 and end > x1:
                        self._put(y, x, strip, x1, x2)

    def _put(self, y: int, x: int, strip: Any, low: int, high: int) -> None:
        from rich.cells import cell_len

        if not 0 <= y < len(self.cells):
            return
        row = self.cells[y]
        high = min(high, len(row))
        low = max(low, 0)
        for segment in strip:
            if segment.control:
                continue
            text = segment.text
            if text.isascii():
                start, stop = max(x, low), min(x + len(text), high)
                if start < stop:
                    row[start:stop] = text[start - x : stop - x]
                x += len(text)
                continue
            for char in text:
                width = cell_len(char)
                if low <= x < high:
                    row[x] = char
                if width == 2 and low <= x + 1 < high:
                    row[x + 1] = ""  # the right half of a wide character
                x += width

    def on_frame(self, screen: Any) -> None:
        now = time.monotonic()
        self.frames += 1
        for check in list(self.checks):
            try:
                done = check(now, screen)
            except Exception as exc:  # a widget not there yet, or a bug: keep it for the report
                self.errors[getattr(check, "__qualname__", "check")] = repr(exc)
                done = False
            if done:
                self.checks.remove(check)

    def rows(self, region: Any) -> list[str]:
        """The text the terminal shows in `region` (screen coordinates), one row per line."""
        x, width = region.x, region.width
        return ["".join(row[x : x + width]) for row in self.cells[region.y : region.bottom]]

    def text_of(self, screen: Any, widget: Any) -> str:
        """What `widget` shows on the terminal ("" when it is on another screen)."""
        if widget.screen is not screen:
            return ""
        return "\n".join(self.rows(widget.region))


class Watch:
    """A condition checked on every frame; remembers the time of the first frame it held in."""

    def __init__(self, probe: FrameProbe, condition: Callable[[Any], bool]) -> None:
        import asyncio

        self.at: float | None = None
        self.condition = condition
        self._event = asyncio.Event()
        probe.checks.append(self._check)

    def _check(self, now: float, screen: Any) -> bool:
        if not self.condition(screen):
            return False
        self.at = now
        self._event.set()
        return True

    async def wait(self, timeout: float) -> float | None:
        """The frame time, or None if it did not happen within `timeout` seconds."""
        import asyncio

        try:
            await asyncio.wait_for(self._event.wait(), max(0.0, timeout))
        except TimeoutError:
            return None
        return self.at


class Typist:
    """Types lines into the focused widget from a thread, as a terminal's input thread does.

    Each line is Enter then `zq<line>x` and letters; key k of a line is echoed when `widget`
    shows a row equal to the line's first k characters.
    """

    def __init__(
        self,
        app: Any,
        probe: FrameProbe,
        widget: Any,
        *,
        first_line: int,
        keys: int | None = None,
        letters: int = 18,
        until: float | None = None,
    ) -> None:
        self.app = app
        self.probe = probe
        self.widget = widget
        self.first_line = first_line
        self.keys = keys
        """Stop after this many timed keys (None: until `stop()` or `until`)."""
        self.letters = letters
        self.until = until
        """A monotonic time to stop at even when the event loop cannot say so."""
        self.records: list[list[Any]] = []
        """[expected row, time sent, time echoed or None] per timed key."""
        self._seen = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.closed = False
        probe.checks.append(self._check)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def typing(self) -> bool:
        return self._thread.is_alive()

    @property
    def all_echoed(self) -> bool:
        return self._seen >= len(self.records)

    def _run(self) -> None:
        from textual import events

        driver = self.app._driver
        started = time.monotonic()
        slot = 0
        line = self.first_line
        while True:
            text = f"zq{line:04d}x" + string.ascii_lowercase[: self.letters]
            for index, char in enumerate(["\r", *text]):
                if self.keys is not None and len(self.records) >= self.keys:
                    return
                delay = started + slot * TYPE_INTERVAL_S - time.monotonic()
                if self._stop.wait(max(0.0, delay)):
                    return
                if self.until is not None and time.monotonic() > self.until:
                    return
                slot += 1
                if char == "\r":
                    driver.process_message(events.Key("enter", "\r"))
                    continue
                with self._lock:
                    self.records.append([text[:index], time.monotonic(), None])
                driver.process_message(events.Key(char, char))
            line += 1

    def _check(self, now: float, screen: Any) -> bool:
        if self.closed:
            return True
        with self._lock:
            pending = self.records[self._seen :]
        if not pending or self.widget.screen is not screen:
            return False
        region = self.widget.scrollable_content_region
        rows = {row.strip() for row in self.probe.rows(region)}
        for index in range(len(pending) - 1, -1, -1):
            if pending[index][0] in rows:
                for record in pending[: index + 1]:
                    record[2] = now
                self._seen += index + 1
                break
        return False

    async def finish(self, timeout: float) -> None:
        """Wait for the thread to end, then up to `timeout` s for the last keys to echo."""
        import asyncio

        while self.typing:
            await asyncio.sleep(0.02)
        deadline = time.monotonic() + timeout
        while not self.all_echoed and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        self.closed = True

    def stats(self, since: float = 0.0, until: float = float("inf")) -> dict[str, Any]:
        """Echo figures of the keys sent in [since, until], as of now."""
        now = time.monotonic()
        with self._lock:
            sent = [list(r) for r in self.records if since <= r[1] <= until]
        echoed = sorted(r[2] - r[1] for r in sent if r[2] is not None)
        waiting = [now - r[1] for r in sent if r[2] is None]
        return {
            "keys": len(sent),
            "echoed": len(echoed),
            "median_ms": statistics.median(echoed) * 1000 if echoed else None,
            "worst_ms": echoed[-1] * 1000 if echoed else None,
            "not_echoed": len(waiting),
            "oldest_not_echoed_ms": max(waiting) * 1000 if waiting else None,
        }


class ProgressWriter:
    """A thread writing `snapshot()` to a file every second, for when the event loop is stuck."""

    def __init__(self, path: str | None, snapshot: Callable[[], dict[str, Any]]) -> None:
        self.path = path
        self.snapshot = snapshot
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        if self.path:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        assert self.path is not None
        while not self._stop.wait(1.0):
            try:
                write_json(self.path, {**self.snapshot(), "progress": True})
            except Exception as exc:  # a dict changed size under us: try again next second
                print(f"progress: {exc!r}", file=sys.stderr)


def run_app_headless(app_class: Any, scenario: Callable[[Any], Any], argv: list[str]) -> int:
    """Run `workbench.__main__.main(argv)` with `app_class.run` headless at SIZE and `scenario`
    as its auto-pilot (the app exits when the scenario returns or fails)."""
    import contextlib
    import io
    import traceback

    original_run = app_class.run

    async def autopilot(pilot: Any) -> None:
        try:
            await scenario(pilot.app)
        except Exception:  # report, never hang
            print(traceback.format_exc(), file=sys.stderr)
        finally:
            pilot.app.exit()

    def run(self: Any, *_: Any, **__: Any) -> Any:
        return original_run(self, headless=True, size=SIZE, auto_pilot=autopilot)

    app_class.run = run
    from workbench.__main__ import main

    with contextlib.redirect_stdout(io.StringIO()):  # "Session saved: ..."
        return main(argv)


def main_ready(app: Any, screen: Any) -> bool:
    """The session's main screen is on screen with the Explore input focused."""
    main = app.main_screen
    if main is None or screen is not main:
        return False
    focused = main.focused
    return focused is not None and focused.id == "explore-input"


def child_app(args: argparse.Namespace) -> None:
    """The app in this process: idle typing, the question, typing while the reply arrives."""
    import asyncio

    import workbench
    import workbench.app as wapp

    probe = FrameProbe()
    probe.install(wapp.WorkbenchApp)
    state: dict[str, Any] = {"workbench": workbench.__file__}
    typists: dict[str, Typist] = {}
    watches: dict[str, Watch] = {}

    def snapshot() -> dict[str, Any]:
        out = dict(state)
        for name, watch in list(watches.items()):
            out[f"t_{name}"] = watch.at
        if "stream" in typists:
            out["typing"] = typists["stream"].stats(state.get("t_enter", 0.0))
        out["rss_mb"] = peak_rss_mb()
        out["frames"] = probe.frames
        return out

    progress = ProgressWriter(args.progress, snapshot)
    progress.start()

    async def scenario(app: Any) -> None:
        from textual import events

        try:
            await run(app, events)
        except Exception:
            import traceback

            state["error"] = traceback.format_exc()
        finally:
            final = snapshot()
            final["probe_errors"] = probe.errors
            for typist in typists.values():
                typist.stop()
                typist.closed = True
            write_json(args.out, final)

    async def run(app: Any, events: Any) -> None:
        if await ready.wait(60) is None:
            raise RuntimeError("the main screen never showed with the Explore input focused")
        main = app.main_screen
        pane = main.query_one("#explore")
        chat_input = main.query_one("#explore-input")
        editor = main.query_one("#spec-editor")
        editor.focus()
        editor.move_cursor(editor.document.end)
        await asyncio.sleep(SETTLE_S)  # let start-up work (warm-up, file list) settle
        idle = typists["idle"] = Typist(app, probe, editor, first_line=1, keys=IDLE_KEYS)
        idle.start()
        await idle.finish(3.0)
        state["idle_typing"] = idle.stats()

        chat_input.focus()
        chat_input.text = QUESTION
        await asyncio.sleep(0.3)  # let the input settle; the frame loop goes idle

        def pane_text(screen: Any) -> str:
            return probe.text_of(screen, pane)

        def done(screen: Any) -> bool:
            text = pane_text(screen)
            return END_MARK in text and "streaming" not in text.lower()

        watches["tail"] = Watch(probe, lambda screen: END_MARK in pane_text(screen))
        watches["done"] = Watch(probe, done)
        t_enter = state["t_enter"] = time.monotonic()
        app._driver.process_message(events.Key("enter", "\r"))
        while chat_input.text == QUESTION and time.monotonic() < t_enter + 10:
            await asyncio.sleep(0.005)
        state["t_sent"] = time.monotonic()
        editor.focus()
        stream = Typist(app, probe, editor, first_line=100, until=t_enter + args.cap)
        typists["stream"] = stream
        stream.start()
        await watches["done"].wait(t_enter + args.cap - time.monotonic())
        stream.stop()
        t_stop = state["t_stop_typing"] = time.monotonic()
        await stream.finish(5.0)
        state["typing"] = stream.stats(t_enter, t_stop)
        state["rss_at_done_mb"] = peak_rss_mb()
        state["finished"] = True

    ready = Watch(probe, lambda screen: main_ready(screen.app, screen))
    argv = ["--project", args.project]
    state["exit_code"] = run_app_headless(wapp.WorkbenchApp, scenario, argv)
    progress.stop()


def child_bare(args: argparse.Namespace) -> None:
    """The bare ollama client consuming the same stream: the floor."""
    import asyncio

    import ollama

    with open(args.reply_file, encoding="utf-8") as file:
        reply = file.read()

    async def consume() -> dict[str, Any]:
        client = ollama.AsyncClient(os.environ["OLLAMA_HOST"])
        started = time.monotonic()
        stream = await client.chat(
            model=MODEL, messages=[{"role": "user", "content": QUESTION}], stream=True
        )
        parts: list[str] = []
        last = None
        async for part in stream:
            if part.message.content:
                parts.append(part.message.content)
                last = time.monotonic()
        return {"t_start": started, "t_last": last, "ok": "".join(parts) == reply}

    result = asyncio.run(consume())
    result["rss_mb"] = peak_rss_mb()
    write_json(args.out, result)


# ------------------------------------------------------------------------------------------
# Parent side: the fake, the children, the transcript, the report
# ------------------------------------------------------------------------------------------


def timed_fake() -> Any:
    """A FakeOllama that records when each /api/chat began and wrote its last byte."""
    from tests.fakes.ollama_server import FakeOllama

    class TimedFakeOllama(FakeOllama):
        def __init__(self) -> None:
            super().__init__()
            self.chats: list[tuple[float, float, bool]] = []
            """(request in, last byte out, finished) per /api/chat."""

        def _chat(self, ex: Any, body: dict[str, Any]) -> None:
            began = time.monotonic()
            finished = False
            try:
                super()._chat(ex, body)
                finished = True
            finally:
                self.chats.append((began, time.monotonic(), finished))

    return TimedFakeOllama()


def child_env(root: str, ollama_url: str) -> dict[str, str]:
    """The environment of a child: data and config in `root`, Ollama at the fake."""
    env = dict(os.environ)
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "TEXTUAL"):
        env.pop(name, None)
    env["OLLAMA_HOST"] = ollama_url
    env["WORKBENCH_DATA_DIR"] = os.path.join(root, "data")
    env["WORKBENCH_CONFIG_DIR"] = os.path.join(root, "config")
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def run_child(
    script: str,
    extra: list[str],
    *,
    env: dict[str, str],
    cwd: str,
    out: str,
    deadline: Callable[[dict[str, Any] | None], float],
) -> tuple[dict[str, Any], str | None]:
    """Run `script --child ...` and return its report and, if it was killed, why.

    `deadline(progress)` says until when to wait, given its last progress report; a child still
    running then is killed and its last progress report is returned instead.
    """
    progress_file = out + ".progress"
    command = [sys.executable, script, *extra, "--out", out, "--progress", progress_file]
    t_spawn = time.monotonic()
    log_path = out + ".stderr"
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        killed = None
        while proc.poll() is None:
            time.sleep(0.2)
            progress = _load(progress_file)
            report = _load(out)
            if report is not None:
                limit = time.monotonic() + 30  # the report is in: it has 30 s to quit
                while proc.poll() is None and time.monotonic() < limit:
                    time.sleep(0.2)
                if proc.poll() is None:
                    killed = "did not quit within 30 s of its report"
                break
            if time.monotonic() > deadline(progress):
                killed = "did not answer in time"
                break
        if killed:
            proc.kill()
            proc.wait()
    result = _load(out) or _load(progress_file) or {}
    result["t_spawn"] = t_spawn
    if proc.returncode not in (0, None) and not killed and not result:
        with open(log_path, encoding="utf-8") as file:
            raise RuntimeError(f"child failed (exit {proc.returncode}):\n{file.read()[-3000:]}")
    with open(log_path, encoding="utf-8") as file:
        result["stderr_tail"] = file.read()[-2000:]
    return result, killed


def _load(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def transcript_sizes(data_dir: str) -> dict[str, Any]:
    """explore.jsonl's size and the reply text it holds in chunk lines and in message lines."""
    sessions = os.path.join(data_dir, "sessions")
    paths = [
        os.path.join(sessions, name, "explore.jsonl")
        for name in (os.listdir(sessions) if os.path.isdir(sessions) else [])
    ]
    paths = [p for p in paths if os.path.exists(p)]
    if not paths:
        return {"bytes": None}
    path = max(paths, key=os.path.getsize)
    chunk_chars = message_chars = lines = 0
    with open(path, "rb") as file:
        for raw in file:
            lines += 1
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if record.get("type") == "chunk":
                chunk_chars += len(record.get("text") or "")
            elif record.get("type") == "message" and record.get("role") == "assistant":
                message_chars += len(record.get("content") or "")
    return {
        "bytes": os.path.getsize(path),
        "lines": lines,
        "chunk_text_chars": chunk_chars,
        "message_text_chars": message_chars,
    }


def run_case(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """One case: the bare client, then the app, against a fresh fake; the figures."""
    label, kind, chars, piece = CASES[name]
    if args.quick:
        chars = QUICK_CHARS[kind]
    reply = make_reply(chars) if kind == "reply" else make_line(chars)
    assert "streaming" not in reply.lower()  # the word that says "not done" on screen
    script = os.path.abspath(__file__)
    size = f"{chars / 1e6:g} MB" if chars >= 1_000_000 else f"{chars / 1000:g} KB"
    result: dict[str, Any] = {
        "case": name,
        "label": label.format(size=size),
        "reply_chars": len(reply),
        "reply_bytes": len(reply.encode("utf-8")),
        "pieces": -(-len(reply) // piece),
        "piece_chars": piece,
        "cap_s": args.cap,
    }
    with tempfile.TemporaryDirectory(prefix="workbench-bench-huge-") as root:
        for folder in ("data", "config", "project"):
            os.makedirs(os.path.join(root, folder))
        project = os.path.join(root, "project")
        reply_file = os.path.join(root, "reply.md")
        with open(reply_file, "w", encoding="utf-8") as file:
            file.write(reply)
        fake = timed_fake()
        fake.reply = reply
        fake.chunk_chars = piece
        fake.start()
        try:
            env = child_env(root, fake.url)
            _log(f"{name}: bare client")
            bare_limit = time.monotonic() + 120
            bare, _ = run_child(
                script,
                ["--child", "bare", "--reply-file", reply_file],
                env=env,
                cwd=project,
                out=os.path.join(root, "bare.json"),
                deadline=lambda _progress: bare_limit,
            )
            began, finished, ok = fake.chats[-1] if fake.chats else (None, None, False)
            result["bare"] = {
                "server_s": _sub(finished, began),
                "end_lag_s": _sub(bare.get("t_last"), finished),
                "rss_mb": bare.get("rss_mb"),
                "ok": bool(bare.get("ok")) and ok,
            }
            chats_before = len(fake.chats)
            _log(f"{name}: app (cap {args.cap:.0f} s)")
            t_start = time.monotonic()

            def deadline(progress: dict[str, Any] | None) -> float:
                entered = (progress or {}).get("t_enter")
                if entered is None:
                    return t_start + 120  # to the question
                return float(entered) + float(args.cap) + 30

            app, killed = run_child(
                script,
                ["--child", "app", "--project", project, "--cap", str(args.cap)],
                env=env,
                cwd=project,
                out=os.path.join(root, "app.json"),
                deadline=deadline,
            )
            result["app"] = app
            result["killed"] = killed
            chats = [c for c in fake.chats[chats_before:] if c[0] >= (app.get("t_enter") or 0)]
            began, finished, ok = chats[0] if chats else (None, None, False)
            result["server_s"] = _sub(finished, began) if ok else None
            result["server_finished"] = bool(ok)
            result["end_s"] = _sub(app.get("t_tail"), finished) if ok else None
            result["done_s"] = _sub(app.get("t_done"), finished) if ok else None
        finally:
            fake.stop()
        result["transcript"] = transcript_sizes(os.path.join(root, "data"))
    return result


def _sub(a: Any, b: Any) -> float | None:
    if a is None or b is None:
        return None
    return float(a) - float(b)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def format_case(r: dict[str, Any]) -> str:
    """One case's figures, with the floor and the target beside them where there is one."""
    app = r.get("app") or {}
    cap = r["cap_s"]
    never = f"did not finish within {cap:.0f} s"
    bare = r.get("bare") or {}

    def secs(value: Any) -> str:
        return "-" if value is None else f"{value:.2f} s"

    def mb(value: Any) -> str:
        return "-" if value is None else f"{value:.0f} MB"

    def echo(stats: dict[str, Any] | None) -> str:
        if not stats or not stats.get("keys"):
            return "-"
        median, worst = stats.get("median_ms"), stats.get("worst_ms")
        if median is None:
            text = f"none shown ({stats['keys']} keys"
        else:
            text = f"{median:.0f} / {worst:.0f} ms ({stats['keys']} keys"
        if stats.get("not_echoed"):
            text += f"; {stats['not_echoed']} never shown, the oldest for "
            text += f"{stats['oldest_not_echoed_ms'] / 1000:.1f} s"
        return text + ")"

    def end(value: Any) -> str:
        if value is not None:
            return secs(value)
        return never if r.get("server_finished") else f"{never} (nor did the server)"

    t = r.get("transcript") or {}
    if t.get("bytes") is None:
        transcript = "no explore.jsonl"
    else:
        transcript = (
            f"{t['bytes'] / 1e6:.1f} MB = {t['bytes'] / r['reply_bytes']:.2f} x the reply "
            f"(text in chunk lines {t['chunk_text_chars'] / 1e6:.2f} MB, in the message "
            f"{t['message_text_chars'] / 1e6:.2f} MB; {t['lines']} lines)"
        )
    bare_server, bare_lag = secs(bare.get("server_s")), secs(bare.get("end_lag_s"))
    rows = [
        ("server: request -> last byte", secs(r.get("server_s")), f"bare {bare_server}", ""),
        ("server finished -> end visible", end(r.get("end_s")), f"bare {bare_lag}", "<= 2 s"),
        ('server finished -> done, no "streaming"', end(r.get("done_s")), "", "<= 2 s"),
        ("echo while it arrives, median / worst", echo(app.get("typing")), "", "worst < 100 ms"),
        ("echo before the question, median / worst", echo(app.get("idle_typing")), "", ""),
        ("peak RSS", mb(app.get("rss_mb")), f"bare {mb(bare.get('rss_mb'))}", "< 250 MB"),
        ("transcript explore.jsonl", transcript, "", "text once"),
    ]  # fmt: skip
    head = (
        f"{r['case']}: {r['label']}: {r['reply_chars']:,} chars in {r['pieces']:,} pieces "
        f"of {r['piece_chars']:,}"
    )
    lines = [head]
    for label, value, floor, target in rows:
        line = f"  {label:<42} {value}"
        extras = [
            x for x in (f"floor: {floor}" if floor else "", target and f"target {target}") if x
        ]
        if extras:
            line += "   [" + "; ".join(extras) + "]"
        lines.append(line)
    notes = []
    if r.get("killed"):
        notes.append(
            f"the app was killed: it {r['killed']} (figures from its last progress report)"
        )
    if not bare.get("ok"):
        notes.append("the bare client did not receive the whole reply")
    if app.get("error"):
        notes.append("the scenario failed: " + app["error"].strip().splitlines()[-1])
    lines += [f"  note: {note}" for note in notes]
    return "\n".join(lines)


def _tree_state(source: str) -> str:
    """The commit of the checkout `source` lives in, with "+dirty" if workbench/ has changes."""

    def git(*command: str) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", source, *command], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", ".")
    return f"{head}+dirty" if dirty else head


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews every figure)."""
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def header(title: str) -> str:
    """Which workbench is measured (the imported one), on what."""
    import platform

    import textual

    import workbench

    source = os.path.dirname(os.path.abspath(workbench.__file__))
    return (
        f"{title}\nworkbench {workbench.__file__} ({_tree_state(source)}), textual "
        f"{textual.__version__}, python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{SIZE[0]}x{SIZE[1]} headless; load {load_average()} at the start"
    )


def parent(args: argparse.Namespace) -> int:
    names = args.only.split(",") if args.only else list(CASES)
    top = header("bench_huge: huge replies streamed into the Explore pane at full speed")
    results = []
    for name in names:
        if name not in CASES:
            raise SystemExit(f"unknown case {name!r}; cases: {', '.join(CASES)}")
        results.append(run_case(name, args))
    if args.json:
        print(json.dumps(results, indent=2, default=str))
        return 0
    print(top + f", load {load_average()} at the end")
    print(
        f"typing into the Spec editor every {TYPE_INTERVAL_S * 1000:.0f} ms; cap {args.cap:.0f} s"
    )
    for result in results:
        print()
        print(format_case(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 MB / 50 KB replies, 60 s cap")
    parser.add_argument("--only", metavar="LIST", help=f"comma-separated: {','.join(CASES)}")
    parser.add_argument("--cap", type=float, help="seconds allowed per case (default 180)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    # Child-process options (internal).
    parser.add_argument("--child", choices=["app", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--progress", help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    parser.add_argument("--reply-file", help=argparse.SUPPRESS)
    return parser


def main() -> int:
    args = build_parser().parse_args()
    if args.cap is None:
        args.cap = 60.0 if args.quick else 180.0
    if args.child == "bare":
        child_bare(args)
        return 0
    if args.child == "app":
        child_app(args)
        return 0
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
