"""The retry policy: whether a failed attempt is tried again, and after how long.

:func:`decide` is a pure function of the error kind, the counters of the attempts so
far and the policy limits; the orchestrator applies its answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

from ofxpost._core.records import ErrorKind

MAX_BACKOFF = 60.0
"""Longest single wait between licence retries (seconds)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The limits of ``parallel_processing`` that bound retries."""

    crash_retries: int
    """Retries after a worker crash."""
    retries: int
    """Retries after a ``file`` or ``unknown`` failure."""
    licence_backoff: float
    """First licence back-off (seconds); doubles each attempt, jittered."""
    licence_wait: float
    """Most seconds a file may spend backing off for a licence, in all."""
    can_run_alone: bool
    """True when a memory budget exists, so a ``memory`` failure may run alone once."""


@dataclass(frozen=True, slots=True)
class RetryCounters:
    """What one file's attempts have used so far."""

    attempt: int = 1
    crashes: int = 0
    retries: int = 0
    alone: bool = False
    backed_off: float = 0.0
    """Seconds this file has spent backing off for a licence."""


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """Try again (with the new counters, after ``delay_s``) or stop."""

    retry: bool
    counters: RetryCounters
    delay_s: float = 0.0


def backoff(path: Path, attempt: int, base: float) -> float:
    """Jittered exponential back-off, reproducible for a file and attempt."""
    rng = random.Random(f"{path}:{attempt}")
    return float(min(MAX_BACKOFF, base * 2 ** (attempt - 1)) * rng.uniform(0.5, 1.0))


def decide(
    kind: ErrorKind, counters: RetryCounters, policy: RetryPolicy, path: Path
) -> RetryDecision:
    """Whether the attempt ``counters.attempt`` of ``path``, failed with ``kind``, is retried.

    * ``licence``: back off (jittered, doubling) while the total back-off stays within
      ``licence_wait`` -- time spent running attempts or queueing for a worker slot is
      not counted;
    * ``crash``: up to ``crash_retries`` times;
    * ``memory``: once more, alone, when a memory budget exists;
    * ``file`` / ``unknown``: up to ``retries`` times;
    * anything else: never.
    """
    stop = RetryDecision(False, counters)
    nxt = replace(counters, attempt=counters.attempt + 1)
    if kind is ErrorKind.LICENCE:
        delay = backoff(path, counters.attempt, policy.licence_backoff)
        if counters.backed_off + delay > policy.licence_wait:
            return stop
        return RetryDecision(True, replace(nxt, backed_off=counters.backed_off + delay), delay)
    if kind is ErrorKind.CRASH and counters.crashes < policy.crash_retries:
        return RetryDecision(True, replace(nxt, crashes=counters.crashes + 1))
    if kind is ErrorKind.MEMORY and not counters.alone and policy.can_run_alone:
        return RetryDecision(True, replace(nxt, alone=True))
    if kind in (ErrorKind.FILE, ErrorKind.UNKNOWN) and counters.retries < policy.retries:
        return RetryDecision(True, replace(nxt, retries=counters.retries + 1))
    return stop


__all__ = ["MAX_BACKOFF", "RetryCounters", "RetryDecision", "RetryPolicy", "backoff", "decide"]
