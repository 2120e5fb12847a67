"""Scaling with the number of files: wall time and the controller's peak memory.

ofxpost keeps no results in the controller (records go to the result store and are
read back lazily), so the controller's memory should stay flat as a batch grows.
For 100, 1,000 and 10,000 ``.noop`` files (see :mod:`noop_plugin`) this runs
``ofxpost.run(config, workers=w)`` in a *fresh* interpreter per size and reports:

* wall time and time per file;
* the controller's (parent process only, not the workers) peak RSS, sampled every
  20 ms by a thread in that process, and its lifetime peak from ``getrusage`` (on
  Linux a child's ``ru_maxrss`` starts at its launcher's RSS, inherited through
  ``fork``/``exec``; the getrusage peak is used only if the run went above that);
* RSS after the imports, before the batch (the floor).

Target: peak RSS at the largest size ≤ 1.2 × peak RSS at the smallest. Run alone::

    python benchmarks/scaling.py [--sizes 100,1000,10000] [--workers 2]
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

TARGET_RATIO = 1.2
"""Target: controller peak RSS at the largest size ≤ this × at the smallest."""


def child(payload: dict[str, Any]) -> dict[str, Any]:
    """In a fresh interpreter: run one batch and measure this (controller) process."""
    inherited = _common.own_peak_rss()  # the launcher's RSS at fork, on Linux
    _common.setup_paths()
    import psutil
    from _common import noop_config

    import ofxpost

    folder = Path(payload["folder"])
    config = {**noop_config(folder), "output_dir": payload["output_dir"]}
    ofxpost.load_config(config)  # import every plugin module before the floor is read
    floor = int(psutil.Process().memory_info().rss)
    with _common.RssSampler(interval=0.02) as sampler:
        start = time.perf_counter()
        result = ofxpost.run(config, workers=payload["workers"])
        wall = time.perf_counter() - start
    if result.exit_code != 0 or result.succeeded != result.total:
        raise RuntimeError(f"batch failed: exit {result.exit_code}, {result.failures[:3]}")
    return {
        "files": result.total,
        "wall_s": wall,
        "floor_rss": floor,
        "peak_rss_sampled": sampler.peak,
        "peak_rss_getrusage": _common.own_peak_rss(),
        "getrusage_inherited": inherited,
        "samples": sampler.samples,
    }


def _rusage(answer: dict[str, Any]) -> int | None:
    """The child's getrusage peak, or ``None`` if it is only the inherited value."""
    peak = int(answer["peak_rss_getrusage"])
    return peak if peak > int(answer["getrusage_inherited"]) else None


def _peak(answer: dict[str, Any]) -> int:
    """The controller's peak RSS: the larger of the sampled and the getrusage peak."""
    return max(int(answer["peak_rss_sampled"]), _rusage(answer) or 0)


def run(*, sizes: list[int], workers: int) -> SectionResult:
    """Run each size in a fresh subprocess and tabulate time and controller memory."""
    _common.setup_paths()
    largest = max(sizes)
    scratch = _common.scratch_dir("scaling")
    answers: list[dict[str, Any]] = []
    for n in sizes:
        folder = _common.noop_inputs(n)
        print(f"scaling: {n} files, w={workers} (fresh process) ...", flush=True)
        _common.QUIET.wait()
        with _common.ForeignLoad() as load:
            answer = _common.run_child(
                "scaling",
                {"folder": str(folder), "output_dir": str(scratch / f"n{n}"), "workers": workers},
            )
        answer["foreign_load"] = load.fraction
        print(
            f"  {answer['wall_s']:.2f} s, controller peak {answer['peak_rss_sampled'] / MIB:.0f} "
            f"MiB (getrusage {fmt_mib(_rusage(answer))})",
            flush=True,
        )
        answers.append(answer)
    small = _peak(answers[0])
    rows = []
    for a in answers:
        peak = _peak(a)
        rows.append(
            {
                "files": f"{a['files']:,}",
                "wall (s)": fmt_s(a["wall_s"]),
                "per file": f"{a['wall_s'] / a['files'] * 1000:.2f} ms",
                "controller floor RSS": fmt_mib(a["floor_rss"]),
                "controller peak RSS (20 ms)": fmt_mib(a["peak_rss_sampled"]),
                "peak (getrusage)": fmt_mib(_rusage(a)),
                "peak / smallest": f"{peak / small:.3f}×",
                "foreign load": f"{a['foreign_load']:.0%}",
            }
        )
    big = _peak(answers[-1])
    ratio = big / small
    targets = [
        Target(f"controller peak RSS {largest:,} / {sizes[0]:,} files", ratio, TARGET_RATIO, False)
    ]
    notes = [
        f"ofxpost local pool, w={workers}, `.noop` files, CSV output; one fresh interpreter "
        "per size; controller = the parent process only (workers excluded).",
        "peak / smallest uses the larger of the sampled and the getrusage peak; the "
        "getrusage peak shows – when it is only the launcher's RSS inherited at fork.",
    ]
    return SectionResult(
        "scaling",
        "Scaling: wall time and controller memory vs files",
        markdown_table(rows, list(rows[0])),
        targets,
        {"workers": workers, "sizes": sizes, "runs": answers, "ratio": ratio},
        notes,
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    _common.add_common_args(parser)
    parser.add_argument(
        "--sizes",
        type=_common.parse_workers,
        default=None,
        help="comma-separated file counts (default 100,1000,10000)",
    )
    args = parser.parse_args(argv)
    _common.configure(args)
    if args.child:
        _common.child_reply(child(json.loads(args.child)))
        return 0
    sizes = args.sizes or [100, 1000, 10000]
    workers = max(args.workers or _common.default_workers())
    result = run(sizes=sizes, workers=workers)
    _common.print_section(result)
    _common.write_section(args.out, result, _common.machine_info())
    return 0


if __name__ == "__main__":
    sys.exit(main())
