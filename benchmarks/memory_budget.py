"""Memory budget: peak RSS of the whole process tree with and without a budget.

Files are ``.noop`` inputs (see :mod:`noop_plugin`) whose loader allocates and
touches a realistic block of memory and whose extractor works on it for a while,
like a model whose time histories have been read. By default the allocations cycle
400, 400, 100, 100, 100, 100 MiB: a batch with a few large simulations among
smaller ones, where two large files in a row would run side by side. Each file is
a *sparse* file whose apparent size is its allocation / 1.5, so
``memory_per_file: auto`` (first guess 2 × size, then learnt) sees a realistic
relation between file size and memory.

Each run is a fresh interpreter; *this* process samples the RSS of that child's
whole tree (controller + workers + their children) every 20 ms. Runs:

* ``sequential`` -- ``ofxpost.run(config, sequential=True)``;
* ``parallel`` -- ``workers=w``, no budget;
* ``parallel + budget`` -- ``workers=w`` with ``parallel_processing.memory_budget``.

How ofxpost apportions a budget (``plan.py`` / ``budgets.py``): the controller's
RSS at planning time is counted once for the controller and once per worker (its
estimate of an idle worker); workers are reduced until ``w`` typical (median
estimate) files fit; what is left is the *file capacity*, a weighted semaphore from
which each file takes its memory estimate before it starts (a file larger than the
capacity runs alone). The default budget, ``1.75x``, is 1.75 × the sequential run's
measured peak (of the same round): enough for the controller, ``w`` idle workers
and one large file or several small ones, but not for two large files side by side
-- so it binds exactly where an unbudgeted pool would go past 2 × the sequential
peak. ``--budget fit`` computes, in the child, the smallest budget that keeps ``w``
workers (controller × (1 + w) + w × the median first estimate, + 2 %);
``--budget 1.5GiB`` sets a size.

Targets: peak / budget ≤ 1; parallel-with-budget peak < 2 × sequential peak.
Run alone::

    python benchmarks/memory_budget.py [--files 16] [--alloc-mb 400,400,100,200]
        [--work-ms 300] [--budget 1.75x|fit|1.5GiB] [--memory-per-file auto|500MiB]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common
from _common import MIB, SectionResult, Target, fmt_mib, fmt_s, markdown_table

SIZE_PER_ALLOC = 1.5
"""A file's allocation is this many times its (sparse) size."""
FIT_MARGIN = 1.02
"""Margin of the ``fit`` budget over the smallest one that keeps ``w`` workers."""


