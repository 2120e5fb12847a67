"""The retry policy is a pure function of the error kind and the attempts' counters."""

from __future__ import annotations

from pathlib import Path

import pytest

from ofxpost._core.records import ErrorKind
from ofxpost._engine.retry import MAX_BACKOFF, RetryCounters, RetryPolicy, backoff, decide

PATH = Path("case.sim")
POLICY = RetryPolicy(
    crash_retries=1, retries=2, licence_backoff=1.0, licence_wait=10.0, can_run_alone=True
)


def test_crash_retried_up_to_crash_retries() -> None:
    first = decide(ErrorKind.CRASH, RetryCounters(), POLICY, PATH)
    assert first.retry and first.counters.attempt == 2 and first.counters.crashes == 1
    assert first.delay_s == 0
    assert not decide(ErrorKind.CRASH, first.counters, POLICY, PATH).retry


def test_file_and_unknown_share_retries() -> None:
    counters = RetryCounters()
    for kind in (ErrorKind.FILE, ErrorKind.UNKNOWN):
        decision = decide(kind, counters, POLICY, PATH)
        assert decision.retry
        counters = decision.counters
    assert counters.retries == 2 and counters.attempt == 3
    assert not decide(ErrorKind.FILE, counters, POLICY, PATH).retry


def test_memory_runs_alone_once_and_only_with_a_budget() -> None:
    once = decide(ErrorKind.MEMORY, RetryCounters(), POLICY, PATH)
    assert once.retry and once.counters.alone
    assert not decide(ErrorKind.MEMORY, once.counters, POLICY, PATH).retry
    no_budget = RetryPolicy(1, 2, 1.0, 10.0, can_run_alone=False)
    assert not decide(ErrorKind.MEMORY, RetryCounters(), no_budget, PATH).retry


@pytest.mark.parametrize("kind", [ErrorKind.TIMEOUT, ErrorKind.EXTRACTOR])
def test_never_retried(kind: ErrorKind) -> None:
    assert not decide(kind, RetryCounters(), POLICY, PATH).retry


def test_licence_backoff_bounded_by_licence_wait() -> None:
    counters = RetryCounters()
    waited = 0.0
    while (decision := decide(ErrorKind.LICENCE, counters, POLICY, PATH)).retry:
        assert decision.delay_s == backoff(PATH, counters.attempt, 1.0)
        waited += decision.delay_s
        counters = decision.counters
    assert counters.backed_off == pytest.approx(waited) and waited <= POLICY.licence_wait
    assert counters.attempt > 2  # it did back off several times


def test_backoff_reproducible_jittered_and_capped() -> None:
    assert backoff(PATH, 3, 2.0) == backoff(PATH, 3, 2.0)
    assert 4.0 <= backoff(PATH, 3, 2.0) <= 8.0
    assert backoff(PATH, 30, 2.0) <= MAX_BACKOFF
