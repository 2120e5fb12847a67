"""The Dask executor: the same files, plugins and records on a Dask cluster.

``parallel_processing.executor: dask`` runs each file as one Dask task. Without
``parallel_processing.dask.address`` a :class:`distributed.LocalCluster` is started,
sized like the local pool (worker processes, one thread each); with an address the
batch uses that scheduler's workers. Needs ``pip install "ofxpost[dask]"`` on the
controller and on every worker.

Inside a task (:func:`run_on_worker`) the file runs in a child process of the Dask
worker -- a one-slot :class:`~ofxpost.pool.ResilientProcessPool` kept per worker
process and per plugin setup, so the plugin set is built once per worker from the
plan's :class:`~ofxpost.plan.WorkerSetup`. That child is what makes a Dask task
stoppable: a running Dask task cannot be cancelled, so ``timeout_per_file`` is
enforced inside the task by killing the child (the worker then takes the next file
in a fresh child), and a file that kills its process fails alone (``crash``) while
the Dask worker lives on. A Dask worker that is lost itself (``KilledWorker``, a
worker that leaves) fails the file it ran as ``crash`` too.

Licences: with ``parallel_processing.licences`` set, each licensed file also holds
a lease of a cluster-wide :class:`distributed.Semaphore` (named by
``dask.licence_semaphore``) for as long as it runs, so batches that share the
semaphore never open more files at once than the limit. The lease is refreshed by
the Dask worker's event loop; the file's native work runs in the child process and
never holds that loop's GIL, which avoids leases silently expiring under a
GIL-holding call (see ``docs/scale-out.md``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import multiprocessing
import os
import pickle
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from ofxpost.executor_api import JobStarted
from ofxpost.failures import MemoryLimitExceeded, RemoteError, TaskKilled, WorkerDied
from ofxpost.plan import Plan, WorkerSetup
from ofxpost.pool import ResilientProcessPool
from ofxpost.records import FileRecord, Job

STARTED_TOPIC = "ofxpost-started"
"""Prefix of the Dask event topic on which workers report a file's start."""

KILL_GRACE_S = 30.0
"""Seconds to wait for a timed-out file's child process to be terminated."""

MAX_CACHED_POOLS = 2
"""Child pools (plugin setups) kept per Dask worker process."""


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """What a task hands back: the worker that ran it and the record (or failure)."""

    worker: str
    value: FileRecord | BaseException


@dataclass(frozen=True, slots=True)
class TaskOptions:
    """How :func:`run_on_worker` runs one file (sent with every task)."""

    setup: WorkerSetup
    """What the child process needs to rebuild the plan's plugins and config."""
    topic: str
    """Event topic on which the worker reports the file's start."""
    timeout: float | None
    """``timeout_per_file`` (seconds), enforced inside the task."""
    licence_semaphore: str | None
    """Name of the cluster-wide licence semaphore, if licences are limited."""
    licences: int
    """Leases of that semaphore."""
    memory_limited: bool
    """True when a memory budget applies (the child's growth is checked)."""
    max_tasks_per_child: int | None
    """Replace the child process after this many files."""


_POOLS: OrderedDict[bytes, ResilientProcessPool] = OrderedDict()
_POOLS_LOCK = threading.Lock()


def _memory_limit(args: tuple[Any, ...]) -> int | None:
    job = args[0] if args else None
    limit = getattr(job, "memory_limit", None)
    return limit if isinstance(limit, int) and limit > 0 else None


def _child_pool(options: TaskOptions) -> ResilientProcessPool:
    """This Dask worker's child pool for ``options.setup`` (started once, then reused)."""
    from ofxpost.worker import init_worker

    key = hashlib.sha256(
        pickle.dumps((options.setup, options.memory_limited, options.max_tasks_per_child))
    ).digest()
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is not None:
            _POOLS.move_to_end(key)
            return pool
        _allow_children()
        pool = ResilientProcessPool(
            1,
            initializer=init_worker,
            initargs=(options.setup,),
            max_tasks_per_child=options.max_tasks_per_child,
            memory_limit=_memory_limit if options.memory_limited else None,
        )
        pool.start()
        _POOLS[key] = pool
        while len(_POOLS) > MAX_CACHED_POOLS:
            _, old = _POOLS.popitem(last=False)
            old.shutdown(wait=False, cancel_futures=True)
        return pool


def _allow_children() -> None:
    """Let this (daemonic) Dask worker process start the file's child process.

    A Dask worker started by a nanny is a daemonic multiprocessing process, which
    may not start children. The children started here are daemonic themselves and
    watch their parent (they exit when it dies), which is what the rule protects, so
    the flag is cleared. ``dask worker`` started with
    ``DASK_DISTRIBUTED__WORKER__DAEMON=False`` never needs this.
    """
    current: Any = multiprocessing.current_process()
    config = getattr(current, "_config", None)
    if isinstance(config, dict) and config.get("daemon"):
        config["daemon"] = False


