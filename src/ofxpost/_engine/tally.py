"""The per-file record handling of a batch: store it, count it, announce it, finish it.

:class:`Tally` receives every file's final record (run, reused by ``--resume``, or
failed without running), writes it to the result store (flushed before the file
counts as done; a full disk fails that file only), counts it, emits its
``file_finished``/``file_failed``, ``extractor_failed`` and ``progress`` events, and
hands it to the finish phase (:class:`~ofxpost._engine.outputs.Outputs`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TypedDict

from ofxpost._config.plan import Plan
from ofxpost._core.estimates import MemoryEstimator
from ofxpost._core.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost._core.result import FileFailure
from ofxpost._engine.outputs import Outputs
from ofxpost._events.attribution import Attribution
from ofxpost._events.emitter import EventEmitter
from ofxpost._events.fields import finished_status, kind_name
from ofxpost._store.store import ResultStore
from ofxpost.event_types import HookTime

Observe = Callable[..., None]
"""Calls an observer hook (:class:`~ofxpost._engine.observers.Observers`)."""


class Tally:
    """The final records of one batch (see the module docstring)."""

    def __init__(
        self,
        plan: Plan,
        emitter: EventEmitter,
        store: ResultStore,
        estimator: MemoryEstimator,
        outputs: Outputs,
        observe: Observe,
        attribution: Attribution,
    ) -> None:
        self.plan = plan
        self.emitter = emitter
        self.store = store
        self.estimator = estimator
        self.outputs = outputs
        self.observe = observe
        self.attribution = attribution
        self.done_jobs: set[int] = set()
        self.failures: dict[int, FileFailure] = {}
        self.succeeded = 0
        self.reused = 0

    # ------------------------------------------------------------------ storing

    def store_one(self, job: Job, record: FileRecord) -> FileRecord:
        """Write ``record`` to the store (flushed); a full disk fails the file only."""
        try:
            self.store.write(job, record, self.plan.config_hash)
        except OSError as exc:
            return self.not_stored(job, record, exc)
        return record

    def store_all(self, ended: Iterable[tuple[Job, FileRecord]]) -> list[tuple[Job, FileRecord]]:
        """Write several records with one flush of the store; their final records."""
        done: list[tuple[Job, FileRecord]] = []
        for job, record in ended:
            try:
                self.store.write(job, record, self.plan.config_hash, flush=False)
            except OSError as exc:
                record = self.not_stored(job, record, exc)
            done.append((job, record))
        try:
            self.store.flush()  # before any of them counts as done
        except OSError as exc:  # none of them is known to be stored
            done = [
                (job, self.not_stored(job, record, exc))
                if record.status is not FileStatus.FAILED
                else (job, record)
                for job, record in done
            ]
        return done

    def not_stored(self, job: Job, record: FileRecord, exc: OSError) -> FileRecord:
        """The failed record of a file whose result could not be written to the store.

        Its result is not in the tables, so the file is failed; the store write is an
        ``output_failed``. ``--resume`` runs it again (it has no stored record).
        """
        where = self.store.log_path
        self.outputs.fail_output(
            f"the result of {job.path} could not be stored in {where}: {exc}",
            target=relative(where, self.plan),
        )
        message = (
            f"{job.path.name}: its result could not be stored ({exc}); "
            "run again with --resume once there is space"
        )
        return replace(
            record,
            status=FileStatus.FAILED,
            errors=[*record.errors, ErrorRecord(ErrorKind.UNKNOWN, message)],
        )

    # ------------------------------------------------------------------ no file runs

    def not_started(self, exc: OSError) -> None:
        """``output_dir`` (manifest or result store) cannot be written: run no file.

        The write that failed is an ``output_failed``; every file is failed (kind
        ``unknown``, ``file_failed``) as not run, so the batch ends with exit 1 and
        ``batch_finished``. ``--resume`` once there is space runs them.
        """
        plan = self.plan
        name = exc.filename
        self.outputs.fail_output(
            f"output_dir {plan.output_dir} cannot be written, so no file was run: {exc}",
            target=relative(Path(os.fsdecode(name)), plan) if name is not None else ".",
        )
        for job in plan.jobs:
            message = f"{job.path.name}: not run: output_dir cannot be written ({exc})"
            record = ErrorRecord(ErrorKind.UNKNOWN, message)
            self.done_jobs.add(job.index)
            self.failures[job.index] = FileFailure(job.index, job.path, (record,))
            self.emitter.emit(
                "file_failed",
                level="error",
                file=str(job.path),
                index=job.index,
                kind=kind_name(record.kind),
                message=message,
                plugin=None,
                worker_pid=None,
                attempts=0,
                duration_s=0.0,
                log=None,
            )

    # ------------------------------------------------------------------ completion

    def reuse(self, job: Job, record: FileRecord) -> None:
        """``--resume`` reuses ``record`` (already stored) for ``job``."""
        self.reused += 1
        self.done(job, record)

    def done(self, job: Job, record: FileRecord, *, progress: bool = True) -> None:
        """``job`` has its final (stored) ``record``: count, announce and finish it.

        :param progress: emit ``progress`` after it; ``False`` when the caller handles
            several finished files together and calls :meth:`progress` once after them.
        """
        self.done_jobs.add(job.index)
        if record.peak_rss is not None and not record.reused:
            self.estimator.observe(job, record.peak_rss - self.plan.budgets.worker_base)
        for error in record.errors:
            if error.kind is ErrorKind.EXTRACTOR or (
                record.status is FileStatus.PARTIAL and error.plugin
            ):
                self.emitter.emit(
                    "extractor_failed",
                    level="error",
                    file=str(job.path),
                    index=job.index,
                    plugin=error.plugin,
                    message=error.message,
                    **self.attribution.fields(error, job),
                )
        if record.status is FileStatus.FAILED:
            self._failed(job, record)
        else:
            if record.status is FileStatus.PARTIAL:
                self.failures[job.index] = FileFailure(
                    job.index, job.path, tuple(record.errors), partial=True
                )
            else:
                self.succeeded += 1
            self.emitter.emit(
                "file_finished",
                file=str(job.path),
                index=job.index,
                status=finished_status(record.status),
                duration_s=round(record.duration_s, 6),
                worker_pid=record.worker_pid,
                peak_rss=record.peak_rss,
                attempts=record.attempts,
                reused=record.reused,
                log=record.log,
                **hook_fields(record),
            )
        self.outputs.file_done(job, record)
        if progress:
            self.progress()
        # a sequential file may be running on another thread under its own capture
        alongside = self.plan.mode == "sequential"
        self.observe("ofxpost_file_finished", alongside=alongside, record=record, plan=self.plan)

    def progress(self) -> None:
        """Emit ``progress``: the files done and failed so far."""
        self.emitter.emit(
            "progress",
            done=len(self.done_jobs),
            total=self.plan.total,
            failed=len(self.failures),
        )

    def _failed(self, job: Job, record: FileRecord) -> None:
        error = record.error or ErrorRecord(ErrorKind.UNKNOWN, "no error recorded")
        self.failures[job.index] = FileFailure(job.index, job.path, tuple(record.errors))
        self.emitter.emit(
            "file_failed",
            level="error",
            file=str(job.path),
            index=job.index,
            kind=kind_name(error.kind),
            message=error.message,
            plugin=error.plugin,
            worker_pid=record.worker_pid,
            attempts=record.attempts,
            duration_s=round(record.duration_s, 6),
            log=record.log,
            **self.attribution.fields(error, job),
            **hook_fields(record),
        )


def relative(path: Path, plan: Plan) -> str:
    """``path`` relative to ``output_dir`` (``/``-separated) when under it."""
    try:
        return path.relative_to(plan.output_dir).as_posix()
    except ValueError:
        return str(path)



class HookFields(TypedDict, total=False):
    """The ``hook_s`` field of ``file_finished`` / ``file_failed``."""

    hook_s: list[HookTime]


def hook_fields(record: FileRecord) -> HookFields:
    """``hook_s`` of ``file_finished`` / ``file_failed``: each plugin's seconds in
    each hook the worker called (nothing when none was measured)."""
    if not record.hook_s:
        return HookFields()
    times = [HookTime(hook=h, plugin=p, seconds=round(s, 6)) for h, p, s in record.hook_s]
    return HookFields(hook_s=times)


__all__ = ["Observe", "Tally", "hook_fields", "relative"]
