"""Admission: a file runs only once it holds its budgets and a worker slot.

:class:`Admission` holds the batch's budgets -- licence tokens (OrcaFlex files only),
memory (a weighted, first-in-first-out semaphore) and the worker slots -- and
:meth:`Admission.admit` takes them for one attempt, in that order, emitting
``file_waiting`` when a file has to wait. A file waiting for a licence holds no
worker slot, so files behind it that need none go ahead.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Literal

import anyio

from ofxpost._config.plan import Plan
from ofxpost._core.estimates import MemoryEstimator
from ofxpost._core.records import Job
from ofxpost._engine.budgets import WeightedSemaphore
from ofxpost._events.emitter import EventEmitter


class Admission:
    """The budgets of one batch (see the module docstring)."""

    def __init__(self, plan: Plan, emitter: EventEmitter, estimator: MemoryEstimator) -> None:
        budgets = plan.budgets
        self.emitter = emitter
        self.estimator = estimator
        self.licences = anyio.Semaphore(budgets.licences) if budgets.licences else None
        self.memory = WeightedSemaphore(budgets.file_capacity) if budgets.file_capacity else None
        self.running = anyio.Semaphore(max(1, plan.workers))

    @contextlib.asynccontextmanager
    async def admit(self, job: Job, alone: bool) -> AsyncIterator[Job]:
        """Hold a licence (if needed), a worker slot and memory for one attempt.

        Yields ``job`` with its memory reservation set (``memory_estimate``) and its
        kill limit (``memory_limit``: the whole memory left for file data, never the
        estimate); ``alone`` reserves the whole memory budget.
        """
        async with contextlib.AsyncExitStack() as stack:
            if job.needs_licence and self.licences is not None:
                if not _try(self.licences):
                    self._waiting(job, "licence", None)
                    await self.licences.acquire()
                stack.callback(self.licences.release)
            # The run slot comes after the licence, so a licence waiter holds none. A
            # memory waiter does hold one, at no cost: memory is served first in, first
            # out, so no file behind it could start first anyway -- and reservations
            # are never made far ahead of the files that use them.
            await stack.enter_async_context(self.running)
            if self.memory is not None:
                weight = self.memory.capacity if alone else self.estimator.estimate(job)
                if weight > self.memory.capacity:
                    self.emitter.emit(
                        "warning",
                        level="warning",
                        file=str(job.path),
                        message=f"{job.path.name}: estimated memory exceeds the whole "
                        "memory_budget; it runs alone",
                    )
                weight = self.memory.clamp(weight)
                if not self.memory.try_acquire(weight):
                    self._waiting(job, "memory", weight)
                    await self.memory.acquire(weight)
                stack.callback(self.memory.release, weight)
                # The estimate decides when the file may start, never whether it is
                # killed: a file that fits in the memory the budget leaves for file
                # data runs to its end (a first file's imports, a learnt ratio that
                # is low for it); only one that outgrows the whole budget is killed.
                job = replace(job, memory_estimate=weight, memory_limit=self.memory.capacity)
            yield job

    def _waiting(self, job: Job, budget: Literal["licence", "memory"], needed: int | None) -> None:
        self.emitter.emit(
            "file_waiting",
            file=str(job.path),
            index=job.index,
            budget=budget,
            needed_bytes=needed,
        )


BIG_FACTOR = 4
"""A file at least this many times the batch's median size is dispatched early."""


def dispatch_order(plan: Plan) -> list[Job]:
    """The order in which files are handed to the executor.

    In parallel mode, files of at least :data:`BIG_FACTOR` times the median size go
    first, largest first (ties in input order), so that a big file listed last does
    not become the batch's tail while the other workers sit idle; every other file
    keeps its place in the input order. Sequential mode keeps the input order.
    Records, tables and events' ``index`` still follow the input order: only the
    start order changes.
    """
    jobs = list(plan.jobs)
    if plan.mode != "parallel" or plan.workers < 2 or len(jobs) < 2:
        return jobs
    sizes = sorted(job.size for job in jobs)
    threshold = BIG_FACTOR * max(1, sizes[len(sizes) // 2])
    big = sorted((j for j in jobs if j.size >= threshold), key=lambda j: (-j.size, j.index))
    return big + [j for j in jobs if j.size < threshold]


def _try(semaphore: anyio.Semaphore) -> bool:
    try:
        semaphore.acquire_nowait()
    except anyio.WouldBlock:
        return False
    return True


__all__ = ["Admission", "dispatch_order"]
