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
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from typing import Any

import anyio
import pluggy

from ofxpost._version import __version__
from ofxpost.budgets import MemoryEstimator, WeightedSemaphore
from ofxpost.events import EventEmitter
from ofxpost.executors import create_local_pool, create_sequential_executor
from ofxpost.finishing import Finisher
from ofxpost.input_filters import pairing_event
from ofxpost.plan import Plan, with_mode
from ofxpost.plugins import call_each, get_plugin_manager
from ofxpost.pool import MemoryLimitExceeded, TaskKilled, WorkerDied
from ofxpost.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost.result import BatchResult, FileFailure
from ofxpost.store import ResultStore
from ofxpost.worker import process_job, run_job

MAX_BACKOFF = 60.0
"""Longest single wait between licence retries (seconds)."""


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
        cancelled = False
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
        except anyio.get_cancelled_exc_class():
            cancelled = True
            raise
        finally:
            result = await self._conclude(cancelled, started)
        return result

    async def _conclude(self, cancelled: bool, started: float) -> BatchResult:
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
            return self._finish(cancelled, started)

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

    def _observe(self, hook: str, **kwargs: Any) -> None:
        """Call an observer hook; a failing observer becomes a warning, never a failure."""
        for outcome in call_each(getattr(self.pm.hook, hook), **kwargs):
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
                # The pool is stored from inside the thread, so a cancellation during
                # start-up still finds it (and shuts it down) in ``run``'s finally.
                await anyio.to_thread.run_sync(self._start_pool)
                self._work = process_job
                return
            except Exception as exc:
                reason = f"the process pool could not be started ({type(exc).__name__}: {exc})"
                self.plan = with_mode(plan, "sequential", reason)
        self.executor = create_sequential_executor()
        self._work = functools.partial(run_job, self.pm, self.plan.config)

    def _start_pool(self) -> None:
        self.executor = self.pool_factory(self.plan, self._task_started_threadsafe)

    def _close_executor(self) -> None:
        executor = self.executor
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    async def _dispatch_all(self) -> None:
        slots = anyio.Semaphore(self.plan.workers)
        async with anyio.create_task_group() as tg:
            for job in self.plan.jobs:
                if self.resume:
                    record = self.store.reusable(job, self.plan.config_hash)
                    if record is not None:
                        self._reused += 1
                        self._file_done(job, record)
                        continue
                await slots.acquire()
                tg.start_soon(self._run_file, job, slots)

    async def _run_file(self, job: Job, slots: anyio.Semaphore) -> None:
        try:
            record = await self._attempts(job)
        finally:
            slots.release()
        self.store.write(job, record, self.plan.config_hash)
        self._file_done(job, record)

    # ------------------------------------------------------------------ attempts

    async def _attempts(self, job: Job) -> FileRecord:
        pp = self.plan.config.parallel_processing
        attempt = 1
        crashes = retries = 0
        alone = False
        licence_deadline: float | None = None
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
                now = time.monotonic()
                licence_deadline = licence_deadline or now + pp.licence_wait
                delay = self._backoff(job, attempt, pp.licence_backoff)
                if now + delay > licence_deadline:
                    return record
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
            except Exception as exc:
                message = f"{job.path.name}: {type(exc).__name__}: {exc}"
                return self._failed(job, ErrorKind.UNKNOWN, message, None, started)
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
            )
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
