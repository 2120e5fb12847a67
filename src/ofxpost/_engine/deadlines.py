"""Per-file deadlines: the one ``timeout_per_file`` mechanism of both dispatch paths.

:class:`Deadlines` keeps, per file, the event-loop time at which it times out and
the call that ends it: an admitted attempt cancels its
:class:`~anyio.CancelScope` (:mod:`ofxpost._engine.execution`); a direct attempt kills
its future (:mod:`ofxpost._engine.direct`). A file's clock is armed when a worker
picks it up (``on_started``), so waiting does not count, and disarmed when its
attempt ends. One task (:meth:`Deadlines.running`) sleeps until the earliest
deadline and makes the expired calls, in the order they were armed; it uses anyio
only, so it runs on any backend anyio supports.

Every method is called on the event loop's thread; :meth:`Deadlines.arm` and
:meth:`Deadlines.disarm` also from callbacks outside any task.
"""

from __future__ import annotations

import contextlib
import heapq
import math
from collections.abc import AsyncIterator, Callable

import anyio

from ofxpost._core.loop_bridge import loop_clock

Expire = Callable[[], None]
"""Ends a file that ran past its deadline (called on the loop, once)."""


class Deadlines:
    """The armed per-file deadlines of one batch (see the module docstring)."""

    def __init__(self) -> None:
        self._clock = loop_clock()
        self._armed: dict[int, tuple[int, Expire]] = {}
        """Per key: the sequence number of its live heap entry, and its call."""
        self._heap: list[tuple[float, int, int]] = []
        """``(when, sequence, key)``; an entry whose sequence is no longer armed is stale."""
        self._sequence = 0
        self._wake = anyio.Event()

    def arm(self, key: int, timeout: float, expire: Expire) -> None:
        """Call ``expire`` once ``timeout`` seconds from now, unless disarmed (re-arms ``key``)."""
        self._sequence += 1
        when = self._clock() + timeout
        self._armed[key] = (self._sequence, expire)
        heapq.heappush(self._heap, (when, self._sequence, key))
        if self._heap[0][1] == self._sequence:  # the earliest now: the watcher re-sleeps
            self._wake.set()

    def disarm(self, key: int) -> None:
        """Forget the deadline of ``key`` (its attempt ended); no-op if none."""
        self._armed.pop(key, None)

    def armed(self, key: int) -> bool:
        """Whether ``key`` has a deadline."""
        return key in self._armed

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Keep the deadlines' task running for the duration of the block."""
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch)
            try:
                yield
            finally:
                tg.cancel_scope.cancel()

    async def _watch(self) -> None:
        while True:
            self._fire(self._clock())
            self._drop_stale()
            wake = self._wake = anyio.Event()
            when = self._heap[0][0] if self._heap else math.inf
            with anyio.CancelScope(deadline=when):
                await wake.wait()

    def _fire(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            _, sequence, key = heapq.heappop(self._heap)
            armed = self._armed.get(key)
            if armed is None or armed[0] != sequence:
                continue  # disarmed or re-armed since
            del self._armed[key]
            armed[1]()

    def _drop_stale(self) -> None:
        heap = self._heap
        while heap and self._armed.get(heap[0][2], (None,))[0] != heap[0][1]:
            heapq.heappop(heap)


__all__ = ["Deadlines", "Expire"]
