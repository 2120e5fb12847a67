"""Every exception ofxpost raises on purpose, in one tree.

``except ofxpost.OfxpostError`` catches each of them; the classes that also derive
from a built-in exception (``ValueError``, ``KeyError`` ...) keep that base so code
written against the built-in keeps working::

    OfxpostError
    ├── ConfigError                   unusable config, arguments or options (CLI exit 2)
    │   ├── PluginError               a plugin could not be found, imported or registered
    │   ├── YamlProblem               duplicate key, alias bomb or non-UTF-8 config text
    │   └── OutputError               output_dir or a log file cannot be used
    │       └── OutputDirLockedError  another run holds output_dir
    ├── LoadMatrixError               the load matrix is missing, unreadable or inconsistent
    ├── SelectionError                an archive export selection is unusable
    ├── PluginNotImportable           the test kit cannot register a plugin as the run needs
    ├── UnsupportedLoopError          called from an event loop ofxpost cannot run on
    ├── InvalidEventError             an event does not match the event schema
    ├── UnitConversionError           a unit is missing, unknown or of the wrong dimension
    ├── ArchiveError                  a file is not a readable result archive
    ├── NotInArchiveError             an OrcFxAPI call an archive cannot answer
    ├── UnknownObjectError            ``model[name]`` for a name an archive does not hold
    ├── SimulationError               a simulation cannot be post-processed
    │   ├── SimulationStateError      not a finished, stable dynamic run
    │   ├── OrcaFlexUnavailableError  OrcFxAPI cannot be imported here
    │   ├── ObjectNotFound            the model has no object of that name
    │   └── NotSupported              the model cannot answer this kind of request
    ├── EncodeError                   an extractor's result cannot be stored
    ├── ArtifactError                 a per-file artifact name or call is unusable
    ├── OutputWriteError              a writer or the plot process could not write
    │   ├── TablesNotWritten          a writer wrote what it could but not these tables
    │   └── PlotProcessDied           the plot process ended while drawing
    └── ExecutorError                 an executor could not bring a file's record back
        ├── WorkerDied                the worker was lost               (kind ``crash``)
        ├── TaskKilled                killed on a timeout or a cancel   (``timeout``)
        ├── MemoryLimitExceeded       past its memory limit             (``memory``)
        ├── PoolStartError            a worker could not be started or initialised
        ├── RemoteError               an exception from plugin code, as text
        └── ExecutorUnavailable       the executor cannot run in this setting
            └── PoolStartFailed       it could not start (on_pool_failure: error)

A plugin's failure *during* a batch is never raised: it is recorded against the file
(``FileRecord.errors``) or the output (``BatchResult.output_errors``) and reported in
events, and the exit code says so. The CLI maps each class to its exit code in one
table (``ofxpost._cli.exits``).

The stand-ins for OrcFxAPI's own exceptions (``DLLError``, ``MissingRequirementError``,
used where OrcFxAPI does not import) mirror OrcFxAPI and are deliberately outside
this tree: code written for OrcFxAPI catches them by OrcFxAPI's names.
"""

from __future__ import annotations

import os
import traceback

WorkerId = int | str
"""Identity of the worker that ran a job: a process id, or a cluster worker's address."""


class OfxpostError(Exception):
    """Base class of every error ofxpost raises on purpose."""


# -- configuration -------------------------------------------------------------------


class ConfigError(OfxpostError):
    """The config file, the arguments or the options are unusable (CLI exit code 2).

    The message names the file, the key path and the offending value.
    """


class PluginError(ConfigError):
    """A plugin could not be found, imported or registered (CLI exit code 2).

    The message names the plugin, and for an installed plugin its distribution and
    entry point.
    """


class PluginNotImportable(OfxpostError, ValueError):
    """A plugin given to the test kit's runner cannot be registered the way the run needs."""


class OutputError(ConfigError):
    """``output_dir`` or a log file cannot be used (CLI exit code 2).

    The message names the path and the operating-system error. Nothing was written.
    """


class OutputDirLockedError(OutputError):
    """Another run holds ``output_dir`` (CLI exit code 2).

    The message names the holder: its process id, host and start time.
    """


class YamlProblem(ConfigError, ValueError):
    """A config text the strict YAML reader refuses (a duplicate key, an alias bomb,
    text that is not UTF-8); ``line`` is 1-based (0: unknown)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LoadMatrixError(OfxpostError, ValueError):
    """The load matrix file is missing, unreadable or inconsistent."""


class SelectionError(OfxpostError, ValueError):
    """The archive export selection is unusable; the message names the file or the key."""


class UnsupportedLoopError(OfxpostError):
    """ofxpost was called from an event loop it cannot run on.

    ``run()`` cannot be called from inside a running event loop (``await run_batch()``
    instead), and ``run_batch()``/``open_batch()`` need a backend that the chosen
    executor supports.
    """


class UnitConversionError(OfxpostError, ValueError):
    """A unit is missing, unknown, or of another dimension than the one wanted; the
    message names what was being converted and the units."""


class InvalidEventError(OfxpostError, ValueError):
    """An event does not match the shipped event schema; the message says where."""


# -- archives and simulations --------------------------------------------------------


class ArchiveError(OfxpostError):
    """A file is not a readable result archive (truncated, corrupt, wrong version ...).

    The message always starts with the file's path; :attr:`path` holds it.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class NotInArchiveError(OfxpostError, NotImplementedError):
    """An OrcFxAPI call a result archive cannot answer (a result only OrcaFlex
    computes, or a call that needs OrcaFlex itself). The message names the call
    and says what to export or use instead."""


