"""The async engine: dispatches files, retries them, stores their records.

:class:`Orchestrator` runs on an asyncio event loop (through anyio). Files are
dispatched one at a time in input order -- dynamically, never pre-split -- with at
most ``workers`` running (without budgets, one more waits per worker). Its jobs are
split into modules named after them:

* :mod:`ofxpost.admission` -- a file takes its licence, a worker slot and its memory;
* :mod:`ofxpost.direct` -- without budgets, first attempts without a task per file;
* :mod:`ofxpost.execution` -- one attempt on the executor (:mod:`ofxpost.executor_api`),
  its timeout, and its failures mapped to records;
* :mod:`ofxpost.retry` -- whether a failed attempt is tried again (a pure function);
* :mod:`ofxpost.finishing` -- aggregate, write the outputs and the manifest.

Records are written to the result store the moment they arrive (flushed before the
file counts as done); aggregation reads them back in input order.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import anyio
import pluggy
from anyio.abc import TaskGroup

from ofxpost._version import __version__
from ofxpost.admission import Admission, dispatch_order
from ofxpost.capture import LOGS_DIR
from ofxpost.direct import DirectDispatch
from ofxpost.estimates import MemoryEstimator
from ofxpost.events import EventEmitter
from ofxpost.execution import Execution
from ofxpost.executor_api import ExecutorFactory, FileExecutor
from ofxpost.executors import create_executor, create_sequential_executor
from ofxpost.finishing import Finisher
from ofxpost.input_filters import pairing_event
from ofxpost.plan import Plan, with_mode
from ofxpost.plugins import call_each, get_plugin_manager
from ofxpost.prestart import release as release_prestarted
from ofxpost.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost.result import BatchResult, FileFailure
from ofxpost.retry import RetryCounters, RetryDecision, RetryPolicy, decide
from ofxpost.store import ResultStore

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
        executor: ExecutorFactory | None = None,
    ) -> None:
        self.plan = plan
        self.emitter = emitter
        self.resume = resume
        self.executor_factory: ExecutorFactory = executor or create_executor
        self.pm: pluggy.PluginManager = get_plugin_manager(plan.plugin_spec)
        self.store = ResultStore(plan.store_dir)
        self.estimator = MemoryEstimator(plan.budgets.memory_per_file)
        self.executor: FileExecutor | None = None
        self.execution = Execution(plan, emitter)
        self.admission = Admission(plan, emitter, self.estimator)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done_jobs: set[int] = set()
        self._failures: dict[int, FileFailure] = {}
        self._succeeded = 0
        self._reused = 0
        self.finisher = Finisher(self.pm, self.store, emitter, self._observe)
        self._pool_start_begun = False
        self._pool_starting = threading.Event()
        self._start_lock = threading.Lock()
        self._closing = False

    # ------------------------------------------------------------------ main flow

    async def run(self) -> BatchResult:
        """Run the batch to the end (or until cancelled) and write the outputs."""
        plan = self.plan
        self._loop = asyncio.get_running_loop()
        self.execution.attach_loop(self._loop)
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
        ledger = self.finisher.ledger
        if ledger is not None and ledger.refused:
            self.emitter.emit(
                "warning",
                level="warning",
                message=f"manifest {plan.output_dir / 'ofxpost-run.json'}: ignored "
                f"{len(ledger.refused)} entry(ies) of 'written' that are not confined "
                f"relative paths ({', '.join(ledger.refused[:3])}); nothing outside "
                "output_dir is deleted",
            )
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
            self._mode_selected()
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
        if not caller.get_hookimpls():  # the usual case, once per file: no observer
            return
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
                # The executor is stored from inside the thread. A native task.cancel()
                # interrupts this await at once while the thread goes on starting
                # workers, so ``_close_executor`` first waits for the start-up to end
                # and then shuts the executor down: no worker is left behind.
                await anyio.to_thread.run_sync(self._start_pool)
            except Exception as exc:
                what = (
                    "the Dask executor could not be started"
                    if plan.config.parallel_processing.executor == "dask"
                    else "the process pool could not be started"
                )
                reason = f"{what} ({type(exc).__name__}: {exc})"
                self.plan = with_mode(plan, "sequential", reason)
        if self.executor is None:
            release_prestarted(self.plan.config)  # workers started early, not needed
            executor = create_sequential_executor(
                self.pm, self.plan.config, self.execution.job_started_threadsafe
            )
            executor.start()
            self.executor = executor
        self.execution.use(self.plan, self.executor)
        self.admission = Admission(self.plan, self.emitter, self.estimator)

    def _mode_selected(self) -> None:
        executor = self.executor
        plan = self.plan
        fields: dict[str, Any] = {}
        mode: str = plan.mode
        reason = plan.mode_reason
        if plan.mode == "parallel" and executor is not None and executor.name != plan.mode:
            mode = executor.name
            reason = f"{plan.workers} files at a time on {executor.name} at {executor.address}"
        if executor is not None and executor.address is not None:
            fields["address"] = executor.address
        self.emitter.emit("mode_selected", mode=mode, reason=reason, workers=plan.workers, **fields)

    def _start_pool(self) -> None:
        with self._start_lock:
            if self._closing:  # cancelled before this thread got to run
                return
            self._pool_start_begun = True
        try:
            executor = self.executor_factory(self.plan, self.execution.job_started_threadsafe)
            executor.start()
            self.executor = executor
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
            executor.shutdown(cancel=True)
        with contextlib.suppress(OSError):  # an empty logs/ folder: no plugin wrote a word
            (self.plan.output_dir / LOGS_DIR).rmdir()

    async def _dispatch_all(self) -> None:
        # Files are admitted largest first in parallel mode (input order otherwise;
        # see :func:`ofxpost.admission.dispatch_order`). Without a licence limit or a
        # memory budget no file can wait for a budget, so the first attempts go
        # through :class:`~ofxpost.direct.DirectDispatch` (no task per file).
        admission = self.admission
        async with anyio.create_task_group() as tg:
            if admission.licences is None and admission.memory is None:
                await self._dispatch_direct(tg)
            else:
                await self._dispatch_admitted(tg)

    def _pending(self) -> Iterator[Job]:
        """The jobs to run, in dispatch order; files ``--resume`` reuses are done here."""
        for job in dispatch_order(self.plan):
            if self.resume:
                record = self.store.reusable(job, self.plan.config_hash)
                if record is not None and all(  # a reused file keeps its artifacts
                    (self.plan.output_dir / a).is_file() for a in record.artifacts
                ):
                    self._reused += 1
                    self._file_done(job, record)
                    continue
            yield job

    async def _dispatch_direct(self, tg: TaskGroup) -> None:
        executor, inbox = self.executor, self.execution.inbox
        assert executor is not None and inbox is not None
        depth = max(1, int(getattr(executor, "queue_depth", 1)))
        policy = self._retry_policy()
        # Retries run as admitted tasks; they are started from this task (the
        # finish callback below runs outside any task).
        retries: asyncio.Queue[tuple[Job, RetryDecision] | None] = asyncio.Queue()

        def finish(ended: list[tuple[Job, FileRecord]]) -> None:
            done: list[tuple[Job, FileRecord]] = []
            for job, record in ended:
                decision = self._retry_decision(job, record, RetryCounters(), policy)
                if decision is not None:
                    retries.put_nowait((job, decision))
                    continue
                self.store.write(job, record, self.plan.config_hash, flush=False)
                done.append((job, record))
            self.store.flush()  # before any of them counts as done
            for job, record in done:
                self._file_done(job, record)

        async def start_retries() -> None:
            while (item := await retries.get()) is not None:
                job, decision = item
                tg.start_soon(self._run_file, job, None, decision.counters, decision.delay_s)

        tg.start_soon(start_retries)
        dispatch = DirectDispatch(
            self.execution, executor, inbox, self.plan.workers * depth, finish
        )
        try:
            await dispatch.run(self._pending())
        finally:
            retries.put_nowait(None)

    async def _dispatch_admitted(self, tg: TaskGroup) -> None:
        # A worker slot (see :mod:`ofxpost.admission`) is taken only once a file
        # holds its budgets, just around the attempt itself, so a file waiting for a
        # licence, for memory or for a licence back-off holds no slot and files
        # behind it that need neither go ahead.
        admitted = anyio.Semaphore(self.plan.workers + MAX_WAITING)
        for job in self._pending():
            await admitted.acquire()
            tg.start_soon(self._run_file, job, admitted)

    async def _run_file(
        self,
        job: Job,
        admitted: anyio.Semaphore | None,
        counters: RetryCounters | None = None,
        delay_s: float = 0.0,
    ) -> None:
        try:
            record = await self._attempts(job, counters, delay_s)
        finally:
            if admitted is not None:
                admitted.release()
        self.store.write(job, record, self.plan.config_hash)
        self._file_done(job, record)

    # ------------------------------------------------------------------ attempts

    def _retry_policy(self) -> RetryPolicy:
        pp = self.plan.config.parallel_processing
        return RetryPolicy(
            crash_retries=pp.crash_retries,
            retries=pp.retries,
            licence_backoff=pp.licence_backoff,
            licence_wait=pp.licence_wait,
            can_run_alone=self.admission.memory is not None,
        )

    async def _attempts(
        self, job: Job, counters: RetryCounters | None = None, delay_s: float = 0.0
    ) -> FileRecord:
        """Attempts of ``job`` from ``counters`` on (after ``delay_s``) until one is final."""
        policy = self._retry_policy()
        counters = counters or RetryCounters()
        while True:
            if delay_s:
                await anyio.sleep(delay_s)
            attempt = replace(job, attempt=counters.attempt)
            async with self.admission.admit(attempt, counters.alone) as admitted:
                record = await self.execution.run(admitted)
            decision = self._retry_decision(job, record, counters, policy)
            if decision is None:
                return record
            counters, delay_s = decision.counters, decision.delay_s

    def _retry_decision(
        self, job: Job, record: FileRecord, counters: RetryCounters, policy: RetryPolicy
    ) -> RetryDecision | None:
        """The retry of a failed attempt (announced by ``file_retry``), or ``None``."""
        error = record.error
        if record.status is not FileStatus.FAILED or error is None:
            return None
        licence = [e for e in record.errors if e.kind is ErrorKind.LICENCE]
        if licence:
            error = licence[0]
        decision = decide(error.kind, counters, policy, job.path)
        if not decision.retry:
            return None
        self.emitter.emit(
            "file_retry",
            level="warning",
            file=str(job.path),
            index=job.index,
            attempt=decision.counters.attempt,
            kind=str(error.kind),
            delay_s=round(decision.delay_s, 3),
            message=error.message,
        )
        return decision

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
        self.finisher.record_done(self.plan, job, record)
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
