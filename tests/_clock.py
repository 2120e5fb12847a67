"""A ``time.perf_counter`` on which simulated work takes time, without sleeping.

``WORK_CLOCK()`` is the real ``perf_counter`` plus every ``WORK_CLOCK.work(seconds)``
so far: a plugin that "works" 0.4 s moves the clock 0.4 s at once, so durations that
ofxpost measures around it are at least 0.4 s exactly, whatever the machine's load.
Install it with the ``work_clock`` fixture of the test module that needs it.
"""

from __future__ import annotations

import time

_REAL_PERF_COUNTER = time.perf_counter


class WorkClock:
    def __init__(self) -> None:
        self.worked = 0.0

    def __call__(self) -> float:
        return _REAL_PERF_COUNTER() + self.worked

    def work(self, seconds: float) -> None:
        """Simulate ``seconds`` of work: the clock jumps forward by that much."""
        self.worked += seconds


WORK_CLOCK = WorkClock()
