"""The attempts of one file until one is final: admission, one attempt, the retry decision.

:class:`Attempts` takes a file's budgets (:mod:`ofxpost._engine.admission`), runs one
attempt (:mod:`ofxpost._engine.execution`) and asks :func:`ofxpost._engine.retry.decide`
whether a failed attempt is tried again, announcing each retry (``file_retry``).
"""

from __future__ import annotations

from dataclasses import replace

import anyio

from ofxpost._config.plan import Plan
from ofxpost._core.records import ErrorKind, FileRecord, FileStatus, Job
from ofxpost._engine.admission import Admission
from ofxpost._engine.execution import Execution
from ofxpost._engine.retry import RetryCounters, RetryDecision, RetryPolicy, decide
from ofxpost._events.emitter import EventEmitter
from ofxpost._events.fields import kind_name


class Attempts:
    """Runs the attempts of a batch's files (see the module docstring)."""

    def __init__(
        self, plan: Plan, emitter: EventEmitter, admission: Admission, execution: Execution
    ) -> None:
        pp = plan.config.parallel_processing
        self.emitter = emitter
        self.admission = admission
        self.execution = execution
        self.policy = RetryPolicy(
            crash_retries=pp.crash_retries,
            retries=pp.retries,
            licence_backoff=pp.licence_backoff,
            licence_wait=pp.licence_wait,
            can_run_alone=admission.memory is not None,
        )

    async def run(
        self, job: Job, counters: RetryCounters | None = None, delay_s: float = 0.0
    ) -> FileRecord:
        """Attempts of ``job`` from ``counters`` on (after ``delay_s``) until one is final."""
        counters = counters or RetryCounters()
        while True:
            if delay_s:
                await anyio.sleep(delay_s)
            attempt = replace(job, attempt=counters.attempt)
            async with self.admission.admit(attempt, counters.alone) as admitted:
                record = await self.execution.run(admitted)
            decision = self.retry(job, record, counters)
            if decision is None:
                return record
            counters, delay_s = decision.counters, decision.delay_s

    def retry(
        self, job: Job, record: FileRecord, counters: RetryCounters | None = None
    ) -> RetryDecision | None:
        """The retry of a failed attempt (announced by ``file_retry``), or ``None``."""
        error = record.error
        if record.status is not FileStatus.FAILED or error is None:
            return None
        licence = [e for e in record.errors if e.kind is ErrorKind.LICENCE]
        if licence:
            error = licence[0]
        decision = decide(error.kind, counters or RetryCounters(), self.policy, job.path)
        if not decision.retry:
            return None
        self.emitter.emit(
            "file_retry",
            level="warning",
            file=str(job.path),
            index=job.index,
            attempt=decision.counters.attempt,
            kind=kind_name(error.kind),
            delay_s=round(decision.delay_s, 3),
            message=error.message,
        )
        return decision


__all__ = ["Attempts"]
