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
import time
from pathlib import Path
from typing import Any

HEAVY = ("anyio", "structlog", "rich", "matplotlib", "asyncio", "pandas", "pyarrow")

CHILD = r"""
import json, sys, time
clock0 = time.perf_counter()
workers = int(sys.argv[2])
early = None
if sys.argv[3] == "prestart":
    try:
        from ofxpost._executors.prestart import Prestart
    except ImportError:  # an older checkout: no pre-started workers
        pass
    else:
        early = Prestart.begin(workers)  # as `ofxpost run` does, before the config
from pathlib import Path

from ofxpost._tools.demo import demo_config
from ofxpost._plugins.loading import load_config
from ofxpost._executors.local import create_local_pool
from ofxpost._config.plan import make_plan

root = Path(sys.argv[1])
(root / "sims").mkdir(exist_ok=True)
for i in range(4):  # planning needs inputs; the pool never opens them
    (root / "sims" / f"case_{i:03d}.ofx.parquet").write_bytes(b"x")
raw = demo_config(4)
raw["inputs"] = ["sims/*.ofx.parquet"]
raw["output_dir"] = "out"
raw.setdefault("parallel_processing", {})["max_workers"] = workers
config = load_config(raw, base_dir=root)  # discovers and imports the plugins
if early is not None:
    early.bind(config, workers=workers, sequential=False)
plan = make_plan(config, workers=workers)
clock = time.perf_counter()
executor = create_local_pool(plan, lambda job, worker: None)
executor.start()
now = time.perf_counter()
executor.shutdown(cancel=False)
print(json.dumps({"pool_start_s": now - clock, "ready_after_launch_s": now - clock0,
                  "prestarted": early is not None}))
"""

WORKER = r"""
import json, sys, time
from pathlib import Path

clock = time.perf_counter()
import ofxpost._pool.pool
import ofxpost._worker.worker
from ofxpost._tools.demo import demo_config
from ofxpost._config.plan import WorkerSetup
from ofxpost._plugins.manager import PluginSpec

imported = time.perf_counter() - clock
root = Path(sys.argv[1])
raw = demo_config(4)
raw["inputs"] = ["sims/*.ofx.parquet"]
raw["output_dir"] = "out"
report = open(root / "worker.json", "w")  # init_worker silences descriptors 1 and 2
ofxpost._worker.worker.init_worker(WorkerSetup(PluginSpec(), raw, root, None))
ready = time.perf_counter() - clock
heavy = sys.argv[2].split(",")
json.dump({"import_s": imported, "ready_s": ready,
           "modules": [m for m in heavy if m in sys.modules]}, report)
"""


def _measure(
    src: Path | None, workers: int, tmp: str, mode: str
) -> tuple[dict[str, Any], dict[str, object]]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src.resolve())
    launched = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, tmp, str(workers), mode],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    started: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    started["process_s"] = time.perf_counter() - launched
    subprocess.run([sys.executable, "-c", WORKER, tmp, ",".join(HEAVY)], env=env, check=True)
    worker: dict[str, object] = json.loads((Path(tmp) / "worker.json").read_text())
    return started, worker


def main() -> None:
    """Measure the pool start in fresh interpreters, rounds interleaved; print JSON lines.

    Each source runs twice per round: ``cold`` (the pool spawned after planning, as
    ``ofxpost.run`` with a ready-made plan does) and ``prestart`` (spawned first, as
    ``ofxpost run`` does, while the controller imports, reads the config and plans).
    ``pool_start`` is what the batch waits for after planning; ``ready_after_launch``
    runs from the interpreter's start to every worker ready.
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--compare", type=Path, default=None, help="another ofxpost src folder, interleaved"
    )
    args = parser.parse_args()
    sources: list[Path | None] = [None] if args.compare is None else [None, args.compare]
    slots = [(src, mode) for src in sources for mode in ("cold", "prestart")]
    runs: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(slots))}
    workers_seen: dict[int, list[dict[str, object]]] = {i: [] for i in range(len(slots))}
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(args.rounds):
            order = list(range(len(slots)))
            if number % 2:
                order.reverse()
            for i in order:
                src, mode = slots[i]
                started, worker = _measure(src, args.workers, tmp, mode)
                runs[i].append(started)
                workers_seen[i].append(worker)
    for i, (src, mode) in enumerate(slots):
        got, seen = runs[i], workers_seen[i]
        print(
            json.dumps(
                {
                    "src": "this checkout" if src is None else str(src),
                    "mode": mode if all(r["prestarted"] for r in got) else "cold",
                    "workers": args.workers,
                    "rounds": args.rounds,
                    "pool_start_median_s": round(
                        statistics.median(r["pool_start_s"] for r in got), 3
                    ),
                    "pool_start_min_s": round(min(r["pool_start_s"] for r in got), 3),
                    "ready_after_launch_median_s": round(
                        statistics.median(r["ready_after_launch_s"] for r in got), 3
                    ),
                    "process_median_s": round(statistics.median(r["process_s"] for r in got), 3),
                    "worker_import_median_s": round(
                        statistics.median(float(str(w["import_s"])) for w in seen), 3
                    ),
                    "worker_ready_median_s": round(
                        statistics.median(float(str(w["ready_s"])) for w in seen), 3
                    ),
                    "worker_heavy_modules": seen[-1]["modules"],
                }
            )
        )


if __name__ == "__main__":
    main()
