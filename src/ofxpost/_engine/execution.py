"""Execution: one attempt of one file on the executor, its timeout and its failures.

:class:`Execution` submits a :class:`~ofxpost._core.records.Job` to the
:class:`~ofxpost._executors.protocol.FileExecutor`, starts the file's
``timeout_per_file`` clock when a worker picks it up (``file_started``), and turns
whatever the executor raises into a failed :class:`~ofxpost._core.records.FileRecord` for
that file only: a lost worker is ``crash``, a worker past its memory limit is
``memory``, a timeout is ``timeout`` and anything else is ``unknown``.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from typing import TypedDict

import anyio

from ofxpost._config.plan import Plan
from ofxpost._core.loop_bridge import LoopBridge
from ofxpost._core.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost._engine.deadlines import Deadlines, Expire
from ofxpost._events.emitter import EventEmitter
from ofxpost._events.fields import WorkerFields, where_fields
from ofxpost._executors.protocol import FileExecutor
from ofxpost._worker.capture import existing_log
from ofxpost._worker.whereabouts import Whereabouts, read_marker
from ofxpost._worker.worker import error_record, format_traceback
from ofxpost.errors import MemoryLimitExceeded, RemoteError, TaskKilled, WorkerDied, WorkerId


def worker_fields(worker: WorkerId | None) -> WorkerFields:
    """Event fields naming a worker: ``worker_pid`` for a pid, ``worker`` for an address."""
    if isinstance(worker, str):
        return {"worker_pid": None, "worker": worker}
    return {"worker_pid": worker}


class Execution:
    """Runs attempts on one executor for one batch (see the module docstring)."""

    def __init__(
        self,
        plan: Plan,
        emitter: EventEmitter,
        executor: FileExecutor | None,
        inbox: LoopBridge,
        deadlines: Deadlines,
    ) -> None:
        self.plan = plan
        self.emitter = emitter
        self.executor = executor
        """The started executor (``None`` where no file runs)."""
        self.inbox = inbox
        """Where executor callbacks are posted to the loop."""
        self.deadlines = deadlines
        """The per-file deadlines (armed by :meth:`job_started`)."""
        self._expire: dict[int, Expire] = {}
        self._workers: dict[int, WorkerId] = {}

    @property
    def timeout(self) -> float | None:
        """The orchestrator's own deadline per file (``None`` where it does not apply)."""
        executor = self.executor
        if self.plan.in_process or executor is None or executor.enforces_timeout:
            return None
        return self.plan.timeout

    async def run(self, job: Job) -> FileRecord:
        """Run one attempt of ``job``; never raises for a failure of the file itself."""
        executor = self.executor
        assert executor is not None
        timeout = self.timeout
        started = time.perf_counter()
        with anyio.CancelScope() as scope:
            self._expire[job.index] = scope.cancel
            try:
                # Cancelling this await (the deadline, or the batch) cancels the
                # executor's future, which kills the job's worker.
                record: FileRecord = await self.inbox.wait_future(executor.submit(job))
            except anyio.get_cancelled_exc_class():
                raise
            except BaseException as exc:
                return self.failure(job, exc, started)
            finally:
                self.unwatch(job)
        if scope.cancelled_caught:
            return self._timed_out(job, timeout, started)
        return record

    def watch(self, job: Job, expire: Expire) -> None:
        """Call ``expire`` once ``job`` runs past its timeout, counted from when a
        worker picks it up (see :meth:`job_started`)."""
        self._expire[job.index] = expire

    def unwatch(self, job: Job) -> None:
        """Forget the deadline of ``job`` (its attempt ended)."""
        self._expire.pop(job.index, None)
        self.deadlines.disarm(job.index)

    def outcome(self, job: Job, future: Future[FileRecord], started: float) -> FileRecord:
        """The record of ``job`` from its done ``future`` (never raises for the file)."""
        try:
            return future.result()
        except BaseException as exc:
            return self.failure(job, exc, started)

    def timed_out(self, job: Job, started: float) -> FileRecord:
        """The record of ``job`` killed at its ``timeout_per_file``."""
        return self._timed_out(job, self.timeout, started)

    def failure(self, job: Job, exc: BaseException, started: float) -> FileRecord:
        """The failed record of ``job`` for ``exc`` raised by the executor.

        A lost worker is ``crash``, a worker past its memory limit ``memory``, a
        timeout ``timeout``; anything else -- a plain RemoteError from a worker, or a
        SystemExit/KeyboardInterrupt from plugin code run by a custom executor --
        fails this file only, as ``unknown``.
        """
        if isinstance(exc, WorkerDied):
            worker: WorkerId | None = exc.worker if exc.worker is not None else exc.pid
            where = read_marker(self.plan.output_dir.absolute(), job)
            self.emitter.emit(
                "worker_crashed",
                level="error",
                file=str(job.path),
                index=job.index,
                exitcode=exc.exitcode,
                attempt=job.attempt,
                message=str(exc),
                **worker_fields(worker),
                **where_fields(where),
            )
            return self._failed(job, ErrorKind.CRASH, f"{job.path.name}: {exc}", started, where)
        if isinstance(exc, MemoryLimitExceeded):
            where = read_marker(self.plan.output_dir.absolute(), job)
            return self._failed(job, ErrorKind.MEMORY, f"{job.path.name}: {exc}", started, where)
        if isinstance(exc, TaskKilled):
            if exc.timed_out:
                return self._timed_out(job, self.plan.timeout, started)
            where = read_marker(self.plan.output_dir.absolute(), job)
            return self._failed(job, ErrorKind.UNKNOWN, f"{job.path.name}: {exc}", started, where)
        return self._failed_by(job, exc, started)

    def _timed_out(self, job: Job, timeout: float | None, started: float) -> FileRecord:
        worker = self._workers.get(job.index)
        where = read_marker(self.plan.output_dir.absolute(), job)
        self.emitter.emit(
            "file_timeout",
            level="error",
            file=str(job.path),
            index=job.index,
            timeout_s=timeout if timeout is not None else 0.0,  # never None here
            **worker_fields(worker),
            **where_fields(where),
        )
        message = (
            f"{job.path.name}: ran past timeout_per_file ({timeout} s); its worker was terminated"
        )
        return self._failed(job, ErrorKind.TIMEOUT, message, started, where)

    def _pid(self, job: Job) -> int | None:
        worker = self._workers.get(job.index)
        return worker if isinstance(worker, int) else None

    def _failed(
        self,
        job: Job,
        kind: ErrorKind,
        message: str,
        started: float,
        where: Whereabouts | None = None,
    ) -> FileRecord:
        plugin, hook = (where.plugin, where.hook) if where is not None else (None, None)
        if plugin is not None:
            message = f"{message} (in plugin {plugin!r}, hook {hook})"
        return FileRecord(
            index=job.index,
            path=job.path,
            status=FileStatus.FAILED,
            errors=[ErrorRecord(kind, message, plugin=plugin, hook=hook)],
            duration_s=time.perf_counter() - started,
            worker_pid=self._pid(job),
            attempts=job.attempt,
            log=existing_log(self.plan.output_dir, job),
        )

    def _failed_by(self, job: Job, exc: BaseException, started: float) -> FileRecord:
        """A failed record for an exception the executor raised."""
        if isinstance(exc, RemoteError):
            name, trace = exc.type_name, exc.traceback_text
            text = str(exc)
        else:
            name = f"{type(exc).__module__}.{type(exc).__qualname__}"
            text, trace = error_record(exc).message, format_traceback(exc)
        message = f"{job.path.name}: {text}"
        return FileRecord(
            index=job.index,
            path=job.path,
            status=FileStatus.FAILED,
            errors=[ErrorRecord(ErrorKind.UNKNOWN, message, trace, None, name)],
            duration_s=time.perf_counter() - started,
            worker_pid=self._pid(job),
            attempts=job.attempt,
            log=existing_log(self.plan.output_dir, job),
        )

    def job_started(self, job: Job, worker: WorkerId) -> None:
        """A worker picked ``job`` up: emit ``file_started`` and start its clock."""
        self._workers[job.index] = worker
        expire = self._expire.get(job.index)
        timeout = self.timeout
        if expire is not None and timeout is not None:
            self.deadlines.arm(job.index, timeout, expire)
        self.emitter.emit(
            "file_started",
            file=str(job.path),
            index=job.index,
            attempt=job.attempt,
            **worker_fields(worker),
            **budget_fields(job),
        )



class BudgetFields(TypedDict, total=False):
    """The budget fields of ``file_started``."""

    licence: bool
    memory_bytes: int


def budget_fields(job: Job) -> BudgetFields:
    """``licence`` and ``memory_bytes`` of ``file_started``: the budgets ``job`` holds."""
    fields = BudgetFields()
    if job.needs_licence:
        fields["licence"] = True
    if job.memory_estimate:
        fields["memory_bytes"] = job.memory_estimate
    return fields


__all__ = ["Execution", "budget_fields", "worker_fields"]
