"""Mixed batch: 24 small (~6 MB) + 8 large (~48 MB) archives, the demo's own config.

What a user sees: whole ``ofxpost run`` processes, ``--sequential`` against
``--workers 2`` (or ``--workers N``), rounds interleaved. The large files come
LAST in input order (``s_*`` small, ``t_*`` large), so a scheduler that dispatches
in input order leaves one large file as the tail. The config is
:func:`ofxpost._tools.demo.demo_config` (summary, linked statistics, range graphs with
plots, a time-series group, CSV + Parquet + Excel) with the merged load matrix.

Reported per runner (medians over rounds): wall time of the whole process,
speedup over ``--sequential``, the **ideal makespan** ``max(sum of per-file times
/ workers, largest file)`` (per-file times from the sequential run's
``file_finished`` events) and the ratio wall / ideal; the phases: set-up (process
launched to ``batch_started``: imports, config, plan -- pre-started workers spawn
during it), pool start (``batch_started`` to ``mode_selected``: what the batch still
waited for its workers), files (``mode_selected`` to the last ``file_finished``) and
finish (last file finished to ``batch_finished``); the time from launch to the first
dispatched file (first ``file_started``) and to the first finished file; the
controller's own CPU per file (psutil, sampled every 20 ms until it exits; workers
excluded), over its whole life and over the files phase only (first dispatch to the
last ``file_finished``), and the CPU time of the
whole process tree (POSIX ``RUSAGE_CHILDREN``: controller and workers), which on a
machine with few CPUs bounds the wall time from below (tree CPU / CPUs).

Inputs are generated once and cached under ``benchmarks/data/`` (git-ignored)::

    python benchmarks/mixed.py [--rounds 3] [--workers 2] [--in-process] [--compare SRC]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common

SMALL = (24, 6.0)
LARGE = (8, 48.0)
SPEEDUP_TARGET = 1.8


def mixed_inputs() -> Path:
    """The mixed folder (hard links to the cached archives) and its load matrix."""
    folder = _common.DATA_DIR / f"mixed-{SMALL[0]}x{SMALL[1]:g}MB-{LARGE[0]}x{LARGE[1]:g}MB"
    marker = folder / "COMPLETE-v2"  # v2: merged probabilities sum to 1
    if marker.is_file():
        return folder
    small = _common.synth_inputs(SMALL[0], SMALL[1], seed=11)
    large = _common.synth_inputs(LARGE[0], LARGE[1], seed=12)
    sims = folder / "sims"
    sims.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, str]] = []
    case = 0
    for prefix, paths in (("s_", small), ("t_", large)):
        matrix = paths[0].parent / "load_matrix.csv"
        with open(matrix, newline="", encoding="utf-8") as handle:
            by_stem = {row["file"]: row for row in csv.DictReader(handle)}
        for path in paths:
            target = sims / f"{prefix}{path.name}"
            if not target.exists():
                try:
                    os.link(path, target)
                except OSError:  # another file system: copy
                    target.write_bytes(path.read_bytes())
            stem = path.name.removesuffix(".ofx.parquet")
            case += 1
            row = {**by_stem[stem], "case_id": str(case), "file": f"{prefix}{stem}"}
            if "probability" in row:  # two matrices merged: each group's share is half
                row["probability"] = f"{float(row['probability']) / 2:.6f}"
            rows.append(row)
    with open(sims / "load_matrix.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    marker.write_text("ok", encoding="utf-8")
    return folder


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def run_once(
    folder: Path,
    name: str,
    options: list[str],
    src: Path | None = None,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One whole ``ofxpost run`` process; its wall time, phases and controller CPU.

    :param config: the config to run (default: the demo's, :func:`_demo_config`).
    """
    config = dict(_demo_config() if config is None else config)
    config["output_dir"] = f"out_{name}"
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    events = folder / f"{name}.events.jsonl"
    events.unlink(missing_ok=True)
    command = [sys.executable, "-m", "ofxpost._cli.main", "run", str(path), "--quiet"]
    command += ["--log-file", str(events), *options]
    clock = time.perf_counter()
    launched = time.time()
    tree_before = _children_cpu()
    env = dict(os.environ)
    if src is not None:  # another checkout's ofxpost (its src folder) for comparison,
        # with that checkout's first-party plugins, which go with its ofxpost
        root = src.resolve()
        plugins = [str(p) for p in sorted((root.parent / "plugins").glob("*/src"))]
        env["PYTHONPATH"] = os.pathsep.join([str(root), *plugins])
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=folder, env=env)
    watched = psutil.Process(child.pid)
    cpu = [0.0]
    samples: list[tuple[float, float]] = []  # (time.time(), controller CPU seconds)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                cpu[0] = _cpu(watched)
            except psutil.Error:
                return
            samples.append((time.time(), cpu[0]))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = child.wait()
    wall = time.perf_counter() - clock
    tree_cpu = _children_cpu() - tree_before
    done.set()
    sampler.join()
    if code not in (0, 1):
        raise RuntimeError(f"{name}: ofxpost run exited {code}")
    lines = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    when = {e["event"]: _ts(e) for e in lines if e["event"] != "file_finished"}
    files = [e for e in lines if e["event"] == "file_finished"]
    last_file = max(_ts(e) for e in files)
    first_dispatch = min(_ts(e) for e in lines if e["event"] == "file_started")
    first_file = min(_ts(e) for e in files)
    return {
        "wall_s": wall,
        "exit_code": code,
        "first_dispatch_s": first_dispatch - launched,
        "first_finished_s": first_file - launched,
        "files_phase_s": last_file - first_dispatch,
        "end_s": wall - (last_file - launched),
        "controller_files_cpu_s": _cpu_at(samples, last_file) - _cpu_at(samples, first_dispatch),
        "setup_s": when["batch_started"] - launched,
        "pool_start_s": when["mode_selected"] - when["batch_started"],
        "files_s": last_file - when["mode_selected"],
        "tree_cpu_s": tree_cpu,
        "finish_s": when["batch_finished"] - last_file,
        "controller_cpu_s": cpu[0],
        "durations": {e["file"]: float(e["duration_s"]) for e in files},
    }


