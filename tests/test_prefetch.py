"""The pool's prefetch: a second task waits in a worker's pipe behind the running one.

A queued task counts as running only when its worker begins it; if the worker is
lost first (a crash, a kill of the running task), the queued task runs on the fresh
worker instead of failing; a queued task cancelled before it began is dropped.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from ofxpost._pool.pool import ResilientProcessPool
from ofxpost._pool.task import PREFETCH_MAX_BYTES
from ofxpost.errors import TaskKilled, WorkerDied

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def _pid() -> int:
    return os.getpid()


def _wait_for(path: str, then_exit: bool = False) -> int:
    """Block until ``path`` exists; then return the pid, or die without a word."""
    while not os.path.exists(path):
        time.sleep(0.01)
    if then_exit:
        os._exit(7)
    return os.getpid()


def _until(condition: Any, timeout: float = 60.0) -> None:
    """Poll ``condition`` (state of the pool, not time) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


def _queued(pool: ResilientProcessPool) -> Any:
    return pool._slots[0]._queued  # the task waiting in the worker's pipe


@pytest.fixture
def pool() -> Any:
    starts: list[tuple[Any, ...]] = []
    pool = ResilientProcessPool(
        1, prefetch_below=60.0, on_task_start=lambda args, pid: starts.append(args)
    )
    pool.starts = starts  # type: ignore[attr-defined]
    pool.start()
    assert pool.submit(_pid).result(timeout=60)  # a short task: prefetch is on now
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


@pytest.mark.timeout(120)
def test_queued_task_reruns_on_fresh_worker_after_a_crash(
    pool: ResilientProcessPool, tmp_path: Path
) -> None:
    go = str(tmp_path / "go")
    crashing = pool.submit(_wait_for, go, True)
    queued: Future[int] = pool.submit(_pid)
    _until(lambda: _queued(pool) is not None)
    assert not queued.running()  # waiting in the pipe is not running
    (first,) = pool.worker_pids()
    Path(go).touch()
    with pytest.raises(WorkerDied):
        crashing.result(timeout=60)
    second = queued.result(timeout=60)
    assert second != first  # the queued task ran on the fresh worker, and succeeded


@pytest.mark.timeout(120)
def test_queued_task_reruns_after_its_running_neighbour_is_killed(
    pool: ResilientProcessPool, tmp_path: Path
) -> None:
    running = pool.submit(_wait_for, str(tmp_path / "never"))
    queued: Future[int] = pool.submit(_pid)
    _until(lambda: _queued(pool) is not None and running.running())
    (first,) = pool.worker_pids()
    running.cancel()  # kills the worker running it
    with pytest.raises(TaskKilled):
        running.result(timeout=60)
    assert queued.result(timeout=60) != first


@pytest.mark.timeout(120)
def test_cancelled_queued_task_is_dropped(pool: ResilientProcessPool, tmp_path: Path) -> None:
    go = str(tmp_path / "go")
    running = pool.submit(_wait_for, go)
    queued: Future[int] = pool.submit(_pid, "never runs")  # wrong arity: must not run
    _until(lambda: _queued(pool) is not None)
    assert queued.cancel()
    Path(go).touch()
    assert running.result(timeout=60)
    assert queued.cancelled()
    assert pool.submit(_pid).result(timeout=60)  # the slot goes on
    starts = pool.starts  # type: ignore[attr-defined]
    assert ("never runs",) not in starts


@pytest.mark.timeout(120)
def test_queued_task_is_announced_when_its_worker_begins_it(
    pool: ResilientProcessPool, tmp_path: Path
) -> None:
    go = str(tmp_path / "go")
    seen: list[bool] = []
    futures: list[Future[int]] = []
    pool.on_task_start = lambda args, pid: seen.append(futures[0].done()) if not args else None
    running = pool.submit(_wait_for, go)
    futures.append(running)
    queued = pool.submit(_pid)
    _until(lambda: _queued(pool) is not None)
    assert seen == []  # queued in the pipe, not announced
    Path(go).touch()
    assert queued.result(timeout=60) == running.result(timeout=60)  # the same worker
    assert seen == [True]  # announced once the task before it had finished


@pytest.mark.timeout(120)
def test_no_prefetch_without_short_recent_tasks(tmp_path: Path) -> None:
    pool = ResilientProcessPool(1, prefetch_below=0.0)
    try:
        running = pool.submit(_wait_for, str(tmp_path / "go"))
        queued = pool.submit(_pid)
        _until(running.running)
        assert _queued(pool) is None
        Path(tmp_path / "go").touch()
        assert queued.result(timeout=60) == running.result(timeout=60)
    finally:
        pool.shutdown(cancel_futures=True)


def _size(text: str) -> int:
    return len(text)


@pytest.mark.timeout(120)
def test_a_large_task_waits_for_its_worker_instead_of_its_pipe(
    pool: ResilientProcessPool, tmp_path: Path
) -> None:
    go = str(tmp_path / "go")
    running = pool.submit(_wait_for, go)
    large = pool.submit(_size, "x" * (PREFETCH_MAX_BYTES + 1))
    _until(lambda: pool._slots[0]._carried is not None)  # taken, but kept out of the pipe
    assert _queued(pool) is None and not large.running()
    Path(go).touch()
    assert running.result(timeout=60)
    assert large.result(timeout=60) == PREFETCH_MAX_BYTES + 1
