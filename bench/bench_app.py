"""Benchmark the real workbench app, headless, against the loopback fake Ollama.

    .venv/bin/python bench/bench_app.py            # 3 runs, a table on stdout
    .venv/bin/python bench/bench_app.py --runs 5 --json

Every figure comes from a fresh child process (this script with `--child ...`) that starts the
app the way the `workbench` command does (`workbench.__main__.main`: load_settings,
SessionStore.create/open, WorkbenchApp) with `App.run` switched to headless at 160x48 and an
auto-pilot. The fake Ollama runs in this (parent) process on 127.0.0.1, so its thread never
competes with the app for the GIL; time.monotonic() is the same clock in both processes (Linux
CLOCK_MONOTONIC), which is how "after the fake's last token" is measured.

"On screen" means a frame was composed by Textual's compositor with the state in question: the
child hooks `App._display` (which Textual calls once per frame), also turns each frame into the
terminal byte string a real terminal would get (headless Textual skips that), and checks the
conditions on every frame. The end of a reply counts as on screen when the frame's text shows the
reply's last line, the Markdown source equals the whole reply and the message is marked done.

A child can be run on its own (e.g. under a profiler); it needs OLLAMA_HOST, WORKBENCH_DATA_DIR
and WORKBENCH_CONFIG_DIR, see bench/README.md.
"""

from __future__ import annotations

# Only light standard-library imports up here: the first-frame child measures from before
# `import workbench.app`, and everything imported before it is start-up time too.
import argparse
import json
import os
import sys
import time
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

SIZE = (160, 48)
MODEL = "qwen2.5-coder:7b"  # the first model of the default "fast" tier
QUESTION = "Walk me through how the session store locks and writes transcripts."
REPLY_TAIL = "bench-7f3a"
"""The reply's last line (short, so it never wraps in the ~50-column Explore pane)."""
TRANSCRIPT_TAIL = "bench-9c1d"

TARGETS = {
    "first_frame_s": ("< 1 s", lambda v: v < 1.0),
    "full_reply_s": ("< 2 s", lambda v: v < 2.0),
    "end_lag_100_s": ("<= 0.3 s", lambda v: v <= 0.3),
    "stall_full_s": ("<= 0.1 s", lambda v: v <= 0.1),
    "stall_100_s": ("<= 0.1 s", lambda v: v <= 0.1),
    "rss_mb": ("< 150 MB", lambda v: v < 150.0),
    "long_first_frame_s": ("< 1 s", lambda v: v < 1.0),
    "long_rss_mb": ("< 150 MB", lambda v: v < 150.0),
}


# ------------------------------------------------------------------------------------------
# Test data
# ------------------------------------------------------------------------------------------

_PY_BLOCK = '''```python
def {name}(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line to `path` (one write, O_APPEND)."""
    data = (json.dumps(record, ensure_ascii=False) + "\\n").encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
        while written < len(data):
            written += os.write(fd, data[written:])
    finally:
        os.close(fd)
```'''

_BASH_BLOCK = """```bash
$ workbench sessions
20261121T101502123-3f9a1c  {name}  2 min ago   12 / 3
$ ls ~/.local/share/workbench/sessions/20261121T101502123-3f9a1c
context.md  explore.jsonl  implement.jsonl  session.json  .lock
```"""

_JSON_BLOCK = """```json
{{"v": 1, "type": "chunk", "id": "20261121T101502123-{name}", "text": "partial reply"}}
```"""


def make_reply(target_chars: int = 8000) -> str:
    """About `target_chars` of realistic model markdown: headings, prose, lists, code fences."""
    parts: list[str] = []
    index = 0
    while sum(len(p) + 2 for p in parts) < target_chars - 200:
        n = index + 1
        parts.append(f"## {n}. How step {n} works")
        parts.append(
            f"The store keeps **one folder per session**, and step {n} matters because the "
            "transcript is *append-only*: every message is a single JSON line, written with "
            "`O_APPEND` so two writers never interleave. A crash loses at most the line being "
            f"written, and `Transcript.load()` skips a broken line with a warning (case {n})."
        )
        parts.append(
            "- The lock is an `flock` on `.lock`, dropped by the kernel if the process dies\n"
            "- The pid written into it is only for the error message\n"
            f"- Checkpoints go out every `checkpoint_interval_s` seconds (item {n})\n"
            "- A reply that never got its final line is recovered as *interrupted*"
        )
        block = (_PY_BLOCK, _BASH_BLOCK, _JSON_BLOCK)[index % 3]
        parts.append(block.format(name=f"write_record_{n}" if index % 3 == 0 else f"n{n:04d}"))
        parts.append(
            f"1. Open the file with `os.open` (step {n}a)\n"
            "2. Write the whole record in one call\n"
            "3. Close the descriptor in `finally`"
        )
        if index % 4 == 3:
            parts.append(
                "| file | written by | when |\n|---|---|---|\n"
                "| `context.md` | spec pane | autosave |\n"
                "| `explore.jsonl` | explore pane | every message |\n"
                "| `session.json` | store | model or title change |"
            )
        index += 1
    parts.append(REPLY_TAIL)
    return "\n\n".join(parts) + "\n"


