"""The executors the orchestrator can drive: the local process pool (also for
sequential batches, with one worker) and in-process (``--in-process``, debugging only).

Both implement :class:`~ofxpost._executors.protocol.FileExecutor`. The Dask executor lives
in :mod:`ofxpost._executors.dask` (an optional extra).
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pluggy

from ofxpost._config.model import Config
from ofxpost._config.plan import Plan
from ofxpost._core.records import FileRecord, Job
from ofxpost._executors.prestart import claim
from ofxpost._executors.protocol import ExecutorFactory, FileExecutor, JobStarted
from ofxpost._pool.pool import ResilientProcessPool
from ofxpost._worker.worker import init_worker, process_job, run_job_logged

PREFETCH_BELOW = 0.05

UNBUDGETED_QUEUE_DEPTH = 8
"""Files submitted per worker when no budget limits them (the pool's queue holds the
ones not yet running). The event loop handles finished files in batches; with only
two per worker, a worker whose files take a millisecond often found the queue empty
and waited for the loop to refill it (3,000 tiny files: 4.1 s with two, 3.2 s with
eight, on two CPUs). Queued files cost nothing but a few bytes each: a file is
announced (``file_started``) and timed only once a worker begins it, and cancelling
the batch drops the queued ones."""
"""A worker keeps a second file in its pipe while its recent files took under this
many seconds (see :class:`~ofxpost._pool.pool.ResilientProcessPool`)."""


def _job_memory_limit(args: tuple[Any, ...]) -> int | None:
    job = args[0] if args else None
    limit = getattr(job, "memory_limit", None)
    return limit if isinstance(limit, int) and limit > 0 else None


class LocalPoolExecutor:
    """The local :class:`~ofxpost._pool.pool.ResilientProcessPool` as a file executor.

    Each worker process builds the plugin set once from the plan's worker setup.
    A timed-out or cancelled job's worker is terminated (``future.cancel()``).
    """

    name = "parallel"
    address: str | None = None
    enforces_timeout = False

    def __init__(
        self, plan: Plan, on_started: JobStarted, *, pool: ResilientProcessPool | None = None
    ) -> None:
        pp = plan.config.parallel_processing
        self.on_started = on_started
        budgets = plan.budgets
        unbudgeted = not budgets.licences and not budgets.file_capacity
        self.queue_depth = UNBUDGETED_QUEUE_DEPTH if unbudgeted else 1
        """Files the orchestrator keeps submitted per worker (see :mod:`ofxpost._engine.direct`).

        Without a licence limit or a memory budget, files wait in the pool for the
        next free worker, and a worker whose recent files were short keeps one in its
        pipe (``prefetch_below``); with a budget, a queued file would hold a licence
        or memory it is not using, so only ``workers`` files are submitted."""
        # A new pool, or one pre-started (:mod:`ofxpost._executors.prestart`): either gets its
        # set-up here, and configure() sizes it and hands its workers the initializer.
        pool = pool or ResilientProcessPool(plan.workers)
        pool.max_tasks_per_child = pp.max_tasks_per_child
        pool.memory_limit = _job_memory_limit if budgets.memory_budget is not None else None
        pool.on_task_start = self._task_started
        pool.prefetch_below = PREFETCH_BELOW if unbudgeted and pool.memory_limit is None else 0.0
        pool.configure(init_worker, (plan.worker_setup(),), plan.workers)
        self.pool = pool

    def _task_started(self, args: tuple[Any, ...], pid: int) -> None:
        if args and isinstance(args[0], Job):
            self.on_started(args[0], pid)

    def start(self) -> None:
        """Start every worker process and wait until all are ready.

        :raises PoolStartError: (or any OS error) if the pool cannot be started; the
            orchestrator then falls back to the sequential path.
        """
        try:
            self.pool.start()
        except BaseException:
            self.pool.shutdown(wait=False, cancel_futures=True)
            raise

    def submit(self, job: Job) -> Future[FileRecord]:
        """Run ``job`` on the next free worker process."""
        future: Future[FileRecord] = self.pool.submit(process_job, job)
        return future

    def kill(self, future: Future[FileRecord]) -> None:
        """Terminate the worker running ``future`` (or drop it if still queued)."""
        future.cancel()

    def shutdown(self, *, cancel: bool) -> None:
        """Stop the pool; with ``cancel`` running jobs' workers are terminated."""
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class SequentialExecutor:
    """One thread in this process that runs files one after another, in order.

    Used only for ``--in-process`` (debugging) and when no pool can start: a
    sequential batch otherwise runs on the local pool with one worker.

    It runs the same per-file function as the pool's workers, bound to the
    controller's own plugin manager and config. A running file cannot be killed:
    ``timeout_per_file`` does not apply here.
    """

    name = "sequential"
    address: str | None = None
    enforces_timeout = False
    queue_depth = 2
    """The next file waits in the thread's queue (see :mod:`ofxpost._engine.direct`)."""

    def __init__(self, pm: pluggy.PluginManager, config: Config, on_started: JobStarted) -> None:
        self.on_started = on_started
        self._run = functools.partial(run_job_logged, pm, config, python_level=True)
        self._thread: ThreadPoolExecutor | None = None

    def start(self) -> None:
        """Start the thread."""
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ofxpost-sequential")

    def _call(self, job: Job) -> FileRecord:
        self.on_started(job, os.getpid())
        return self._run(job)

    def submit(self, job: Job) -> Future[FileRecord]:
        """Queue ``job`` behind the files already submitted."""
        if self._thread is None:
            self.start()
        assert self._thread is not None
        return self._thread.submit(self._call, job)

    def kill(self, future: Future[FileRecord]) -> None:
        """Drop ``future`` if it has not started (a running file cannot be stopped)."""
        future.cancel()

    def shutdown(self, *, cancel: bool) -> None:
        """Stop the thread once the running file (if any) ends."""
        if self._thread is not None:
            self._thread.shutdown(wait=True, cancel_futures=cancel)


def create_local_pool(plan: Plan, on_started: JobStarted) -> FileExecutor:
    """The default executor factory: the local process pool for ``plan`` (not started).

    It takes over the workers pre-started for ``plan.config``, if any
    (:mod:`ofxpost._executors.prestart`).
    """
    return LocalPoolExecutor(plan, on_started, pool=claim(plan.config))


def create_executor(plan: Plan, on_started: JobStarted) -> FileExecutor:
    """The executor ``parallel_processing.executor`` names (``local`` or ``dask``)."""
    if plan.config.parallel_processing.executor == "dask":
        from ofxpost._executors.dask import DaskExecutor

        return DaskExecutor(plan, on_started)
    return create_local_pool(plan, on_started)


def create_sequential_executor(
    pm: pluggy.PluginManager, config: Config, on_started: JobStarted
) -> FileExecutor:
    """The in-process executor used for ``--in-process`` and as the fallback."""
    return SequentialExecutor(pm, config, on_started)


__all__ = [
    "PREFETCH_BELOW",
    "ExecutorFactory",
    "FileExecutor",
    "LocalPoolExecutor",
    "SequentialExecutor",
    "create_executor",
    "create_local_pool",
    "create_sequential_executor",
]
