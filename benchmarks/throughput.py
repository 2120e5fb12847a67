"""Throughput: ofxpost against a plain loop and the usual Python process pools.

24 synthetic riser simulations (result archives of a few tens of MB each, made by
:func:`ofxpost._tools.synth.generate_batch`) are post-processed with the built-in
``summary``, ``range_graph`` and ``linked_statistics`` sections -- no time series, so
the work is compute-bound -- by every runner of :mod:`_runners`: the opp-style
single-process loop, ``ofxpost --sequential``, ``ProcessPoolExecutor``, joblib/loky,
Dask and the ofxpost pool, for each worker count. Runs are interleaved round-robin
(rotated each round) and every run's per-file results are checked identical to the
first run's before any time is reported. Reported: the median wall time, speedup
over the opp-style loop, parallel efficiency (speedup / workers) and the ratio to
the best peer at the same worker count.

Targets (printed, not asserted): ofxpost speedup ≥ 1.9× with 2 workers on 2 cores;
ofxpost / best peer ≤ 1.02. Run alone::

    python benchmarks/throughput.py [--files 24] [--file-mb 20] [--workers 1,2] [--rounds 3]

``--source noop`` replaces the archives by ``.noop`` files that burn ``--work-ms``
of CPU each (a reader-independent proxy, handy for profiling the orchestration).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common
from _common import SectionResult, Target, fmt_s, fmt_x, markdown_table, median

SPEEDUP_TARGET = 1.9
"""Target speedup of the ofxpost pool over the sequential loop with 2 workers."""
PEER_RATIO_TARGET = 1.02
"""Target: ofxpost wall / best peer wall at the same worker count."""


LINE_VARIABLES = (
    "Effective tension",
    "Bend moment",
    "Curvature",
    "X",
    "Y",
    "Z",
    "Declination",
)
"""The riser variables the synthetic archives hold (``ofxpost._tools.synth`` defaults)."""
POINTS = ("end_a", "touchdown", "end_b")
"""Line points of the summary's time-history columns."""
TH_STATISTICS = ("max", "min", "p99", "std")
"""Statistics of each time-history column."""


def archive_config(paths: list[Path]) -> dict[str, Any]:
    """The post-processing config of the throughput batch (absolute paths).

    It reads every riser variable of every archive, so that the work is
    compute-bound and proportional to the file size:

    * ``summary`` -- per variable, the range-graph max and min along the riser and,
      at End A, the touchdown point and End B, the time history's max, min, p99
      and standard deviation (98 columns);
    * ``linked_statistics`` -- tension, bend moment and curvature at their critical
      points, with linked variables;
    * ``range_graph`` -- one graph per variable, all four curves (plots off);
    * the synthetic ``load_matrix.csv``; CSV + Parquet output;
    * ``plugins: [archive_loader]`` only if ofxpost itself has no archive loader.

    No ``time_series`` section and no plots, so the serial controller-side part
    (aggregation, writing) stays small.
    """
    folder = paths[0].parent
    columns: list[dict[str, Any]] = []
    for variable in LINE_VARIABLES:
        short = variable.lower().replace(" ", "_")
        for statistic in ("max", "min"):
            columns.append(
                {
                    "command": "range_graph",
                    "object": "Riser",
                    "variable": variable,
                    "statistic": statistic,
                    "label": f"{short}_rg_{statistic}",
                }
            )
        for point in POINTS:
            for statistic in TH_STATISTICS:
                columns.append(
                    {
                        "command": "time_history",
                        "object": "Riser",
                        "variable": variable,
                        "object_extra": point,
                        "statistic": statistic,
                        "label": f"{short}_{point}_{statistic}",
                    }
                )
    linked = [
        ("Effective tension", "end_a", ["Bend moment", "Curvature"], "top"),
        ("Bend moment", "touchdown", ["Effective tension", "Curvature"], "tdp"),
        ("Curvature", "touchdown", ["Bend moment"], "tdp_curvature"),
        ("Effective tension", "end_b", ["Bend moment"], "bottom"),
    ]
    config: dict[str, Any] = {
        "inputs": [str(p) for p in paths],
        "summary": {"groups": [{"name": "extremes", "columns": columns}]},
        "linked_statistics": {
            "columns": [
                {
                    "object": "Riser",
                    "object_extra": point,
                    "variable": variable,
                    "linked_variables": others,
                    "label": label,
                }
                for variable, point, others, label in linked
            ]
        },
        "range_graph": {
            "plots": False,
            "graphs": [
                {
                    "object": "Riser",
                    "variable": variable,
                    "label": variable.lower().replace(" ", "_"),
                }
                for variable in LINE_VARIABLES
            ],
        },
        "outputs": {"formats": ["csv", "parquet"]},
    }
    matrix = folder / "load_matrix.csv"
    if matrix.is_file():
        config["load_matrix"] = str(matrix)
    if not _archives_have_loader(config, paths[0]):
        config["plugins"] = ["archive_loader"]
    return config


