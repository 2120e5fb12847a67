"""A pool task, its future, and what a slot needs from its pool."""

from __future__ import annotations

import queue
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from ofxpost._pool.lifeline import Lifeline

TaskStartCallback = Callable[[tuple[Any, ...], int], None]
"""Called (in a slot thread) with a task's arguments and the worker pid when it starts."""

PREFETCH_MAX_BYTES = 4096
"""A task is queued in a worker's pipe only if it pickles to at most this many bytes:
well within the pipe's buffer (8 KiB on Windows), so sending it never blocks the slot
while the worker, busy with the running task, cannot read it."""

MemoryLimit = Callable[[tuple[Any, ...]], int | None]
"""Returns the memory growth (bytes) a task's arguments allow, or ``None``."""


@dataclass
class _Task:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: _TaskFuture


class _TaskFuture(Future[Any]):
    """A future whose ``cancel()`` terminates the worker if the task is running."""

    def __init__(self) -> None:
        super().__init__()
        self.kill: Callable[[], None] | None = None
        self.worker_pid: int | None = None
        self.peak_rss: int | None = None

    def cancel(self) -> bool:
        if super().cancel():
            return True
        kill = self.kill
        if kill is not None and self.running():
            kill()
        return False


class SlotOwner(Protocol):
    """What a slot needs from its pool (:class:`~ofxpost._pool.pool.ResilientProcessPool`)."""

    mp_context: Any
    initializer: Callable[..., None] | None
    initargs: tuple[Any, ...]
    max_tasks_per_child: int | None
    memory_limit: MemoryLimit | None
    on_task_start: TaskStartCallback | None
    poll_interval: float
    start_timeout: float
    prefetch_below: float
    idle_slots: int
    queue: queue.SimpleQueue[_Task | None]
    warm_modules: tuple[str, ...]
    job: Lifeline

    @property
    def is_shut_down(self) -> bool:
        """Whether the pool was shut down."""

    def wait_configured(self, known: int = 0) -> tuple[str, ...]:
        """Block until the pool has its initializer, or until more than ``known``
        :attr:`warm_modules` are listed; return the new ones."""

    def wait_started(self) -> bool:
        """Block until the pool has decided to run; ``True`` if it does."""

    def next_task(self) -> _Task | None:
        """Block until the next task (``None``: stop)."""
