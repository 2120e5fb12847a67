"""Orchestration overhead per file: many tiny inputs that need almost no work.

With 10,000 ``.noop`` files (see :mod:`noop_plugin`) the per-file work is a few
hundred microseconds, so a run's wall time is mostly orchestration: dispatching a
file, sending its job and record between processes, storing the record, events,
and aggregating. The *ideal* is ``ProcessPoolExecutor.map(peer_job, jobs,
chunksize=⌈N / (8·w)⌉)`` -- the same per-file function, batched so its own
dispatch cost almost vanishes -- followed by the same aggregation and CSV output
(:func:`_peer.finish`). The overhead per file is ``(ofxpost wall − ideal wall) / N``;
the target is ≤ 1 ms.

Both runs write CSV only (``outputs.formats: [csv]``): output formats are not
orchestration. Run alone::

    python benchmarks/overhead.py [--files 10000] [--workers 2] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common
from _common import SectionResult, Target, fmt_s, markdown_table, median, noop_config

TARGET_MS = 1.0
"""Target: at most this many milliseconds of overhead per file."""


def run(
    *,
    files: int,
    workers: list[int],
    rounds: int,
    profile_to: Path | None = None,
    sequential: bool = True,
) -> SectionResult:
    """Measure ofxpost's per-file overhead against ``ProcessPoolExecutor.map``."""
    _common.setup_paths()
    from _runners import RUNNERS, RunContext, run_rounds

    folder = _common.noop_inputs(files)
    config = noop_config(folder)
    scratch = _common.scratch_dir("overhead")
    slots = [("ppe", w) for w in workers] + [("ofxpost", w) for w in workers]
    if sequential:
        slots = [("opp_loop", 1), ("ofxpost_seq", 1), *slots]

    def context(key: str, w: int) -> RunContext:
        return RunContext(
            config,
            w,
            scratch / f"{key}-w{w}",
            chunksize=max(1, math.ceil(files / (8 * w))),
        )

    print(f"overhead: {files} tiny files, workers {workers}, {rounds} rounds", flush=True)
    outcomes = run_rounds(slots, rounds, context)

    rows: list[dict[str, str]] = []
    data: dict[str, Any] = {"files": files, "rounds": rounds, "runs": {}}
    targets: list[Target] = []
    for key, w in slots:
        runs = outcomes[(key, w)]
        data["runs"][f"{key}-w{w}"] = [{"wall_s": o.wall_s, "phases": o.phases} for o in runs]
    for w in workers:
        ideal = median([o.wall_s for o in outcomes[("ppe", w)]])
        ideal_map = median([o.phases["files"] for o in outcomes[("ppe", w)]])
        ofx_runs = outcomes[("ofxpost", w)]
        ofx = median([o.wall_s for o in ofx_runs])
        pool_start = median([o.phases.get("pool_start", math.nan) for o in ofx_runs])
        per_file_ms = (ofx - ideal) / files * 1000
        paired_ms = median(
            [
                (o.wall_s - p.wall_s) / files * 1000
                for o, p in zip(ofx_runs, outcomes[("ppe", w)], strict=True)
            ]
        )
        foreign = max(o.phases.get("foreign_load", 0.0) for o in [*ofx_runs, *outcomes[("ppe", w)]])
        rows.append(
            {
                "workers": str(w),
                "ideal: PPE.map + aggregate (s)": fmt_s(ideal),
                "of which map (s)": fmt_s(ideal_map),
                "ofxpost (s)": fmt_s(ofx),
                "ofxpost pool start (s)": fmt_s(pool_start),
                "overhead / file": f"{per_file_ms:.3f} ms",
                "paired by round": f"{paired_ms:.3f} ms",
                "ofxpost per file": f"{ofx / files * 1000:.3f} ms",
                "max foreign load": f"{foreign:.0%}",
            }
        )
        data[f"w{w}"] = {
            "ideal_s": ideal,
            "ideal_map_s": ideal_map,
            "ofxpost_s": ofx,
            "pool_start_s": pool_start,
            "overhead_ms_per_file": per_file_ms,
            "paired_overhead_ms_per_file": paired_ms,
            "max_foreign_load": foreign,
        }
        targets.append(Target(f"overhead per file, w={w}", per_file_ms, TARGET_MS, False, " ms"))
    table = markdown_table(rows, list(rows[0]))
    if sequential:
        opp = median([o.wall_s for o in outcomes[("opp_loop", 1)]])
        seq = median([o.wall_s for o in outcomes[("ofxpost_seq", 1)]])
        data["sequential"] = {"opp_loop_s": opp, "ofxpost_seq_s": seq}
        seq_ms = (seq - opp) / files * 1000
        table += (
            f"\n\nIn one process: opp-style loop {fmt_s(opp)} s, ofxpost --sequential "
            f"{fmt_s(seq)} s, i.e. {seq_ms:.3f} ms per file of engine cost without any "
            "process pool (store, events, asyncio)."
        )
    notes = [
        f"{files} `.noop` files; medians of {rounds} interleaved rounds; every run's "
        "per-file results were checked identical.",
        "ideal = `ProcessPoolExecutor(spawn).map(peer_job, jobs, chunksize=⌈N/(8·w)⌉)` "
        "then the same aggregation and CSV writing; pool start-up is inside both timings.",
    ]
    if profile_to is not None:
        w = max(workers)
        print(f"profiling one ofxpost run (w={w}) -> {profile_to}", flush=True)
        ctx = context("ofxpost", w)
        ctx.profile_to = profile_to
        RUNNERS["ofxpost"].run(ctx)
        notes.append(f"controller profile (pyinstrument): `{profile_to}`")
    return SectionResult(
        "overhead", f"Orchestration overhead ({files} tiny files)", table, targets, data, notes
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    _common.add_common_args(parser)
    parser.add_argument("--files", type=int, default=None, help="tiny files (default 10000)")
    parser.add_argument(
        "--no-sequential", action="store_true", help="skip the single-process runners"
    )
    args = parser.parse_args(argv)
    _common.configure(args)
    files = args.files or (2000 if args.quick else 10000)
    workers = args.workers or [max(_common.default_workers())]
    rounds = args.rounds or (1 if args.quick else 3)
    result = run(
        files=files,
        workers=workers,
        rounds=rounds,
        profile_to=args.out / "profile-overhead.txt" if args.profile else None,
        sequential=not args.no_sequential,
    )
    _common.print_section(result)
    _common.write_section(args.out, result, _common.machine_info())
    return 0


if __name__ == "__main__":
    sys.exit(main())