def make_transcript_message(index: int, last: bool) -> tuple[str, str]:
    """(role, content) of message `index` of the long transcript, ~300 tokens (~1,200 chars)."""
    if index % 2 == 0:
        text = (
            f"Question {index}: how does the chat pane keep the transcript and the views in sync "
            "when a reply is cancelled halfway? I looked at `_finish` and `checkpoint` and I am "
            "not sure the partial text always reaches the file before the app exits. " * 4
        )
        return "user", text[:1200] + ("\n\n" + TRANSCRIPT_TAIL if last else "")
    body = (
        f"### Answer {index}\n\n"
        "When the worker is cancelled, `CancelledError` arrives at the next `await`, and the "
        "handler marks the reply **interrupted** before flushing what arrived:\n\n"
        '```python\nexcept asyncio.CancelledError:\n    reply.status = "interrupted"\n'
        "    await self._finish(reply, view, streamer, None)\n    raise\n```\n\n"
        "- the streamer writes the pending text to the markdown widget\n"
        "- the whole message is appended to the transcript as one JSON line\n"
        "- the view's header switches to *interrupted*\n\n"
        "So the partial text reaches the file before the app exits, as long as `save_all` "
        "awaited the worker. The checkpoints in between only matter after a crash, when "
        "`Transcript.load` rebuilds the reply from its chunks and marks it recovered. "
        "That covers both the quit path and the kill -9 path; the remaining gap is a power "
        "failure between two checkpoints, which loses at most half a second of text.\n"
    )
    return "assistant", body + ("\n" + TRANSCRIPT_TAIL + "\n" if last else "")


def make_long_session(data_dir: str, project: str, count: int) -> str:
    """A session whose Explore transcript holds `count` messages of ~300 tokens; its id."""
    os.environ["WORKBENCH_DATA_DIR"] = data_dir
    from pathlib import Path

    from workbench.session.model import AssistantMessage, UserMessage
    from workbench.session.store import SessionStore
    from workbench.session.transcript import new_id
    from workbench.spec.template import new_spec

    store = SessionStore(Path(data_dir) / "sessions")
    session = store.create(Path(project), new_spec("Long transcript"))
    for index in range(count):
        role, content = make_transcript_message(index, index == count - 1)
        created = "2026-11-21T10:00:00+00:00"
        session.explore.append(
            AssistantMessage(
                id=new_id(),
                content=content,
                model=MODEL,
                created=created,
                output_tokens=len(content) // 4,
                duration_s=1.5,
            )
            if role == "assistant"
            else UserMessage(id=new_id(), content=content, created=created)
        )
    session.close()
    return session.meta.id


def prepare(folder: str, count: int) -> int:
    """Lay out data/config/project, the reply and a long session, for running children by hand."""
    folder = os.path.abspath(folder)
    for name in ("data", "config", "project"):
        os.makedirs(os.path.join(folder, name), exist_ok=True)
    reply_file = os.path.join(folder, "reply.md")
    with open(reply_file, "w", encoding="utf-8") as file:
        file.write(make_reply())
    long_id = make_long_session(
        os.path.join(folder, "data"), os.path.join(folder, "project"), count
    )
    print(f"export WORKBENCH_DATA_DIR={folder}/data WORKBENCH_CONFIG_DIR={folder}/config")
    print(f"export PYTHONPATH={REPO}")
    print(f"# reply: {reply_file}")
    print(f"# long session id: {long_id}")
    return 0


# ------------------------------------------------------------------------------------------
# Child side: runs inside a fresh process
# ------------------------------------------------------------------------------------------


