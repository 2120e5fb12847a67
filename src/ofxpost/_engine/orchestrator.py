"""The async engine: dispatches files, retries them, stores their records.

:class:`Orchestrator` runs on an asyncio event loop (through anyio). Files are
dispatched one at a time -- in input order, except that in parallel mode files of at
least 4 x the median size go first (``admission.dispatch_order``); dynamically, never
pre-split -- with at
most ``workers`` running (without budgets, one more waits per worker). Its jobs are
split into modules named after them:

* :mod:`ofxpost._engine.admission` -- a file takes its licence, a worker slot and its memory;
* :mod:`ofxpost._engine.direct` -- without budgets, first attempts without a task per file;
* :mod:`ofxpost._engine.execution` -- one attempt on the executor
  (:mod:`ofxpost._executors.protocol`), its timeout, and its failures mapped to records;
* :mod:`ofxpost._engine.retry` -- whether a failed attempt is tried again (a pure function);
* :mod:`ofxpost._finish.finishing` -- aggregate, write the outputs and the manifest.

Records are written to the result store the moment they arrive (flushed before the
file counts as done); aggregation reads them back in input order.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pluggy
from anyio.abc import TaskGroup

from ofxpost._config.input_filters import pairing_event
from ofxpost._config.plan import Plan, with_mode
from ofxpost._core.estimates import MemoryEstimator
from ofxpost._core.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost._core.result import BatchResult, FileFailure
from ofxpost._engine.admission import Admission, dispatch_order
from ofxpost._engine.direct import DirectDispatch
from ofxpost._engine.execution import Execution
from ofxpost._engine.pool_failure import announce_fallback, announce_refusal, not_run_record
from ofxpost._engine.retry import RetryCounters, RetryDecision, RetryPolicy, decide
from ofxpost._events.emitter import EventEmitter
from ofxpost._executors.local import create_executor, create_local_pool, create_sequential_executor
from ofxpost._executors.prestart import release as release_prestarted
from ofxpost._executors.protocol import ExecutorFactory, FileExecutor
from ofxpost._finish.finishing import Finisher
from ofxpost._plugins.manager import call_each, get_plugin_manager
from ofxpost._store.store import ResultStore
from ofxpost._version import __version__
from ofxpost._worker.capture import LOGS_DIR
from ofxpost._worker.controller_output import ControllerOutput
from ofxpost.errors import PoolStartFailed

MAX_WAITING = 256
"""Files admitted ahead of the running ones (waiting for a budget or a worker).

