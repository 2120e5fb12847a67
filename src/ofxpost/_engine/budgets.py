"""Admission budgets: a weighted (memory) semaphore.

The memory estimates it is fed with are in :mod:`ofxpost._core.estimates`.
"""

from __future__ import annotations

from collections import deque

import anyio


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