class _Probe:
    """Checks named conditions on every frame Textual displays; records when each first held."""

    def __init__(self) -> None:
        self.frames = 0
        self.frame_times: list[float] = []
        self.watch: dict[str, tuple[Any, bool]] = {}
        self.hit: dict[str, float] = {}
        self.events: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.last_text: str | None = None
        self.keep_text = False

    def add(self, name: str, predicate: Any, *, needs_text: bool = False) -> None:
        import asyncio

        self.watch[name] = (predicate, needs_text)
        self.events.setdefault(name, asyncio.Event())

    def on_frame(self, app: Any, screen: Any) -> None:
        now = time.monotonic()
        self.frames += 1
        self.frame_times.append(now)
        text: str | None = None
        if self.keep_text:
            strips = screen._compositor.render_strips()
            text = self.last_text = "\n".join(strip.text for strip in strips)
        for name, (predicate, needs_text) in list(self.watch.items()):
            try:
                ok = bool(predicate(app, screen))
                if ok and needs_text:
                    if text is None:
                        strips = screen._compositor.render_strips()
                        text = "\n".join(strip.text for strip in strips)
                    ok = predicate.tail in text
            except Exception as exc:  # a widget not there yet, or a bug: keep it for the report
                self.errors[name] = repr(exc)
                ok = False
            if ok:
                self.hit[name] = now
                del self.watch[name]
                self.events[name].set()

    async def wait(self, name: str, timeout: float) -> float | None:
        import asyncio

        try:
            await asyncio.wait_for(self.events[name].wait(), timeout)
        except TimeoutError:
            return None
        return self.hit[name]


class _Tail:
    """A predicate that also needs `tail` in the frame's text."""

    def __init__(self, tail: str, check: Any) -> None:
        self.tail = tail
        self.check = check

    def __call__(self, app: Any, screen: Any) -> bool:
        return bool(self.check(app, screen))


class _StallMonitor:
    """A task that sleeps 10 ms in a loop and records how late it wakes up."""

    def __init__(self, period: float = 0.01) -> None:
        self.period = period
        self.samples = 0
        self.stalls: list[tuple[float, float]] = []
        """(monotonic time the late sleep began, seconds late) for every sleep > 15 ms late."""
        self._task: Any = None

    def start(self) -> None:
        import asyncio

        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        import asyncio

        while True:
            before = time.perf_counter()
            began = time.monotonic()
            await asyncio.sleep(self.period)
            late = time.perf_counter() - before - self.period
            self.samples += 1
            if late > 0.015:
                self.stalls.append((began, late))

    def stop(self, start: float, end: float) -> dict[str, Any]:
        """Stats of the stalls that began inside [start, end] (later ones are not the stream's)."""
        if self._task is not None:
            self._task.cancel()
        inside = [(at, late) for at, late in self.stalls if start - 0.011 <= at <= end]
        return {
            "max_stall_s": max((late for _, late in inside), default=0.0),
            "stalls_over_50ms": len([1 for _, late in inside if late > 0.05]),
            "stalls": [(round(at - start, 3), round(late, 3)) for at, late in self.stalls],
            "samples": self.samples,
        }


def _max_gap(times: list[float], start: float, end: float) -> float:
    inside = [start, *(t for t in times if start <= t <= end), end]
    from itertools import pairwise

    return max((b - a for a, b in pairwise(inside)), default=0.0)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class _Tracer:
    """Wraps a few synchronous Textual internals to time them (`--trace`): where frames go."""

    TARGETS = (
        ("textual.screen", "Screen", "_refresh_layout"),
        ("textual.screen", "Screen", "_compositor_refresh"),
        ("textual.css.stylesheet", "Stylesheet", "update_nodes"),
        ("textual.app", "App", "_register"),
        ("textual.widgets._markdown", "MarkdownFence", "highlight"),
        ("markdown_it.main", "MarkdownIt", "parse"),
    )

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = {}
        self.slow: list[tuple[float, float, str]] = []
        self.stacks: list[tuple[str, float, list[str]]] = []
        """Who called the slowest ones (> 100 ms)."""

    def install(self) -> None:
        import functools
        import importlib
        import inspect

        for module_name, class_name, method in self.TARGETS:
            cls = getattr(importlib.import_module(module_name), class_name)
            raw = inspect.getattr_static(cls, method)
            is_classmethod = isinstance(raw, classmethod)
            original = raw.__func__ if is_classmethod else raw
            name = f"{class_name}.{method}"

            def wrapper(*a: Any, __o: Any = original, __n: str = name, **k: Any) -> Any:
                start = time.perf_counter()
                try:
                    return __o(*a, **k)
                finally:
                    took = time.perf_counter() - start
                    entry = self.totals.setdefault(__n, [0, 0.0, 0.0])
                    entry[0] += 1
                    entry[1] += took
                    entry[2] = max(entry[2], took)
                    if took > 0.02:
                        self.slow.append((time.monotonic() - took, took, __n))
                    if took > 0.1:
                        self.stacks.append((__n, took, _short_stack()))

            wrapped = functools.wraps(original)(wrapper)
            setattr(cls, method, classmethod(wrapped) if is_classmethod else wrapped)

    def report(self) -> dict[str, Any]:
        return {
            "totals": {
                k: {"calls": v[0], "total_s": v[1], "max_s": v[2]} for k, v in self.totals.items()
            },
            "slow": self.slow,
            "stacks": self.stacks,
        }


