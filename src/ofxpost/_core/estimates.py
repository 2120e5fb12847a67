"""Per-file memory estimates: the first guess from a file's size, and the estimate
that learns as files finish.

Plain arithmetic with no event-loop dependency, so that the plan (and the workers,
which import it) can use it; the admission semaphore is in :mod:`ofxpost._engine.budgets`.
"""

from __future__ import annotations

from ofxpost._core.records import Job

MIN_FILE_ESTIMATE = 32 * 1024**2
"""Floor of the ``auto`` memory estimate of one file (bytes)."""

SIZE_FACTOR = 2.0
"""First ``auto`` estimate of a file's peak memory: this many times its size."""

SAFETY = 1.25
"""Margin applied to the learnt bytes-per-input-byte ratio."""


def initial_estimate(job: Job) -> int:
    """First ``auto`` memory estimate of a file, before any file has finished."""
    return max(MIN_FILE_ESTIMATE, int(job.size * SIZE_FACTOR))


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
