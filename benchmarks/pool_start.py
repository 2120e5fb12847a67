"""Worker start: how long the ofxpost pool takes from spawn to every worker ready.

Each round runs in a fresh interpreter (:func:`_common.run_child` style, via
``subprocess``): it plans a batch with the demo's own config (every built-in
feature), starts the local pool (``executors.create_local_pool``: spawn, import,
``init_worker`` rebuilding the plugins and the config, ``ready``) and shuts it
down. It also reports which heavy modules a worker imported, by asking one worker.

    python benchmarks/pool_start.py --rounds 5 --workers 2
    python benchmarks/pool_start.py --src /path/to/other/src   # compare a checkout
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HEAVY = ("anyio", "structlog", "rich", "matplotlib", "asyncio", "pandas", "pyarrow")

CHILD = r"""
import json, sys, time
from pathlib import Path

import yaml

from ofxpost.demo import demo_config
from ofxpost.config import validate_config
from ofxpost.executors import create_local_pool
from ofxpost.plan import make_plan

root = Path(sys.argv[1])
workers = int(sys.argv[2])
(root / "sims").mkdir(exist_ok=True)
for i in range(4):  # planning needs inputs; the pool never opens them
    (root / "sims" / f"case_{i:03d}.ofx.parquet").write_bytes(b"x")
raw = demo_config(4)
raw["inputs"] = ["sims/*.ofx.parquet"]
raw["output_dir"] = "out"
raw.setdefault("parallel_processing", {})["max_workers"] = workers
config = validate_config(raw, base_dir=root, source=None)
plan = make_plan(config, workers=workers)
clock = time.perf_counter()
pool = create_local_pool(plan)
started = time.perf_counter() - clock
pool.shutdown(wait=True)
print(json.dumps({"pool_start_s": started}))
"""

WORKER = r"""
import json, sys, time
from pathlib import Path

clock = time.perf_counter()
import ofxpost.pool
import ofxpost.worker
from ofxpost.demo import demo_config
from ofxpost.plan import WorkerSetup
from ofxpost.plugins import PluginSpec

imported = time.perf_counter() - clock
root = Path(sys.argv[1])
raw = demo_config(4)
raw["inputs"] = ["sims/*.ofx.parquet"]
raw["output_dir"] = "out"
report = open(root / "worker.json", "w")  # init_worker silences descriptors 1 and 2
ofxpost.worker.init_worker(WorkerSetup(PluginSpec(), raw, root, None))
ready = time.perf_counter() - clock
heavy = sys.argv[2].split(",")
json.dump({"import_s": imported, "ready_s": ready,
           "modules": [m for m in heavy if m in sys.modules]}, report)
"""


def _measure(src: Path | None, workers: int, tmp: str) -> tuple[float, dict[str, object]]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src.resolve())
    out = subprocess.run(
        [sys.executable, "-c", CHILD, tmp, str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    started = float(json.loads(out.stdout.strip().splitlines()[-1])["pool_start_s"])
    subprocess.run([sys.executable, "-c", WORKER, tmp, ",".join(HEAVY)], env=env, check=True)
    worker: dict[str, object] = json.loads((Path(tmp) / "worker.json").read_text())
    return started, worker


def main() -> None:
    """Measure the pool start in fresh interpreters, rounds interleaved; print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--compare", type=Path, default=None, help="another ofxpost src folder, interleaved"
    )
    args = parser.parse_args()
    sources: list[Path | None] = [None] if args.compare is None else [None, args.compare]
    starts: dict[int, list[float]] = {i: [] for i in range(len(sources))}
    imports: dict[int, list[float]] = {i: [] for i in range(len(sources))}
    readies: dict[int, list[float]] = {i: [] for i in range(len(sources))}
    heavy: dict[int, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for i, src in enumerate(sources):
                started, worker = _measure(src, args.workers, tmp)
                starts[i].append(started)
                imports[i].append(float(worker["import_s"]))  # type: ignore[arg-type]
                readies[i].append(float(worker["ready_s"]))  # type: ignore[arg-type]
                heavy[i] = worker["modules"]
    for i, src in enumerate(sources):
        print(
            json.dumps(
                {
                    "src": "this checkout" if src is None else str(src),
                    "workers": args.workers,
                    "rounds": args.rounds,
                    "pool_start_median_s": round(statistics.median(starts[i]), 3),
                    "pool_start_min_s": round(min(starts[i]), 3),
                    "worker_import_median_s": round(statistics.median(imports[i]), 3),
                    "worker_ready_median_s": round(statistics.median(readies[i]), 3),
                    "worker_heavy_modules": heavy[i],
                }
            )
        )


if __name__ == "__main__":
    main()
