"""The Dask executor: the same files, plugins and records on a Dask cluster.

``parallel_processing.executor: dask`` runs each file as one Dask task. Without
``parallel_processing.dask.address`` a :class:`distributed.LocalCluster` is started,
sized like the local pool (worker processes, one thread each); with an address the
batch uses that scheduler's workers. Needs ``pip install "ofxpost[dask]"`` on the
controller and on every worker.

Inside a task (:func:`run_on_worker`) the file runs in a child process of the Dask
worker -- a one-slot :class:`~ofxpost._pool.pool.ResilientProcessPool` kept per worker
process and per plugin setup, so the plugin set is built once per worker from the
plan's :class:`~ofxpost._config.plan.WorkerSetup`. That child is what makes a Dask task
stoppable: a running Dask task cannot be cancelled, so ``timeout_per_file`` is
enforced inside the task by killing the child (the worker then takes the next file
in a fresh child), and a file that kills its process fails alone (``crash``) while
the Dask worker lives on. A Dask worker that is lost itself (``KilledWorker``, a
worker that leaves) fails the file it ran as ``crash`` too.

Losing the scheduler (or the client's connection to it) ends the batch instead of
hanging it: a watchdog thread checks the client's connection, and once it has been
down for ``dask.scheduler_timeout`` seconds (default 30) every unfinished file fails
as ``crash`` naming the scheduler, and files not yet sent fail at once
(:class:`~ofxpost.errors.ExecutorUnavailable`). The batch then ends with exit 1 and
``--resume`` runs the rest on a working cluster.

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
import threading
import time
from concurrent.futures import Future
from typing import Any

from ofxpost._config.plan import Plan
from ofxpost._core.records import FileRecord, Job
from ofxpost._executors.dask_task import TaskOptions, TaskOutcome, run_on_worker, warm_worker
from ofxpost._executors.protocol import ExecutorFactory, FileExecutor, JobStarted
from ofxpost.errors import (
    ConfigError,
    ExecutorUnavailable,
    TaskKilled,
    WorkerDied,
)

STARTED_TOPIC = "ofxpost-started"
"""Prefix of the Dask event topic on which workers report a file's start."""

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

    def __init__(self, plan: Plan, on_started: JobStarted, client: Any = None) -> None:
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
        self._given = client
        """The caller's ``distributed.Client`` (see :func:`dask_executor`): used, never closed."""
        self._jobs: dict[tuple[int, int], Job] = {}
        self._reported: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        self._memory_capacity: float | None = None
        self._pending: dict[tuple[int, int], _DaskFuture] = {}
        self._lost: str | None = None
        self._stop_watch = threading.Event()
        self._watchdog: threading.Thread | None = None

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

        if self._given is not None:
            self.client = self._given
            self.address = str(self._given.scheduler.address)
        elif self.address is None:
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
        self._watchdog = threading.Thread(
            target=self._watch_scheduler, name="ofxpost-dask-watchdog", daemon=True
        )
        self._watchdog.start()

    def _watch_scheduler(self) -> None:
        """Declare the scheduler lost after ``scheduler_timeout`` s without a connection."""
        timeout = self.settings.scheduler_timeout
        down_since: float | None = None
        while not self._stop_watch.wait(min(1.0, timeout / 5)):
            client = self.client
            if client is None:
                return
            status = str(getattr(client, "status", "running"))
            if status == "running":
                down_since = None
                continue
            now = time.monotonic()
            down_since = now if down_since is None else down_since
            if now - down_since >= timeout:
                self._declare_lost(
                    f"the Dask scheduler at {self.address} was lost "
                    f"(no connection for {timeout:g} s; client {status})"
                )
                return

    def _declare_lost(self, message: str) -> None:
        """Fail every unfinished file and refuse new ones (the scheduler is gone)."""
        with self._lock:
            self._lost = message
            pending = list(self._pending.values())
            self._pending.clear()
        for future in pending:
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                future.set_exception(WorkerDied(None, None, self.address, message))

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
            if self._lost is not None:
                raise ExecutorUnavailable(f"{self._lost}; not sent")
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
        with self._lock:
            self._pending[(job.index, job.attempt)] = result
        remote.add_done_callback(lambda done: self._transfer(job, done, result))
        return result

    def _transfer(self, job: Job, done: Any, result: _DaskFuture) -> None:
        """Hand a finished Dask future's outcome to ``result``."""
        import distributed

        key = (job.index, job.attempt)
        with self._lock:
            self._pending.pop(key, None)
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
        self._stop_watch.set()
        client, cluster = self.client, self.cluster
        self.client = self.cluster = None
        grace = 5 if self._lost is not None else 30  # a lost scheduler will not answer
        if client is not None:
            with contextlib.suppress(Exception):
                client.unsubscribe_topic(self.options.topic)
            if client is not self._given:  # the caller's client stays open
                with contextlib.suppress(Exception):
                    client.close(timeout=grace)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=30)


def dask_executor(client: Any) -> ExecutorFactory:
    """An executor factory that runs the batch's files on ``client``'s cluster.

    ::

        with distributed.Client(cluster) as client:
            result = ofxpost.run("batch.yml", executor=ofxpost.dask_executor(client))

    The batch uses the caller's ``distributed.Client`` (and its scheduler) instead of
    connecting to ``parallel_processing.dask.address`` or starting a local cluster;
    the other ``parallel_processing.dask`` settings apply. ofxpost never closes that
    client: it stays the caller's. ``BatchResult.mode`` and ``executor`` are
    ``"dask"``.
    """
    if not callable(getattr(client, "submit", None)) or not hasattr(client, "scheduler"):
        raise ConfigError(f"dask_executor: expected a distributed.Client (got {client!r})")

    def factory(plan: Plan, on_started: JobStarted) -> FileExecutor:
        return DaskExecutor(plan, on_started, client=client)

    return factory


__all__ = ["DaskExecutor", "dask_executor"]