def child(payload: dict[str, Any]) -> dict[str, Any]:
    """In a fresh interpreter: run one batch as the controller and describe its plan."""
    _common.setup_paths()
    import psutil

    import ofxpost
    from ofxpost._config.plan import make_plan
    from ofxpost._core.sizes import parse_size

    folder = Path(payload["folder"])
    workers = int(payload["workers"])
    pp: dict[str, Any] = {"memory_per_file": payload["memory_per_file"]}
    config: dict[str, Any] = {
        "inputs": [str(folder / "*.noop")],
        "plugins": ["noop_plugin"],
        "outputs": {"formats": ["csv"]},
        "output_dir": payload["output_dir"],
        "parallel_processing": pp,
    }
    ofxpost.load_config(config)  # imports every plugin before the controller is measured
    budget = payload.get("budget")
    if budget == "fit":
        probe = make_plan(ofxpost.load_config(config), workers=workers)
        estimates = sorted(job.memory_estimate for job in probe.jobs)
        typical = estimates[len(estimates) // 2]
        controller = int(psutil.Process().memory_info().rss)
        budget = int((controller * (1 + workers) + workers * typical) * FIT_MARGIN)
    if budget is not None:
        pp["memory_budget"] = int(parse_size(budget))
    plan = make_plan(ofxpost.load_config(config), workers=workers)
    counts = {"file_waiting": 0, "file_retry": 0, "warning": 0}
    modes: list[str] = []

    def on_event(event: dict[str, Any]) -> None:
        if event["event"] in counts:
            counts[event["event"]] += 1
        if event["event"] == "mode_selected":
            modes.append(f"{event['mode']}: {event['reason']}")

    start = time.perf_counter()
    result = ofxpost.run(
        config, workers=workers, sequential=bool(payload["sequential"]), on_event=on_event
    )
    wall = time.perf_counter() - start
    if result.succeeded != result.total:
        raise RuntimeError(f"batch failed: exit {result.exit_code}, {result.failures[:3]}")
    return {
        "wall_s": wall,
        "mode": result.mode,
        "workers": result.workers,
        "budget": pp.get("memory_budget"),
        "plan_workers": plan.workers,
        "file_capacity": plan.budgets.file_capacity,
        "worker_base": plan.budgets.worker_base,
        "events": counts,
        "mode_selected": modes,
    }


def run(
    *,
    files: int,
    alloc_mb: list[float],
    work_ms: float,
    workers: int,
    budget: str,
    memory_per_file: str,
    rounds: int,
) -> SectionResult:
    """Measure peak tree RSS and wall time: sequential, parallel, parallel + budget."""
    _common.setup_paths()
    folder = _common.noop_inputs(
        files, alloc_mb=alloc_mb, work_ms=work_ms, size_per_alloc=SIZE_PER_ALLOC, tag="mem"
    )
    scratch = _common.scratch_dir("memory")
    variants: list[tuple[str, dict[str, Any]]] = [
        ("sequential", {"sequential": True, "budget": None}),
        ("parallel", {"sequential": False, "budget": None}),
        ("parallel + budget", {"sequential": False, "budget": budget}),
    ]
    answers: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in variants}
    problems: list[str] = []
    print(
        f"memory: {files} files allocating {alloc_mb} MiB, {work_ms:g} ms work each, "
        f"w={workers}, budget={budget}, memory_per_file={memory_per_file}",
        flush=True,
    )
    for r in range(rounds):
        for name, options in variants:
            if str(options["budget"]).endswith("x"):
                factor = float(str(options["budget"])[:-1])
                seq_peak = answers["sequential"][-1]["tree_peak_rss"]
                options = {**options, "budget": int(factor * seq_peak)}
            payload = {
                "folder": str(folder),
                "output_dir": str(scratch / name.replace(" + ", "-")),
                "workers": workers,
                "memory_per_file": memory_per_file,
                **options,
            }
            _common.QUIET.wait()
            with _common.ForeignLoad() as load:
                answer = _common.run_child("memory_budget", payload, sample_tree=True)
            answer["foreign_load"] = load.fraction
            wanted = "sequential" if options["sequential"] else "parallel"
            if answer["mode"] != wanted:  # e.g. the pool failed to start: say so, retry once
                problem = f"{name}: ofxpost fell back to {answer['mode_selected']}; retried"
                print(f"  WARNING {problem}", flush=True)
                problems.append(problem)
                answer = _common.run_child("memory_budget", payload, sample_tree=True)
                if answer["mode"] != wanted:
                    raise RuntimeError(f"{name}: ran {answer['mode_selected']} twice")
            answers[name].append(answer)
            print(
                f"  round {r + 1}/{rounds}  {name:<18} {answer['wall_s']:7.2f} s  "
                f"tree peak {answer['tree_peak_rss'] / MIB:6.0f} MiB",
                flush=True,
            )

    def peak(name: str) -> int:
        return max(int(a["tree_peak_rss"]) for a in answers[name])

    def wall(name: str) -> float:
        return _common.median([a["wall_s"] for a in answers[name]])

    seq_peak = peak("sequential")
    rows = []
    for name, _ in variants:
        last = answers[name][-1]
        b = last["budget"]
        rows.append(
            {
                "run": name,
                "workers": str(last["workers"]),
                "wall (s)": fmt_s(wall(name)),
                "peak tree RSS": fmt_mib(peak(name)),
                "peak / sequential": f"{peak(name) / seq_peak:.2f}×",
                "budget": fmt_mib(b) if b else "–",
                "peak / budget": f"{peak(name) / b:.3f}" if b else "–",
                "file capacity": fmt_mib(last["file_capacity"]) if b else "–",
                "waits": str(last["events"]["file_waiting"]),
                "retries": str(last["events"]["file_retry"]),
                "foreign load": f"{max(a['foreign_load'] for a in answers[name]):.0%}",
            }
        )
    budgeted = answers["parallel + budget"][-1]
    ratio_budget = peak("parallel + budget") / budgeted["budget"]
    targets = [
        Target("peak tree RSS / memory_budget", ratio_budget, 1.0, False),
        Target(
            "parallel+budget peak / sequential peak",
            peak("parallel + budget") / seq_peak,
            2.0,
            False,
        ),
    ]
    notes = [
        f"{files} files, allocations cycling {alloc_mb} MiB (sparse files of allocation / "
        f"{SIZE_PER_ALLOC:g}), {work_ms:g} ms of CPU work each; memory_per_file "
        f"{memory_per_file}; budget {budget!r}; w={workers}; peaks are the max over "
        f"{rounds} round(s), walls the median.",
        "tree RSS = controller + workers + their children, sampled every 20 ms from outside "
        "(RSS counts shared pages once per process, like the pool's own limit check).",
        "waits = `file_waiting` events (a file held back by the memory semaphore); "
        "retries = `file_retry` events (e.g. a file killed for passing its memory limit).",
        f"budget wall / no-budget wall: {wall('parallel + budget') / wall('parallel'):.2f}×.",
        *problems,
    ]
    return SectionResult(
        "memory",
        "Memory budget: peak process-tree RSS",
        markdown_table(rows, list(rows[0])),
        targets,
        {"answers": answers, "sequential_peak": seq_peak, "problems": problems},
        notes,
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    _common.add_common_args(parser)
    parser.add_argument("--files", type=int, default=None, help="files (default 18)")
    parser.add_argument(
        "--alloc-mb", default="400,400,100,100,100,100", help="MiB allocated per file, cycled"
    )
    parser.add_argument("--work-ms", type=float, default=300.0, help="CPU ms per file")
    parser.add_argument(
        "--budget",
        default="1.75x",
        help="'<f>x' (f × the sequential peak; default 1.75x), 'fit', or a size",
    )
    parser.add_argument("--memory-per-file", default="auto", help="'auto' or a size")
    args = parser.parse_args(argv)
    _common.configure(args)
    if args.child:
        _common.child_reply(child(json.loads(args.child)))
        return 0
    result = run(
        files=args.files or (12 if args.quick else 18),
        alloc_mb=[float(x) for x in args.alloc_mb.split(",")],
        work_ms=args.work_ms,
        workers=max(args.workers or _common.default_workers()),
        budget=args.budget,
        memory_per_file=args.memory_per_file,
        rounds=args.rounds or 1,
    )
    _common.print_section(result)
    _common.write_section(args.out, result, _common.machine_info())
    return 0


if __name__ == "__main__":
    sys.exit(main())
