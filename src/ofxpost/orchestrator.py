"""The async engine: admits files under the budgets, runs them, stores their records.

:class:`Orchestrator` runs on an asyncio event loop (through anyio). Files are
dispatched one at a time in input order -- dynamically, never pre-split -- with at
most ``workers`` in flight, each through ``loop.run_in_executor``. Before a file
runs it takes a licence token (OrcaFlex files only) and its memory estimate from a
weighted semaphore. Each attempt runs inside a cancel scope whose deadline starts
when a worker picks the file up; when it expires, asyncio cancels the executor
future and the pool terminates that worker. Records are written to the result
store the moment they arrive; aggregation reads them back in input order.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from typing import Any

import anyio
import pluggy

from ofxpost._version import __version__
from ofxpost.budgets import MemoryEstimator, WeightedSemaphore
from ofxpost.capture import LOGS_DIR, existing_log
from ofxpost.events import EventEmitter
from ofxpost.executors import create_local_pool, create_sequential_executor
from ofxpost.finishing import Finisher
from ofxpost.input_filters import pairing_event
from ofxpost.plan import Plan, with_mode
from ofxpost.plugins import call_each, get_plugin_manager
from ofxpost.pool import MemoryLimitExceeded, RemoteError, TaskKilled, WorkerDied
from ofxpost.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost.result import BatchResult, FileFailure
from ofxpost.store import ResultStore
from ofxpost.worker import (
    error_record,
    format_traceback,
    process_job,
    run_job_logged,
)

MAX_BACKOFF = 60.0
"""Longest single wait between licence retries (seconds)."""

MAX_WAITING = 256
"""Files admitted ahead of the running ones (waiting for a budget or a worker).