A file waiting for a licence or for memory holds no worker slot, so files behind it
that need neither run meanwhile; this bounds how far the dispatcher looks ahead.
"""


class Orchestrator:
    """Runs one :class:`~ofxpost._config.plan.Plan`. Use :func:`ofxpost.run_batch` instead."""

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
        self.finisher = Finisher(self.pm, self.store, emitter, self._observe, plan)
        self._pool_start_begun = False
        self._pool_starting = threading.Event()
        self._start_lock = threading.Lock()
        self._closing = False
        self._fell_back = False
        self.controller_output = ControllerOutput(plan.output_dir)

    # ------------------------------------------------------------------ main flow

    async def run(self) -> BatchResult:
        """Run the batch to the end (or until cancelled) and write the outputs."""
        plan = self.plan
        self._loop = asyncio.get_running_loop()
        self.execution.attach_loop(self._loop)
        self.emitter.bind_loop()
        started = time.perf_counter()
        unwritable: OSError | None = None
        try:
            plan.output_dir.mkdir(parents=True, exist_ok=True)
            # marks the manifest "running"; removes only the last run's own reports
            self.finisher.begin()
            self.store.prepare(resume=self.resume)
        except OSError as exc:  # a full disk: reported, no file runs, batch_finished comes
            unwritable = exc
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
            if unwritable is not None:
                self._not_started(unwritable)
            else:
                self._observe("ofxpost_batch_started", plan=plan)
                try:
                    await self._open_executor()
                except PoolStartFailed as failure:  # on_pool_failure: error
                    self._fail_unstarted(failure.reason)
                else:
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
            with self.controller_output.captured():  # aggregators, writers, observers
                finished = self._finish(cancelled, started)
            self.controller_output.publish(self.finisher.claim_output)
            return self._check_result(finished)

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

    # ------------------------------------------------------------------ disk full

    def _not_started(self, exc: OSError) -> None:
        """``output_dir`` (manifest or result store) cannot be written: run no file.

        The write that failed is an ``output_failed``; every file is failed (kind
        ``unknown``, ``file_failed``) as not run, so the batch ends with exit 1 and
        ``batch_finished``. ``--resume`` once there is space runs them.
        """
        plan = self.plan
        self.finisher.fail_output(
            f"output_dir {plan.output_dir} cannot be written, so no file was run: {exc}",
            target=_target(exc, plan),
        )
        for job in plan.jobs:
            message = f"{job.path.name}: not run: output_dir cannot be written ({exc})"
            record = ErrorRecord(ErrorKind.UNKNOWN, message)
            self._done_jobs.add(job.index)
            self._failures[job.index] = FileFailure(job.index, job.path, (record,))
            self.emitter.emit(
                "file_failed",
                level="error",
                file=str(job.path),
                index=job.index,
                kind=str(record.kind),
                message=message,
                plugin=None,
                worker_pid=None,
                attempts=0,
                duration_s=0.0,
                log=None,
            )

    def _not_stored(self, job: Job, record: FileRecord, exc: OSError) -> FileRecord:
        """The failed record of a file whose result could not be written to the store.

        Its result is not in the tables, so the file is failed; the store write is an
        ``output_failed``. ``--resume`` runs it again (it has no stored record).
        """
        where = self.store.log_path
        self.finisher.fail_output(
            f"the result of {job.path} could not be stored in {where}: {exc}",
            target=_relative(where, self.plan),
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

    def _store(self, job: Job, record: FileRecord) -> FileRecord:
        """Write ``record`` to the store (flushed); a full disk fails the file only."""
        try:
            self.store.write(job, record, self.plan.config_hash)
        except OSError as exc:
            return self._not_stored(job, record, exc)
        return record

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
        # a sequential file may be running on another thread under its own capture
        alongside = hook == "ofxpost_file_finished" and self.plan.mode == "sequential"
        with self.controller_output.captured(enabled=not alongside):
            outcomes = call_each(caller, contain_base_exceptions=True, **kwargs)
        for outcome in outcomes:
            if outcome.error is not None:
                self.emitter.emit(
                    "warning",
                    level="warning",
                    message=f"{hook} of plugin {outcome.plugin!r} failed: {outcome.error!r}",
                )

    async def _open_executor(self) -> None:
        plan = self.plan
        if not plan.in_process:
            try:
                # The executor is stored from inside the thread. A native task.cancel()
                # interrupts this await at once while the thread goes on starting
                # workers, so ``_close_executor`` first waits for the start-up to end
                # and then shuts the executor down: no worker is left behind.
                await anyio.to_thread.run_sync(self._start_pool)
            except Exception as exc:
                what = (
                    "the Dask executor could not be started"
                    if plan.mode == "parallel"
                    and plan.config.parallel_processing.executor == "dask"
                    else "the process pool could not be started"
                )
                reason = f"{what} ({type(exc).__name__}: {exc})"
                if plan.config.parallel_processing.on_pool_failure == "error":
                    release_prestarted(plan.config)
                    announce_refusal(self.emitter, reason)
                    raise PoolStartFailed(reason) from exc
                reason += "; files run in-process"
                announce_fallback(self.emitter, reason)
                self._fell_back = True
                self.plan = with_mode(plan, "sequential", reason, in_process=True)
                self.finisher = self.finisher.with_plan(self.plan)
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
        if self._fell_back:
            fields.update(level="warning", fallback=True)
        self.emitter.emit("mode_selected", mode=mode, reason=reason, workers=plan.workers, **fields)

    def _fail_unstarted(self, reason: str) -> None:
        """Fail every file: the executor could not start (``on_pool_failure: error``)."""
        for job in self._pending():
            self._file_done(job, not_run_record(job, reason))

    def _start_pool(self) -> None:
        with self._start_lock:
            if self._closing:  # cancelled before this thread got to run
                return
            self._pool_start_begun = True
        try:
            # A sequential batch runs in one local worker process (never in this
            # one: the controller runs no plugin code), whatever the executor.
            factory = self.executor_factory if self.plan.mode == "parallel" else create_local_pool
            executor = factory(self.plan, self.execution.job_started_threadsafe)
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
        # see :func:`ofxpost._engine.admission.dispatch_order`). Without a licence limit or a
        # memory budget no file can wait for a budget, so the first attempts go
        # through :class:`~ofxpost._engine.direct.DirectDispatch` (no task per file).
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
                try:
                    self.store.write(job, record, self.plan.config_hash, flush=False)
                except OSError as exc:
                    record = self._not_stored(job, record, exc)
                done.append((job, record))
            try:
                self.store.flush()  # before any of them counts as done
            except OSError as exc:  # none of them is known to be stored
                done = [
                    (job, self._not_stored(job, record, exc))
                    if record.status is not FileStatus.FAILED
                    else (job, record)
                    for job, record in done
                ]
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
        # A worker slot (see :mod:`ofxpost._engine.admission`) is taken only once a file
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
        record = self._store(job, record)
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
        self.finisher.record_done(job, record)
        self.finisher.claim_log(record)  # a full disk: an output_failed
        self.finisher.place_artifacts(record)
        if record.errors and self.plan.config.parallel_processing.save_error_reports:
            self.finisher.write_error_report(job, record)
        self.emitter.emit(
            "progress",
            done=len(self._done_jobs),
            total=self.plan.total,
            failed=len(self._failures),
        )
        self._observe("ofxpost_file_finished", record=record, plan=self.plan)

    def _finish(self, cancelled: bool, started: float) -> BatchResult:
        """Aggregate, write the outputs and the manifest (see :mod:`ofxpost._finish.finishing`)."""
        return self.finisher.finish(
            cancelled=cancelled,
            started=started,
            done_jobs=self._done_jobs,
            failures=self._failures,
            succeeded=self._succeeded,
            reused=self._reused,
        )


def _relative(path: Path, plan: Plan) -> str:
    """``path`` relative to ``output_dir`` (``/``-separated) when under it."""
    try:
        return path.relative_to(plan.output_dir).as_posix()
    except ValueError:
        return str(path)


def _target(exc: OSError, plan: Plan) -> str:
    """The path an ``OSError`` names, relative to ``output_dir`` where possible."""
    name = exc.filename
    return _relative(Path(os.fsdecode(name)), plan) if name is not None else "."