class UnknownObjectError(OfxpostError, KeyError):
    """``model[name]`` for a name the archive does not hold.

    A ``KeyError`` whose ``args[0]`` is the name asked for, as OrcFxAPI's; its
    text lists the nearest object names.
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(name)
        self.name = name
        self.message = message

    def __str__(self) -> str:
        return self.message


class SimulationError(OfxpostError):
    """A simulation cannot be post-processed as asked (recorded against its file)."""


class SimulationStateError(SimulationError):
    """The simulation is not a finished, stable dynamic run; the message says why."""

    def __init__(self, path: os.PathLike[str], state: str, complete: bool, reason: str) -> None:
        self.path = path
        self.state = state
        self.simulation_complete = complete
        super().__init__(
            f"{path}: {reason} (state {state}, simulationComplete {complete}); "
            "set allow_incomplete: true to post-process it anyway"
        )


class OrcaFlexUnavailableError(SimulationError):
    """OrcFxAPI cannot be imported here, so OrcaFlex files cannot be opened."""


class ObjectNotFound(SimulationError, LookupError):
    """The model has no object of the requested name."""


class NotSupported(SimulationError, RuntimeError):
    """The model cannot answer this kind of request."""


# -- results and outputs ----------------------------------------------------------------


class EncodeError(OfxpostError, TypeError):
    """A value cannot be stored in the result store."""


class ArtifactError(OfxpostError, ValueError, RuntimeError):
    """A per-file artifact name is unusable, or ``artifact_path`` was called outside
    a worker's extractor call.

    It is both a ``ValueError`` and a ``RuntimeError``, the two built-ins that
    ``artifact_path`` raised before this class existed.
    """


class OutputWriteError(OfxpostError):
    """A writer, or the process that draws plots for it, could not write an output."""


class TablesNotWritten(OutputWriteError):
    """Raised by a writer that wrote every table it could but not these.

    ``failed`` maps a description starting with the table name (``"t (parquet)"``)
    to the error. The writer keeps the files it did write; each failed table is
    reported against the aggregator that produced it.
    """

    def __init__(self, failed: dict[str, BaseException]) -> None:
        super().__init__(", ".join(failed))
        self.failed = dict(failed)


class PlotProcessDied(OutputWriteError, RuntimeError):
    """The plot process ended while drawing (killed, or crashed in C code)."""


# -- executors -----------------------------------------------------------------------


class ExecutorError(OfxpostError):
    """An executor could not bring a file's record back.

    Every executor -- the local process pool, sequential, a Dask cluster -- raises the
    same ones from a job's future, and the engine maps each to an error kind.
    """


class WorkerDied(ExecutorError):
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


class MemoryLimitExceeded(ExecutorError):
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


class TaskKilled(ExecutorError):
    """The running task was cancelled (or ran past its timeout) and its worker terminated.

    :param timed_out: true when the executor itself enforced ``timeout_per_file``
        (a Dask task's child process); the engine then records ``timeout``.
    """

    def __init__(self, message: str = "", timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out

    def __reduce__(self) -> tuple[type[TaskKilled], tuple[str, bool]]:
        return (TaskKilled, (str(self), self.timed_out))


class PoolStartError(ExecutorError):
    """A worker process could not be started or initialised."""


class ExecutorUnavailable(ExecutorError):
    """The chosen executor cannot run in this setting (the message names why)."""


class PoolStartFailed(ExecutorUnavailable):
    """The executor could not be started and ``on_pool_failure`` is ``error``: every
    file then fails unrun (the batch is not raised out of)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RemoteError(ExecutorError):
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
    "ArchiveError",
    "ArtifactError",
    "ConfigError",
    "EncodeError",
    "ExecutorError",
    "ExecutorUnavailable",
    "InvalidEventError",
    "LoadMatrixError",
    "MemoryLimitExceeded",
    "NotInArchiveError",
    "NotSupported",
    "ObjectNotFound",
    "OfxpostError",
    "OrcaFlexUnavailableError",
    "OutputDirLockedError",
    "OutputError",
    "OutputWriteError",
    "PlotProcessDied",
    "PluginError",
    "PluginNotImportable",
    "PoolStartError",
    "PoolStartFailed",
    "RemoteError",
    "SelectionError",
    "SimulationError",
    "SimulationStateError",
    "TablesNotWritten",
    "TaskKilled",
    "UnitConversionError",
    "UnknownObjectError",
    "UnsupportedLoopError",
    "WorkerDied",
    "WorkerId",
    "YamlProblem",
]
