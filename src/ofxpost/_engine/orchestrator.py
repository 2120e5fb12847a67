"""The async engine: settles the plan, dispatches files, retries them, stores their records.

:class:`Orchestrator` runs on the event loop (through anyio). It first settles the
plan -- starts the executor and fixes the mode (:mod:`ofxpost._engine.settle`) -- and
only then builds what runs the files from the settled plan, which never changes
afterwards. Files are dispatched one at a time -- in input order, except that in
parallel mode files of at least 4 x the median size go first
(``admission.dispatch_order``); dynamically, never pre-split -- with at most
``workers`` running (without budgets, one more waits per worker). Its jobs are split
into modules named after them:

* :mod:`ofxpost._engine.settle` -- start the executor, fall back, the settled plan;
* :mod:`ofxpost._engine.admission` -- a file takes its licence, a worker slot and its memory;
* :mod:`ofxpost._engine.direct` -- without budgets, first attempts without a task per file;
* :mod:`ofxpost._engine.attempts` -- a file's attempts until one is final (with
  :mod:`ofxpost._engine.retry`, a pure function, deciding each retry);
* :mod:`ofxpost._engine.execution` -- one attempt on the executor
  (:mod:`ofxpost._executors.protocol`), its timeout, and its failures mapped to records;
* :mod:`ofxpost._engine.tally` -- a file's final record: stored, counted, announced;
* :mod:`ofxpost._engine.invariants` -- the consistency checks of the result;
* :mod:`ofxpost._engine.outputs` -- the finish phase (:mod:`ofxpost._finish.finishing`):
  aggregate, write the outputs and the manifest.

Records are written to the result store the moment they arrive (flushed before the
file counts as done); aggregation reads them back in input order.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from dataclasses import dataclass

import anyio
import pluggy
from anyio.abc import TaskGroup

from ofxpost._config.plan import Plan
from ofxpost._core.estimates import MemoryEstimator
from ofxpost._core.loop_bridge import LoopBridge, run_to_end
from ofxpost._core.records import FileRecord, Job
from ofxpost._core.result import BatchResult
from ofxpost._engine.admission import Admission, dispatch_order
from ofxpost._engine.attempts import Attempts
from ofxpost._engine.deadlines import Deadlines
from ofxpost._engine.direct import DirectDispatch
from ofxpost._engine.execution import Execution
from ofxpost._engine.invariants import check_accounting, check_result
from ofxpost._engine.notices import announce_refused, announce_start
from ofxpost._engine.observers import Observers
from ofxpost._engine.outputs import Outputs
from ofxpost._engine.pool_failure import not_run_record
from ofxpost._engine.retry import RetryCounters, RetryDecision
from ofxpost._engine.settle import ExecutorStart, Settled
from ofxpost._engine.tally import Tally
from ofxpost._events.attribution import Attribution
from ofxpost._events.emitter import EventEmitter
from ofxpost._executors.local import create_executor
from ofxpost._executors.protocol import ExecutorFactory, FileExecutor
from ofxpost._finish.blame import plugin_distribution
from ofxpost._finish.placement import ARTIFACT_BATCH_S
from ofxpost._plugins.manager import get_plugin_manager
from ofxpost._store.store import ResultStore
from ofxpost._worker.controller_output import ControllerOutput
from ofxpost.errors import PoolStartFailed, WorkerId

MAX_WAITING = 256
"""Files admitted ahead of the running ones (waiting for a budget or a worker).

