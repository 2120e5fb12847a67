"""Why an executor could not bring a file's record back: the failure types.

They sit beside the records (:mod:`ofxpost.records`) because every executor -- the
local process pool, the in-process one, a Dask cluster -- raises the same ones from a
job's future, and the orchestrator maps each to an :class:`~ofxpost.records.ErrorKind`:

* :class:`WorkerDied` (a worker lost) -> ``crash``;
* :class:`TaskKilled` (killed on a timeout or a cancellation) -> ``timeout``/``unknown``;
* :class:`MemoryLimitExceeded` -> ``memory``;
* :class:`RemoteError` -> ``unknown`` (an exception from plugin code, as plain text).
"""

from __future__ import annotations

import traceback

WorkerId = int | str
"""Identity of the worker that ran a job: a process id, or a cluster worker's address."""


class WorkerDied(Exception):
    """The worker running the task was lost (the process died, or a cluster worker left).

    :param pid: the worker's process id, when known.
    :param exitcode: its exit code, when known.
    :param worker: a cluster worker's address (Dask), when the worker is not a local pid.
    :param detail: a description to use instead of the exit code.
    """

    def __init__(
        self,
        pid: int | None,
        exitcode: int | None,
        worker: str | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(pid, exitcode, worker, detail)
        self.pid = pid
        self.exitcode = exitcode
        self.worker = worker
        self.detail = detail

    def __str__(self) -> str:
        if self.detail:
            return self.detail
        return f"worker process died (exit code {self.exitcode})"


class MemoryLimitExceeded(Exception):
    """The task's process tree grew past its memory limit and was terminated."""

    def __init__(self, pid: int, growth: int, limit: int) -> None:
        super().__init__(pid, growth, limit)
        self.pid = pid
        self.growth = growth
        self.limit = limit

    def __str__(self) -> str:
        mib = 1024**2
        return (
            f"worker process grew by {self.growth / mib:.0f} MiB, past its "
            f"memory limit of {self.limit / mib:.0f} MiB, and was terminated"
        )


class TaskKilled(Exception):
    """The running task was cancelled (or ran past its timeout) and its worker terminated.

    :param timed_out: true when the executor itself enforced ``timeout_per_file``
        (a Dask task's child process); the orchestrator then records ``timeout``.
    """

    def __init__(self, message: str = "", timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out

    def __reduce__(self) -> tuple[type[TaskKilled], tuple[str, bool]]:
        return (TaskKilled, (str(self), self.timed_out))


class PoolStartError(Exception):
    """A worker process could not be started or initialised."""


class RemoteError(Exception):
    """An exception raised in a worker, sent back as plain text.

    Workers send an exception as itself only when it survives a pickle round trip and
    is an :class:`Exception`; anything else (an exception holding a lock, one whose
    ``__init__`` cannot be called with its ``args``, ``SystemExit``,
    ``KeyboardInterrupt``) arrives as a ``RemoteError`` with the original type name,
    message and traceback text, so no exception can break a slot's pipe.
    """

    def __init__(self, type_name: str, message: str, traceback_text: str = "") -> None:
        super().__init__(type_name, message, traceback_text)
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text

    def __str__(self) -> str:
        short = self.type_name.rpartition(".")[2]
        return f"{short}: {self.message}" if self.message else short

    @classmethod
    def from_exception(cls, exc: BaseException, note: str = "") -> RemoteError:
        """Describe ``exc`` in plain strings (never raises)."""
        try:
            message = str(exc)
        except BaseException:
            message = ""
        try:
            text = "".join(traceback.format_exception(exc))
        except BaseException:
            text = ""
        name = f"{type(exc).__module__}.{type(exc).__qualname__}"
        return cls(name, f"{message} {note}".strip(), text)


__all__ = [
    "MemoryLimitExceeded",
    "PoolStartError",
    "RemoteError",
    "TaskKilled",
    "WorkerDied",
    "WorkerId",
]
