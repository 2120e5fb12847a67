"""The per-file function and the final step shared by the peer runners.

Peers (``ProcessPoolExecutor``, joblib/loky, Dask) must do exactly the per-file work
an ofxpost worker does, so :func:`peer_job` calls ofxpost's own worker code:
:func:`ofxpost._worker.worker.init_worker` with the plan's
:class:`~ofxpost._config.plan.WorkerSetup` -- once per process, lazily, on the first file --
then :func:`ofxpost._worker.worker.process_job` (which calls
:func:`ofxpost._worker.worker.run_job`). It returns the
:class:`~ofxpost.FileRecord` (whose ``payload`` is the JSON text of every
extractor's results).

:func:`finish` is the controller-side step ofxpost does after the files: the
aggregators turn the records into tables and the writers write them. Peers call it
too, so that every runner produces the same outputs and a wall-time comparison
measures orchestration, not missing work.

This module must be importable by name in every worker process (``benchmarks/`` is
on ``sys.path`` and ``PYTHONPATH``, see :func:`_common.setup_paths`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ofxpost._config.plan import Plan, WorkerSetup
from ofxpost._core.records import FileRecord, Job
from ofxpost._plugins.manager import call_each, get_plugin_manager
from ofxpost._worker.worker import init_worker, process_job

_SETUP: WorkerSetup | None = None


def peer_job(setup: WorkerSetup, job: Job) -> FileRecord:
    """Process one file exactly as an ofxpost worker does; return its record.

    The first call in a process (or one with a different setup) runs ofxpost's own
    pool initializer, :func:`ofxpost._worker.worker.init_worker`; every call then runs
    :func:`ofxpost._worker.worker.process_job`, the function ofxpost sends to its workers.
    """
    global _SETUP
    if _SETUP is None or setup != _SETUP:
        init_worker(setup)
        _SETUP = setup
    return process_job(job)


def finish(plan: Plan, records: Sequence[FileRecord], output_dir: Path) -> list[Path]:
    """Aggregate ``records`` (in input order) and write the tables into ``output_dir``.

    :raises RuntimeError: if an aggregator or writer fails (a benchmark must not
        silently skip work).
    """
    pm = get_plugin_manager(plan.plugin_spec)
    ordered = sorted(records, key=lambda r: r.index)
    tables: dict[str, Any] = {}
    for outcome in call_each(
        pm.hook.ofxpost_aggregate, records=ordered, config=plan.config, plan=plan
    ):
        if outcome.error is not None:
            raise RuntimeError(f"aggregator {outcome.plugin} failed: {outcome.error!r}")
        tables.update(outcome.value or {})
    output_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for outcome in call_each(
        pm.hook.ofxpost_write_outputs,
        tables=dict(sorted(tables.items())),
        output_dir=output_dir,
        config=plan.config,
        partial=False,
    ):
        if outcome.error is not None:
            raise RuntimeError(f"writer {outcome.plugin} failed: {outcome.error!r}")
        written.extend(Path(p) for p in (outcome.value or ()))
    return written


def canonical(payload: str) -> str:
    """A digest of a record's payload that ignores key order and formatting."""
    text = json.dumps(json.loads(payload), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprints(records: Sequence[FileRecord]) -> dict[int, str]:
    """``{file index: status + payload digest}`` of ``records``."""
    return {r.index: f"{r.status}:{canonical(r.payload)}" for r in records}
