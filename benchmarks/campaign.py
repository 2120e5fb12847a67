"""Campaign-sized mixed batch: 96 small (~6 MB) + 32 large (~48 MB) archives in two folders.

What a user sees on a real campaign: whole ``ofxpost run`` processes with the demo's
config (summary, linked statistics, range graphs with plots, a time-series group, CSV +
Parquet + Excel + HTML; no load matrix: its ``file`` column names a stem, and here the
stems repeat), over a load-case tree whose two folders hold the same names
(``a/case_001`` … and ``b/case_001`` …), each folder's large files last in input order.

Runners, rounds interleaved (the order rotates by one each round): ``--in-process``
(one process, no worker), ``--sequential`` (one worker process) and ``--workers N``.
The sequential reference is the faster (median) of the two single-process modes.

Reported per runner (medians over rounds, with the load average at each run): the wall
time of the whole process; the phases from its events -- **to first dispatch**
(process launched to the first ``file_started``: imports, config, plan, pool start),
**files** (first dispatch to the last ``file_finished``) and **finish** (the rest:
aggregation, writing, plots, exit) --; the speedup over the sequential reference; the
controller's CPU per file over the files phase; and the **Amdahl limit** for N workers
computed from the measured phases::

    limit = T_ref / (serial + files_ref / N)

with ``serial`` = the N-worker run's own to-first-dispatch + finish (what more workers
do not shorten) and ``files_ref`` = the reference's files phase. On a machine with
fewer than N + 1 CPUs the whole tree's CPU time bounds the wall time too (``CPU
bound`` = tree CPU / CPUs), which the table also gives.

The archives are generated once into a folder under the system's temporary directory
(never the repository; ``--data DIR`` to choose, ``--fresh`` to regenerate) and
reused while complete::

    python benchmarks/campaign.py [--scale 1] [--rounds 2] [--workers 2] [--compare SRC]

``--scale 0.25`` runs 24 + 8 files (the counts scale; the sizes do not).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common
import mixed

SMALL = (96, 6.0)
LARGE = (32, 48.0)
FOLDERS = ("a", "b")
SPEEDUP_TARGET = 1.8


def _counts(scale: float) -> tuple[int, int]:
    """Files per folder (small, large) at ``scale``: at least one of each."""
    per = len(FOLDERS)
    small = max(1, round(SMALL[0] * scale / per))
    large = max(1, round(LARGE[0] * scale / per))
    return small, large


def campaign_inputs(scale: float, data: Path | None = None, fresh: bool = False) -> Path:
    """The campaign folder (``a/`` and ``b/`` with the same file names); generated once."""
    from ofxpost._tools.synth import generate_batch

    small, large = _counts(scale)
    root = data or Path(tempfile.gettempdir()) / "ofxpost-bench"
    folder = root / f"campaign-{small}x{SMALL[1]:g}MB-{large}x{LARGE[1]:g}MB-per-folder"
    marker = folder / "COMPLETE.json"
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
    if marker.is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    scaled = {mb: _calibrated(folder / "_probe", mb) for _, mb in (SMALL, LARGE)}
    print(f"generating the campaign batch in {folder} ...", flush=True)
    seed = 100
    for name in FOLDERS:
        target = folder / name
        target.mkdir()
        number = 0
        for count, mb in ((small, SMALL[1]), (large, LARGE[1])):  # large files last
            seed += 1
            scratch = folder / "_scratch"
            batch = generate_batch(out_dir=scratch, cases=count, seed=seed, target_bytes=scaled[mb])
            for path in sorted(Path(p) for p in batch.paths):
                number += 1
                os.replace(path, target / f"case_{number:03d}.ofx.parquet")
            shutil.rmtree(scratch)
    sizes = [p.stat().st_size for p in folder.glob("*/*.ofx.parquet")]
    print(f"  {len(sizes)} files, {sum(sizes) / 1e9:.2f} GB", flush=True)
    marker.write_text(json.dumps({"files": len(sizes), "bytes": sum(sizes)}), encoding="utf-8")
    return folder


def _calibrated(probe_dir: Path, mb: float) -> int:
    """``target_bytes`` that gives archives of about ``mb`` MB (one probe archive)."""
    from ofxpost._tools.synth import generate_batch

    target = int(mb * 1e6)
    probe = generate_batch(out_dir=probe_dir, cases=1, seed=1, target_bytes=target)
    actual = Path(probe.paths[0]).stat().st_size
    shutil.rmtree(probe_dir)
    return int(target * target / actual)


def campaign_config() -> dict[str, Any]:
    """The demo's config over both folders, without the load matrix (stems repeat)."""
    from ofxpost._tools.demo import demo_config

    config = demo_config(0)
    config.pop("load_matrix", None)
    config["inputs"] = [f"{name}/*.ofx.parquet" for name in FOLDERS]
    return config


