"""One :class:`~typing.TypedDict` per event, for embedders who type their handlers.

Every event is a plain dict at run time; these types describe it for a type checker::

    from typing import cast

    from ofxpost.event_types import FileFailed

    def on_event(event: dict) -> None:
        if event["event"] == "file_failed":
            failed = cast(FileFailed, event)
            print(failed["file"], failed["kind"])

The keys of each type are exactly the properties the shipped JSON Schema
(:func:`ofxpost.event_schema`) gives that event, and its required keys are the
schema's required ones (a test checks both). :data:`EVENT_TYPES` maps each event
name to its type.
"""

# no ``from __future__ import annotations``: TypedDict must see NotRequired at run time
from typing import Literal, NotRequired, TypedDict

Level = Literal["info", "warning", "error"]
"""An event's ``level``."""

ErrorKindName = Literal["file", "extractor", "licence", "timeout", "crash", "memory", "unknown"]
"""An error kind, as written in events."""


class Envelope(TypedDict):
    """The five fields every event has."""

    event: str
    schema_version: int
    batch_id: str
    timestamp: str
    level: Level


class BatchStarted(Envelope):
    """``batch_started``: the first event of a batch."""

    total: int
    workers: int
    output_dir: str
    config: NotRequired[str | None]
    version: NotRequired[str]
    resume: NotRequired[bool]


class ModeSelected(Envelope):
    """``mode_selected``: the executor started (or the batch fell back to sequential)."""

    mode: Literal["parallel", "sequential", "dask"]
    reason: str
    workers: int
    pool_start_s: NotRequired[float]
    address: NotRequired[str]
    fallback: NotRequired[bool]


class FileWaiting(Envelope):
    """``file_waiting``: a file waits for a licence or for memory."""

    file: str
    index: int
    budget: Literal["licence", "memory"]
    needed_bytes: NotRequired[int | None]


class FileStarted(Envelope):
    """``file_started``: a worker picked a file up."""

    file: str
    index: int
    worker_pid: int | None
    attempt: int
    worker: NotRequired[str]


class FileRetry(Envelope):
    """``file_retry``: an attempt failed and the file will be tried again."""

    file: str
    index: int
    attempt: int
    kind: ErrorKindName
    delay_s: float
    message: NotRequired[str]


class FileTimeout(Envelope):
    """``file_timeout``: an attempt ran past ``timeout_per_file``."""

    file: str
    index: int
    timeout_s: float
    worker_pid: NotRequired[int | None]
    worker: NotRequired[str]


class WorkerCrashed(Envelope):
    """``worker_crashed``: the worker died while processing a file."""

    file: str
    index: int
    worker_pid: int | None
    exitcode: int | None
    attempt: NotRequired[int]
    message: NotRequired[str]
    worker: NotRequired[str]


class ExtractorFailed(Envelope):
    """``extractor_failed``: one extractor raised on a file."""

    file: str
    index: int
    plugin: str | None
    message: str


class FileFinished(Envelope):
    """``file_finished``: a file has results (``ok`` or ``partial``)."""

    file: str
    index: int
    status: Literal["ok", "partial"]
    duration_s: float
    worker_pid: NotRequired[int | None]
    peak_rss: NotRequired[int | None]
    attempts: NotRequired[int]
    reused: NotRequired[bool]
    log: NotRequired[str | None]


class FileFailed(Envelope):
    """``file_failed``: a file produced no results."""

    file: str
    index: int
    kind: ErrorKindName
    message: str
    plugin: NotRequired[str | None]
    worker_pid: NotRequired[int | None]
    attempts: NotRequired[int]
    duration_s: NotRequired[float]
    log: NotRequired[str | None]


class Progress(Envelope):
    """``progress``: after every finished or failed file."""

    done: int
    total: int
    failed: NotRequired[int]
    eta_s: NotRequired[float | None]


class Warning_(Envelope):
    """``warning``: something worth knowing that is not a file failure."""

    message: str
    file: NotRequired[str]


class AggregationStarted(Envelope):
    """``aggregation_started``: the finish phase began (aggregators, then writers)."""

    files: int


class OutputWritten(Envelope):
    """``output_written``: one output file was placed in ``output_dir``."""

    path: str
    bytes: int
    plugin: str


class AggregationFinished(Envelope):
    """``aggregation_finished``: every aggregator has run; the writers come next."""

    tables: int
    seconds: float


class OutputFailed(Envelope):
    """``output_failed``: an aggregator, a writer or the placing of one output failed."""

    stage: Literal["aggregator", "writer", "output"]
    plugin: str | None
    distribution: NotRequired[str | None]
    target: NotRequired[str | None]
    message: str
    traceback: NotRequired[str | None]


class PairedFile(TypedDict):
    """One simulation of ``inputs_paired``: the ``.sim`` named and the file read."""

    named: str
    read: str


class InputsPaired(Envelope):
    """``inputs_paired``: which of a ``.sim`` and its exported archive is read."""

    reader: Literal["orcfxapi", "archive"]
    reason: str
    count: int
    files: list[PairedFile]


class InternalError(Envelope):
    """``internal_error``: ofxpost found a bug in itself; the batch cannot exit 0."""

    message: str
    not_run: NotRequired[int]
    exception_type: NotRequired[str | None]


class BatchCancelled(Envelope):
    """``batch_cancelled``: the batch was cancelled; partial outputs follow."""

    done: int
    total: int
    reason: NotRequired[str]


class BatchFinished(Envelope):
    """``batch_finished``: always the last event."""

    total: int
    succeeded: int
    partial: int
    failed: int
    reused: NotRequired[int]
    wall_s: float
    cancelled: bool
    exit_code: int
    outputs: NotRequired[int]
    output_errors: NotRequired[int]
    progress_dropped: NotRequired[int]


AnyEvent = (
    BatchStarted
    | ModeSelected
    | FileWaiting
    | FileStarted
    | FileRetry
    | FileTimeout
    | WorkerCrashed
    | ExtractorFailed
    | FileFinished
    | FileFailed
    | Progress
    | Warning_
    | AggregationStarted
    | OutputWritten
    | AggregationFinished
    | InputsPaired
    | OutputFailed
    | InternalError
    | BatchCancelled
    | BatchFinished
)
"""Any event."""

EVENT_TYPES: dict[str, type] = {
    "batch_started": BatchStarted,
    "mode_selected": ModeSelected,
    "file_waiting": FileWaiting,
    "file_started": FileStarted,
    "file_retry": FileRetry,
    "file_timeout": FileTimeout,
    "worker_crashed": WorkerCrashed,
    "extractor_failed": ExtractorFailed,
    "file_finished": FileFinished,
    "file_failed": FileFailed,
    "progress": Progress,
    "warning": Warning_,
    "aggregation_started": AggregationStarted,
    "output_written": OutputWritten,
    "aggregation_finished": AggregationFinished,
    "inputs_paired": InputsPaired,
    "output_failed": OutputFailed,
    "internal_error": InternalError,
    "batch_cancelled": BatchCancelled,
    "batch_finished": BatchFinished,
}
"""The TypedDict of each event name."""