A file waiting for a licence or for memory holds no worker slot, so files behind it
that need neither run meanwhile; this bounds how far the dispatcher looks ahead.
"""


@dataclass(frozen=True)
class Parts:
    """What runs a batch, built once from its settled plan."""

    settled: Settled
    execution: Execution
    attempts: Attempts
    outputs: Outputs
    tally: Tally

    @property
    def plan(self) -> Plan:
        """The settled plan."""
        return self.settled.plan


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
        """The plan as given; the files run with :attr:`Parts.plan` (the settled plan)."""
        self.emitter = emitter
        self.resume = resume
        self.pm: pluggy.PluginManager = get_plugin_manager(plan.plugin_spec)
        self.store = ResultStore(plan.store_dir)
        self.estimator = MemoryEstimator(plan.budgets.memory_per_file)
        self.controller_output = ControllerOutput(plan.output_dir)
        self.observe = Observers(self.pm, emitter, self.controller_output)
        self.start = ExecutorStart(
            plan, emitter, self.pm, executor or create_executor, self._started_threadsafe
        )
        self.parts: Parts | None = None
        """What runs the files, once the plan is settled."""
        self._inbox: LoopBridge | None = None
        self.result: BatchResult | None = None
        """The batch's result once :meth:`run` has concluded (even when cancelled)."""

    @property
    def executor(self) -> FileExecutor | None:
        """The executor that runs the files, once the plan is settled."""
        return self.parts.settled.executor if self.parts is not None else None

    # ------------------------------------------------------------------ main flow

    async def run(self) -> BatchResult:
        """Run the batch to the end (or until cancelled) and write the outputs."""
        self._inbox = LoopBridge.current()
        self.emitter.bind_loop(self._inbox)
        started = time.perf_counter()
        unwritable = self._prepare_output()
        announce_start(self.emitter, self.plan, self.store, self.resume)
        cancelled = False
        broken: BaseException | None = None
        try:
            if unwritable is not None:
                self._assemble(Settled(self.plan, None)).tally.not_started(unwritable)
            else:
                self.observe("ofxpost_batch_started", plan=self.plan)
                await self._run_settled()
        except (anyio.get_cancelled_exc_class(), KeyboardInterrupt):
            cancelled = True
            raise
        except BaseException as exc:
            # A bug (or a SystemExit that escaped a plugin) must never end in a
            # "complete" batch: every file not run is failed and reported below.
            broken = exc
        finally:
            result = self.result = await self._conclude(cancelled, started, broken)
        return result

    def _prepare_output(self) -> OSError | None:
        """Create ``output_dir`` and prepare the store; a full disk: the error."""
        try:
            self.plan.output_dir.mkdir(parents=True, exist_ok=True)
            self.store.prepare(resume=self.resume)
        except OSError as exc:  # reported, no file runs, batch_finished comes
            return exc
        return None

    async def _run_settled(self) -> None:
        """Settle the plan (start the executor), then run every file."""
        try:
            settled = await self.start.settle()
        except PoolStartFailed as failure:  # on_pool_failure: error
            parts = self._assemble(Settled(self.plan, None))
            if self._begin(parts):
                for job in self._pending(parts):
                    parts.tally.done(job, not_run_record(job, failure.reason))
            return
        parts = self._assemble(settled)
        if self._begin(parts):
            settled.announce(self.emitter)
            await self._dispatch_all(parts)

    def _assemble(self, settled: Settled) -> Parts:
        """Build what runs the files from the settled plan (once)."""
        assert self.parts is None and self._inbox is not None
        plan, emitter = settled.plan, self.emitter
        execution = Execution(plan, emitter, settled.executor, self._inbox, Deadlines())
        admission = Admission(plan, emitter, self.estimator)
        ran_on = settled.executor.name if settled.executor is not None else None
        outputs = Outputs(self.pm, self.store, emitter, self.observe, plan, ran_on)
        attribution = Attribution(
            functools.partial(plugin_distribution, self.pm),
            plan.output_dir.absolute(),
            plan.config.parallel_processing.save_error_reports,
        )
        tally = Tally(
            plan, emitter, self.store, self.estimator, outputs, self.observe, attribution
        )
        attempts = Attempts(plan, emitter, admission, execution)
        self.parts = Parts(settled, execution, attempts, outputs, tally)
        return self.parts

    def _begin(self, parts: Parts) -> bool:
        """Mark the manifest ``running``; ``False`` (every file failed) if it cannot."""
        try:
            # marks the manifest "running"; removes only the last run's own reports
            parts.outputs.begin()
        except OSError as exc:  # a full disk: reported, no file runs
            parts.tally.not_started(exc)
            return False
        announce_refused(self.emitter, self.plan, parts.outputs.ledger)
        return True

    def _started_threadsafe(self, job: Job, worker: WorkerId) -> None:
        """The executor's ``on_started`` callback (any thread)."""
        if self._inbox is not None:
            self._inbox.post(self._job_started, job, worker)

    def _job_started(self, job: Job, worker: WorkerId) -> None:
        if self.parts is not None:
            self.parts.execution.job_started(job, worker)

    async def _conclude(
        self, cancelled: bool, started: float, broken: BaseException | None
    ) -> BatchResult:
        """Shut the executor down, then aggregate and write, whatever arrives meanwhile.

        The finish phase runs on a thread and cannot be interrupted half-way, so it
        is always awaited to its end (:func:`~ofxpost._core.loop_bridge.run_to_end`). A
        cancellation that arrives once every file has finished is absorbed: the
        batch is complete, its outputs and manifest say so, and the result is
        returned. When the batch itself was cancelled, the outputs are marked partial
        and the cancellation propagates from :meth:`run`.
        """
        parts = self.parts or self._assemble(Settled(self.plan, None))
        tally = parts.tally

        def tail() -> BatchResult:
            self.start.close()
            if not parts.outputs.begun:  # cancelled while the executor started
                parts.outputs.begin()
            if cancelled:
                self.emitter.emit(
                    "batch_cancelled",
                    level="warning",
                    done=len(tally.done_jobs),
                    total=parts.plan.total,
                    reason="cancelled",
                )
            check_accounting(tally, cancelled, broken)
            with self.controller_output.captured():  # aggregators, writers, observers
                finished = parts.outputs.finish(
                    cancelled=cancelled,
                    started=started,
                    done_jobs=tally.done_jobs,
                    failures=tally.failures,
                    succeeded=tally.succeeded,
                    reused=tally.reused,
                )
            self.controller_output.publish(parts.outputs.claim_output)
            return check_result(tally, finished)

        return await run_to_end(tail, restore=not cancelled)

    # ------------------------------------------------------------------ dispatch

    async def _dispatch_all(self, parts: Parts) -> None:
        # Files are admitted largest first in parallel mode (input order otherwise;
        # see :func:`ofxpost._engine.admission.dispatch_order`). Without a licence limit or a
        # memory budget no file can wait for a budget, so the first attempts go
        # through :class:`~ofxpost._engine.direct.DirectDispatch` (no task per file).
        admission = parts.attempts.admission
        async with anyio.create_task_group() as placing:
            placing.start_soon(self._place_artifacts, parts)
            try:
                async with parts.execution.deadlines.running(), anyio.create_task_group() as tg:
                    if admission.licences is None and admission.memory is None:
                        await self._dispatch_direct(parts, tg)
                    else:
                        await self._dispatch_admitted(parts, tg)
            finally:
                placing.cancel_scope.cancel()

    @staticmethod
    async def _place_artifacts(parts: Parts) -> None:
        """While files run: place the per-file artifacts that wait for their batch's
        manifest write (:data:`~ofxpost._finish.placement.ARTIFACT_BATCH_S`), so that a
        file's artifacts appear soon after it ends even when no other file follows."""
        while True:
            await anyio.sleep(ARTIFACT_BATCH_S)
            parts.outputs.place_pending()

    def _pending(self, parts: Parts) -> Iterator[Job]:
        """The jobs to run, in dispatch order; files ``--resume`` reuses are done here."""
        plan = parts.plan
        for job in dispatch_order(plan):
            if self.resume:
                record = self.store.reusable(job, plan.config_hash)
                if record is not None and all(  # a reused file keeps its artifacts
                    (plan.output_dir / a).is_file() for a in record.artifacts
                ):
                    parts.tally.reuse(job, record)
                    continue
            yield job

    async def _dispatch_direct(self, parts: Parts, tg: TaskGroup) -> None:
        execution, tally = parts.execution, parts.tally
        executor, inbox = execution.executor, execution.inbox
        assert executor is not None
        depth = max(1, int(getattr(executor, "queue_depth", 1)))
        # Retries run as admitted tasks; they are started from this task (the
        # finish callback below runs outside any task).
        send, receive = anyio.create_memory_object_stream[tuple[Job, RetryDecision]](
            max_buffer_size=float("inf")
        )

        def finish(ended: list[tuple[Job, FileRecord]]) -> None:
            final: list[tuple[Job, FileRecord]] = []
            for job, record in ended:
                decision = parts.attempts.retry(job, record)
                if decision is not None:
                    send.send_nowait((job, decision))
                else:
                    final.append((job, record))
            stored = tally.store_all(final)
            for job, record in stored:
                tally.done(job, record, progress=False)
            if stored:  # one count for the files handled together (a fast batch's many)
                tally.progress()

        async def start_retries() -> None:
            async with receive:
                async for job, decision in receive:
                    tg.start_soon(
                        self._run_file, parts, job, None, decision.counters, decision.delay_s
                    )

        tg.start_soon(start_retries)
        capacity = parts.plan.workers * depth
        dispatch = DirectDispatch(execution, executor, inbox, capacity, finish)
        with send:
            await dispatch.run(self._pending(parts))

    async def _dispatch_admitted(self, parts: Parts, tg: TaskGroup) -> None:
        # A worker slot (see :mod:`ofxpost._engine.admission`) is taken only once a file
        # holds its budgets, just around the attempt itself, so a file waiting for a
        # licence, for memory or for a licence back-off holds no slot and files
        # behind it that need neither go ahead.
        admitted = anyio.Semaphore(parts.plan.workers + MAX_WAITING)
        for job in self._pending(parts):
            await admitted.acquire()
            tg.start_soon(self._run_file, parts, job, admitted)

    async def _run_file(
        self,
        parts: Parts,
        job: Job,
        admitted: anyio.Semaphore | None,
        counters: RetryCounters | None = None,
        delay_s: float = 0.0,
    ) -> None:
        try:
            record = await parts.attempts.run(job, counters, delay_s)
        finally:
            if admitted is not None:
                admitted.release()
        parts.tally.done(job, parts.tally.store_one(job, record))
