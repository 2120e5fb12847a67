"""The controller's garbage-collector pauses and worst loop lag over a batch of tiny files.

A fresh process runs ``ofxpost.run_batch`` under ``asyncio.run`` on a batch of tiny
files (default 2,000) next to a ticker task that wakes every 2 ms. ``gc.callbacks``
times every collection in the controller process, on every thread (the loop's,
the set-up and writer threads), by generation. It prints, with and without
``gc.freeze()`` called after the imports and the config load (the objects made so far
-- pandas, pyarrow, pydantic, the plugins -- are then never scanned again): the
number of collections, the worst and total pause per generation, and the loop's
worst lag (the longest gap between two ticks, garbage collection included), and how
long a full ``gc.collect()`` takes once the batch is done. No
limits are checked: it prints figures. Run alone::

    python benchmarks/gc_pauses.py [--files 2000] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import asyncio, gc, json, sys, threading, time
import ofxpost

pauses = {0: [], 1: [], 2: []}
started = threading.local()


def on_gc(phase, info):
    if phase == "start":
        started.t = time.perf_counter()
    elif getattr(started, "t", None) is not None:
        pauses[info["generation"]].append(time.perf_counter() - started.t)
        started.t = None


async def main(config, freeze):
    loaded = await ofxpost.load_config_async(config)
    if freeze:
        gc.collect()
        gc.freeze()
    gc.callbacks.append(on_gc)
    stop, worst = False, [0.0]

    async def ticker():
        last = time.perf_counter()
        while not stop:
            await asyncio.sleep(0.002)
            now = time.perf_counter()
            worst[0] = max(worst[0], now - last - 0.002)
            last = now

    task = asyncio.create_task(ticker())
    began = time.perf_counter()
    result = await ofxpost.run_batch(loaded)
    wall = time.perf_counter() - began
    stop = True
    await task
    gc.callbacks.remove(on_gc)
    full = time.perf_counter()
    gc.collect()
    full = time.perf_counter() - full
    return {
        "full_s": full,
        "exit_code": result.exit_code,
        "wall_s": wall,
        "lag_s": worst[0],
        "frozen": gc.get_freeze_count(),
        "gc": {g: [len(p), max(p, default=0.0), sum(p)] for g, p in pauses.items()},
    }


if __name__ == "__main__":  # spawned workers import this script again
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2] == "1"))))
"""


def measure(config: Path, freeze: bool) -> dict[str, Any]:
    """One batch in a fresh process: its collections and the loop's worst lag."""
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "gc_pauses_run.py"
        script.write_text(SCRIPT, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(script), str(config), "1" if freeze else "0"],
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    _common.setup_paths()
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), os.environ["PYTHONPATH"]])
    folder = _common.noop_inputs(args.files, tag="gc-pauses")
    scratch = _common.scratch_dir("gc_pauses")
    config = _common.write_noop_config(
        scratch / "batch.yml", folder, scratch / "out", args.workers
    )
    print(f"gc pauses: {args.files} tiny files, {args.workers} workers, {args.rounds} round(s)")
    for freeze in (False, True):
        for _ in range(args.rounds):
            run = measure(config, freeze)
            assert run["exit_code"] == 0, run
            label = f"gc.freeze() ({run['frozen']} objects)" if freeze else "no freeze"
            print(
                f"  {label}: batch {run['wall_s']:.1f} s, loop's worst lag "
                f"{run['lag_s'] * 1000:.1f} ms; a full gc.collect() afterwards "
                f"{run['full_s'] * 1000:.1f} ms"
            )
            for generation, (count, worst, total) in sorted(run["gc"].items()):
                print(
                    f"    gen {generation}: {count:5d} collections, worst "
                    f"{worst * 1000:6.2f} ms, total {total * 1000:8.1f} ms"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
