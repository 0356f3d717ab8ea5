"""Benchmark opening a big session: 1,000 Explore and 200 Implement messages and a 5 MB spec.

    .venv/bin/python bench/bench_big_session.py            # 5 variants, a table on stdout
    .venv/bin/python bench/bench_big_session.py --quick    # 200 + 40 messages, a 1 MB spec
    .venv/bin/python bench/bench_big_session.py --only full,small --json

Variants (`--only`): `full` (1,000 Explore + 200 Implement messages and a 5 MB context.md),
`messages` (the same messages, the small template spec), `spec` (the 5 MB spec, no messages),
and two floors: `small` (no messages, the small spec: the app's own floor, and the echo of a
small spec) and `textual` (a minimal Textual app, a Static and a Footer: first frame and RSS).

The sessions are written before any timing, through the measured checkout's own
`SessionStore.create` and `Transcript.append` (so the format is the app's). Messages are
deterministic and of mixed size: questions of 80-1,500 characters, some with a pasted traceback;
answers of 300-8,000 with prose, lists, tables and code blocks; Implement replies of 2-12 KB with
several files. The spec is markdown: logs, code, tables and lists.

Each variant runs in a fresh child process started like `workbench open <id>` (through
`workbench.__main__.main`, App.run headless 160x48 with an auto-pilot; the fake Ollama runs in
this process), sharing bench_huge.py's frame probe and typist. Definitions:

- first frame: process spawn (this process, just before it starts the child) -> the first
  `App._display` call (Textual calls it once per frame) showing the session's main screen,
  after the hook has built the bytes a terminal would get. `ready` is the first such frame with
  the Explore input focused; `last Explore message visible` the first frame whose Explore pane
  shows the last message's closing word (waited for up to 10 s after the first frame).
- peak RSS after start: VmHWM 2 s after the first frame (after the wait for the last message).
- jump to the end of the spec: the editor is focused and its cursor moved to the document end
  (`move_cursor(document.end)`, as ctrl+end does) -> the first frame showing the spec's last line.
- echo at the end of the spec: 50 keys, one every 50 ms, from a thread through the driver's
  `process_message` (the terminal input thread's call), Enter then two lines of 25 characters;
  a key is echoed at the first frame whose editor region shows a row equal to its line typed up
  to it. Keys not shown 10 s after the last one are counted.
- peak RSS after typing: VmHWM after the echo wait.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    # Appended, not prepended: a checkout first on PYTHONPATH (a worktree) is the one measured.
    sys.path.append(REPO)

from bench_huge import (  # noqa: E402 (after the path set-up)
    SIZE,
    FrameProbe,
    ProgressWriter,
    Typist,
    Watch,
    child_env,
    header,
    load_average,
    main_ready,
    peak_rss_mb,
    run_app_headless,
    run_child,
    timed_fake,
    write_json,
)

MODEL = "qwen2.5-coder:7b"
EXPLORE_END = "explore-end-5e1f"
"""The last Explore message's closing word."""
SPEC_END = "spec-end-4d2e"
"""The spec's last line."""
TYPED_KEYS = 50
VARIANTS = {
    "full": ("the messages and the big spec", True, True),
    "messages": ("the messages, the small spec", True, False),
    "spec": ("the big spec, no messages", False, True),
    "small": ("floor: the small spec, no messages", False, False),
    "textual": ("floor: a minimal Textual app", False, False),
}
"""name: (column heading, with messages, with the big spec)."""
TARGETS = {"first_frame_s": "< 1 s", "rss_start_mb": "< 200 MB", "rss_typed_mb": "< 200 MB"}
"""Issue 13, item 9: first frame under 1 s, memory under 200 MB, echo as in a small spec."""


# ------------------------------------------------------------------------------------------
# The session
# ------------------------------------------------------------------------------------------

_WORDS = [
    *("shard", "record", "flush", "buffer", "writer", "reader", "journal", "checkpoint"),
    *("transcript", "lock", "folder", "spec", "reply", "pane", "session", "offset", "line"),
    *("file", "worker", "timer", "frame", "cursor"),
]


