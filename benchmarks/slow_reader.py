"""A slow log reader must not stall the batch: ``ofxpost run … | (sleep S; cat)``.

Runs one batch of :mod:`noop_plugin` files (enough that its JSON events overflow a
pipe's buffer) twice through a shell pipe: once with a prompt reader
(``| cat``) and once with a reader that sleeps ``S`` seconds before it reads
(``| (sleep S; cat)``). For each it prints

* ``batch wall_s``: the batch's own ``wall_s`` (``ofxpost-run.json``): from its start
  to the last output placed;
* ``outputs done``: seconds from the command's start until ``ofxpost-run.json`` was
  written (the outputs are complete then);
* ``command``: seconds until the whole pipeline ended (with a sleeping reader it
  cannot end before the sleep does, and ``ofxpost`` waits for the reader to take the
  last events before it exits);
* the events the reader received, and ``progress_dropped`` from ``batch_finished``.

With event output off the event loop, ``batch wall_s`` and ``outputs done`` are the
same with and without the sleep. POSIX only (it needs ``sh``).

    python benchmarks/slow_reader.py --files 400 --sleep 12
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import noop_inputs, setup_paths


def _run(config: Path, reader: str, events: Path) -> dict[str, Any]:
    out = config.parent / "out"
    shutil.rmtree(out, ignore_errors=True)
    command = f'"$0" -m ofxpost._cli.main run "$1" --log-format json | {reader} > "$2"'
    started = time.time()
    clock = time.perf_counter()
    proc = subprocess.run(
        ["sh", "-c", command, sys.executable, str(config), str(events)],
        stderr=subprocess.PIPE,
        timeout=600,
    )
    elapsed = time.perf_counter() - clock
    manifest_path = out / "ofxpost-run.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    lines = events.read_text(encoding="utf-8").splitlines()
    finished = json.loads(lines[-1]) if lines else {}
    return {
        "rc": proc.returncode,
        "wall_s": manifest["wall_s"],
        "outputs_done_s": manifest_path.stat().st_mtime - started,
        "command_s": elapsed,
        "events": len(lines),
        "last": finished.get("event"),
        "progress_dropped": finished.get("progress_dropped"),
        "stderr": proc.stderr.decode(errors="replace").strip().splitlines()[-1:],
    }


def main() -> None:
    """Run the two pipelines and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=400, help="input files (default 400)")
    parser.add_argument("--sleep", type=float, default=12.0, help="reader's sleep (s)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if os.name == "nt":
        raise SystemExit("slow_reader.py needs a POSIX shell (sh)")
    setup_paths()
    folder = noop_inputs(args.files)
    with tempfile.TemporaryDirectory(prefix="ofxpost-slow-reader-") as tmp:
        root = Path(tmp)
        config = root / "batch.yml"
        config.write_text(
            json.dumps(
                {
                    "inputs": [str(folder / "*.noop")],
                    "output_dir": "out",
                    "plugins": ["noop_plugin"],
                    "parallel_processing": {"max_workers": args.workers},
                    "outputs": {"formats": ["csv"]},
                }
            ),
            encoding="utf-8",
        )
        rows = []
        for label, reader in (
            ("prompt reader: | cat", "cat"),
            (f"slow reader: | (sleep {args.sleep:g}; cat)", f"(sleep {args.sleep}; cat)"),
        ):
            rows.append((label, _run(config, reader, root / "events.jsonl")))
    print(f"{args.files} files, {args.workers} workers, ofxpost {_version()}")
    print(
        f"{'pipeline':<34} {'rc':>3} {'batch wall_s':>13} {'outputs done':>13} "
        f"{'command':>8} {'events':>7} {'progress_dropped':>17}"
    )
    for label, row in rows:
        print(
            f"{label:<34} {row['rc']:>3} {row['wall_s']:>12.2f}s {row['outputs_done_s']:>12.2f}s "
            f"{row['command_s']:>7.2f}s {row['events']:>7} {row['progress_dropped']!s:>17}"
        )
        if row["last"] != "batch_finished":
            print(f"  the reader's last event is {row['last']!r}: {row['stderr']}")


def _version() -> str:
    import ofxpost

    return str(ofxpost.__version__)


if __name__ == "__main__":
    main()
