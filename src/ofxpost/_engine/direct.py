"""Direct dispatch: first attempts without a task, a semaphore or a scope per file.

When a batch has neither a licence limit nor a memory budget, no file ever waits
for a budget, so the per-file machinery of :mod:`ofxpost._engine.admission` buys nothing.
:class:`DirectDispatch` then keeps ``capacity`` files submitted to the executor
(``workers`` x the executor's ``queue_depth``, so a worker finds its next file
waiting) and resolves them by callback:

* a future's done-callback posts it to the loop
  (:class:`~ofxpost._core.loop_bridge.LoopBridge`); every file that finished
  meanwhile is handled in the same batch on the event loop, and the ``finish``
  callback receives them together (the orchestrator writes their records with one
  flush of the result store);
* ``timeout_per_file`` is the same per-file deadline as a scoped attempt's
  (:mod:`ofxpost._engine.deadlines`), armed by the ``on_started`` callback
  (:meth:`ofxpost._engine.execution.Execution.job_started`); when it expires the future
  is killed and the file gets its ``timeout`` record at once;
* cancelling :meth:`DirectDispatch.run` kills every submitted future (running
  workers are terminated, queued files dropped) and re-raises.

Retries are not handled here: ``finish`` decides them and runs them through the
ordinary admitted path.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future

import anyio

from ofxpost._core.loop_bridge import LoopBridge
from ofxpost._core.records import FileRecord, Job
from ofxpost._engine.execution import Execution
from ofxpost._executors.protocol import FileExecutor

Finished = Callable[[list[tuple[Job, FileRecord]]], None]
"""Receives the files whose first attempt ended, with their records, in one batch."""


class _Attempt:
    """One submitted file: its future and when it was sent."""

    __slots__ = ("future", "job", "started")

    def __init__(self, job: Job) -> None:
        self.job = job
        self.started = time.perf_counter()
        self.future: Future[FileRecord] | None = None


class DirectDispatch:
    """Runs the first attempt of each file (see the module docstring)."""

    def __init__(
        self,
        execution: Execution,
        executor: FileExecutor,
        inbox: LoopBridge,
        capacity: int,
        finish: Finished,
    ) -> None:
        self.execution = execution
        self.executor = executor
        self.inbox = inbox
        self.capacity = max(1, capacity)
        self.finish = finish
        self._in_flight: dict[int, _Attempt] = {}
        self._ended: list[tuple[Job, FileRecord]] = []
        self._jobs: Iterator[Job] = iter(())
        self._exhausted = False
        self._done: anyio.Event | None = None
        self._error: BaseException | None = None
        self._timed = False

    async def run(self, jobs: Iterator[Job]) -> None:
        """Run the first attempt of every job of ``jobs`` (pulled lazily)."""
        self._jobs = jobs
        self._done = anyio.Event()
        self._timed = self.execution.timeout is not None
        self.inbox.after.append(self._after_batch)
        try:
            self._refill()
            await self._done.wait()
            if self._error is not None:
                raise self._error
        except BaseException:
            self._kill_all()
            raise
        finally:
            self.inbox.after.remove(self._after_batch)

    # -- submitting ------------------------------------------------------------------

    def _refill(self) -> None:
        while not self._exhausted and len(self._in_flight) < self.capacity:
            job = next(self._jobs, None)
            if job is None:
                self._exhausted = True
                break
            self._submit(job)
        if self._ended:  # files the executor refused: handed on by the next batch
            self.inbox.call_soon(self._after_batch)
        elif self._exhausted and not self._in_flight:
            self._resolve(None)

    def _submit(self, job: Job) -> None:
        attempt = _Attempt(job)
        self._in_flight[job.index] = attempt
        if self._timed:
            self.execution.watch(job, functools.partial(self.expire, attempt))
        try:
            future = self.executor.submit(job)
        except BaseException as exc:  # the executor refused this file: it fails alone
            self._take(attempt)
            self._ended.append((job, self.execution.failure(job, exc, attempt.started)))
            return
        attempt.future = future
        future.add_done_callback(functools.partial(self._post, attempt))

    def _post(self, attempt: _Attempt, future: Future[FileRecord]) -> None:
        """The future's done-callback (any thread)."""
        self.inbox.post(self._arrived, attempt)

    # -- ending ------------------------------------------------------------------------

    def _arrived(self, attempt: _Attempt) -> None:
        """On the loop: ``attempt``'s future is done."""
        if not self._take(attempt):
            return  # it timed out (its record is made) or the batch was cancelled
        assert attempt.future is not None
        try:
            record = self.execution.outcome(attempt.job, attempt.future, attempt.started)
        except BaseException as exc:
            self._resolve(exc)
            return
        self._ended.append((attempt.job, record))

    def expire(self, attempt: _Attempt) -> None:
        """On the loop: ``attempt`` ran past ``timeout_per_file``; kill it."""
        if not self._take(attempt):
            return
        try:
            if attempt.future is not None:
                self.executor.kill(attempt.future)
            record = self.execution.timed_out(attempt.job, attempt.started)
            self._ended.append((attempt.job, record))
        except BaseException as exc:
            self._resolve(exc)
            return
        self._after_batch()

    def _take(self, attempt: _Attempt) -> bool:
        """Stop tracking ``attempt``; ``False`` if it was no longer tracked."""
        if self._in_flight.get(attempt.job.index) is not attempt:
            return False
        del self._in_flight[attempt.job.index]
        if self._timed:
            self.execution.unwatch(attempt.job)
        return True

    def _after_batch(self) -> None:
        """On the loop, once per inbox batch: hand the ended files on, submit more."""
        if self._done is None or self._done.is_set():
            return
        ended, self._ended = self._ended, []
        try:
            if ended:
                self.finish(ended)
            self._refill()
        except BaseException as exc:
            self._resolve(exc)

    def _resolve(self, exc: BaseException | None) -> None:
        done = self._done
        if done is None or done.is_set():
            return
        self._error = exc
        done.set()

    def _kill_all(self) -> None:
        """Kill every submitted file (a cancellation, or a failure of the batch)."""
        attempts = list(self._in_flight.values())
        self._in_flight.clear()
        for attempt in attempts:
            if self._timed:
                self.execution.unwatch(attempt.job)
            if attempt.future is not None:
                self.executor.kill(attempt.future)


__all__ = ["DirectDispatch", "Finished"]