def _prose(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 22))]
        if rng.random() < 0.4:
            words.insert(
                rng.randint(0, len(words)), f"`{rng.choice(_WORDS)}_{rng.randint(1, 99)}()`"
            )
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def _code(rng: random.Random, lines: int) -> str:
    name = f"{rng.choice(_WORDS)}_{rng.randint(1, 999)}"
    body = [f"def {name}(path: Path, limit: int = {rng.randint(1, 500)}) -> list[str]:"]
    body.append(f'    """Read up to `limit` {rng.choice(_WORDS)}s from `path`."""')
    for index in range(max(1, lines - 3)):
        word = rng.choice(_WORDS)
        body.append(f"    {word}_{index} = read_{word}(path, offset={index * 64}, size=limit)")
    body.append(f"    return [{rng.choice(_WORDS)}_0]")
    language = rng.choice(["python", "python", "bash", "json"])
    if language == "bash":
        body = [f"$ workbench {rng.choice(_WORDS)} --limit {i}" for i in range(lines)]
    elif language == "json":
        body = [f'{{"{rng.choice(_WORDS)}": {i}, "ok": true}}' for i in range(lines)]
    return f"```{language}\n" + "\n".join(body) + "\n```"


def _answer(rng: random.Random, target: int) -> str:
    parts: list[str] = []
    size = 0
    while size < target:
        kind = rng.random()
        if kind < 0.35:
            part = _prose(rng, rng.randint(2, 6))
        elif kind < 0.6:
            part = _code(rng, rng.randint(4, 30))
        elif kind < 0.8:
            part = "\n".join(f"- {_prose(rng, 1)}" for _ in range(rng.randint(2, 6)))
        elif kind < 0.9:
            part = f"### {_prose(rng, 1)[:60].rstrip('.')}"
        else:
            rows = [f"| {rng.choice(_WORDS)} | {rng.randint(1, 9999)} | yes |" for _ in range(5)]
            part = "| name | bytes | ok |\n|---|---|---|\n" + "\n".join(rows)
        parts.append(part)
        size += len(part) + 2
    return "\n\n".join(parts)


def _question(rng: random.Random) -> str:
    text = _prose(rng, rng.randint(1, 5))
    if rng.random() < 0.15:
        trace = "\n".join(
            f'  File "src/{rng.choice(_WORDS)}.py", line {rng.randint(1, 900)}, in {w}'
            for w in rng.sample(_WORDS, 6)
        )
        text += f"\n\n```\nTraceback (most recent call last):\n{trace}\nOSError: [Errno 5]\n```"
    return text


def make_messages(explore: int, implement: int) -> dict[str, list[tuple[str, str]]]:
    """(role, content) of each pane's messages, deterministic, alternating user / assistant."""
    rng = random.Random(13)
    out: dict[str, list[tuple[str, str]]] = {"explore": [], "implement": []}
    for index in range(explore):
        if index % 2 == 0:
            out["explore"].append(("user", _question(rng)))
        else:
            out["explore"].append(("assistant", _answer(rng, rng.choice([300, 1200, 3000, 8000]))))
    for index in range(implement):
        if index % 2 == 0:
            out["implement"].append(("user", _prose(rng, rng.randint(2, 15))))
        else:
            out["implement"].append(("assistant", _answer(rng, rng.randint(2000, 12000))))
    role, content = out["explore"][-1]
    out["explore"][-1] = (role, content + "\n\n" + EXPLORE_END)
    return out


def make_big_spec(target_chars: int) -> str:
    """A markdown spec of about `target_chars`: a task, then pasted logs, code, tables, lists."""
    rng = random.Random(7)
    parts = [
        "# Task: Big session bench",
        "## Goal\n\n" + _prose(rng, 4),
        "## Context",
    ]
    size = sum(len(p) + 2 for p in parts)
    section = 0
    while size < target_chars:
        section += 1
        kind = section % 4
        if kind == 0:
            part = (
                f"### Log {section}\n\n```\n"
                + "\n".join(
                    f"2026-11-21 10:{i % 60:02d}:{(i * 7) % 60:02d}.{i % 1000:03d} INFO "
                    f"storage.{rng.choice(_WORDS)}_{section}: "
                    f"flushed {rng.randint(1, 999)} records "
                    f"({rng.randint(100, 99999):,} bytes) in {rng.random() * 9:.1f} ms"
                    for i in range(40)
                )
                + "\n```"
            )
        elif kind == 1:
            part = f"### Note {section}\n\n" + _prose(rng, rng.randint(3, 10))
        elif kind == 2:
            part = _code(rng, rng.randint(10, 40))
        else:
            part = "\n".join(f"- [ ] {_prose(rng, 1)}" for _ in range(rng.randint(3, 10)))
        parts.append(part)
        size += len(part) + 2
    parts.append("## Acceptance\n\n- it opens in under a second")
    parts.append(SPEC_END)
    return "\n\n".join(parts) + "\n"


