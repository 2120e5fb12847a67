"""Failing files must cost about what good files cost (the issue's target: 20,000
failing files within 1.5x the time of 20,000 good ones).

Each failing file gets an error report under ``errors/``, which ofxpost lists in its
manifest before writing it; rewriting the manifest once per report made a batch of
failing files quadratic. Run alone::

    python benchmarks/failing_files.py [--files 20000] [--workers 2] [--rounds 1]
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

TARGET = 1.5
"""Failing files may take at most this many times as long as good ones."""


def _once(folder: Path, out: Path, plugins: list[str], workers: int) -> tuple[float, Any]:
    config = {
        "inputs": [str(folder / "*.noop")],
        "plugins": plugins,
        "outputs": {"formats": ["csv"]},
        "output_dir": str(out),
    }
    start = time.perf_counter()
    result = ofxpost.run(config, workers=workers)
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> int:
    """Measure and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    _common.setup_paths()
    folder = _common.noop_inputs(args.files)
    scratch = _common.scratch_dir("failing")
    good: list[float] = []
    bad: list[float] = []
    for round_no in range(args.rounds):
        wall, result = _once(folder, scratch / f"good{round_no}", ["noop_plugin"], args.workers)
        assert result.exit_code == 0, result.exit_code
        good.append(wall)
        plugins = ["noop_plugin", "noop_fail_plugin"]
        wall, result = _once(folder, scratch / f"bad{round_no}", plugins, args.workers)
        assert result.exit_code == 1 and result.partial == args.files, result
        bad.append(wall)
    ratio = median(bad) / median(good)
    print(
        f"{args.files} files, {args.workers} workers: good {median(good):.2f} s, "
        f"failing {median(bad):.2f} s, ratio {ratio:.2f} (target <= {TARGET})"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