def _cpu_at(samples: list[tuple[float, float]], when: float) -> float:
    """The controller's CPU seconds at ``when`` (the last sample before it; 20 ms steps)."""
    before = [cpu for at, cpu in samples if at <= when]
    return before[-1] if before else 0.0


def _children_cpu() -> float:
    """CPU seconds of this process's reaped descendants (the whole ``ofxpost`` tree)."""
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return float(usage.ru_utime + usage.ru_stime)


def _ts(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["timestamp"]).timestamp()


def _demo_config() -> dict[str, Any]:
    from ofxpost._tools.demo import demo_config

    return demo_config(SMALL[0] + LARGE[0])


def main() -> None:
    """Run the mixed batch and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--compare", type=Path, default=None, help="also run another ofxpost src folder"
    )
    parser.add_argument(
        "--in-process", action="store_true", help="also run --in-process (one process, no worker)"
    )
    args = parser.parse_args()
    folder = mixed_inputs()
    runners = {"sequential": ["--sequential"], f"w{args.workers}": ["--workers", str(args.workers)]}
    if args.in_process:
        runners["in_process"] = ["--in-process"]
    sources: dict[str, Path | None] = dict.fromkeys(runners)
    if args.compare is not None:
        for name in list(runners):
            runners[f"before_{name}"] = runners[name]
            sources[f"before_{name}"] = args.compare
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in runners}
    loads: list[float] = []
    for number in range(args.rounds):
        order = list(runners) if number % 2 == 0 else list(reversed(runners))
        for name in order:
            loads.append(os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"))
            runs[name].append(run_once(folder, name, runners[name], sources[name]))
    durations = runs["sequential"][0]["durations"]
    per_file = list(durations.values())
    ideal = max(sum(per_file) / args.workers, max(per_file))
    n_files = len(per_file)
    rows = []
    for name, got in runs.items():
        base = "before_sequential" if name.startswith("before_") else "sequential"
        if base not in runs:  # only the current checkout has --in-process
            base = "sequential"
        seq_wall = statistics.median(r["wall_s"] for r in runs[base])
        wall = statistics.median(r["wall_s"] for r in got)
        workers = 1 if name.endswith(("sequential", "in_process")) else args.workers
        reference = max(sum(per_file) / workers, max(per_file))
        rows.append(
            [
                f"{'before: ' if sources[name] else ''}ofxpost run {' '.join(runners[name])}",
                str(workers),
                f"{wall:.2f}",
                f"{min(r['wall_s'] for r in got):.2f}–{max(r['wall_s'] for r in got):.2f}",
                f"{seq_wall / wall:.2f}×",
                f"{reference:.2f}",
                f"{wall / reference:.2f}",
                f"{statistics.median(r['first_dispatch_s'] for r in got):.3f}",
                f"{statistics.median(r['first_finished_s'] for r in got):.3f}",
                f"{statistics.median(r['setup_s'] for r in got):.3f}",
                f"{statistics.median(r['pool_start_s'] for r in got):.3f}",
                f"{statistics.median(r['files_s'] for r in got):.3f}",
                f"{statistics.median(r['finish_s'] for r in got):.3f}",
                f"{1000 * statistics.median(r['controller_cpu_s'] for r in got) / n_files:.1f}",
                f"{1000 * statistics.median(r['controller_files_cpu_s'] for r in got) / n_files:.1f}",  # noqa: E501
                f"{statistics.median(r['tree_cpu_s'] for r in got):.2f}",
            ]
        )
    header = [
        "runner",
        "workers",
        "median wall (s)",
        "min–max (s)",
        "speedup",
        "ideal makespan (s)",
        "wall / ideal",
        "first dispatch (s)",
        "first file done (s)",
        "set-up (s)",
        "pool start (s)",
        "files (s)",
        "finish (s)",
        "controller CPU / file (ms)",
        "… files phase only (ms)",
        "CPU, whole tree (s)",
    ]
    print(_common.markdown_table([dict(zip(header, row, strict=True)) for row in rows], header))
    print(
        f"files: {len(per_file)}, sum of per-file times {sum(per_file):.2f} s, largest "
        f"{max(per_file):.2f} s, ideal w={args.workers} {ideal:.2f} s; load average during "
        f"the runs {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} CPUs; "
        f"target speedup ≥ {SPEEDUP_TARGET}×"
    )


if __name__ == "__main__":
    main()