def small_spec() -> str:
    """The template spec a new session starts with, and the closing line."""
    from workbench.spec.template import new_spec

    return new_spec("Big session bench").rstrip("\n") + "\n\n" + SPEC_END + "\n"


def write_session(
    sessions: str, project: str, spec: str, messages: dict[str, list[tuple[str, str]]]
) -> str:
    """A session written through the app's own store and transcripts; its id."""
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from workbench.session.model import AssistantMessage, UserMessage
    from workbench.session.store import SessionStore
    from workbench.session.transcript import new_id

    store = SessionStore(Path(sessions))
    session = store.create(Path(project), spec)
    start = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    for pane, items in messages.items():
        transcript = session.explore if pane == "explore" else session.implement
        for index, (role, content) in enumerate(items):
            created = (start + timedelta(seconds=30 * index)).isoformat(timespec="seconds")
            if role == "user":
                transcript.append(UserMessage(id=new_id(), content=content, created=created))
            else:
                transcript.append(
                    AssistantMessage(
                        id=new_id(),
                        content=content,
                        model=MODEL,
                        created=created,
                        input_tokens=len(content) // 3,
                        output_tokens=len(content) // 4,
                        duration_s=round(len(content) / 400, 1),
                    )
                )
    session.close()
    return str(session.meta.id)


# ------------------------------------------------------------------------------------------
# Children
# ------------------------------------------------------------------------------------------


def child_open(args: argparse.Namespace, t_before_import: float) -> None:
    """Open the session in the app, headless; first frame, memory, typing at the spec's end."""
    import asyncio

    import workbench.app as wapp

    probe = FrameProbe()
    probe.install(wapp.WorkbenchApp)
    state: dict[str, Any] = {"t_before_import": t_before_import, "t_imported": time.monotonic()}
    watches: dict[str, Watch] = {
        "any_frame": Watch(probe, lambda screen: True),
        "first_frame": Watch(probe, lambda screen: screen is screen.app.main_screen),
        "ready": Watch(probe, lambda screen: main_ready(screen.app, screen)),
    }
    typists: list[Typist] = []

    def snapshot() -> dict[str, Any]:
        out = dict(state)
        out.update({f"t_{name}": watch.at for name, watch in list(watches.items())})
        if typists:
            out["typing"] = typists[0].stats()
        out["rss_mb"] = peak_rss_mb()
        out["frames"] = probe.frames
        return out

    progress = ProgressWriter(args.progress, snapshot)
    progress.start()

    async def scenario(app: Any) -> None:
        try:
            await run(app)
        except Exception:
            import traceback

            state["error"] = traceback.format_exc()
        finally:
            for typist in typists:
                typist.stop()
                typist.closed = True
            final = snapshot()
            final["probe_errors"] = probe.errors
            write_json(args.out, final)

    async def run(app: Any) -> None:
        if await watches["first_frame"].wait(args.cap) is None:
            state["no_first_frame"] = True
            return
        await watches["ready"].wait(30)
        main = app.main_screen
        if args.messages:
            pane = main.query_one("#explore")
            watches["tail"] = Watch(
                probe, lambda screen: EXPLORE_END in probe.text_of(screen, pane)
            )
            await watches["tail"].wait(10.0)
        await asyncio.sleep(2.0)
        state["rss_start_mb"] = peak_rss_mb()
        editor = main.query_one("#spec-editor")
        watches["spec_end"] = Watch(probe, lambda screen: SPEC_END in probe.text_of(screen, editor))
        state["t_jump"] = time.monotonic()
        editor.focus()
        editor.move_cursor(editor.document.end)
        await watches["spec_end"].wait(10.0)
        typist = Typist(app, probe, editor, first_line=1, keys=TYPED_KEYS)
        typists.append(typist)
        typist.start()
        await typist.finish(10.0)
        state["typing"] = typist.stats()
        state["rss_typed_mb"] = peak_rss_mb()
        state["finished"] = True

    run_app_headless(wapp.WorkbenchApp, scenario, ["open", args.session])
    progress.stop()


