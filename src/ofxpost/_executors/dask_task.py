"""The Dask task side: what runs on a Dask worker for each file.

Each file runs in a child process of the Dask worker -- a one-slot
:class:`~ofxpost._pool.pool.ResilientProcessPool` kept per worker process and per
plugin setup -- so a file can be stopped at its timeout and a file that kills its
process fails alone while the Dask worker lives on (see :mod:`ofxpost._executors.dask`).
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
from dataclasses import dataclass
from typing import Any

from ofxpost._config.plan import WorkerSetup
from ofxpost._core.records import FileRecord, Job
from ofxpost._pool.pool import ResilientProcessPool
from ofxpost.errors import MemoryLimitExceeded, RemoteError, TaskKilled, WorkerDied

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
    from ofxpost._worker.worker import init_worker

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

    from ofxpost._worker.worker import process_job

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


__all__ = ["KILL_GRACE_S", "TaskOptions", "TaskOutcome", "run_on_worker", "warm_worker"]
