"""Parsing and staging an Implement reply: 20 edits over 10 files of 2,000 lines.

Prints the median/min/max of `--runs` runs for each step (parse, stage = match + diff + hunks,
render the accepted files) next to the aim (the whole under 0.2 s), and the floor: Python's own
`difflib.unified_diff` over the same 10 files. No model is involved: every edit matches directly
(half exactly, half only tolerantly), which is the path a reply takes before the fast model.

    .venv/bin/python bench/bench_apply.py --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.apply.filetext import read_file_text
from workbench.apply.parse import parse_edits
from workbench.apply.stage import stage_reply

FILES = 10
LINES = 2000
EDITS_PER_FILE = 2
AIM_S = 0.2


def source(n: int) -> str:
    """A 2,000-line Python module with functions of five lines each."""
    out = []
    for i in range(LINES // 5):
        out += [
            f"def function_{n}_{i}(value):\n",
            f"    total = value + {i}\n",
            "    if total > 10:\n",
            f"        return total * {n}\n",
            "    return total\n",
        ]
    return "".join(out)


def reply() -> str:
    """20 SEARCH/REPLACE blocks: per file one exact, one with the indentation changed."""
    parts = ["Here is the change.\n"]
    for n in range(FILES):
        a, b = 37 + n, 311 + n
        parts.append(
            f"\nsrc/module_{n}.py\n```python\n<<<<<<< SEARCH\n"
            f"def function_{n}_{a}(value):\n    total = value + {a}\n=======\n"
            f"def function_{n}_{a}(value):\n    total = value + {a} + 1\n>>>>>>> REPLACE\n```\n"
        )
        parts.append(
            f"\nsrc/module_{n}.py\n```python\n<<<<<<< SEARCH\n"
            f"total = value + {b}\nif total > 10:\n"  # indented differently: tolerant
            f"=======\ntotal = value + {b}\nif total > 11:\n>>>>>>> REPLACE\n```\n"
        )
    return "".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    text = reply()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "src").mkdir()
        originals = {}
        for n in range(FILES):
            originals[n] = source(n)
            (root / "src" / f"module_{n}.py").write_text(originals[n])
        times: dict[str, list[float]] = {"parse": [], "stage": [], "render": [], "total": []}
        floor: list[float] = []
        hunks = failures = 0
        for _ in range(args.runs):
            t0 = time.perf_counter()
            parsed = parse_edits(text)
            t1 = time.perf_counter()
            changes = asyncio.run(stage_reply(root, parsed, reply_id="bench"))
            t2 = time.perf_counter()
            for change in changes.files:
                for hunk in change.hunks:
                    hunk.decision = "accepted"
                base = read_file_text(root / change.path, change.path)
                lines = change.render(base.lines)
                change.file_text(lines).encode(lines)
            t3 = time.perf_counter()
            times["parse"].append(t1 - t0)
            times["stage"].append(t2 - t1)
            times["render"].append(t3 - t2)
            times["total"].append(t3 - t0)
            hunks = sum(len(c.hunks) for c in changes.files)
            failures = len(changes.failures)
            t4 = time.perf_counter()
            for n in range(FILES):
                new = originals[n].replace(f"value + {37 + n}\n", f"value + {37 + n} + 1\n", 1)
                list(difflib.unified_diff(originals[n].splitlines(True), new.splitlines(True)))
            floor.append(time.perf_counter() - t4)
    print(
        f"reply: {len(text):,} chars, {len(parsed.edits)} edits over {FILES} files of {LINES} lines"
    )
    print(f"staged: {hunks} hunks, {failures} failures")
    for name, values in times.items():
        aim = f"   aim < {AIM_S:.2f} s" if name == "total" else ""
        print(
            f"{name:<7} median {statistics.median(values) * 1000:7.1f} ms  "
            f"min {min(values) * 1000:7.1f}  max {max(values) * 1000:7.1f}{aim}"
        )
    print(
        f"floor   median {statistics.median(floor) * 1000:7.1f} ms"
        "  (difflib.unified_diff, 10 files)"
    )
    rewrite_ok = True
    for size in (2_500, 5_000):
        took = rewrite(size)
        rewrite_ok = rewrite_ok and took < 1.0
        print(f"whole-file rewrite of {size:,} lines, a change every 7th: {took * 1000:7.1f} ms")
    return 0 if statistics.median(times["total"]) < AIM_S and not failures and rewrite_ok else 1


def rewrite(size: int) -> float:
    """Seconds to stage a whole-file rewrite of `size` lines with scattered changes (the
    shape that made difflib take ~47 s on 5,000 lines before regions were diffed with
    autojunk)."""
    block = ["def f{i}():\n", "    x = 1\n", "\n", "    return x\n", "\n"]
    lines = [line.format(i=i) for i in range(size // 5) for line in block]
    new = [line.replace("x = 1", "x = 2") if n % 7 == 0 else line for n, line in enumerate(lines)]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "big.py").write_text("".join(lines))
        parsed = parse_edits(f"big.py\n```python\n{''.join(new)}```\n")
        started = time.perf_counter()
        asyncio.run(stage_reply(root, parsed, reply_id="bench"))
        return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
