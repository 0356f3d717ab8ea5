"""Benchmark the Changes screen on a 5,000-line diff, headless, next to Textual's floor.

    .venv/bin/python bench/bench_changes_view.py              # 3 runs, a table on stdout
    .venv/bin/python bench/bench_changes_view.py --runs 5 --pages 60

Everything runs in this process with `App.run_test()` (headless). A hook on `App._display`
(Textual calls it once per frame) also turns each frame into the bytes a real terminal would
get, which headless Textual skips, and records when the frame was shown.

- first frame: `push_screen(ChangesScreen(...))` -> the first frame showing the DiffView's rows;
- page scroll: `pilot.press("pagedown")` on the diff -> the next frame (animations off), the
  mean over `--pages` presses, and how much of it the DiffView spent making its lines.

Two diffs of a Python file: one 5,000-line hunk (the file wholly rewritten: 5,000 lines out,
5,000 in) and 1,000 small hunks (2 lines out, 3 in, 3 lines of context each). Each at 160x48
(side by side) and 100x32 (unified). The floor is a minimal app: a screen with one Static
pushed (first frame), and pagedown in a VerticalScroll holding a 5,000-line Static (scroll); and
the Changes screen over a one-line diff (what the screen costs without a big diff). Exits 1 when
a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import VerticalScroll  # noqa: E402
from textual.content import Content  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widgets import Static  # noqa: E402

from workbench.apply.changes import ChangeSet, FileChange, Hunk, with_context  # noqa: E402
from workbench.apply.staging_area import StagingArea  # noqa: E402
from workbench.screens.changes import ChangesScreen  # noqa: E402
from workbench.widgets.diff_view import DiffView  # noqa: E402

LINES = 5_000
SINGLE_GAP_S = 0.3
"""The pause between pagedown presses "one at a time" (longer than the DiffView's settle)."""
TARGETS = {"first_frame_s": ("< 0.5 s", 0.5), "page_s": ("< 0.05 s", 0.05)}


def source_lines(count: int) -> list[str]:
    """`count` lines of real Python (this repository's own modules, repeated if need be)."""
    lines: list[str] = []
    for path in sorted(Path(REPO, "workbench").rglob("*.py")):
        lines += path.read_text(encoding="utf-8").splitlines(keepends=True)
    while len(lines) < count:
        lines += lines
    return lines[:count]


def rewritten(line: str, number: int) -> str:
    """A changed version of a line, as a model rewriting the file might make it."""
    body = line.rstrip("\n").replace("self", "this")
    return f"{body}  # {number}\n" if body.strip() else line


def rewrite_change() -> FileChange:
    """The file wholly rewritten: one hunk of 5,000 lines out and 5,000 in."""
    old = source_lines(LINES)
    new = [rewritten(line, n) for n, line in enumerate(old)]
    hunk = Hunk(old_start=0, old_lines=old, new_lines=new, origin=["whole file"])
    return FileChange(path="big.py", status="modified", hunks=[hunk], base_sha256=None)


def many_hunks_change() -> FileChange:
    """1,000 hunks, each 2 lines out and 3 in, with their context: a 5,000-line diff."""
    base = source_lines(LINES)
    hunks = []
    for start in range(0, LINES, 5):
        old = base[start : start + 2]
        new = [rewritten(line, start) for line in old] + ["    pass  # added\n"]
        hunk = Hunk(old_start=start, old_lines=old, new_lines=new, origin=["exact"])
        with_context(base, hunk)
        hunks.append(hunk)
    return FileChange(path="big.py", status="modified", hunks=hunks, base_sha256=None)


class Probe:
    """Waits for frames (through an `App._display` hook) and sums the DiffView's `render_line`."""

    def __init__(self) -> None:
        self.render_s = 0.0
        self.rendered = False
        self._want: tuple[Callable[[Any], bool], asyncio.Future[tuple[float, float]]] | None = None

    def install(self) -> None:
        original_display = App._display
        original_line = DiffView.render_line
        probe = self

        def display(app: App[Any], screen: Any, renderable: Any) -> None:
            original_display(app, screen, renderable)
            if renderable is None or app._batch_count:
                return
            render = getattr(renderable, "render_segments", None)
            if render is not None:
                render(app.console)  # what a real terminal would cost
            if probe._want is not None and probe._want[0](screen):
                probe._want[1].set_result((time.perf_counter(), time.process_time()))
                probe._want = None

        def render_line(view: DiffView, y: int) -> Any:
            start = time.perf_counter()
            strip = original_line(view, y)
            probe.render_s += time.perf_counter() - start
            probe.rendered = probe.rendered or bool(view.rows)
            return strip

        App._display = display  # type: ignore[method-assign]
        DiffView.render_line = render_line  # type: ignore[method-assign]

    def expect(self, check: Callable[[Any], bool]) -> asyncio.Future[tuple[float, float]]:
        """(perf_counter, process CPU time) of the next frame whose screen passes `check`."""
        future: asyncio.Future[tuple[float, float]] = asyncio.get_running_loop().create_future()
        self._want = (check, future)
        return future


class Bare(App[None]):
    """The floor: nothing but what is pushed."""

    def compose(self) -> ComposeResult:
        return []


class StaticScreen(Screen[None]):
    """The floor's screen: one Static (or a scroll of a long one)."""

    def __init__(self, text: str, scroll: bool) -> None:
        super().__init__()
        self.text, self.scroll = text, scroll

    def compose(self) -> ComposeResult:
        if self.scroll:
            with VerticalScroll(id="scroll"):
                yield Static(Content(self.text))
        else:
            yield Static(Content(self.text))


async def measure(
    probe: Probe, make: Callable[[], Screen[None]], size: tuple[int, int], pages: int
) -> dict[str, float]:
    """First frame of the screen `make()` gives; the mean press->frame of pagedown pressed
    `pages` times in a row (a held key), then a quarter as many times one at a time."""
    app = Bare()
    app.animation_level = "none"
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        probe.rendered = False
        screen = make()
        is_diff = isinstance(screen, ChangesScreen)
        frame = probe.expect(lambda s: s is screen and (probe.rendered or not is_diff))
        start = time.perf_counter()
        app.push_screen(screen)
        first, _ = await asyncio.wait_for(frame, 30)
        await pilot.pause()
        figures = {"first_frame_s": first - start}
        for kind, count, gap in (("held", pages, 0.0), ("single", pages // 4, SINGLE_GAP_S)):
            times, cpus, lines = [], [], []
            for _ in range(count):
                await asyncio.sleep(gap)
                probe.render_s = 0.0
                frame = probe.expect(lambda s: s is screen)
                began, cpu = time.perf_counter(), time.process_time()
                await pilot.press("pagedown")
                shown, shown_cpu = await asyncio.wait_for(frame, 30)
                times.append(shown - began)
                cpus.append(shown_cpu - cpu)
                lines.append(probe.render_s)
            figures[f"{kind}_s"] = statistics.mean(times or [0.0])
            figures[f"{kind}_cpu_s"] = statistics.mean(cpus or [0.0])
            figures[f"{kind}_lines_s"] = statistics.mean(lines or [0.0])
        return figures


def changes_screen(change: FileChange, folder: Path) -> Callable[[], Screen[None]]:
    """A factory of Changes screens over a staging area holding `change` alone."""

    def make() -> Screen[None]:
        staging = StagingArea(folder / "session", folder / "project")
        staging.changes = ChangeSet(reply_id="bench", files=[change])
        return ChangesScreen(staging)

    return make


def one_line_change() -> FileChange:
    """A one-line diff: what the Changes screen costs by itself."""
    hunk = Hunk(old_start=0, old_lines=["x = 1\n"], new_lines=["x = 2\n"], origin=["exact"])
    return FileChange(path="small.py", status="modified", hunks=[hunk], base_sha256=None)


def ms(value: float | None, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value * 1000:{width - 3}.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--pages", type=int, default=40, help="pagedown presses per run")
    args = parser.parse_args()
    gc.set_threshold(2000, 10, 1000)  # as `workbench` runs the app (see __main__.py)
    probe = Probe()
    probe.install()
    folder = Path(tempfile.mkdtemp(prefix="bench-changes-"))
    (folder / "session").mkdir()
    (folder / "project").mkdir()
    long_text = "".join(source_lines(LINES))
    wide, narrow = (160, 48), (100, 32)
    scenarios: list[tuple[str, Callable[[], Screen[None]], tuple[int, int], int]] = [
        ("floor: one Static", lambda: StaticScreen("hello", False), wide, 0),
        ("floor: 5,000-line Static, scrolled", lambda: StaticScreen(long_text, True), wide, 1),
        ("Changes screen, 1-line diff", changes_screen(one_line_change(), folder), wide, 0),
        ("one 5,000-line hunk, side by side", changes_screen(rewrite_change(), folder), wide, 1),
        ("one 5,000-line hunk, unified", changes_screen(rewrite_change(), folder), narrow, 1),
        ("1,000 hunks, side by side", changes_screen(many_hunks_change(), folder), wide, 1),
        ("1,000 hunks, unified", changes_screen(many_hunks_change(), folder), narrow, 1),
    ]
    width = max(len(s[0]) for s in scenarios) + 10
    head = (
        f"{'scenario':<{width}} {'first frame':>12} {'held: page':>11} {'of it, lines':>13} "
        f"{'single: page':>13} {'of it, lines':>13}"
    )
    print(head)
    print("-" * len(head))
    ok = True
    for name, make, size, scrolls in scenarios:
        pages = args.pages if scrolls else 0
        runs = []
        for _ in range(args.runs):
            gc.collect()  # the apps of earlier runs are garbage: not this run's cost
            runs.append(asyncio.run(measure(probe, make, size, pages)))
        median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        worst = max(r["first_frame_s"] for r in runs)
        if not name.startswith("floor") and pages:
            slowest = max(median["held_cpu_s"], median["single_cpu_s"])
            ok = ok and worst < TARGETS["first_frame_s"][1] and slowest < TARGETS["page_s"][1]

        def cell(key: str, width: int, pages: int = pages, median: dict = median) -> str:
            return ms(median[key] if pages else None, width)

        label = f"{name} ({size[0]}x{size[1]})"
        print(
            f"{label:<{width}} {ms(median['first_frame_s'], 12)} {cell('held_cpu_s', 11)} "
            f"{cell('held_lines_s', 13)} {cell('single_cpu_s', 13)} {cell('single_lines_s', 13)}"
        )
    print()
    print(
        f"median of {args.runs} runs. First frame: push -> the frame showing the diff (target "
        f"{TARGETS['first_frame_s'][0]}, worst run). Page: CPU time from pagedown to the frame "
        f"(target {TARGETS['page_s'][0]}), {args.pages} presses in a row (a held key: lines not "
        f"highlighted yet show plain until the scrolling stops) and {args.pages // 4} one at a "
        f"time, {SINGLE_GAP_S} s apart. Lines: the DiffView's own share (its render_line)."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
