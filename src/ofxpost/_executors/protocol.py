"""The executor protocol: what the orchestrator needs from whatever runs the files.

An executor runs one :class:`~ofxpost._core.records.Job` at a time per worker and hands
back a :class:`concurrent.futures.Future` of its :class:`~ofxpost._core.records.FileRecord`.
The orchestrator awaits that future on its event loop (``LoopBridge.wait_future``), so
an executor may be a local process pool, a thread in this process or a Dask cluster.

The contract:

* :meth:`FileExecutor.start` starts the workers (it may block; the orchestrator calls
  it on a thread) and raises if they cannot be started;
* :meth:`FileExecutor.submit` schedules a job; when a worker picks it up the
  executor calls the ``on_started(job, worker)`` callback it was created with, from
  any thread, with the worker's identity (a pid, or a cluster worker's address);
* the future fails with a type from :mod:`ofxpost.errors` when the worker is lost
  (:class:`~ofxpost.errors.WorkerDied`), killed on a timeout or cancellation
  (:class:`~ofxpost.errors.TaskKilled`) or past its memory limit
  (:class:`~ofxpost.errors.MemoryLimitExceeded`); any other exception fails the
  file as ``unknown``;
* :meth:`FileExecutor.kill` (and ``future.cancel()``) stops a running job -- the
  local pool terminates its worker, Dask kills the job's child process;
* when :attr:`FileExecutor.enforces_timeout` is true, the executor enforces
  ``timeout_per_file`` itself (a Dask task cannot be cancelled from outside) and
  fails the future with ``TaskKilled(timed_out=True)``; otherwise the orchestrator's
  deadline, started by ``on_started``, cancels the future;
* :meth:`FileExecutor.shutdown` stops everything, killing running jobs when asked.

An executor may also have a ``queue_depth`` attribute (an int, 1 when absent): how
many files per worker the orchestrator keeps submitted when the batch has no budgets
(:mod:`ofxpost._engine.direct`), so that a worker finds its next file waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol, runtime_checkable

from ofxpost._config.plan import Plan
from ofxpost._core.records import FileRecord, Job
from ofxpost.errors import WorkerId

JobStarted = Callable[[Job, WorkerId], None]
"""Told (from any thread) that a worker picked a job up, and which worker."""


@runtime_checkable
class FileExecutor(Protocol):
    """Runs jobs and hands back futures of their records (see the module docstring)."""

    name: str
    """Mode name reported in ``mode_selected`` (``parallel``, ``sequential``, ``dask``)."""
    address: str | None
    """Where the workers run, for ``mode_selected`` (a scheduler address), or ``None``."""
    enforces_timeout: bool
    """True when the executor enforces ``timeout_per_file`` inside the job itself."""

    def start(self) -> None:
        """Start the workers (blocking); raise if they cannot be started."""

    def submit(self, job: Job) -> Future[FileRecord]:
        """Schedule ``job``; its future gives the file's record."""

    def kill(self, future: Future[FileRecord]) -> None:
        """Stop the job behind ``future`` now, terminating whatever runs it."""

    def shutdown(self, *, cancel: bool) -> None:
        """Stop the executor; with ``cancel`` running jobs are killed, not awaited."""


ExecutorFactory = Callable[[Plan, JobStarted], FileExecutor]
"""Makes an (unstarted) executor for a plan, given the job-started callback."""

__all__ = ["ExecutorFactory", "FileExecutor", "JobStarted"]
