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
from typing import TYPE_CHECKING, Any

from ofxpost._archive.format import simulation_stem
from ofxpost._builtin.support import fileinfo
from ofxpost._builtin.support.pandas import pd
from ofxpost._config.model import Config
from ofxpost._config.plan import display_path
from ofxpost._core.markers import hookimpl
from ofxpost._core.printable import shown
from ofxpost._core.records import FileRecord

if TYPE_CHECKING:
    from ofxpost._config.plan import Plan

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


class TablesFold:
    """The ``files``, ``failures`` and ``run_log`` tables, folded record by record.

    Each record's cells are kept under its input index (one tuple per row, no
    dict per row, so that a batch of 10,000 files costs the controller little
    memory); :meth:`tables` orders them and builds the tables column by column.
    """

    def __init__(self, config: Config) -> None:
        self.base_dir = config.base_dir
        self._files: list[tuple[int, tuple[Any, ...]]] = []
        self._failures: list[tuple[int, tuple[Any, ...]]] = []
        self._runs: list[tuple[int, tuple[Any, ...]]] = []

    def add(self, record: FileRecord) -> None:
        """Take one file's record."""
        info = record.results.get("model_info") or {}
        error = record.error
        file_text = display_path(record.path, self.base_dir)
        status = str(record.status)
        index = record.index
        self._files.append(
            (
                index,
                (
                    index,
                    file_text,
                    shown(simulation_stem(record.path)),
                    status,
                    str(error.kind) if error else None,
                    error.message if error else None,
                    info.get("state"),
                    info.get("simulation_complete"),
                    info.get("start_time"),
                    info.get("stop_time"),
                ),
            )
        )
        for err in record.errors:
            self._failures.append(
                (index, (index, file_text, str(err.kind), err.plugin, err.message))
            )
        self._runs.append(
            (
                index,
                (
                    index,
                    file_text,
                    status,
                    record.attempts,
                    record.duration_s,
                    record.worker_pid,
                    record.peak_rss,
                    record.reused,
                ),
            )
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """The three tables, rows in input order."""
        return {
            "files": _frame(self._files, FILES_COLUMNS, ["index", "file"]),
            "failures": _frame(self._failures, FAILURE_COLUMNS, FAILURE_COLUMNS),
            "run_log": _frame(self._runs, RUN_LOG_COLUMNS, ["index", "file"]),
        }


@hookimpl(specname="ofxpost_start_fold")
def start_fold(config: Config, plan: Plan) -> TablesFold:
    """The fold of :func:`ofxpost_aggregate` (see :mod:`ofxpost._finish.folding`)."""
    return TablesFold(config)


@hookimpl
def ofxpost_aggregate(records: Sequence[FileRecord], config: Config) -> dict[str, pd.DataFrame]:
    """Build the ``files``, ``failures`` and ``run_log`` tables."""
    fold = TablesFold(config)
    for record in records:
        fold.add(record)
    return fold.tables()


def _frame(
    rows: list[tuple[int, tuple[Any, ...]]], columns: list[str], empty: list[str]
) -> pd.DataFrame:
    """A table of ``rows`` in input order; with no rows, an empty table of ``empty``."""
    if not rows:
        return pd.DataFrame([], columns=empty)
    ordered = fileinfo.in_input_order(rows)
    data = {
        name: list(cells) for name, cells in zip(columns, zip(*ordered, strict=True), strict=True)
    }
    return pd.DataFrame(data, columns=columns)