def child_textual(args: argparse.Namespace, t_before_import: float) -> None:
    """A minimal Textual app (a Static and a Footer): its first frame and memory, the floor."""
    import asyncio

    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Static

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("A minimal Textual app")
            yield Footer()

    probe = FrameProbe()
    probe.install(Minimal)
    first = Watch(probe, lambda screen: True)
    state: dict[str, Any] = {"t_before_import": t_before_import}

    async def autopilot(pilot: Any) -> None:
        state["t_first_frame"] = await first.wait(30)
        await asyncio.sleep(2.0)
        state["rss_start_mb"] = peak_rss_mb()
        write_json(args.out, state)
        pilot.app.exit()

    Minimal().run(headless=True, size=SIZE, auto_pilot=autopilot)


# ------------------------------------------------------------------------------------------
# Parent
# ------------------------------------------------------------------------------------------


def run_variants(args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    names = args.only.split(",") if args.only else list(VARIANTS)
    for name in names:
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}; variants: {', '.join(VARIANTS)}")
    explore, implement = (200, 40) if args.quick else (1000, 200)
    spec_chars = 1_000_000 if args.quick else 5_000_000
    script = os.path.abspath(__file__)
    results = []
    meta: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="workbench-bench-big-") as root:
        for folder in ("data", "config", "project"):
            os.makedirs(os.path.join(root, folder))
        project = os.path.join(root, "project")
        sessions = os.path.join(root, "data", "sessions")
        _log("writing the sessions")
        messages = make_messages(explore, implement)
        big_spec = make_big_spec(spec_chars)
        no_messages: dict[str, list[tuple[str, str]]] = {"explore": [], "implement": []}
        meta = {
            "explore": explore,
            "implement": implement,
            "messages_chars": sum(len(c) for items in messages.values() for _, c in items),
            "code_blocks": sum(
                c.count("```") // 2 for items in messages.values() for _, c in items
            ),
            "spec_chars": len(big_spec),
        }
        ids = {}
        for name in names:
            _, with_messages, with_spec = VARIANTS[name]
            if name != "textual":
                spec = big_spec if with_spec else small_spec()
                ids[name] = write_session(
                    sessions, project, spec, messages if with_messages else no_messages
                )
        if "full" in ids:
            folder = os.path.join(sessions, ids["full"])
            meta["files_mb"] = {
                f: os.path.getsize(os.path.join(folder, f)) / 1e6
                for f in ("explore.jsonl", "implement.jsonl", "context.md")
            }
        fake = timed_fake()
        fake.start()
        try:
            env = child_env(root, fake.url)
            for name in names:
                _log(f"{name}: {VARIANTS[name][0]}")
                results.append(run_variant(name, ids.get(name), script, env, project, root, args))
        finally:
            fake.stop()
    return results, meta


