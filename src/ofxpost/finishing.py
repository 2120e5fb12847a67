"""The finish phase of a batch: aggregation, writing, error reports and the manifest.

Everything here runs in the controller after the last file has finished (or after
a cancellation): the aggregators read the stored records back in input order, the
writers turn their tables into files, and ``ofxpost-run.json`` records what the run
did. Error reports under ``errors/`` are written as files fail.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pluggy

from ofxpost._version import __version__
from ofxpost.events import EventEmitter
from ofxpost.plan import Plan
from ofxpost.plugins import call_each
from ofxpost.records import FileRecord, Job
from ofxpost.result import BatchResult, FileFailure
from ofxpost.store import ResultStore

PARTIAL_MARKER = "PARTIAL"
"""File written into ``output_dir`` when the outputs cover a cancelled batch only."""

ERRORS_DIR = "errors"
"""Folder of ``output_dir`` holding one JSON report per failed file."""

MANIFEST = "ofxpost-run.json"
"""Summary of the last run, written into ``output_dir``."""


class Finisher:
    """Writes error reports while a batch runs, then aggregates and writes its outputs."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        store: ResultStore,
        emitter: EventEmitter,
        observe: Callable[..., None],
    ) -> None:
        self.pm = pm
        self.store = store
        self.emitter = emitter
        self._observe = observe

    def write_error_report(self, plan: Plan, job: Job, record: FileRecord) -> None:
        """Write ``errors/<index>_<name>.json`` for a file that has errors."""
        folder = plan.output_dir / ERRORS_DIR
        folder.mkdir(exist_ok=True)
        report = {
            "batch_id": plan.batch_id,
            "file": str(job.path),
            "index": job.index,
            "status": str(record.status),
            "attempts": record.attempts,
            "worker_pid": record.worker_pid,
            "errors": [e.to_dict() for e in record.errors],
        }
        target = folder / f"{job.index:05d}_{job.path.name}.json"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(report, indent=2), encoding="utf-8")
        tmp.replace(target)

    def finish(
        self,
        plan: Plan,
        *,
        cancelled: bool,
        wall_s: float,
        done_jobs: set[int],
        failures: Mapping[int, FileFailure],
        succeeded: int,
        reused: int,
    ) -> BatchResult:
        """Aggregate the stored records, write the outputs, build the result."""
        done = [job for job in plan.jobs if job.index in done_jobs]
        records = self.store.records(done)
        tables: dict[str, Any] = {}
        problems: list[str] = []
        hook = self.pm.hook
        for outcome in call_each(
            hook.ofxpost_aggregate, records=records, config=plan.config, plan=plan
        ):
            if outcome.error is not None:
                problems.append(f"aggregator {outcome.plugin!r} failed: {outcome.error!r}")
                continue
            for name, table in (outcome.value or {}).items():
                if name in tables:
                    problems.append(f"aggregator {outcome.plugin!r}: table {name!r} already exists")
                    continue
                tables[name] = table
        ordered = dict(sorted(tables.items()))
        outputs: list[Path] = []
        for outcome in call_each(
            hook.ofxpost_write_outputs,
            tables=ordered,
            output_dir=plan.output_dir,
            config=plan.config,
            partial=cancelled,
        ):
            if outcome.error is not None:
                problems.append(f"writer {outcome.plugin!r} failed: {outcome.error!r}")
                continue
            outputs.extend(Path(p) for p in (outcome.value or ()))
        for problem in problems:
            self.emitter.emit("warning", level="warning", message=problem)
        if cancelled:
            (plan.output_dir / PARTIAL_MARKER).write_text(
                f"Batch {plan.batch_id} was cancelled: the outputs cover "
                f"{len(done)} of {plan.total} files. Run again with --resume to finish.\n",
                encoding="utf-8",
            )
        result = BatchResult(
            batch_id=plan.batch_id,
            mode=plan.mode,
            workers=plan.workers,
            total=plan.total,
            succeeded=succeeded,
            failures=tuple(failures[i] for i in sorted(failures)),
            reused=reused,
            cancelled=cancelled,
            wall_s=wall_s,
            output_dir=plan.output_dir,
            outputs=tuple(sorted(outputs)),
            tables=tuple(ordered),
            output_errors=tuple(problems),
        )
        self.write_manifest(plan, result)
        self.store.close()
        self.emitter.emit(
            "batch_finished",
            level="warning" if result.exit_code else "info",
            total=result.total,
            succeeded=result.succeeded,
            partial=result.partial,
            failed=result.failed,
            reused=result.reused,
            wall_s=round(wall_s, 3),
            cancelled=cancelled,
            exit_code=result.exit_code,
            outputs=len(result.outputs),
        )
        self._observe("ofxpost_batch_finished", result=result)
        return result

    def write_manifest(self, plan: Plan, result: BatchResult) -> None:
        """Write ``ofxpost-run.json`` describing ``result``."""
        manifest: Mapping[str, Any] = {
            "batch_id": result.batch_id,
            "status": "partial" if result.cancelled else "complete",
            "mode": result.mode,
            "workers": result.workers,
            "total": result.total,
            "succeeded": result.succeeded,
            "partial": result.partial,
            "failed": result.failed,
            "reused": result.reused,
            "wall_s": round(result.wall_s, 3) if math.isfinite(result.wall_s) else None,
            "outputs": [
                str(p.relative_to(result.output_dir))
                if p.is_relative_to(result.output_dir)
                else str(p)
                for p in result.outputs
            ],
            "version": __version__,
        }
        target = plan.output_dir / MANIFEST
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        tmp.replace(target)
