"""The outcome of a batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ofxpost._core.records import ErrorRecord

EXIT_OK = 0
"""Every file succeeded."""
EXIT_FAILURES = 1
"""Some files (or some extractors on them) failed."""
EXIT_CONFIG = 2
"""The config or the arguments are unusable; nothing ran."""
EXIT_CANCELLED = 130
"""The batch was cancelled (Ctrl-C, SIGTERM); partial outputs were written."""


@dataclass(frozen=True)
class FileFailure:
    """A file that failed (or had an extractor fail), with its errors."""

    index: int
    path: Path
    errors: tuple[ErrorRecord, ...]
    partial: bool = False
    """``True`` when the file loaded but at least one extractor failed."""

    @property
    def kind(self) -> str:
        """Kind of the first error."""
        return str(self.errors[0].kind) if self.errors else "unknown"


@dataclass(frozen=True)
class OutputFailure:
    """An aggregator, a writer or one output that failed in the finish phase.

    Only that plugin's tables or files are missing; every other output was written.
    """

    stage: str
    """``aggregator`` (it raised or returned something unusable), ``writer`` (it
    raised or wrote where it must not) or ``output`` (one file could not be placed)."""
    plugin: str | None
    """The plugin's registered name."""
    distribution: str | None
    """The installed distribution (``name version``) the plugin comes from, if known."""
    message: str
    """What went wrong, naming the plugin, the table or file and the value."""
    traceback: str | None = None
    """The traceback text when the plugin raised."""
    target: str | None = None
    """The table name or the output path (relative to ``output_dir``) concerned."""

    def to_dict(self) -> dict[str, str | None]:
        """A JSON-ready dictionary (for the manifest and events)."""
        return {
            "stage": self.stage,
            "plugin": self.plugin,
            "distribution": self.distribution,
            "target": self.target,
            "message": self.message,
            "traceback": self.traceback,
        }


@dataclass(frozen=True)
class BatchResult:
    """What a batch did: counts, failures, outputs, and the CLI exit code."""

    batch_id: str
    mode: str
    """``parallel`` (a process pool), ``sequential``, or ``dask`` (see :attr:`executor`)."""
    workers: int
    total: int
    succeeded: int
    failures: tuple[FileFailure, ...]
    reused: int
    cancelled: bool
    wall_s: float
    output_dir: Path
    outputs: tuple[Path, ...] = ()
    tables: tuple[str, ...] = ()
    output_errors: tuple[str, ...] = field(default=())
    """One message per :class:`OutputFailure` (kept for simple callers)."""
    output_failures: tuple[OutputFailure, ...] = field(default=())
    """Aggregators, writers and outputs that failed; any of them makes the exit code 1."""
    executor: str | None = None
    """The name of the executor that ran the files (``parallel``: the local process
    pool, ``sequential``, ``dask``, or a custom executor's name); ``None`` when none
    started. ``mode`` is ``dask`` whenever this is ``dask``."""

    @property
    def failed(self) -> int:
        """Files that produced no results."""
        return sum(1 for f in self.failures if not f.partial)

    @property
    def partial(self) -> int:
        """Files where at least one extractor failed."""
        return sum(1 for f in self.failures if f.partial)

    @property
    def finished(self) -> int:
        """Files with a final record (succeeded, partial or failed)."""
        return self.succeeded + len(self.failures)

    @property
    def exit_code(self) -> int:
        """0 all good, 1 some files (or outputs) failed, 130 cancelled."""
        if self.cancelled:
            return EXIT_CANCELLED
        if self.failures or self.output_errors or self.output_failures:
            return EXIT_FAILURES
        return EXIT_OK
