"""Tiny files as a user times them: whole processes, start to exit.

``ofxpost run noop.yml --quiet`` (stdout to the null device, so the JSON event lines
are rendered and written, as when they are piped) against the script a user would
write instead: a spawn ``ProcessPoolExecutor.map`` over the same jobs
(``chunksize = ⌈N / 8w⌉``), running ofxpost's own per-file function
(:func:`_peer.peer_job`), then the same aggregation and CSV (:func:`_peer.finish`).
Both are fresh ``python`` processes, so each pays its interpreter, imports, config,
plan and pool start, as a user's would.

Rounds are interleaved (the order alternates), and each round reports the wall time,
the CPU time of the whole process tree (``RUSAGE_CHILDREN``) and, on Linux, the CPU
time the hypervisor stole meanwhile (``/proc/stat``): on a shared virtual machine a
round with steal is slower for reasons of its own. The figure of merit is the
*paired* overhead per file, ``(ofxpost − plain pool) / N`` in the same round.

``--compare SRC`` adds a third runner: ``ofxpost run`` with ``SRC`` (another
checkout's ``src`` folder; its ``plugins/*/src`` are put on the path too) first on
``PYTHONPATH``::

    python benchmarks/tiny_whole.py [--files 3000] [--rounds 5] [--workers 2] [--compare SRC]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402

PEER_SCRIPT = '''\
"""A user's plain-pool script: ProcessPoolExecutor.map over the jobs, then the tables."""
import functools, math, multiprocessing, sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import _peer
import ofxpost
from ofxpost._config.plan import make_plan

if __name__ == "__main__":
    plan = make_plan(ofxpost.load_config(sys.argv[1]))
    workers = int(sys.argv[3])
    fn = functools.partial(_peer.peer_job, plan.worker_setup())
    chunk = math.ceil(len(plan.jobs) / (8 * workers))
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        records = list(pool.map(fn, plan.jobs, chunksize=chunk))
    _peer.finish(plan, records, Path(sys.argv[2]))
'''

OFXPOST = (
    "import sys; from ofxpost._cli.main import main; sys.argv[0] = 'ofxpost'; sys.exit(main())"
)


def _steal_s() -> float:
    """CPU seconds stolen by the hypervisor so far (0 where /proc/stat is absent)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, AttributeError):
        return 0.0


def _python_path(src: Path | None) -> str:
    """``PYTHONPATH`` for a runner: ``src`` and its plugins first (if given), then
    this folder (the ``.noop`` plugin and ``_peer``)."""
    parts: list[str] = []
    if src is not None:
        parts.append(str(src))
        parts += [str(p) for p in sorted((src.parent / "plugins").glob("*/src"))]
    parts.append(str(HERE))
    return os.pathsep.join(parts)


def _run_once(command: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Run ``command``; its wall time, tree CPU, stolen CPU and exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    steal = _steal_s()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, _steal_s() - steal, done.returncode


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--compare", type=Path, default=None, help="another checkout's src")
    args = parser.parse_args(argv)

    folder = _common.noop_inputs(args.files)
    scratch = _common.scratch_dir("tiny-whole")
    config = _common.write_noop_config(scratch / "noop.yml", folder, scratch / "out", args.workers)
    peer = scratch / "plain_pool.py"
    peer.write_text(PEER_SCRIPT, encoding="utf-8")
    # a user's installed package has its byte code; so do these runs
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    runners: dict[str, tuple[list[str], str]] = {
        "plain pool": (
            [sys.executable, str(peer), str(config), str(scratch / "peer-out"), str(args.workers)],
            _python_path(None),
        ),
        "ofxpost": (
            [sys.executable, "-c", OFXPOST, "run", str(config), "--quiet"],
            _python_path(None),
        ),
    }
    if args.compare is not None:
        runners["ofxpost (compare)"] = (
            [sys.executable, "-c", OFXPOST, "run", str(config), "--quiet"],
            _python_path(args.compare.resolve()),
        )
    results: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name in runners}
    print(f"tiny files, whole processes: {args.files} files, {args.workers} workers", flush=True)
    for round_no in range(args.rounds):
        order = list(runners) if round_no % 2 == 0 else list(reversed(runners))
        for name in order:
            shutil.rmtree(scratch / "out", ignore_errors=True)
            shutil.rmtree(scratch / "peer-out", ignore_errors=True)
            command, path = runners[name]
            outcome = _run_once(command, {**env, "PYTHONPATH": path})
            if outcome[3] != 0:
                raise SystemExit(f"{name} exited with {outcome[3]}")
            results[name].append(outcome)
            print(
                f"round {round_no + 1} {name}: wall {outcome[0]:.2f} s, tree CPU "
                f"{outcome[1]:.2f} s, stolen {outcome[2]:.2f} s",
                flush=True,
            )
    base = results["plain pool"]
    print()
    header = (
        "runner",
        "median wall (s)",
        "min (s)",
        "tree CPU (s)",
        "over the plain pool, per file (paired, median)",
        "rounds (ms/file)",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, rows in results.items():
        walls = [r[0] for r in rows]
        paired = [(r[0] - b[0]) / args.files * 1000 for r, b in zip(rows, base, strict=True)]
        cell = "–" if name == "plain pool" else f"{statistics.median(paired):.3f} ms"
        each = "–" if name == "plain pool" else ", ".join(f"{p:.2f}" for p in paired)
        print(
            f"| {name} | {statistics.median(walls):.2f} | {min(walls):.2f} | "
            f"{statistics.median(r[1] for r in rows):.2f} | {cell} | {each} |"
        )
    stolen = max(r[2] for rows in results.values() for r in rows)
    print(f"\nmost CPU stolen in one run: {stolen:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
