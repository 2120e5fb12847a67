"""The caller's event loop during a batch: the longest time ofxpost keeps it busy.

A fresh process runs ``ofxpost.run_batch`` under ``asyncio.run`` next to a ticker task
that wakes every 2 ms; the config load (plugin discovery, imports), planning and the
lock all happen during the measured batch. It prints, for a parallel and a sequential
batch, the longest CPU time the loop's thread was busy between two ticks (the
interpreter's garbage-collector pauses left out) and the longest wall-clock gap, with
the limits they are held to. These were a test's assertions (``tests/test_loops.py``)
until wall-clock limits left the test suite: on a loaded machine other processes
delay a wake-up without ofxpost blocking the loop. Run alone::

    python benchmarks/loop_stall.py [--files 6] [--rounds 3]

Exit status 1 if a limit was exceeded in every round (one quiet round is enough).
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
MAX_STALL_S = 0.050
"""Longest the loop may be kept busy by ofxpost in one go."""

MAX_WALL_STALL_S = 0.250
"""Longest wall-clock gap between ticks allowed on a loaded machine (other processes and
the GIL can delay a wake-up without ofxpost blocking the loop)."""

STALL_SCRIPT = """
import asyncio, json, sys, time
import gc, threading
import ofxpost   # the first import is not measured

# The cyclic garbage collector's pauses are the interpreter's, not ofxpost's: with
# pandas and pyarrow loaded, one full collection takes tens of milliseconds whoever
# triggers it. They are measured apart and left out of the loop's busy time.
collector = {"busy": 0.0, "start": 0.0, "worst": 0.0}


def on_gc(phase, info):
    if threading.current_thread() is not threading.main_thread():
        return
    if phase == "start":
        collector["start"] = time.thread_time()
    else:
        spent = time.thread_time() - collector["start"]
        collector["busy"] += spent
        collector["worst"] = max(collector["worst"], spent)


gc.callbacks.append(on_gc)


async def measure(config, sequential):
    stop = False
    worst = {"wall": 0.0, "cpu": 0.0}

    async def ticker():
        last_wall, last_cpu = time.perf_counter(), time.thread_time() - collector["busy"]
        last_gc = collector["busy"]
        while not stop:
            await asyncio.sleep(0.002)
            wall, cpu = time.perf_counter(), time.thread_time() - collector["busy"]
            paused = collector["busy"] - last_gc
            worst["wall"] = max(worst["wall"], wall - last_wall - paused)
            worst["cpu"] = max(worst["cpu"], cpu - last_cpu)
            last_wall, last_cpu, last_gc = wall, cpu, collector["busy"]

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    result = await ofxpost.run_batch(config, sequential=sequential)
    stop = True
    await task
    return {**worst, "exit_code": result.exit_code, "gc_worst": collector["worst"]}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(sys.argv[1], sys.argv[2] == "1"))))
"""


def measure(config: Path, sequential: bool) -> dict[str, Any]:
    """One batch in a fresh process; the worst gaps of its loop."""
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "stall.py"
        script.write_text(STALL_SCRIPT, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(script), str(config), "1" if sequential else "0"],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    worst: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    _common.setup_paths()
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), os.environ["PYTHONPATH"]])
    folder = _common.noop_inputs(args.files, work_ms=20.0, tag="loop-stall")
    scratch = _common.scratch_dir("loop_stall")
    config = _common.write_noop_config(scratch / "batch.yml", folder, scratch / "out", 2)
    print(
        f"loop stall: {args.files} files, {args.rounds} rounds; limits: busy "
        f"{MAX_STALL_S * 1000:.0f} ms, gap {MAX_WALL_STALL_S * 1000:.0f} ms"
    )
    failed = False
    for sequential in (False, True):
        mode = "sequential" if sequential else "parallel"
        rounds = [measure(config, sequential) for _ in range(args.rounds)]
        for worst in rounds:
            assert worst["exit_code"] == 0, worst
            print(
                f"  {mode:10s} busy {worst['cpu'] * 1000:6.1f} ms   gap "
                f"{worst['wall'] * 1000:6.1f} ms   "
                f"worst gc pause {worst['gc_worst'] * 1000:5.1f} ms"
            )
        ok = [w["cpu"] <= MAX_STALL_S and w["wall"] <= MAX_WALL_STALL_S for w in rounds]
        print(f"  {mode}: {'within' if any(ok) else 'OVER'} the limits")
        failed = failed or not any(ok)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