def _short_stack() -> list[str]:
    """The caller chain, innermost last, without asyncio/bench plumbing."""
    import traceback

    frames = traceback.extract_stack()[:-2]
    keep = [
        f"{f.filename.split('site-packages/')[-1].split('/work/main/')[-1]}:{f.lineno} {f.name}"
        for f in frames
        if "asyncio" not in f.filename and "bench_app" not in f.filename
    ]
    return keep[-14:]


def child_app(args: argparse.Namespace) -> None:
    """Start the app through the CLI entry point, headless, and run one scenario."""
    t_before_import = time.monotonic()
    from textual.app import App

    import workbench.app as wapp

    t_imported = time.monotonic()
    tracer = _Tracer() if args.trace else None
    if tracer is not None:
        tracer.install()
    result: dict[str, Any] = {
        "t_before_import": t_before_import,
        "t_imported": t_imported,
    }
    probe = _Probe()
    probe.keep_text = bool(args.dump_screen)
    original_display = App._display

    def display(self: App[Any], screen: Any, renderable: Any) -> None:
        original_display(self, screen, renderable)
        if renderable is None or self._batch_count:
            return
        if self.is_headless and not args.no_terminal_output:
            # What a real terminal would cost: headless Textual composes but never serializes.
            render = getattr(renderable, "render_segments", None)
            if render is not None:
                render(self.console)
        probe.on_frame(self, screen)

    wapp.WorkbenchApp._display = display  # type: ignore[method-assign]

    def main_ready(app: Any, screen: Any) -> bool:
        main = app.main_screen
        if main is None or screen is not main:
            return False
        focused = main.focused
        return focused is not None and focused.id == "explore-input"

    probe.add("ready", main_ready)
    if args.child == "frame" and args.expect_messages:

        def with_messages(app: Any, screen: Any) -> bool:
            return main_ready(app, screen) and bool(screen.query("#explore MessageView"))

        probe.add("ready_messages", with_messages)
        probe.add("tail_visible", _Tail(TRANSCRIPT_TAIL, main_ready), needs_text=True)

    reply = _read(args.reply_file) if args.reply_file else ""

    async def autopilot(pilot: Any) -> None:
        app = pilot.app
        try:
            await scenario(app, pilot)
        except Exception as exc:  # report, never hang
            import traceback

            result["error"] = f"{exc!r}\n{traceback.format_exc()}"
        finally:
            app.exit()

    async def scenario(app: Any, pilot: Any) -> None:
        result["t_ready"] = await probe.wait("ready", args.timeout)
        if args.child == "frame":
            if args.expect_messages:
                result["t_ready_messages"] = await probe.wait("ready_messages", args.timeout)
                # Not shown within 10 s of the first frame means it is not going to be.
                result["t_tail_visible"] = await probe.wait("tail_visible", 10.0)
                main = app.main_screen
                result["views"] = len(main.query("#explore MessageView"))
            return
        for number in range(args.replies):
            result[f"reply{number}"] = await one_reply(app, pilot, number)

    async def one_reply(app: Any, pilot: Any, number: int) -> dict[str, Any]:
        import asyncio

        from textual import events

        main = app.main_screen
        pane = main.query_one("#explore")
        chat_input = main.query_one("#explore-input")
        before = len(pane.query("MessageView"))
        chat_input.text = QUESTION
        await asyncio.sleep(0.3)  # let the input settle; the frame loop goes idle

        def reply_view() -> Any | None:
            views = list(pane.query("MessageView"))
            if len(views) <= before:
                return None
            view = views[-1]
            return view if view.message.role == "assistant" else None

        def first_text(app: Any, screen: Any) -> bool:
            view = reply_view()
            return view is not None and bool(view.markdown.source)

        def complete(app: Any, screen: Any) -> bool:
            view = reply_view()
            return (
                view is not None and view.message.status == "done" and view.markdown.source == reply
            )

        probe.add(f"first_text{number}", first_text)
        probe.add(f"complete{number}", _Tail(REPLY_TAIL, complete), needs_text=True)
        monitor = _StallMonitor()
        monitor.start()
        frames_before = probe.frames
        t_enter = time.monotonic()
        app._driver.send_message(events.Key("enter", None))
        t_first = await probe.wait(f"first_text{number}", args.timeout)
        t_done = await probe.wait(f"complete{number}", args.timeout)
        await asyncio.sleep(0.5)  # also record what happens just after the end (not counted)
        stats = monitor.stop(t_enter, t_done or time.monotonic())
        view = reply_view()
        out: dict[str, Any] = {
            "t_enter": t_enter,
            "t_first_text": t_first,
            "t_complete": t_done,
            "frames": probe.frames - frames_before,
            "max_frame_gap_s": _max_gap(probe.frame_times, t_enter, t_done or time.monotonic()),
            "source_ok": view is not None and view.markdown.source == reply,
            "status": getattr(getattr(view, "message", None), "status", None),
            "blocks": len(view.markdown.children) if view is not None else 0,
            "pane_classes_after": sorted(pane.classes),
            **stats,
        }
        return out

    original_run = wapp.WorkbenchApp.run

    def run(self: Any, *_: Any, **__: Any) -> Any:
        return original_run(
            self,
            headless=True,
            size=SIZE,
            auto_pilot=autopilot,
        )

    wapp.WorkbenchApp.run = run  # type: ignore[method-assign]

    from workbench.__main__ import main

    argv = json.loads(args.argv)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # "Session saved: ..."
        code = main(argv)
    result["exit_code"] = code
    result["rss_mb"] = _rss_mb()
    result["frames"] = probe.frames
    result["probe_errors"] = probe.errors
    if args.dump_screen and probe.last_text is not None:
        with open(args.dump_screen, "w", encoding="utf-8") as file:
            file.write(probe.last_text)
    if tracer is not None:
        result["trace"] = tracer.report()
    with open(args.out, "w", encoding="utf-8") as file:
        json.dump(result, file)


