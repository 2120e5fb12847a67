"""Admission budgets: a weighted (memory) semaphore and the learning memory estimate."""

from __future__ import annotations

from collections import deque

import anyio

from ofxpost.records import Job

MIN_FILE_ESTIMATE = 32 * 1024**2
"""Floor of the ``auto`` memory estimate of one file (bytes)."""

SIZE_FACTOR = 2.0
"""First ``auto`` estimate of a file's peak memory: this many times its size."""

SAFETY = 1.25
"""Margin applied to the learnt bytes-per-input-byte ratio."""


def initial_estimate(job: Job) -> int:
    """First ``auto`` memory estimate of a file, before any file has finished."""
    return max(MIN_FILE_ESTIMATE, int(job.size * SIZE_FACTOR))


class WeightedSemaphore:
    """A first-in, first-out semaphore whose holders take different weights (bytes).

    A request larger than the capacity is capped to the capacity, so it runs alone.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self.available = capacity
        self._waiters: deque[tuple[int, anyio.Event]] = deque()

    def clamp(self, weight: int) -> int:
        """``weight`` limited to ``1 .. capacity``."""
        return max(1, min(weight, self.capacity))

    def try_acquire(self, weight: int) -> bool:
        """Take ``weight`` now if it fits and nobody is queued; say whether it did."""
        weight = self.clamp(weight)
        if not self._waiters and weight <= self.available:
            self.available -= weight
            return True
        return False

    async def acquire(self, weight: int) -> None:
        """Wait until ``weight`` fits, in arrival order, and take it."""
        weight = self.clamp(weight)
        if self.try_acquire(weight):
            return
        event = anyio.Event()
        entry = (weight, event)
        self._waiters.append(entry)
        try:
            await event.wait()
        except BaseException:
            if event.is_set():
                self.release(weight)
            else:
                self._waiters.remove(entry)
                self._wake()
            raise

    def release(self, weight: int) -> None:
        """Give ``weight`` back and admit waiters that now fit."""
        self.available = min(self.capacity, self.available + self.clamp(weight))
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._waiters[0][0] <= self.available:
            weight, event = self._waiters.popleft()
            self.available -= weight
            event.set()


class MemoryEstimator:
    """Estimates a file's peak memory from its size, learning from finished files.

    The first estimate is :data:`SIZE_FACTOR` times the file size; once
    files finish, it is the largest measured ratio of peak memory growth to file
    size, times :data:`SAFETY`. A fixed ``memory_per_file`` disables learning.
    """

    def __init__(self, fixed: int | None = None) -> None:
        self.fixed = fixed
        self.ratio: float | None = None

    def estimate(self, job: Job) -> int:
        """Bytes to reserve for ``job``."""
        if self.fixed is not None:
            return self.fixed
        ratio = SIZE_FACTOR if self.ratio is None else self.ratio * SAFETY
        return max(MIN_FILE_ESTIMATE, int(job.size * ratio))

    def observe(self, job: Job, growth: int | None) -> None:
        """Learn from ``job``'s measured memory growth (bytes above the idle worker)."""
        if self.fixed is not None or growth is None or job.size <= 0:
            return
        ratio = max(0.0, growth) / job.size
        self.ratio = ratio if self.ratio is None else max(self.ratio, ratio)