def main() -> None:
    """Run the campaign batch and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="file counts × this")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=None, help="where the archives go")
    parser.add_argument("--fresh", action="store_true", help="regenerate the archives")
    parser.add_argument(
        "--compare", type=Path, default=None, help="also run another ofxpost src folder"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every run here")
    args = parser.parse_args()
    folder = campaign_inputs(args.scale, args.data, args.fresh)
    config = campaign_config()
    modes = {
        "in_process": ["--in-process"],
        "sequential": ["--sequential"],
        f"w{args.workers}": ["--workers", str(args.workers)],
    }
    runners: dict[str, tuple[list[str], Path | None]] = {k: (v, None) for k, v in modes.items()}
    if args.compare is not None:
        runners.update({f"before_{k}": (v, args.compare) for k, v in modes.items()})
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in runners}
    names = list(runners)
    for number in range(args.rounds):
        order = names[number % len(names) :] + names[: number % len(names)]
        for name in order:
            options, src = runners[name]
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            run = mixed.run_once(folder, name, options, src, config=config)
            run["load"] = load
            run.pop("durations", None)
            runs[name].append(run)
            print(
                f"round {number + 1} {name}: {run['wall_s']:.2f} s (load {load:.1f})",
                flush=True,
            )
    if args.json is not None:
        args.json.write_text(json.dumps(runs, indent=1), encoding="utf-8")
    files = sum(1 for _ in folder.glob("*/*.ofx.parquet"))
    print(report(runs, args.workers, files))


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def report(runs: dict[str, list[dict[str, Any]]], workers: int, files: int) -> str:
    """The Markdown table and the Amdahl limit for each version (current, ``before_``)."""
    cpus = os.cpu_count() or 1
    header = [
        "runner",
        "median wall (s)",
        "min–max (s)",
        "speedup",
        "to first dispatch (s)",
        "files (s)",
        "finish (s)",
        "controller CPU / file, files phase (ms)",
        "CPU, whole tree (s)",
        "load average",
    ]
    rows: list[dict[str, str]] = []
    notes: list[str] = []
    for prefix in ("", "before_"):
        mine = {k.removeprefix(prefix): v for k, v in runs.items() if k.startswith(prefix)}
        if prefix == "":
            mine = {k: v for k, v in mine.items() if not k.startswith("before_")}
        if not mine:
            continue
        single = [k for k in ("in_process", "sequential") if k in mine]
        ref = min(single, key=lambda k: _median(mine[k], "wall_s"))
        t_ref = _median(mine[ref], "wall_s")
        for name, got in mine.items():
            rows.append(
                {
                    "runner": f"{'before: ' if prefix else ''}{name}",
                    "median wall (s)": f"{_median(got, 'wall_s'):.2f}",
                    "min–max (s)": f"{min(r['wall_s'] for r in got):.2f}–"
                    f"{max(r['wall_s'] for r in got):.2f}",
                    "speedup": f"{t_ref / _median(got, 'wall_s'):.2f}×",
                    "to first dispatch (s)": f"{_median(got, 'first_dispatch_s'):.3f}",
                    "files (s)": f"{_median(got, 'files_phase_s'):.2f}",
                    "finish (s)": f"{_median(got, 'end_s'):.2f}",
                    "controller CPU / file, files phase (ms)": (
                        f"{1000 * _median(got, 'controller_files_cpu_s') / files:.1f}"
                    ),
                    "CPU, whole tree (s)": f"{_median(got, 'tree_cpu_s'):.1f}",
                    "load average": f"{min(r['load'] for r in got):.1f}–"
                    f"{max(r['load'] for r in got):.1f}",
                }
            )
        parallel = mine.get(f"w{workers}")
        if parallel is not None:
            serial = _median(parallel, "first_dispatch_s") + _median(parallel, "end_s")
            files_ref = _median(mine[ref], "files_phase_s")
            limit = t_ref / (serial + files_ref / workers)
            cpu_bound = _median(parallel, "tree_cpu_s") / cpus
            notes.append(
                f"{'before: ' if prefix else ''}reference {ref} {t_ref:.2f} s; w={workers}: "
                f"serial part {serial:.2f} s (to first dispatch + finish), reference files "
                f"{files_ref:.2f} s → Amdahl limit {limit:.2f}×; whole-tree CPU / {cpus} CPUs "
                f"= {cpu_bound:.2f} s → CPU limit {t_ref / max(cpu_bound, 1e-9):.2f}×; "
                f"measured {t_ref / _median(parallel, 'wall_s'):.2f}× "
                f"(target ≥ {SPEEDUP_TARGET}×)"
            )
    lines = [_common.markdown_table(rows, header), "", f"files: {files}"]
    return "\n".join(lines + notes)


if __name__ == "__main__":
    main()
