"""Plain, picklable records that flow from the plan to the workers and back.

Everything here crosses a process boundary, so it holds only paths, numbers,
strings and containers of them -- never a model object.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ofxpost._core.printable import shown


class ErrorKind(enum.StrEnum):
    """Why a file (or one extractor on a file) failed."""

    FILE = "file"
    """The input is missing, unreadable, corrupt or in an unusable state."""
    EXTRACTOR = "extractor"
    """One extractor plugin raised; the others still ran."""
    LICENCE = "licence"
    """No OrcaFlex licence could be had (retried until ``licence_wait`` ran out)."""
    TIMEOUT = "timeout"
    """The file ran past ``timeout_per_file``; its worker was terminated."""
    CRASH = "crash"
    """The worker process died (segfault, ``os._exit``, killed by the OS)."""
    MEMORY = "memory"
    """The worker's process tree grew past its memory limit and was terminated."""
    UNKNOWN = "unknown"
    """Anything else."""


class FileStatus(enum.StrEnum):
    """The outcome of one file."""

    OK = "ok"
    """Loaded, and every extractor succeeded."""
    PARTIAL = "partial"
    """Loaded, but at least one extractor failed (its error is recorded)."""
    FAILED = "failed"
    """No results: the loader failed, or the worker timed out or died."""


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """One error, attached to a file (and to a plugin when one plugin raised)."""

    kind: ErrorKind
    message: str
    traceback: str = ""
    plugin: str | None = None
    exception_type: str = ""
    hook: str | None = None
    """The hook the plugin was running (a crash or a timeout: the worker's last mark)."""

    def __post_init__(self) -> None:
        # a path that is not UTF-8 in a message: its odd bytes as ``\xNN``, so that
        # the message can be written to a table, a workbook or a UTF-8 stream
        object.__setattr__(self, "message", shown(self.message))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        return {
            "kind": str(self.kind),
            "message": self.message,
            "plugin": self.plugin,
            "exception_type": self.exception_type,
            "traceback": self.traceback,
            "hook": self.hook,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ErrorRecord:
        """Rebuild a record written by :meth:`to_dict`."""
        return cls(
            kind=ErrorKind(data["kind"]),
            message=str(data["message"]),
            traceback=str(data.get("traceback", "")),
            plugin=data.get("plugin"),
            exception_type=str(data.get("exception_type", "")),
            hook=data.get("hook"),
        )


@dataclass(frozen=True, slots=True)
class Job:
    """One file's unit of work, as the plan hands it to a worker."""

    index: int
    """Position of the file in the input order (0-based)."""
    path: Path
    """Absolute path of the input file."""
    size: int
    """Size in bytes when the plan was made (0 if the file is missing)."""
    mtime_ns: int
    """Modification time in nanoseconds when the plan was made (0 if missing)."""
    needs_licence: bool
    """True for OrcaFlex files (``.sim``, ``.dat``, ``.yml``, ``.yaml``), which hold a licence."""
    memory_estimate: int = 0
    """Estimated peak memory of this file in bytes (set by the plan)."""
    attempt: int = 1
    """1 for the first try, 2 for the first retry, and so on."""
    memory_limit: int | None = None
    """Memory growth (bytes) this attempt may use before its worker is terminated."""
    key: str = ""
    """The file's unique, portable name among the batch's inputs (``a~case_001``: its
    path relative to the inputs' common root, see :mod:`ofxpost._config.input_names`). Per-file
    outputs -- artifacts, error reports, logs -- are named from it. Empty for a job
    made outside a plan."""

    @property
    def name(self) -> str:
        """The file name, for messages."""
        return self.path.name


@dataclass
class FileRecord:
    """What one file produced: extractor results, errors and facts about the run.

    ``results`` maps each extractor result name to its value. Results travel and are
    stored as JSON text (``payload``, see :mod:`ofxpost._core.codec`) and are decoded on
    first access, so records stay cheap to pass around.
    """

    index: int
    path: Path
    status: FileStatus
    errors: list[ErrorRecord] = field(default_factory=list)
    duration_s: float = 0.0
    worker_pid: int | None = None
    peak_rss: int | None = None
    attempts: int = 1
    reused: bool = False
    payload: str = "{}"
    log: str | None = None
    """Path of the file's plugin output log (``output_dir/logs/...``), if it wrote any."""
    artifacts: list[str] = field(default_factory=list)
    hook_s: list[tuple[str, str, float]] = field(default_factory=list)
    """``(hook, plugin, seconds)`` of each loader and extractor the worker called
    (live only: not kept in the result store)."""
    """Per-file artifacts its worker wrote (paths relative to ``output_dir``, see
    :mod:`ofxpost._store.artifacts`)."""
    fingerprint: str | None = field(default=None, compare=False, repr=False)
    """The input file's content fingerprint (:mod:`ofxpost._store.fingerprint`), taken by
    the worker as the file started so that the controller need not read the file;
    ``None``: the controller takes it when it stores the record."""

    @functools.cached_property
    def results(self) -> dict[str, Any]:
        """Extractor results by name (decoded from :attr:`payload` once)."""
        from ofxpost._core.codec import loads

        decoded: dict[str, Any] = loads(self.payload)
        return decoded

    @property
    def ok(self) -> bool:
        """True when the file loaded and every extractor succeeded."""
        return self.status is FileStatus.OK

    @property
    def failed(self) -> bool:
        """True when the file produced no results at all."""
        return self.status is FileStatus.FAILED

    @property
    def error(self) -> ErrorRecord | None:
        """The first error, if any."""
        return self.errors[0] if self.errors else None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("results", None)  # the payload carries them
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
