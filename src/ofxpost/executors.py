"""Executors the orchestrator can drive: the local process pool and in-process.

Both are :class:`concurrent.futures.Executor` objects used through
``loop.run_in_executor``, so adding another executor (a Dask cluster's
``client.get_executor()``, say) means adding a factory here.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from ofxpost.plan import Plan
from ofxpost.pool import ResilientProcessPool, TaskStartCallback
from ofxpost.records import Job
from ofxpost.worker import init_worker


def _job_memory_limit(args: tuple[Any, ...]) -> int | None:
    job = args[0] if args else None
    limit = getattr(job, "memory_limit", None)
    return limit if isinstance(limit, int) and limit > 0 else None


def create_local_pool(plan: Plan, on_task_start: TaskStartCallback | None = None) -> Executor:
    """Create and start the local process pool for ``plan``.

    :raises PoolStartError: (or any OS error) if the pool cannot be started; the
        orchestrator then falls back to the sequential path.
    """
    pp = plan.config.parallel_processing
    pool = ResilientProcessPool(
        plan.workers,
        initializer=init_worker,
        initargs=(plan.worker_setup(),),
        max_tasks_per_child=pp.max_tasks_per_child,
        memory_limit=_job_memory_limit if plan.budgets.memory_budget is not None else None,
        on_task_start=on_task_start,
    )
    try:
        pool.start()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    return pool


def create_sequential_executor() -> Executor:
    """One thread in this process that runs files one after another, in order.

    The orchestrator sends it the same per-file function as the pool's workers,
    bound to the controller's own plugin manager and config.
    """
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="ofxpost-sequential")


ExecutorFactory = Callable[[Plan, TaskStartCallback | None], Executor]
"""Signature of a pool factory (see :func:`create_local_pool`)."""

__all__ = ["ExecutorFactory", "Job", "create_local_pool", "create_sequential_executor"]
