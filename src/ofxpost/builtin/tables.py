"""Built-in aggregator: the ``files``, ``failures`` and ``run_log`` tables.

* ``files`` -- one row per input file, in input order: its status, the first error,
  and the model's run facts. Deterministic.
* ``failures`` -- one row per error (a failed file, or one failed extractor on a
  file), in input order. Deterministic.
* ``run_log`` -- how each file ran: attempts, duration, worker pid, peak memory,
  whether it was reused by ``--resume``. It describes one run, so unlike every other
  table it differs from run to run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ofxpost.archive.format import simulation_stem
from ofxpost.config import Config
from ofxpost.markers import hookimpl
from ofxpost.plan import display_path
from ofxpost.records import FileRecord


@hookimpl
def ofxpost_aggregate(records: Sequence[FileRecord], config: Config) -> dict[str, pd.DataFrame]:
    """Build the ``files``, ``failures`` and ``run_log`` tables."""
    files: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for record in records:
        info = record.results.get("model_info") or {}
        error = record.error
        files.append(
            {
                "index": record.index,
                "file": display_path(record.path, config.base_dir),
                "stem": simulation_stem(record.path),
                "status": str(record.status),
                "error_kind": str(error.kind) if error else None,
                "error_message": error.message if error else None,
                "state": info.get("state"),
                "simulation_complete": info.get("simulation_complete"),
                "start_time": info.get("start_time"),
                "stop_time": info.get("stop_time"),
            }
        )
        for err in record.errors:
            failures.append(
                {
                    "index": record.index,
                    "file": display_path(record.path, config.base_dir),
                    "kind": str(err.kind),
                    "plugin": err.plugin,
                    "message": err.message,
                }
            )
        runs.append(
            {
                "index": record.index,
                "file": display_path(record.path, config.base_dir),
                "status": str(record.status),
                "attempts": record.attempts,
                "duration_s": record.duration_s,
                "worker_pid": record.worker_pid,
                "peak_rss": record.peak_rss,
                "reused": record.reused,
            }
        )
    failure_columns = ["index", "file", "kind", "plugin", "message"]
    return {
        "files": pd.DataFrame(files, columns=list(files[0]) if files else ["index", "file"]),
        "failures": pd.DataFrame(failures, columns=failure_columns),
        "run_log": pd.DataFrame(runs, columns=list(runs[0]) if runs else ["index", "file"]),
    }