def run_variant(
    name: str,
    session_id: str | None,
    script: str,
    env: dict[str, str],
    project: str,
    root: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    t_start = time.monotonic()

    def deadline(progress: dict[str, Any] | None) -> float:
        first = (progress or {}).get("t_first_frame")
        if first is None:
            return t_start + float(args.cap) + 30
        return float(first) + 90  # 10 s tail, 2 s settle, 10 s jump, 2.5 s typing, 10 s echo

    if name == "textual":
        extra = ["--child", "textual"]
    else:
        extra = ["--child", "open", "--session", str(session_id), "--cap", str(args.cap)]
        if VARIANTS[name][1]:
            extra.append("--messages")
    out = os.path.join(root, f"{name}.json")
    report, killed = run_child(script, extra, env=env, cwd=project, out=out, deadline=deadline)
    spawn = report["t_spawn"]

    def since_spawn(key: str) -> float | None:
        value = report.get(key)
        return None if value is None else float(value) - spawn

    jump, spec_end = report.get("t_jump"), report.get("t_spec_end")
    return {
        "variant": name,
        "killed": killed,
        "first_frame_s": since_spawn("t_first_frame"),
        "from_import_s": _sub(report.get("t_first_frame"), report.get("t_before_import")),
        "ready_s": since_spawn("t_ready"),
        "tail_s": since_spawn("t_tail"),
        "rss_start_mb": report.get("rss_start_mb"),
        "jump_s": _sub(spec_end, jump),
        "jumped": jump is not None,
        "typing": report.get("typing"),
        "rss_typed_mb": report.get("rss_typed_mb"),
        "rss_mb": report.get("rss_mb"),
        "error": report.get("error"),
    }


def _sub(a: Any, b: Any) -> float | None:
    if a is None or b is None:
        return None
    return float(a) - float(b)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def format_table(results: list[dict[str, Any]], meta: dict[str, Any], cap: float) -> str:
    def secs(value: Any, never: str = "never") -> str:
        return never if value is None else f"{value:.2f}"

    def mb(value: Any) -> str:
        return "-" if value is None else f"{value:.0f}"

    def echo(r: dict[str, Any], key: str) -> str:
        stats = r.get("typing")
        if not stats or not stats.get("keys"):
            return "-"
        value = stats.get(key)
        return "none shown" if value is None else f"{value:.0f}"

    def jumped(r: dict[str, Any]) -> str:
        return secs(r["jump_s"], ">10") if r["jumped"] else "-"

    def unshown(r: dict[str, Any]) -> str:
        stats = r.get("typing")
        if not stats:
            return "-"
        return f"{stats['not_echoed']}/{stats['keys']}"

    rows: list[tuple[str, str, Any, str]] = [
        ("spawn -> first frame", "s", lambda r: secs(r["first_frame_s"], f">{cap:.0f}"), "< 1 s"),
        ("  of which from import", "s", lambda r: secs(r["from_import_s"], "-"), ""),
        ("spawn -> Explore input focused", "s", lambda r: secs(r["ready_s"], "-"), ""),
        ("spawn -> last Explore message shown", "s", lambda r: secs(r["tail_s"], "-"), ""),
        ("peak RSS after start", "MB", lambda r: mb(r["rss_start_mb"]), "< 200 MB"),
        ("jump to spec end -> shown", "s", jumped, ""),
        ("echo at spec end, median", "ms", lambda r: echo(r, "median_ms"), "as small"),
        ("echo at spec end, worst", "ms", lambda r: echo(r, "worst_ms"), "as small"),
        ("  keys not shown within 10 s", "", unshown, ""),
        ("peak RSS after typing 50 keys", "MB", lambda r: mb(r["rss_typed_mb"]), "< 200 MB"),
    ]  # fmt: skip
    width = 13
    names = [r["variant"] for r in results]
    head = f"{'':38}{'':4}" + "".join(f"{n:>{width}}" for n in names) + "  target"
    lines = [head]
    for label, unit, value, target in rows:
        cells = []
        for r in results:
            # The minimal Textual app has neither messages nor a spec.
            shown = r["variant"] != "textual" or label.strip().startswith(
                ("spawn -> first", "of which", "peak RSS after start")
            )
            cells.append(f"{value(r) if shown else '':>{width}}")
        lines.append(f"{label:<38}{unit:<4}" + "".join(cells) + f"  {target}")
    lines.append("")
    for r in results:
        lines.append(f"  {r['variant']:<9} {VARIANTS[r['variant']][0]}")
    lines.append(
        f"messages: {meta['explore']:,} Explore + {meta['implement']:,} Implement, "
        f"{meta['messages_chars'] / 1e6:.1f} M chars, {meta['code_blocks']:,} code blocks; "
        f"big spec {meta['spec_chars'] / 1e6:.1f} M chars"
    )
    if meta.get("files_mb"):
        files = ", ".join(f"{k} {v:.1f} MB" for k, v in meta["files_mb"].items())
        lines.append(f"full session on disk: {files}")
    for r in results:
        if r.get("killed"):
            lines.append(f"note: {r['variant']}: the app {r['killed']}; figures from its progress")
        if r.get("error"):
            lines.append(f"note: {r['variant']}: " + r["error"].strip().splitlines()[-1])
    return "\n".join(lines)


def parent(args: argparse.Namespace) -> int:
    top = header("bench_big_session: opening a big session, typing at the end of its spec")
    results, meta = run_variants(args)
    if args.json:
        print(json.dumps({"meta": meta, "variants": results}, indent=2))
        return 0
    print(top + f", load {load_average()} at the end")
    print(format_table(results, meta, args.cap))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 + 40 messages, a 1 MB spec")
    parser.add_argument("--only", metavar="LIST", help=f"comma-separated: {','.join(VARIANTS)}")
    parser.add_argument(
        "--cap", type=float, default=120.0, help="seconds allowed to the first frame"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    # Child-process options (internal).
    parser.add_argument("--child", choices=["open", "textual"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--progress", help=argparse.SUPPRESS)
    parser.add_argument("--session", help=argparse.SUPPRESS)
    parser.add_argument("--messages", action="store_true", help=argparse.SUPPRESS)
    return parser


def main() -> int:
    t_before_import = time.monotonic()
    args = build_parser().parse_args()
    if args.child == "open":
        child_open(args, t_before_import)
        return 0
    if args.child == "textual":
        child_textual(args, t_before_import)
        return 0
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
