"""Benchmark the status bar's Ollama poll against the loopback fake Ollama.

    .venv/bin/python bench/bench_status.py             # 3 runs of the app part, a table
    .venv/bin/python bench/bench_status.py --runs 1 --polls 20

(a) One poll as the status bar makes it (version, list_models, loaded_models in sequence on one
    OllamaProvider), timed in this process: median and max over `--polls`, after one warm-up.
(b) The real app streaming the 100 tok/s reply (bench_app's "100" scenario, a fresh child per
    run) with `[ollama] poll_interval_s` set to each of `--intervals` in config.toml: the worst
    event-loop stall and the lag from the fake's last token to the reply's end on screen.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_app import MODEL, REPO, Bench

if REPO not in sys.path:
    sys.path.insert(0, REPO)


def time_polls(count: int) -> list[float]:
    """Seconds per poll (the status bar's three requests), `count` polls after one warm-up."""
    from tests.fakes.ollama_server import FakeOllama
    from workbench.providers.ollama import OllamaProvider

    fake = FakeOllama(models=[MODEL, "llama3.2:3b"], loaded=[MODEL])
    fake.start()

    async def run() -> list[float]:
        provider = OllamaProvider(fake.url)

        async def poll() -> None:
            await provider.version()
            await provider.list_models()
            await provider.loaded_models()

        await poll()  # warm-up: imports ollama, builds the client, opens the connection
        times = []
        for _ in range(count):
            start = time.perf_counter()
            await poll()
            times.append(time.perf_counter() - start)
        await provider.aclose()
        return times

    try:
        return asyncio.run(run())
    finally:
        fake.stop()


class StatusBench(Bench):
    """bench_app's Bench without the 200-message session, with a settable poll interval."""

    def _make_long_session(self) -> str:
        return ""

    def set_poll_interval(self, seconds: float) -> None:
        with open(os.path.join(self.config, "config.toml"), "w", encoding="utf-8") as file:
            file.write(f"[ollama]\npoll_interval_s = {seconds!r}\n")

    def stream_100(self, interval: float) -> dict[str, float]:
        """The 100 tok/s reply with this poll interval; also the polls and >50 ms stalls seen."""
        self.set_poll_interval(interval)
        polls_before = len(self.fake.bodies("/api/ps"))
        figures = self.stream(100.0)
        reply = self.raw[-1]["reply0"]
        return {
            "end_lag_s": float(figures["r100_end_lag_s"] or float("nan")),
            "stall_s": float(figures["r100_stall_s"] or 0.0),
            "stalls_50ms": float(reply["stalls_over_50ms"]),
            "frame_gap_s": float(figures["r100_frame_gap_s"] or 0.0),
            "polls": float(len(self.fake.bodies("/api/ps")) - polls_before),
        }


def _row(label: str, values: list[float], unit: str = "s") -> str:
    def fmt(v: float) -> str:
        return f"{v:.0f}" if unit == "n" else f"{v:.3f}"

    runs = " ".join(fmt(v) for v in values)
    median, worst = fmt(statistics.median(values)), fmt(max(values))
    return f"{label:<52} {unit:<4} {median:>9} {worst:>9}   [{runs}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="app runs per interval (default 3)")
    parser.add_argument("--polls", type=int, default=50, help="timed polls (default 50)")
    parser.add_argument(
        "--intervals", default="0.2,5", help="poll_interval_s values, comma-separated"
    )
    args = parser.parse_args()
    intervals = [float(v) for v in args.intervals.split(",")]

    print(f"timing {args.polls} polls...", file=sys.stderr, flush=True)
    polls = time_polls(args.polls)

    bench_args = argparse.Namespace(child_script=None, verbose=False, long_messages=0)
    bench = StatusBench(bench_args)
    results: dict[float, list[dict[str, float]]] = {i: [] for i in intervals}
    try:
        for number in range(args.runs):
            for interval in intervals:  # interleaved, so drift hits both alike
                print(
                    f"run {number + 1}/{args.runs}: 100 tok/s, poll {interval:g} s",
                    file=sys.stderr,
                    flush=True,
                )
                results[interval].append(bench.stream_100(interval))
    finally:
        bench.close()

    head = f"{'metric':<52} unit    median       max   [per run / sample]"
    print(head)
    print("-" * len(head))
    print(
        f"{'a  one poll (version+tags+ps), in-process':<52} ms   "
        f"{statistics.median(polls) * 1000:9.1f} {max(polls) * 1000:9.1f}   "
        f"[n={len(polls)}, min {min(polls) * 1000:.1f}]"
    )
    rows: list[tuple[str, str, str]] = [
        ("stall_s", "worst event-loop stall", "s"),
        ("stalls_50ms", "stalls > 50 ms", "n"),
        ("end_lag_s", "end lag (last token -> on screen)", "s"),
        ("frame_gap_s", "longest gap between frames", "s"),
        ("polls", "/api/ps requests during the reply", "n"),
    ]
    for interval in intervals:
        for key, label, unit in rows:
            values = [r[key] for r in results[interval]]
            print(_row(f"b  poll {interval:g} s: {label}", values, unit))
    print(
        f"\nreply: {bench.tokens} tokens at 100 tok/s, {args.runs} run(s) per interval, "
        f"python {sys.version.split()[0]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