A file waiting for a licence or for memory holds no worker slot, so files behind it
that need neither run meanwhile; this bounds how far the dispatcher looks ahead.
"""


class Orchestrator:
    """Runs one :class:`~ofxpost.plan.Plan`. Use :func:`ofxpost.run_batch` instead."""

    def __init__(
        self,
        plan: Plan,
        emitter: EventEmitter,
        *,
        resume: bool = False,
        pool_factory: Any = None,
    ) -> None:
        self.plan = plan
        self.emitter = emitter
        self.resume = resume
        self.pool_factory = pool_factory or create_local_pool
        self.pm: pluggy.PluginManager = get_plugin_manager(plan.plugin_spec)
        self.store = ResultStore(plan.store_dir)
        self.estimator = MemoryEstimator(plan.budgets.memory_per_file)
        budgets = plan.budgets
        self.licences = anyio.Semaphore(budgets.licences) if budgets.licences else None
        self.memory = WeightedSemaphore(budgets.file_capacity) if budgets.file_capacity else None
        self.executor: Executor | None = None
        self._work: Callable[[Job], FileRecord] = process_job
        self._scopes: dict[int, anyio.CancelScope] = {}
        self._pids: dict[int, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done_jobs: set[int] = set()
        self._failures: dict[int, FileFailure] = {}
        self._succeeded = 0
        self._reused = 0
        self.finisher = Finisher(self.pm, self.store, emitter, self._observe)
        self._running = anyio.Semaphore(max(1, plan.workers))
        self._pool_start_begun = False
        self._pool_starting = threading.Event()
        self._start_lock = threading.Lock()
        self._closing = False

    # ------------------------------------------------------------------ main flow

    async def run(self) -> BatchResult:
        """Run the batch to the end (or until cancelled) and write the outputs."""
        plan = self.plan
        self._loop = asyncio.get_running_loop()
        self.emitter.bind_loop()
        started = time.perf_counter()
        plan.output_dir.mkdir(parents=True, exist_ok=True)
        # marks the manifest "running"; removes only the last run's own reports
        self.finisher.begin(plan)
        self.store.prepare(resume=self.resume)
        self.emitter.emit(
            "batch_started",
            total=plan.total,
            workers=plan.workers,
            output_dir=str(plan.output_dir),
            config=str(plan.config.source) if plan.config.source else None,
            version=__version__,
            resume=self.resume,
        )
        for notice in (*plan.config.notices, *plan.warnings):
            self.emitter.emit("warning", level="warning", message=notice)
        if (paired := pairing_event(plan.config, [job.path for job in plan.jobs])) is not None:
            self.emitter.emit("inputs_paired", **paired)
        if self.store.damaged_lines:
            self.emitter.emit(
                "warning",
                level="warning",
                message=f"result store {self.store.log_path}: skipped "
                f"{self.store.damaged_lines} damaged line(s); every valid record was kept "
                "(files whose record was damaged run again)",
            )
        cancelled = False
        broken: BaseException | None = None
        try:
            self._observe("ofxpost_batch_started", plan=plan)
            await self._open_executor()
            self.emitter.emit(
                "mode_selected",
                mode=self.plan.mode,
                reason=self.plan.mode_reason,
                workers=self.plan.workers,
            )
            await self._dispatch_all()
        except (anyio.get_cancelled_exc_class(), KeyboardInterrupt):
            cancelled = True
            raise
        except BaseException as exc:
            # A bug (or a SystemExit that escaped a plugin) must never end in a
            # "complete" batch: every file not run is failed and reported below.
            broken = exc
        finally:
            result = await self._conclude(cancelled, started, broken)
        return result

    async def _conclude(
        self, cancelled: bool, started: float, broken: BaseException | None
    ) -> BatchResult:
        """Shut the executor down, then aggregate and write, whatever arrives meanwhile.

        The finish phase runs on a thread and cannot be interrupted half-way, so it
        is always awaited to its end. A cancellation (``task.cancel()``, an expiring
        ``asyncio.timeout()``) that arrives once every file has finished is absorbed:
        the batch is complete, its outputs and manifest say so, and the result is
        returned. When the batch itself was cancelled, the outputs are marked partial
        and the cancellation propagates from :meth:`run`.
        """

        def tail() -> BatchResult:
            self._close_executor()
            if cancelled:
                self.emitter.emit(
                    "batch_cancelled",
                    level="warning",
                    done=len(self._done_jobs),
                    total=self.plan.total,
                    reason="cancelled",
                )
            self._check_accounting(cancelled, broken)
            return self._check_result(self._finish(cancelled, started))

        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, tail)
        absorbed = 0
        while True:
            try:
                with anyio.CancelScope(shield=True):
                    result = await asyncio.shield(future)
                break
            except asyncio.CancelledError:
                if future.done():
                    result = future.result()
                    break
                absorbed += 1  # a native cancellation passes anyio's shield
        task = asyncio.current_task()
        if absorbed and not cancelled and task is not None:
            for _ in range(absorbed):
                task.uncancel()
        self.result = result
        return result

    # ------------------------------------------------------------------ invariant

    def _check_accounting(self, cancelled: bool, broken: BaseException | None) -> None:
        """Assert ok + partial + failed (+ not run, when cancelled) == total.

        Outside a cancellation every file must have a final record. A file that has
        none is a bug in ofxpost: it is failed (kind ``unknown``), named in an
        ``internal_error`` event, and the batch cannot exit 0.
        """
        plan = self.plan
        done = len(self._done_jobs)
        counted = self._succeeded + len(self._failures)
        missing = [job for job in plan.jobs if job.index not in self._done_jobs]
        problems: list[str] = []
        if broken is not None:
            problems.append(f"the batch stopped on {type(broken).__name__}: {broken}")
        if counted != done:
            problems.append(f"{done} files finished but {counted} were counted")
        if missing and not cancelled:
            problems.append(f"{len(missing)} of {plan.total} files were never run")
        if not problems:
            return
        message = "internal error (please report it): " + "; ".join(problems)
        self.emitter.emit(
            "internal_error",
            level="error",
            message=message,
            not_run=0 if cancelled else len(missing),
            exception_type=type(broken).__qualname__ if broken is not None else None,
        )
        if cancelled:
            return
        for job in missing:
            record = ErrorRecord(ErrorKind.UNKNOWN, f"{job.path.name}: was not run ({message})")
            self._failures[job.index] = FileFailure(job.index, job.path, (record,))

    def _check_result(self, result: BatchResult) -> BatchResult:
        """Exit 0 is a promise: never give it unless every file is ok."""
        if result.exit_code == 0 and (result.succeeded != result.total or result.failures):
            message = (
                f"internal error (please report it): exit code 0 with {result.succeeded} "
                f"of {result.total} files ok"
            )
            self.emitter.emit("internal_error", level="error", message=message, not_run=0)
            result = replace(result, output_errors=(*result.output_errors, message))
        return result

    def _observe(self, hook: str, **kwargs: Any) -> None:
        """Call an observer hook; a failing observer becomes a warning, never a failure.

        ``sys.exit()`` or ``KeyboardInterrupt`` from an observer is a failure too.
        """
        caller = getattr(self.pm.hook, hook)
        for outcome in call_each(caller, contain_base_exceptions=True, **kwargs):
            if outcome.error is not None:
                self.emitter.emit(
                    "warning",
                    level="warning",
                    message=f"{hook} of plugin {outcome.plugin!r} failed: {outcome.error!r}",
                )

    async def _open_executor(self) -> None:
        plan = self.plan
        if plan.mode == "parallel":
            try:
                # The pool is stored from inside the thread. A native task.cancel()
                # interrupts this await at once while the thread goes on starting
                # workers, so ``_close_executor`` first waits for the start-up to end
                # and then shuts the pool down: no worker is left behind.
                await anyio.to_thread.run_sync(self._start_pool)
                self._work = process_job
                return
            except Exception as exc:
                reason = f"the process pool could not be started ({type(exc).__name__}: {exc})"
                self.plan = with_mode(plan, "sequential", reason)
        self.executor = create_sequential_executor()
        self._work = functools.partial(run_job_logged, self.pm, self.plan.config, python_level=True)

    def _start_pool(self) -> None:
        with self._start_lock:
            if self._closing:  # cancelled before this thread got to run
                return
            self._pool_start_begun = True
        try:
            self.executor = self.pool_factory(self.plan, self._task_started_threadsafe)
        finally:
            self._pool_starting.set()

    def _close_executor(self) -> None:
        with self._start_lock:
            self._closing = True
            begun = self._pool_start_begun
        if begun:
            self._pool_starting.wait()  # a start-up still running, after a cancellation
        executor = self.executor
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        with contextlib.suppress(OSError):  # an empty logs/ folder: no plugin wrote a word
            (self.plan.output_dir / LOGS_DIR).rmdir()

    async def _dispatch_all(self) -> None:
        # Files are admitted in input order. A worker slot (``self._running``) is taken
        # only once a file holds its budgets, just around the attempt itself, so a
        # file waiting for a licence, for memory or for a licence back-off holds no
        # slot and files behind it that need neither go ahead.
        self._running = anyio.Semaphore(self.plan.workers)
        admitted = anyio.Semaphore(self.plan.workers + MAX_WAITING)
        async with anyio.create_task_group() as tg:
            for job in self.plan.jobs:
                if self.resume:
                    record = self.store.reusable(job, self.plan.config_hash)
                    if record is not None and all(  # a reused file keeps its artifacts
                        (self.plan.output_dir / a).is_file() for a in record.artifacts
                    ):
                        self._reused += 1
                        self._file_done(job, record)
                        continue
                await admitted.acquire()
                tg.start_soon(self._run_file, job, admitted)

    async def _run_file(self, job: Job, admitted: anyio.Semaphore) -> None:
        try:
            record = await self._attempts(job)
        finally:
            admitted.release()
        self.store.write(job, record, self.plan.config_hash)
        self._file_done(job, record)

    # ------------------------------------------------------------------ attempts

    async def _attempts(self, job: Job) -> FileRecord:
        pp = self.plan.config.parallel_processing
        attempt = 1
        crashes = retries = 0
        alone = False
        backed_off = 0.0  # seconds this file has spent backing off for a licence
        while True:
            record = await self._attempt(replace(job, attempt=attempt), alone)
            error = record.error
            if record.status is not FileStatus.FAILED or error is None:
                return record
            licence = [e for e in record.errors if e.kind is ErrorKind.LICENCE]
            if licence:
                error = licence[0]
            kind = error.kind
            delay = 0.0
            if kind is ErrorKind.LICENCE:
                # licence_wait bounds the back-off only: time spent running attempts or
                # queueing for a worker slot (which others use meanwhile) is not counted
                delay = self._backoff(job, attempt, pp.licence_backoff)
                if backed_off + delay > pp.licence_wait:
                    return record
                backed_off += delay
            elif kind is ErrorKind.CRASH and crashes < pp.crash_retries:
                crashes += 1
            elif kind is ErrorKind.MEMORY and not alone and self.memory is not None:
                alone = True
            elif kind in (ErrorKind.FILE, ErrorKind.UNKNOWN) and retries < pp.retries:
                retries += 1
            else:
                return record
            attempt += 1
            self.emitter.emit(
                "file_retry",
                level="warning",
                file=str(job.path),
                index=job.index,
                attempt=attempt,
                kind=str(kind),
                delay_s=round(delay, 3),
                message=error.message,
            )
            if delay:
                await anyio.sleep(delay)

    @staticmethod
    def _backoff(job: Job, attempt: int, base: float) -> float:
        """Jittered exponential backoff, reproducible for a file and attempt."""
        rng = random.Random(f"{job.path}:{attempt}")
        return float(min(MAX_BACKOFF, base * 2 ** (attempt - 1)) * rng.uniform(0.5, 1.0))

    async def _attempt(self, job: Job, alone: bool) -> FileRecord:
        async with contextlib.AsyncExitStack() as stack:
            if job.needs_licence and self.licences is not None:
                if not self._try(self.licences):
                    self._waiting(job, "licence", None)
                    await self.licences.acquire()
                stack.callback(self.licences.release)
            # The run slot comes after the licence, so a licence waiter holds none. A
            # memory waiter does hold one, at no cost: memory is served first in, first
            # out, so no file behind it could start first anyway -- and reservations
            # are never made far ahead of the files that use them.
            await stack.enter_async_context(self._running)
            if self.memory is not None:
                weight = self.memory.capacity if alone else self.estimator.estimate(job)
                if weight > self.memory.capacity:
                    self.emitter.emit(
                        "warning",
                        level="warning",
                        file=str(job.path),
                        message=f"{job.path.name}: estimated memory exceeds the whole "
                        "memory_budget; it runs alone",
                    )
                weight = self.memory.clamp(weight)
                if not self.memory.try_acquire(weight):
                    self._waiting(job, "memory", weight)
                    await self.memory.acquire(weight)
                stack.callback(self.memory.release, weight)
                job = replace(job, memory_estimate=weight, memory_limit=weight)
            return await self._execute(job)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _try(semaphore: anyio.Semaphore) -> bool:
        try:
            semaphore.acquire_nowait()
        except anyio.WouldBlock:
            return False
        return True

    def _waiting(self, job: Job, budget: str, needed: int | None) -> None:
        self.emitter.emit(
            "file_waiting",
            file=str(job.path),
            index=job.index,
            budget=budget,
            needed_bytes=needed,
        )

    async def _execute(self, job: Job) -> FileRecord:
        assert self.executor is not None and self._loop is not None
        sequential = self.plan.mode == "sequential"
        timeout = None if sequential else self.plan.timeout
        started = time.perf_counter()
        with anyio.CancelScope() as scope:
            self._scopes[job.index] = scope
            if sequential:
                self._task_started(job, None)
            try:
                record: FileRecord = await self._loop.run_in_executor(
                    self.executor, self._work, job
                )
            except WorkerDied as exc:
                self.emitter.emit(
                    "worker_crashed",
                    level="error",
                    file=str(job.path),
                    index=job.index,
                    worker_pid=exc.pid,
                    exitcode=exc.exitcode,
                    attempt=job.attempt,
                    message=str(exc),
                )
                return self._failed(
                    job, ErrorKind.CRASH, f"{job.path.name}: {exc}", exc.pid, started
                )
            except MemoryLimitExceeded as exc:
                return self._failed(
                    job, ErrorKind.MEMORY, f"{job.path.name}: {exc}", exc.pid, started
                )
            except TaskKilled as exc:
                return self._failed(
                    job, ErrorKind.UNKNOWN, f"{job.path.name}: {exc}", None, started
                )
            except anyio.get_cancelled_exc_class():
                raise
            except BaseException as exc:
                # Whatever the executor hands back -- a plain RemoteError from a
                # worker, or a SystemExit/KeyboardInterrupt from plugin code run by a
                # custom executor -- fails this file only.
                return self._failed_by(job, exc, started)
            finally:
                self._scopes.pop(job.index, None)
        if scope.cancelled_caught:
            pid = self._pids.get(job.index)
            self.emitter.emit(
                "file_timeout",
                level="error",
                file=str(job.path),
                index=job.index,
                timeout_s=timeout,
                worker_pid=pid,
            )
            message = (
                f"{job.path.name}: ran past timeout_per_file ({timeout} s); "
                "its worker was terminated"
            )
            return self._failed(job, ErrorKind.TIMEOUT, message, pid, started)
        return record

    def _failed(
        self, job: Job, kind: ErrorKind, message: str, pid: int | None, started: float
    ) -> FileRecord:
        return FileRecord(
            index=job.index,
            path=job.path,
            status=FileStatus.FAILED,
            errors=[ErrorRecord(kind, message)],
            duration_s=time.perf_counter() - started,
            worker_pid=pid,
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
            worker_pid=self._pids.get(job.index),
            attempts=job.attempt,
            log=existing_log(self.plan.output_dir, job),
        )

    def _task_started_threadsafe(self, args: tuple[Any, ...], pid: int) -> None:
        loop = self._loop
        if loop is not None and args and isinstance(args[0], Job):
            loop.call_soon_threadsafe(self._task_started, args[0], pid)

    def _task_started(self, job: Job, pid: int | None) -> None:
        """A worker picked ``job`` up: emit ``file_started`` and start its clock."""
        if pid is None:
            import os

            pid = os.getpid()
        self._pids[job.index] = pid
        scope = self._scopes.get(job.index)
        timeout = self.plan.timeout
        if scope is not None and timeout is not None and self.plan.mode == "parallel":
            assert self._loop is not None
            scope.deadline = self._loop.time() + timeout
        self.emitter.emit(
            "file_started",
            file=str(job.path),
            index=job.index,
            worker_pid=pid,
            attempt=job.attempt,
        )

    # ------------------------------------------------------------------ completion

    def _file_done(self, job: Job, record: FileRecord) -> None:
        self._done_jobs.add(job.index)
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
                )
        if record.status is FileStatus.FAILED:
            error = record.error or ErrorRecord(ErrorKind.UNKNOWN, "no error recorded")
            self._failures[job.index] = FileFailure(job.index, job.path, tuple(record.errors))
            self.emitter.emit(
                "file_failed",
                level="error",
                file=str(job.path),
                index=job.index,
                kind=str(error.kind),
                message=error.message,
                plugin=error.plugin,
                worker_pid=record.worker_pid,
                attempts=record.attempts,
                duration_s=round(record.duration_s, 6),
                log=record.log,
            )
        else:
            if record.status is FileStatus.PARTIAL:
                self._failures[job.index] = FileFailure(
                    job.index, job.path, tuple(record.errors), partial=True
                )
            else:
                self._succeeded += 1
            self.emitter.emit(
                "file_finished",
                file=str(job.path),
                index=job.index,
                status=str(record.status),
                duration_s=round(record.duration_s, 6),
                worker_pid=record.worker_pid,
                peak_rss=record.peak_rss,
                attempts=record.attempts,
                reused=record.reused,
                log=record.log,
            )
        self.finisher.claim_log(self.plan, record)
        self.finisher.place_artifacts(self.plan, record)
        if record.errors and self.plan.config.parallel_processing.save_error_reports:
            self.finisher.write_error_report(self.plan, job, record)
        self.emitter.emit(
            "progress",
            done=len(self._done_jobs),
            total=self.plan.total,
            failed=len(self._failures),
        )
        self._observe("ofxpost_file_finished", record=record, plan=self.plan)

    def _finish(self, cancelled: bool, started: float) -> BatchResult:
        """Aggregate, write the outputs and the manifest (see :mod:`ofxpost.finishing`)."""
        return self.finisher.finish(
            self.plan,
            cancelled=cancelled,
            started=started,
            done_jobs=self._done_jobs,
            failures=self._failures,
            succeeded=self._succeeded,
            reused=self._reused,
        )