def warm_worker(options: TaskOptions) -> str:
    """Start this Dask worker's child process for ``options`` (loads the plugins once).

    Run on every worker when the executor starts, so the first file on each worker
    does not pay for it. Returns the worker's address.
    """
    import distributed

    _child_pool(options)
    return str(distributed.get_worker().address)


def run_on_worker(job: Job, options: TaskOptions) -> TaskOutcome:
    """The Dask task: run ``job`` in this worker's child process and return its record.

    A failure of the file's process is returned, not raised (the task itself went
    well; the controller raises it from the job's future): :class:`TaskKilled`
    (``timed_out=True``) when the file ran past the timeout -- its child process was
    terminated and the next file gets a fresh one -- :class:`WorkerDied` when the
    child process died (the Dask worker lives on), :class:`MemoryLimitExceeded`, or a
    :class:`RemoteError` from plugin code.
    """
    import distributed

    from ofxpost.worker import process_job

    worker = distributed.get_worker()
    address = str(worker.address)
    semaphore: Any = None
    if options.licence_semaphore is not None and job.needs_licence:
        semaphore = distributed.Semaphore(  # type: ignore[no-untyped-call]
            max_leases=options.licences, name=options.licence_semaphore
        )
        semaphore.acquire()
    try:
        pool = _child_pool(options)
        if not pool.worker_pids():
            # the last file's child died or was killed: start its successor first,
            # so that the start-up (seconds on a busy machine) is not timed
            pool.submit(os.getpid).result()
        worker.log_event(
            options.topic, {"index": job.index, "attempt": job.attempt, "worker": address}
        )
        future = pool.submit(process_job, job)
        try:
            record: FileRecord | BaseException = future.result(timeout=options.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()  # terminates the child process tree
            try:
                record = future.result(timeout=KILL_GRACE_S)  # it finished just in time
            except Exception:
                record = TaskKilled(
                    f"ran past timeout_per_file ({options.timeout} s) on {address}; "
                    "its process was terminated",
                    timed_out=True,
                )
        except WorkerDied as exc:
            record = WorkerDied(exc.pid, exc.exitcode, address)
        except (TaskKilled, MemoryLimitExceeded, RemoteError) as exc:
            record = exc
        return TaskOutcome(address, record)
    finally:
        if semaphore is not None:
            with contextlib.suppress(Exception):
                semaphore.release()


class _DaskFuture(Future[FileRecord]):
    """A concurrent future fed by a Dask future; cancelling it drops the Dask task."""

    def __init__(self) -> None:
        super().__init__()
        self.remote: Any = None

    def cancel(self) -> bool:
        remote = self.remote
        if remote is not None:
            with contextlib.suppress(Exception):
                remote.cancel()
        return super().cancel()


class DaskExecutor:
    """Runs files as Dask tasks (see the module docstring)."""

    name = "dask"
    enforces_timeout = True

    def __init__(self, plan: Plan, on_started: JobStarted) -> None:
        pp = plan.config.parallel_processing
        self.settings = pp.dask
        self.address: str | None = self.settings.address
        self.on_started = on_started
        self.workers = plan.workers
        licences = plan.budgets.licences
        self.options = TaskOptions(
            setup=plan.worker_setup(),
            topic=f"{STARTED_TOPIC}-{plan.batch_id}",
            timeout=plan.timeout,
            licence_semaphore=self.settings.licence_semaphore if licences else None,
            licences=licences or 0,
            memory_limited=plan.budgets.memory_budget is not None,
            max_tasks_per_child=pp.max_tasks_per_child,
        )
        self.batch_id = plan.batch_id
        self.client: Any = None
        self.cluster: Any = None
        self._jobs: dict[tuple[int, int], Job] = {}
        self._reported: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        self._memory_capacity: float | None = None

    def start(self) -> None:
        """Connect to the scheduler (or start a local cluster) and subscribe to starts.

        :raises ImportError: when Dask is not installed (``pip install "ofxpost[dask]"``).
        :raises OSError: when the scheduler cannot be reached.
        """
        try:
            self._connect()
        except BaseException:
            self.shutdown(cancel=True)
            raise

    def _connect(self) -> None:
        import dask
        import distributed

        if self.address is None:
            n = self.workers if self.settings.n_workers == "auto" else self.settings.n_workers
            # The scheduler runs here: a lost worker fails its file at once, and the
            # orchestrator's crash_retries decide about another attempt.
            settings = {
                "distributed.scheduler.allowed-failures": 0,
                "distributed.worker.daemon": False,  # workers start the files' processes
            }
            with dask.config.set(settings):
                self.cluster = distributed.LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    resources=dict(self.settings.resources) or None,
                )
            self.client = distributed.Client(self.cluster)  # type: ignore[no-untyped-call]
            self.address = str(self.cluster.scheduler_address)
        else:
            self.client = distributed.Client(self.address, timeout=30)  # type: ignore[no-untyped-call]
        self._check_resources()
        self.client.subscribe_topic(self.options.topic, self._started)
        self._warm()

    def _warm(self) -> None:
        """Start every worker's child process in parallel, before the first file."""
        workers = list(self.client.scheduler_info().get("workers", {}))
        warming = [
            self.client.submit(
                warm_worker,
                self.options,
                key=f"ofxpost-warm-{self.batch_id}-{n}",
                workers=[address],
                allow_other_workers=False,
                pure=False,
            )
            for n, address in enumerate(workers)
        ]
        self.client.gather(warming)

    def _check_resources(self) -> None:
        """Find the workers' ``MEMORY`` capacity; refuse resources no worker offers.

        A task that asks for a resource no worker has would wait forever.

        :raises ValueError: naming the resource and the workers' resources.
        """
        info = self.client.scheduler_info()
        offered: dict[str, float] = {}
        for worker in info.get("workers", {}).values():
            for name, amount in (worker.get("resources") or {}).items():
                offered[name] = max(offered.get(name, 0.0), float(amount))
        for name, amount in self.settings.resources.items():
            if offered.get(name, 0.0) < amount:
                raise ValueError(
                    f"parallel_processing.dask.resources: {name}={amount} is more than any "
                    f"worker offers (workers offer {offered or 'no resources'})"
                )
        self._memory_capacity = offered.get("MEMORY")

    def _started(self, event: Any) -> None:
        msg = event[1] if isinstance(event, tuple) and len(event) == 2 else event
        if not isinstance(msg, dict):
            return
        key = (int(msg.get("index", -1)), int(msg.get("attempt", 0)))
        self._report(key, str(msg.get("worker") or "dask"))

    def _report(self, key: tuple[int, int], worker: str) -> None:
        """Tell ``on_started`` once per attempt (from the start event or, if that comes
        late, from the result itself, so ``file_started`` always precedes the end)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None or key in self._reported:
                return
            self._reported.add(key)
        self.on_started(job, worker)

    def submit(self, job: Job) -> Future[FileRecord]:
        """Submit ``job`` as a Dask task."""
        assert self.client is not None, "start() first"
        with self._lock:
            self._jobs[(job.index, job.attempt)] = job
        resources = dict(self.settings.resources)
        if self._memory_capacity is not None and "MEMORY" not in resources:
            # workers that offer MEMORY (bytes) take files by their memory estimate;
            # a file larger than any worker's MEMORY runs alone on the largest one
            estimate = float(job.memory_estimate or job.memory_limit or 0)
            resources["MEMORY"] = min(estimate, self._memory_capacity)
        result = _DaskFuture()
        remote = self.client.submit(
            run_on_worker,
            job,
            self.options,
            key=f"ofxpost-{self.batch_id}-{job.index}-{job.attempt}",
            pure=False,
            resources=resources or None,
        )
        result.remote = remote
        remote.add_done_callback(lambda done: self._transfer(job, done, result))
        return result

    def _transfer(self, job: Job, done: Any, result: _DaskFuture) -> None:
        """Hand a finished Dask future's outcome to ``result``."""
        import distributed

        key = (job.index, job.attempt)
        try:
            if done.status == "cancelled":
                error: BaseException | None = TaskKilled("the Dask task was cancelled")
            else:
                error = done.exception()
            if error is None:
                outcome: TaskOutcome = done.result()
                self._report(key, outcome.worker)
                if isinstance(outcome.value, BaseException):
                    error = outcome.value
                else:
                    self._forget(key)
                    with contextlib.suppress(concurrent.futures.InvalidStateError):
                        result.set_result(outcome.value)
                    return
        except BaseException as exc:  # the scheduler went away, a result that cannot load
            error = exc
        if isinstance(error, distributed.KilledWorker):
            error = WorkerDied(None, None, None, f"the Dask worker running it was lost ({error})")
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            result.set_exception(error)

    def _forget(self, key: tuple[int, int]) -> None:
        with self._lock:
            self._jobs.pop(key, None)
            self._reported.discard(key)

    def kill(self, future: Future[FileRecord]) -> None:
        """Drop ``future``'s task (a running one is stopped by its own timeout)."""
        future.cancel()

    def shutdown(self, *, cancel: bool) -> None:
        """Close the client, and the local cluster if this executor started it."""
        client, cluster = self.client, self.cluster
        self.client = self.cluster = None
        if client is not None:
            with contextlib.suppress(Exception):
                client.unsubscribe_topic(self.options.topic)
            with contextlib.suppress(Exception):
                client.close(timeout=30)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=30)


__all__ = ["DaskExecutor", "TaskOptions", "TaskOutcome", "run_on_worker", "warm_worker"]