def child_bare(args: argparse.Namespace) -> None:
    """The bare ollama client consuming the same stream: the floor for the reply time."""
    import asyncio

    t0 = time.monotonic()
    import ollama

    t_imported = time.monotonic()
    reply = _read(args.reply_file)

    async def consume() -> dict[str, Any]:
        started = time.monotonic()
        client = ollama.AsyncClient(os.environ["OLLAMA_HOST"])
        stream = await client.chat(
            model=MODEL, messages=[{"role": "user", "content": QUESTION}], stream=True
        )
        parts = []
        first = None
        async for part in stream:
            if part.message.content:
                first = first or time.monotonic()
                parts.append(part.message.content)
        done = time.monotonic()
        return {
            "t_start": started,
            "t_first": first,
            "t_done": done,
            "ok": "".join(parts) == reply,
            "chunks": len(parts),
        }

    result = asyncio.run(consume())
    result["import_s"] = t_imported - t0
    result["rss_mb"] = _rss_mb()
    with open(args.out, "w", encoding="utf-8") as file:
        json.dump(result, file)


# ------------------------------------------------------------------------------------------
# Parent side: the fake server, the child runs, the table
# ------------------------------------------------------------------------------------------


def _timed_fake() -> Any:
    """A FakeOllama that records when each stream wrote its last content token."""
    from tests.fakes.ollama_server import FakeOllama

    class TimedFakeOllama(FakeOllama):
        def __init__(self) -> None:
            super().__init__()
            self.last_token_at: list[float] = []
            self.stream_started_at: list[float] = []

        def stream_began(self) -> None:
            super().stream_began()
            self.stream_started_at.append(time.monotonic())
            self.last_token_at.append(0.0)

        def _line(self, ex: Any, payload: dict[str, Any]) -> None:  # type: ignore[override]
            FakeOllama._line(ex, payload)
            if payload.get("done") is False:
                self.last_token_at[-1] = time.monotonic()

    return TimedFakeOllama()


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        import tempfile

        self.args = args
        self.tmp = tempfile.TemporaryDirectory(prefix="workbench-bench-")
        root = self.tmp.name
        self.data = os.path.join(root, "data")
        self.config = os.path.join(root, "config")
        self.project = os.path.join(root, "project")
        for folder in (self.data, self.config, self.project):
            os.makedirs(folder)
        self.reply = make_reply()
        self.reply_file = os.path.join(root, "reply.md")
        with open(self.reply_file, "w", encoding="utf-8") as file:
            file.write(self.reply)
        self.fake = _timed_fake()
        self.fake.reply = self.reply
        self.fake.chunk_chars = 4
        self.fake.start()
        self.tokens = len(self.fake.chunks_for(MODEL))
        self.long_id = self._make_long_session()
        self.counter = 0
        self.raw: list[dict[str, Any]] = []
        """Every child's own report, for --json and --verbose."""

    def close(self) -> None:
        self.fake.stop()
        self.tmp.cleanup()

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
            env.pop(name, None)
        env["OLLAMA_HOST"] = self.fake.url
        env["WORKBENCH_DATA_DIR"] = self.data
        env["WORKBENCH_CONFIG_DIR"] = self.config
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        env.pop("TEXTUAL", None)  # no devtools
        env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
        return env

    def _make_long_session(self) -> str:
        return make_long_session(self.data, self.project, self.args.long_messages)

    def child(self, mode: str, extra: list[str], timeout: float) -> tuple[float, dict[str, Any]]:
        import subprocess

        self.counter += 1
        out = os.path.join(self.tmp.name, f"result-{self.counter}.json")
        script = self.args.child_script or os.path.abspath(__file__)
        command = [sys.executable, script, "--child", mode, "--out", out]
        command += extra
        t_spawn = time.monotonic()
        proc = subprocess.run(
            command,
            env=self.env(),
            cwd=self.project,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(
                f"child {mode} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
            )
        with open(out, encoding="utf-8") as file:
            result = json.load(file)
        if result.get("error"):
            raise RuntimeError(f"child {mode} failed:\n{result['error']}")
        result["mode"], result["t_spawn"] = mode, t_spawn
        self.raw.append(result)
        if self.args.verbose:
            _log(json.dumps(result, default=str)[:4000])
        return t_spawn, result

    # -- scenarios ---------------------------------------------------------------------------

    def first_frame(self) -> dict[str, float | None]:
        argv = json.dumps(["--project", self.project])
        t_spawn, r = self.child("frame", ["--argv", argv, "--timeout", "30"], 90)
        ready = r.get("t_ready")
        return {
            "first_frame_s": _sub(ready, t_spawn),
            "first_frame_from_import_s": _sub(ready, r["t_before_import"]),
            "interpreter_start_s": _sub(r["t_before_import"], t_spawn),
        }

    def long_transcript(self) -> dict[str, float | None]:
        argv = json.dumps(["open", self.long_id])
        extra = ["--argv", argv, "--timeout", "60", "--expect-messages"]
        t_spawn, r = self.child("frame", extra, 120)
        return {
            "long_first_frame_s": _sub(r.get("t_ready_messages"), t_spawn),
            "long_tail_visible_s": _sub(r.get("t_tail_visible"), t_spawn),
            "long_views": float(r.get("views") or 0),
            "long_rss_mb": r["rss_mb"],
        }

    def stream(self, rate: float | None) -> dict[str, float | None]:
        self.fake.tokens_per_s = rate
        before = len(self.fake.last_token_at)
        replies = 2 if rate is None else 1
        argv = json.dumps(["--project", self.project])
        extra = ["--argv", argv, "--reply-file", self.reply_file, "--replies", str(replies)]
        extra += ["--timeout", "120"]
        _, r = self.child("stream", extra, 300)
        last_tokens = self.fake.last_token_at[before:]
        out: dict[str, float | None] = {"rss_mb": r["rss_mb"]}
        for number in range(replies):
            s = r[f"reply{number}"]
            assert isinstance(s, dict)
            if not s["source_ok"]:
                raise RuntimeError(f"reply {number} incomplete on screen: {s}")
            last = last_tokens[number] if number < len(last_tokens) else None
            prefix = "full" if rate is None else "r100"
            suffix = "" if number == 0 else "_2nd"
            out[f"{prefix}_reply_s{suffix}"] = _sub(s["t_complete"], s["t_enter"])
            out[f"{prefix}_first_text_s{suffix}"] = _sub(s["t_first_text"], s["t_enter"])
            out[f"{prefix}_end_lag_s{suffix}"] = _sub(s["t_complete"], last)
            out[f"{prefix}_stall_s{suffix}"] = s["max_stall_s"]
            out[f"{prefix}_frame_gap_s{suffix}"] = s["max_frame_gap_s"]
            out[f"{prefix}_frames{suffix}"] = s["frames"]
            out[f"{prefix}_blocks{suffix}"] = s["blocks"]
        if rate is None:
            out["rss_mb_full"] = out.pop("rss_mb")
        else:
            out["rss_mb_100"] = out.pop("rss_mb")
        return out

    def bare(self) -> dict[str, float | None]:
        self.fake.tokens_per_s = None
        _, r = self.child("bare", ["--reply-file", self.reply_file], 60)
        if not r["ok"]:
            raise RuntimeError("bare client did not receive the whole reply")
        return {"bare_client_s": _sub(r["t_done"], r["t_start"]), "bare_rss_mb": r["rss_mb"]}


def _tree_state() -> str:
    """The commit measured, and a digest of uncommitted changes under workbench/ (if any)."""
    import hashlib
    import subprocess

    def git(*command: str) -> str:
        try:
            done = subprocess.run(
                ["git", *command], cwd=REPO, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    diff = git("diff", "HEAD", "--", "workbench")
    return f"{head}+dirty:{hashlib.sha1(diff.encode()).hexdigest()[:8]}" if diff else head


def _sub(a: Any, b: Any) -> float | None:
    if a is None or b is None:
        return None
    return float(a) - float(b)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


ROWS = [
    # (key, label, unit, target key)
    ("first_frame_s", "1  first usable frame (process spawn -> frame)", "s", "first_frame_s"),
    ("first_frame_from_import_s", "   ... of which from `import workbench.app`", "s", None),
    (
        "full_reply_s",
        "2  2,000-token reply, full speed: Enter -> all on screen",
        "s",
        "full_reply_s",
    ),
    ("bare_client_s", "   bare ollama.AsyncClient, same stream", "s", None),
    ("full_first_text_s", "   Enter -> first text on screen", "s", None),
    ("full_reply_s_2nd", "   2nd reply (client warm, 1 reply above)", "s", None),
    ("r100_end_lag_s", "3  100 tok/s: fake's last token -> end on screen", "s", "end_lag_100_s"),
    ("r100_reply_s", "   100 tok/s: Enter -> all on screen", "s", None),
    ("full_stall_s", "4  worst event-loop stall, full speed", "s", "stall_full_s"),
    ("full_stall_s_2nd", "   ... 2nd reply", "s", None),
    ("r100_stall_s", "   worst event-loop stall, 100 tok/s", "s", "stall_100_s"),
    ("full_frame_gap_s", "   longest gap between frames, full speed", "s", None),
    ("r100_frame_gap_s", "   longest gap between frames, 100 tok/s", "s", None),
    ("rss_mb_full", "5  peak RSS, app streaming at full speed", "MB", "rss_mb"),
    (
        "long_first_frame_s",
        "6  open 200-message session: spawn -> frame",
        "s",
        "long_first_frame_s",
    ),
    ("long_tail_visible_s", "   ... -> last message visible", "s", None),
    ("long_rss_mb", "   peak RSS with the 200-message session open", "MB", "long_rss_mb"),
]


def summarize(runs: list[dict[str, float | None]]) -> dict[str, dict[str, Any]]:
    import statistics

    keys: list[str] = []
    for run in runs:
        keys += [k for k in run if k not in keys]
    summary: dict[str, dict[str, Any]] = {}
    for key in keys:
        values = [run.get(key) for run in runs]
        numbers = [v for v in values if v is not None]
        entry: dict[str, Any] = {"runs": values}
        if numbers:
            entry.update(median=statistics.median(numbers), min=min(numbers), max=max(numbers))
        summary[key] = entry
    for key, _, _, target in ROWS:
        if target and key in summary:
            text, check = TARGETS[target]
            median = summary[key].get("median")
            missing = len([v for v in summary[key]["runs"] if v is None])
            summary[key]["target"] = text
            summary[key]["ok"] = median is not None and not missing and bool(check(median))
    return summary


def format_table(summary: dict[str, dict[str, Any]], meta: dict[str, Any]) -> str:
    def fmt(value: Any, unit: str) -> str:
        if value is None:
            return "-"
        number = float(value)
        return f"{number:.0f}" if unit == "MB" else f"{number:.3f}"

    width = max(len(label) for _, label, _, _ in ROWS)
    head = f"{'metric':<{width}}  unit {'median':>8} {'min':>8} {'max':>8}  target     ok"
    lines = [head, "-" * len(head)]
    for key, label, unit, target in ROWS:
        entry = summary.get(key)
        if entry is None:
            continue
        missing = [v for v in entry["runs"] if v is None]
        ok = entry.get("ok")
        mark = "" if target is None else ("yes" if ok else "NO")
        if missing:
            mark += f" ({len(missing)} run(s) never got there)"
        lines.append(
            f"{label:<{width}}  {unit:<4} {fmt(entry.get('median'), unit):>8} "
            f"{fmt(entry.get('min'), unit):>8} {fmt(entry.get('max'), unit):>8}  "
            f"{entry.get('target', ''):<10} {mark}"
        )
    lines.append("")
    lines.append(
        f"workbench {meta['workbench']}   python {meta['python']}   wall {meta['wall_s']} s"
    )
    lines.append(
        f"runs: {meta['runs']}   reply: {meta['reply_tokens']} tokens / "
        f"{meta['reply_chars']} chars, "
        f"{meta['reply_code_blocks']} code blocks   terminal: {SIZE[0]}x{SIZE[1]} headless   "
        f"long session: {meta['long_messages']} messages"
    )
    lines.append(
        "for scale: other Textual chat clients need 1.2-9 s to first frame, 15-42 s for the "
        "2,000-token reply, ~285 MB; the bare client ~0.07 s"
    )
    return "\n".join(lines)


def parent(args: argparse.Namespace) -> int:
    bench = Bench(args)
    started = time.monotonic()
    runs: list[dict[str, float | None]] = []
    errors: list[str] = []
    try:
        scenarios = [
            ("first-frame", "first frame", bench.first_frame),
            ("full", "full-speed reply", lambda: bench.stream(None)),
            ("bare", "bare client", bench.bare),
            ("100", f"100 tok/s reply (~{bench.tokens / 100:.0f} s)", lambda: bench.stream(100.0)),
            ("long", "long transcript", bench.long_transcript),
        ]
        wanted = set(args.only.split(",")) if args.only else {name for name, _, _ in scenarios}
        if args.skip_slow:
            wanted.discard("100")
        for number in range(args.runs):
            run: dict[str, float | None] = {}
            for name, label, measure in scenarios:
                if name in wanted:
                    _log(f"run {number + 1}/{args.runs}: {label}")
                    try:
                        run.update(measure())
                    except Exception as exc:  # report it and go on: the script always ends
                        errors.append(f"run {number + 1}, {name}: {exc}")
                        _log(f"  FAILED: {exc}")
            runs.append(run)
    finally:
        bench.close()
    summary = summarize(runs)
    meta = {
        "runs": args.runs,
        "reply_tokens": bench.tokens,
        "reply_chars": len(bench.reply),
        "reply_code_blocks": bench.reply.count("```") // 2,
        "long_messages": args.long_messages,
        "wall_s": round(time.monotonic() - started, 1),
        "python": sys.version.split()[0],
        "workbench": _tree_state(),
        "errors": errors,
    }
    if args.json:
        print(json.dumps({"meta": meta, "metrics": summary, "children": bench.raw}, indent=2))
    else:
        print(format_table(summary, meta))
        for error in errors:
            print(f"error: {error}")
    ok = not errors and all(entry.get("ok", True) for entry in summary.values())
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--skip-slow", action="store_true", help="skip the 100 tok/s reply (~20 s)")
    parser.add_argument(
        "--prepare",
        metavar="DIR",
        help="only lay out a data dir, reply file and long session in DIR",
    )
    parser.add_argument("--verbose", action="store_true", help="log each child's report")
    parser.add_argument(
        "--only", metavar="LIST", help="comma-separated subset of: first-frame,full,bare,100,long"
    )
    parser.add_argument(
        "--child-script",
        metavar="PATH",
        help="run the children through this script instead (to try a patch; see README)",
    )
    parser.add_argument("--long-messages", type=int, default=200, help=argparse.SUPPRESS)
    # Child-process options (internal; usable by hand for profiling, see README).
    parser.add_argument("--child", choices=["frame", "stream", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--argv", default="[]", help=argparse.SUPPRESS)
    parser.add_argument("--reply-file", help=argparse.SUPPRESS)
    parser.add_argument("--replies", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--expect-messages", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dump-screen", help=argparse.SUPPRESS)
    parser.add_argument("--no-terminal-output", action="store_true", help=argparse.SUPPRESS)
    return parser


def main() -> int:
    args = build_parser().parse_args()
    if args.prepare:
        return prepare(args.prepare, args.long_messages)
    if args.child == "bare":
        child_bare(args)
        return 0
    if args.child:
        child_app(args)
        return 0
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
