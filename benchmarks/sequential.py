"""Sequential per-file cost: one worker process (``--sequential``) against in-process.

``--sequential`` and one-file batches run their files in one worker process, so
that the controller never runs plugin code; ``--in-process`` (debugging only) is the
former in-process path. This runs the same batch of tiny ``.noop`` files both ways
and reports the wall time and the cost per file. Run alone::

    python benchmarks/sequential.py [--files 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common
from _common import median

import ofxpost


def _once(folder: Path, out: Path, **options: Any) -> float:
    config = {
        "inputs": [str(folder / "*.noop")],
        "plugins": ["noop_plugin"],
        "outputs": {"formats": ["csv"]},
        "output_dir": str(out),
    }
    start = time.perf_counter()
    result = ofxpost.run(config, **options)
    wall = time.perf_counter() - start
    if result.exit_code != 0 or result.succeeded != result.total:
        raise SystemExit(f"run failed: exit {result.exit_code}")
    return wall


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    _common.setup_paths()
    folder = _common.noop_inputs(args.files)
    scratch = _common.scratch_dir("sequential")
    modes: dict[str, dict[str, bool]] = {
        "in-process (former --sequential)": {"in_process": True},
        "--sequential (one worker process)": {"sequential": True},
    }
    walls: dict[str, list[float]] = {name: [] for name in modes}
    for round_no in range(args.rounds):
        for name, options in modes.items():
            walls[name].append(_once(folder, scratch / f"{round_no}-{len(walls[name])}", **options))
    print(f"{args.files} tiny files, median of {args.rounds} rounds")
    print("| mode | wall (s) | per file (ms) |")
    print("|------|---------:|--------------:|")
    for name, values in walls.items():
        wall = median(values)
        print(f"| {name} | {wall:.2f} | {wall / args.files * 1000:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