def _archives_have_loader(config: dict[str, Any], path: Path) -> bool:
    """Whether ofxpost's own plugins open ``path`` (else the fallback loader is used)."""
    import ofxpost
    from ofxpost._config.plan import make_plan
    from ofxpost._plugins.manager import get_plugin_manager

    cfg = ofxpost.load_config({**config, "inputs": [str(path)]})
    plan = make_plan(cfg)
    model = get_plugin_manager(plan.plugin_spec).hook.ofxpost_open_simulation(
        path=path, job=plan.jobs[0], config=cfg
    )
    close = getattr(model, "close", None)
    if callable(close):
        close()
    return model is not None


def _inputs(source: str, files: int, file_mb: float, work_ms: float) -> dict[str, Any]:
    if source == "noop":
        from _common import noop_config

        folder = _common.noop_inputs(files, work_ms=work_ms, tag=f"cpu{work_ms:g}ms")
        return noop_config(folder)
    return archive_config(_common.synth_inputs(files, file_mb))


def run(
    *,
    files: int,
    file_mb: float,
    workers: list[int],
    rounds: int,
    source: str = "synth",
    work_ms: float = 400.0,
    runners: list[str] | None = None,
    profile_to: Path | None = None,
) -> SectionResult:
    """Run the interleaved rounds and tabulate the medians."""
    _common.setup_paths()
    from _runners import RUNNERS, RunContext, run_rounds

    config = _inputs(source, files, file_mb, work_ms)
    chosen = runners or list(RUNNERS)
    sequential = [k for k in chosen if not RUNNERS[k].parallel]
    parallel = [k for k in chosen if RUNNERS[k].parallel]
    slots = [(k, 1) for k in sequential] + [(k, w) for w in workers for k in parallel]
    scratch = _common.scratch_dir("throughput")

    def context(key: str, w: int) -> RunContext:
        return RunContext(config, w, scratch / f"{key}-w{w}")

    print(
        f"throughput: {files} files ({source}), workers {workers}, {rounds} rounds, "
        f"runners {chosen}",
        flush=True,
    )
    outcomes = run_rounds(slots, rounds, context)
    walls = {slot: median([o.wall_s for o in runs]) for slot, runs in outcomes.items()}
    base_key = "opp_loop" if ("opp_loop", 1) in walls else slots[0][0]
    base = walls[(base_key, 1)]

    def phase(slot: tuple[str, int], name: str) -> float:
        return median([o.phases[name] for o in outcomes[slot] if name in o.phases])

    rows: list[dict[str, str]] = []
    data: dict[str, Any] = {"files": files, "source": source, "rounds": rounds, "runs": {}}
    targets: list[Target] = []
    for key, w in slots:
        spec = RUNNERS[key]
        wall = walls[(key, w)]
        peer_slots = [(k, w) for k in parallel if RUNNERS[k].kind == "peer" and (k, w) in walls]
        peers = [walls[slot] for slot in peer_slots]
        best_peer = min(peers) if peers and spec.parallel else math.nan
        # the same ratio round by round (runs close in time), then the median
        paired = median(
            [
                o.wall_s / min(outcomes[slot][i].wall_s for slot in peer_slots)
                for i, o in enumerate(outcomes[(key, w)])
            ]
            if peer_slots and spec.parallel
            else []
        )
        foreign = median([o.phases.get("foreign_load", math.nan) for o in outcomes[(key, w)]])
        speedup = base / wall
        startup = ""
        if "pool_start" in outcomes[(key, w)][0].phases:
            startup = f"pool {fmt_s(phase((key, w), 'pool_start'))}"
        elif "cluster_start" in outcomes[(key, w)][0].phases:
            startup = f"cluster {fmt_s(phase((key, w), 'cluster_start'))} (excluded)"
        rows.append(
            {
                "runner": spec.label,
                "workers": str(w),
                "median wall (s)": fmt_s(wall),
                "min–max (s)": "–".join(
                    fmt_s(f(o.wall_s for o in outcomes[(key, w)])) for f in (min, max)
                ),
                "speedup": fmt_x(speedup),
                "efficiency": f"{speedup / w:.0%}" if spec.parallel else "–",
                "/ best peer": fmt_x(wall / best_peer, 3) if spec.parallel else "–",
                "paired": fmt_x(paired, 3) if spec.parallel else "–",
                "start-up": startup,
                "foreign load": f"{foreign:.0%}",
            }
        )
        data["runs"][f"{key}-w{w}"] = {
            "median_wall_s": wall,
            "speedup": speedup,
            "best_peer_s": best_peer,
            "paired_ratio_to_best_peer": paired,
            "walls": [o.wall_s for o in outcomes[(key, w)]],
            "phases": [o.phases for o in outcomes[(key, w)]],
        }
        if spec.kind == "ofxpost" and spec.parallel:
            if w == 2:
                targets.append(
                    Target(f"{key} speedup, w=2, {files} files", speedup, SPEEDUP_TARGET, True, "×")
                )
            if peers:
                targets.append(
                    Target(f"{key} / best peer, w={w}", wall / best_peer, PEER_RATIO_TARGET, False)
                )
                targets.append(
                    Target(
                        f"{key} / best peer, w={w}, paired by round",
                        paired,
                        PEER_RATIO_TARGET,
                        False,
                    )
                )
    table = markdown_table(rows, list(rows[0]))
    sizes = [Path(p).stat().st_size for p in config["inputs"] if Path(p).is_file()]
    described = (
        f"{files} archives of {min(sizes) / 1e6:.1f}–{max(sizes) / 1e6:.1f} MB "
        f"({sum(sizes) / 1e6:.0f} MB in all)"
        if sizes
        else f"{files} inputs ({source})"
    )
    data["input_bytes"] = sizes
    notes = [
        f"{described}; medians of {rounds} interleaved rounds; speedup is "
        f"over the {RUNNERS[base_key].label} ({fmt_s(base)} s); every run's per-file "
        "results were checked identical before timing was reported.",
        "Each wall time runs from before the config is loaded until the outputs are "
        "written, pool start-up included (Dask: cluster start excluded, shown apart).",
        "/ best peer = median wall ÷ the fastest peer's median wall at the same worker "
        "count; paired = the median over rounds of the same ratio within one round.",
        "foreign load = share of the machine's CPU used by other processes during the run "
        f"(runs above {_common.QUIET.threshold:.0%} are redone up to twice); joblib with "
        "n_jobs=1 runs in-process (joblib's sequential backend).",
    ]
    for key, w in slots:
        if RUNNERS[key].kind == "ofxpost" and RUNNERS[key].parallel:
            p = {
                name: phase((key, w), name)
                for name in ("config_plan", "pool_start", "files", "shutdown_aggregate_write")
            }
            note = (
                f"{key} w={w} phases (median s): config+plan {fmt_s(p['config_plan'])}, "
                f"pool start {fmt_s(p['pool_start'])}, files {fmt_s(p['files'])}, "
                f"shutdown+aggregate+write {fmt_s(p['shutdown_aggregate_write'])}."
            )
            if base_key == "opp_loop":
                # Amdahl: the serial parts stay, only the baseline's file loop divides by w
                loop_files = phase(("opp_loop", 1), "files")
                serial = p["config_plan"] + p["pool_start"] + p["shutdown_aggregate_write"]
                ceiling = base / (serial + loop_files / w)
                data["runs"][f"{key}-w{w}"]["speedup_ceiling"] = ceiling
                note += (
                    f" Ceiling with these serial parts and a perfect split of the "
                    f"loop's {fmt_s(loop_files)} s of files: {fmt_x(ceiling)}; "
                    f"files phase vs the loop's: {fmt_x(loop_files / p['files'])}."
                )
            notes.append(note)
    for w in workers:
        if ("ofxpost", w) in walls and ("ofxpost_dask", w) in walls:
            ratio = walls[("ofxpost_dask", w)] / walls[("ofxpost", w)]
            data["runs"][f"ofxpost_dask-w{w}"]["ratio_to_local_pool"] = ratio
            notes.append(
                f"ofxpost on Dask / ofxpost local pool, w={w}: {fmt_x(ratio, 3)} "
                "(median walls; the Dask run starts its LocalCluster inside the timing)."
            )
    if profile_to is not None:
        w = max(workers)
        print(f"profiling one ofxpost run (w={w}) -> {profile_to}", flush=True)
        ctx = context("ofxpost", w)
        ctx.profile_to = profile_to
        RUNNERS["ofxpost"].run(ctx)
        notes.append(f"controller profile (pyinstrument): `{profile_to}`")
    return SectionResult(
        "throughput", f"Throughput ({files} files, {source})", table, targets, data, notes
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    _common.add_common_args(parser)
    parser.add_argument("--files", type=int, default=None, help="input files (default 24)")
    parser.add_argument("--file-mb", type=float, default=None, help="MB per archive (default 20)")
    parser.add_argument("--source", choices=("synth", "noop"), default="synth")
    parser.add_argument("--work-ms", type=float, default=400.0, help="CPU ms per noop file")
    parser.add_argument("--runners", default=None, help="comma-separated runner keys")
    args = parser.parse_args(argv)
    _common.configure(args)
    result = run(
        files=args.files or 24,
        file_mb=args.file_mb or (8.0 if args.quick else 20.0),
        workers=args.workers or _common.default_workers(),
        rounds=args.rounds or (1 if args.quick else 3),
        source=args.source,
        work_ms=args.work_ms,
        runners=args.runners.split(",") if args.runners else None,
        profile_to=args.out / "profile-throughput.txt" if args.profile else None,
    )
    _common.print_section(result)
    _common.write_section(args.out, result, _common.machine_info())
    return 0


if __name__ == "__main__":
    sys.exit(main())
