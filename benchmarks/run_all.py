"""Run every ofxpost benchmark and write ``results.md`` + ``results.json``.

One command::

    python benchmarks/run_all.py [--workers 1,2] [--rounds 3] [--files 24] [--file-mb 20]
                                 [--quick] [--out benchmarks/results]

Sections (each also runnable alone, e.g. ``python benchmarks/throughput.py``):

* ``throughput`` -- 24 synthetic archives, compute-bound post-processing: the
  opp-style loop, ``ofxpost --sequential``, ProcessPoolExecutor, joblib, Dask and the
  ofxpost pool, interleaved, identity-checked (:mod:`throughput`);
* ``overhead`` -- 10,000 tiny files: ofxpost's per-file orchestration cost against
  ``ProcessPoolExecutor.map`` with a good chunk size (:mod:`overhead`);
* ``scaling`` -- 100 / 1,000 / 10,000 files: wall time and the controller's peak
  RSS, each size in a fresh process (:mod:`scaling`);
* ``memory`` -- peak RSS of the whole process tree, sequential vs parallel vs
  parallel under a ``memory_budget`` (:mod:`memory_budget`).

The defaults finish in about ten minutes on a 2-core machine; ``--quick`` in about
four. On a bigger machine sweep workers, e.g. ``--workers 1,2,4,8,16 --files 96``.
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
from _common import SectionResult, markdown_table

SECTIONS = ("throughput", "overhead", "scaling", "memory")


def _synth_available() -> bool:
    try:
        import ofxpost._tools.synth  # noqa: F401
    except ImportError:
        return False
    return True


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``run_all.py``."""
    parser = argparse.ArgumentParser(
        description="Run the ofxpost benchmarks.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _common.add_common_args(parser)
    parser.add_argument("--files", type=int, default=24, help="throughput: input archives")
    parser.add_argument(
        "--file-mb", type=float, default=None, help="throughput: MB per archive (20; quick 8)"
    )
    parser.add_argument(
        "--source",
        choices=("auto", "synth", "noop"),
        default="auto",
        help="throughput inputs: synthetic archives, or CPU-burning .noop files "
        "(auto: archives when ofxpost._tools.synth is available)",
    )
    parser.add_argument(
        "--tiny-files", type=int, default=None, help="overhead: tiny files (10000; quick 2000)"
    )
    parser.add_argument(
        "--sizes",
        type=_common.parse_workers,
        default=None,
        help="scaling: file counts (100,1000,10000)",
    )
    parser.add_argument(
        "--memory-files", type=int, default=None, help="memory: files (18; quick 12)"
    )
    parser.add_argument(
        "--budget", default="1.75x", help="memory: '<f>x' of the sequential peak, 'fit', or a size"
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)}",
    )
    return parser


def run_sections(args: argparse.Namespace) -> list[SectionResult]:
    """Run the chosen sections with the options of ``args``."""
    _common.setup_paths()
    import memory_budget
    import overhead
    import scaling
    import throughput

    quick = args.quick
    workers = args.workers or _common.default_workers()
    rounds = args.rounds or (1 if quick else 3)
    wanted = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    results: list[SectionResult] = []
    for name in wanted:
        started = time.perf_counter()
        print(f"\n=== {name} ===", flush=True)
        if name == "throughput":
            source = args.source
            if source == "auto":
                source = "synth" if _synth_available() else "noop"
            result = throughput.run(
                files=args.files,
                file_mb=args.file_mb or (8.0 if quick else 20.0),
                workers=workers,
                rounds=rounds,
                source=source,
                profile_to=args.out / "profile-throughput.txt" if args.profile else None,
            )
            if source == "noop" and args.source == "auto":
                result.notes.append(
                    "ofxpost._tools.synth was not available: the inputs are CPU-burning .noop"
                    " files."
                )
        elif name == "overhead":
            result = overhead.run(
                files=args.tiny_files or (2000 if quick else 10000),
                workers=[max(workers)],
                rounds=rounds,
                profile_to=args.out / "profile-overhead.txt" if args.profile else None,
            )
        elif name == "scaling":
            result = scaling.run(sizes=args.sizes or [100, 1000, 10000], workers=max(workers))
        else:
            result = memory_budget.run(
                files=args.memory_files or (12 if quick else 18),
                alloc_mb=[400.0, 400.0, 100.0, 100.0, 100.0, 100.0],
                work_ms=300.0,
                workers=max(workers),
                budget=args.budget,
                memory_per_file="auto",
                rounds=1,
            )
        result.data["section_seconds"] = time.perf_counter() - started
        _common.print_section(result)
        results.append(result)
    return results


def write_results(
    out: Path, results: list[SectionResult], info: dict[str, Any], argv: list[str]
) -> tuple[Path, Path]:
    """Write ``results.md`` and ``results.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    target_rows = [{"section": r.name, **t.row()} for r in results for t in r.targets]
    lines = [
        "# ofxpost benchmark results",
        "",
        f"Command: `python benchmarks/run_all.py {' '.join(argv)}`".rstrip() + "",
        "",
        f"Machine: {_common.machine_line(info)}",
        "",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items() if v is not None),
        "",
        "## Targets",
        "",
        markdown_table(target_rows, ["section", "target", "measured", "goal", "met"])
        if target_rows
        else "(none)",
        "",
    ]
    lines += [r.markdown() for r in results]
    md = out / "results.md"
    md.write_text("\n".join(lines), encoding="utf-8")
    js = out / "results.json"
    js.write_text(
        json.dumps(
            {
                "argv": argv,
                "machine": info,
                "sections": [r.to_dict() for r in results],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return md, js


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    _common.configure(args)
    info = _common.machine_info()
    print(f"machine: {_common.machine_line(info)}", flush=True)
    started = time.perf_counter()
    results = run_sections(args)
    md, js = write_results(args.out, results, info, argv)
    print("\n=== targets ===")
    rows = [{"section": r.name, **t.row()} for r in results for t in r.targets]
    print(markdown_table(rows, ["section", "target", "measured", "goal", "met"]))
    print(f"\nwrote {md} and {js} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
