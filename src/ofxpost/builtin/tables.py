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

FILES_COLUMNS = [
    "index",
    "file",
    "stem",
    "status",
    "error_kind",
    "error_message",
    "state",
    "simulation_complete",
    "start_time",
    "stop_time",
]
FAILURE_COLUMNS = ["index", "file", "kind", "plugin", "message"]
RUN_LOG_COLUMNS = [
    "index",
    "file",
    "status",
    "attempts",
    "duration_s",
    "worker_pid",
    "peak_rss",
    "reused",
]


@hookimpl
def ofxpost_aggregate(records: Sequence[FileRecord], config: Config) -> dict[str, pd.DataFrame]:
    """Build the ``files``, ``failures`` and ``run_log`` tables.

    Built column by column (one list per column, no dict per row), so that a
    batch of 10,000 files costs the controller little memory at the end.
    """
    files: dict[str, list[Any]] = {name: [] for name in FILES_COLUMNS}
    failures: dict[str, list[Any]] = {name: [] for name in FAILURE_COLUMNS}
    runs: dict[str, list[Any]] = {name: [] for name in RUN_LOG_COLUMNS}
    for record in records:
        info = record.results.get("model_info") or {}
        error = record.error
        shown = display_path(record.path, config.base_dir)
        status = str(record.status)
        for name, value in (
            ("index", record.index),
            ("file", shown),
            ("stem", simulation_stem(record.path)),
            ("status", status),
            ("error_kind", str(error.kind) if error else None),
            ("error_message", error.message if error else None),
            ("state", info.get("state")),
            ("simulation_complete", info.get("simulation_complete")),
            ("start_time", info.get("start_time")),
            ("stop_time", info.get("stop_time")),
        ):
            files[name].append(value)
        for err in record.errors:
            failures["index"].append(record.index)
            failures["file"].append(shown)
            failures["kind"].append(str(err.kind))
            failures["plugin"].append(err.plugin)
            failures["message"].append(err.message)
        for name, value in (
            ("index", record.index),
            ("file", shown),
            ("status", status),
            ("attempts", record.attempts),
            ("duration_s", record.duration_s),
            ("worker_pid", record.worker_pid),
            ("peak_rss", record.peak_rss),
            ("reused", record.reused),
        ):
            runs[name].append(value)
    return {
        "files": _frame(files, ["index", "file"]),
        "failures": _frame(failures, FAILURE_COLUMNS),
        "run_log": _frame(runs, ["index", "file"]),
    }


def _frame(columns: dict[str, list[Any]], empty: list[str]) -> pd.DataFrame:
    """A table from its columns; with no rows, an empty table of ``empty`` columns."""
    if not columns["index"]:
        return pd.DataFrame([], columns=empty)
    return pd.DataFrame(columns, columns=list(columns))
