"""One :class:`~typing.TypedDict` per event, for embedders who type their handlers.

Every event is a plain dict at run time; these types describe it for a type checker::

    from typing import cast

    from ofxpost.event_types import FileFailed

    def on_event(event: dict) -> None:
        if event["event"] == "file_failed":
            failed = cast(FileFailed, event)
            print(failed["file"], failed["kind"])

These types are the one definition of the events: the shipped JSON Schema
(:func:`ofxpost.event_schema`) is generated from them (``python -m
ofxpost._events.schema`` rewrites it; a test checks the shipped file is current).
Constraints the schema states beyond the types are given with ``Annotated``
(:class:`Minimum`, :class:`MinLength`, :class:`Pattern`, :class:`Const`,
:class:`Description`). :data:`EVENT_TYPES` maps each event name to its type.
"""

# no ``from __future__ import annotations``: TypedDict must see NotRequired at run time
from dataclasses import dataclass
from typing import Annotated, Literal, NotRequired, TypedDict


@dataclass(frozen=True)
class Minimum:
    """Schema constraint of a number field: ``value`` is its least allowed value."""

    value: int | float


@dataclass(frozen=True)
class MinLength:
    """Schema constraint of a string field: its least length."""

    value: int


@dataclass(frozen=True)
class Pattern:
    """Schema constraint of a string field: a regular expression it matches."""

    regex: str


@dataclass(frozen=True)
class Const:
    """Schema constraint: the field always holds ``value``."""

    value: object


@dataclass(frozen=True)
class Description:
    """A field's description in the generated JSON Schema."""

    text: str


Level = Literal["info", "warning", "error"]
"""An event's ``level``."""

ErrorKindName = Literal["file", "extractor", "licence", "timeout", "crash", "memory", "unknown"]
"""An error kind, as written in events."""


TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$"
"""The form of every event's ``timestamp`` (UTC, ISO 8601)."""


WORKER_ADDRESS = Description(
    "Address of the cluster worker that ran the file (Dask executor; worker_pid is then null)."
)


class Envelope(TypedDict):
    """The five fields every event has (``event`` is one of :data:`EVENT_TYPES`)."""

    event: str
    schema_version: Annotated[int, Const(1)]
    batch_id: Annotated[str, MinLength(1)]
    timestamp: Annotated[str, Pattern(TIMESTAMP_PATTERN)]
    level: Level


class HookTime(TypedDict):
    """One plugin's time in one hook while a worker ran a file (``hook_s``)."""

    hook: str
    plugin: str
    seconds: Annotated[float, Minimum(0)]


HOOK_S = Description(
    "Seconds each plugin spent in ofxpost_open_simulation and ofxpost_extract on this file "
    "(measured in the worker; absent for a file that was not run or whose worker died)."
)


class ErrorFields(TypedDict):
    """The fields that attribute a failure (``file_failed``, ``extractor_failed``).

    Not an event: the failure events have these fields too.
    """

    hook: NotRequired[
        Annotated[
            str | None,
            Description(
                "The hook the plugin was running (for a crash or a timeout: the last "
                "hook the worker entered)."
            ),
        ]
    ]
    exception_type: NotRequired[
        Annotated[str | None, Description("The exception's module and qualified name.")]
    ]
    traceback: NotRequired[
        Annotated[
            str | None,
            Description("The traceback, cut to its last 4000 characters (full in the report)."),
        ]
    ]
    distribution: NotRequired[
        Annotated[
            str | None,
            Description("'<name> <version>' of the plugin's installed distribution, if known."),
        ]
    ]
    error_report: NotRequired[
        Annotated[
            str | None,
            Description("Path of the file's errors/*.json report (null: reports are off)."),
        ]
    ]


PLUGIN_AT_DEATH = Description(
    "The plugin the worker was running when it died or was killed (null: unknown)."
)
HOOK_AT_DEATH = Description("The hook the worker was running when it died or was killed.")


class BatchStarted(Envelope):
    """``batch_started``: the first event of a batch."""

    total: Annotated[int, Minimum(0)]
    workers: Annotated[int, Minimum(1)]
    output_dir: str
    config: NotRequired[str | None]
    version: NotRequired[str]
    resume: NotRequired[bool]
    licences: NotRequired[
        Annotated[int, Minimum(1), Description("Licence tokens (absent: unlimited).")]
    ]
    memory_budget_bytes: NotRequired[
        Annotated[
            int,
            Minimum(1),
            Description("Memory budget left for file data (absent: no memory budget)."),
        ]
    ]


class ModeSelected(Envelope):
    """``mode_selected``: the executor started (or the batch fell back to sequential)."""

    mode: Literal["parallel", "sequential", "dask"]
    reason: str
    workers: Annotated[int, Minimum(1)]
    pool_start_s: NotRequired[Annotated[float, Minimum(0)]]
    address: NotRequired[Annotated[str, Description("Scheduler address of the Dask executor.")]]
    executor: NotRequired[
        Annotated[
            str,
            Description(
                "Name of the executor that runs the files: parallel (the local process "
                "pool), sequential, dask, or a custom executor's name (mode is then parallel)."
            ),
        ]
    ]
    fallback: NotRequired[
        Annotated[
            bool,
            Description(
                "True when the executor could not be started and the batch fell back "
                "to sequential mode."
            ),
        ]
    ]


class FileWaiting(Envelope):
    """``file_waiting``: a file waits for a licence or for memory."""

    file: str
    index: Annotated[int, Minimum(0)]
    budget: Literal["licence", "memory"]
    needed_bytes: NotRequired[int | None]


class FileStarted(Envelope):
    """``file_started``: a worker picked a file up."""

    file: str
    index: Annotated[int, Minimum(0)]
    worker_pid: int | None
    attempt: Annotated[int, Minimum(1)]
    worker: NotRequired[Annotated[str, WORKER_ADDRESS]]
    licence: NotRequired[Annotated[bool, Description("The attempt holds a licence token.")]]
    memory_bytes: NotRequired[
        Annotated[int, Minimum(0), Description("Memory budget the attempt holds (bytes).")]
    ]


class FileRetry(Envelope):
    """``file_retry``: an attempt failed and the file will be tried again."""

    file: str
    index: Annotated[int, Minimum(0)]
    attempt: Annotated[int, Minimum(2)]
    kind: ErrorKindName
    delay_s: Annotated[float, Minimum(0)]
    message: NotRequired[str]


class FileTimeout(Envelope):
    """``file_timeout``: an attempt ran past ``timeout_per_file``."""

    file: str
    index: Annotated[int, Minimum(0)]
    timeout_s: float
    worker_pid: NotRequired[int | None]
    worker: NotRequired[Annotated[str, WORKER_ADDRESS]]
    plugin: NotRequired[Annotated[str | None, PLUGIN_AT_DEATH]]
    hook: NotRequired[Annotated[str | None, HOOK_AT_DEATH]]


class WorkerCrashed(Envelope):
    """``worker_crashed``: the worker died while processing a file."""

    file: str
    index: Annotated[int, Minimum(0)]
    worker_pid: int | None
    exitcode: int | None
    attempt: NotRequired[Annotated[int, Minimum(1)]]
    message: NotRequired[str]
    worker: NotRequired[Annotated[str, WORKER_ADDRESS]]
    plugin: NotRequired[Annotated[str | None, PLUGIN_AT_DEATH]]
    hook: NotRequired[Annotated[str | None, HOOK_AT_DEATH]]


class ExtractorFailed(Envelope, ErrorFields):
    """``extractor_failed``: one extractor raised on a file."""

    file: str
    index: Annotated[int, Minimum(0)]
    plugin: str | None
    message: str


class FileFinished(Envelope):
    """``file_finished``: a file has results (``ok`` or ``partial``)."""

    file: str
    index: Annotated[int, Minimum(0)]
    status: Literal["ok", "partial"]
    duration_s: Annotated[float, Minimum(0)]
    worker_pid: NotRequired[int | None]
    peak_rss: NotRequired[int | None]
    attempts: NotRequired[Annotated[int, Minimum(1)]]
    reused: NotRequired[bool]
    log: NotRequired[str | None]
    hook_s: NotRequired[Annotated[list[HookTime], HOOK_S]]


class FileFailed(Envelope, ErrorFields):
    """``file_failed``: a file produced no results."""

    file: str
    index: Annotated[int, Minimum(0)]
    kind: ErrorKindName
    message: str
    plugin: NotRequired[str | None]
    worker_pid: NotRequired[int | None]
    attempts: NotRequired[
        Annotated[
            int,
            Minimum(0),
            Description(
                "Attempts used; 0: the file was not run "
                "(parallel_processing.on_pool_failure: error)."
            ),
        ]
    ]
    duration_s: NotRequired[Annotated[float, Minimum(0)]]
    log: NotRequired[str | None]
    hook_s: NotRequired[Annotated[list[HookTime], HOOK_S]]


class Progress(Envelope):
    """``progress``: after every finished or failed file."""

    done: Annotated[int, Minimum(0)]
    total: Annotated[int, Minimum(0)]
    failed: NotRequired[Annotated[int, Minimum(0)]]
    eta_s: NotRequired[Annotated[float | None, Minimum(0)]]


class Warning_(Envelope):
    """``warning``: something worth knowing that is not a file failure."""

    message: str
    file: NotRequired[str]


class AggregationStarted(Envelope):
    """``aggregation_started``: the finish phase began (aggregators, then writers)."""

    files: Annotated[int, Minimum(0)]


class OutputWritten(Envelope):
    """``output_written``: one output file was placed in ``output_dir``."""

    path: str
    bytes: Annotated[int, Minimum(0)]
    plugin: str


class AggregationFinished(Envelope):
    """``aggregation_finished``: every aggregator has run; the writers come next."""

    tables: Annotated[int, Minimum(0)]
    seconds: Annotated[float, Minimum(0)]


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
    count: Annotated[int, Minimum(1)]
    files: list[PairedFile]


class InternalError(Envelope):
    """``internal_error``: ofxpost found a bug in itself; the batch cannot exit 0."""

    message: str
    not_run: NotRequired[Annotated[int, Minimum(0)]]
    exception_type: NotRequired[str | None]


class BatchCancelled(Envelope):
    """``batch_cancelled``: the batch was cancelled; partial outputs follow."""

    done: Annotated[int, Minimum(0)]
    total: Annotated[int, Minimum(0)]
    reason: NotRequired[str]


class BatchFinished(Envelope):
    """``batch_finished``: always the last event."""

    total: Annotated[int, Minimum(0)]
    succeeded: Annotated[int, Minimum(0)]
    partial: Annotated[int, Minimum(0)]
    failed: Annotated[int, Minimum(0)]
    reused: NotRequired[Annotated[int, Minimum(0)]]
    wall_s: Annotated[float, Minimum(0)]
    cancelled: bool
    exit_code: int
    outputs: NotRequired[Annotated[int, Minimum(0)]]
    output_errors: NotRequired[Annotated[int, Minimum(0)]]
    progress_dropped: NotRequired[
        Annotated[
            int,
            Minimum(0),
            Description(
                "progress events this output coalesced away because its reader fell behind."
            ),
        ]
    ]
    mode: NotRequired[
        Annotated[
            Literal["parallel", "sequential", "dask"],
            Description(
                "The mode the files ran in: the executor actually used (sequential after a "
                "fall-back)."
            ),
        ]
    ]


class WatchStarted(Envelope):
    """``watch_started``: ``ofxpost watch`` follows the inputs (first event of a watch)."""

    config: str | None
    output_dir: str
    inputs: Annotated[list[str], Description("The input patterns, as written.")]
    folders: Annotated[list[str], Description("The folders watched for changes.")]
    settle_s: Annotated[float, Minimum(0)]
    refresh_s: Annotated[float, Minimum(0)]
    idle_exit_s: NotRequired[Annotated[float | None, Minimum(0)]]
    max_files: NotRequired[Annotated[int | None, Minimum(1)]]


class InputDetected(Envelope):
    """``input_detected``: a new (or rewritten) input file appeared."""

    file: str
    size: Annotated[int, Minimum(0)]


class InputIncomplete(Envelope):
    """``input_incomplete``: an input is still being written (or cannot be read yet).

    Emitted once per file and size; the file is taken when it is complete.
    """

    file: str
    size: Annotated[int, Minimum(0)]
    reason: str


class InputComplete(Envelope):
    """``input_complete``: an input finished being written; it goes into the next refresh."""

    file: str
    size: Annotated[int, Minimum(0)]


class AllowableExceeded(Envelope):
    """``allowable_exceeded``: a finished file has a value beyond its allowable."""

    file: str
    group: str
    column: str
    value: float
    unit: Annotated[
        str | None, Description("The unit of value and allowable (null when none is known).")
    ]
    limit: Literal["max", "min"]
    allowable: float
    utilisation: Annotated[
        float | None,
        Description("value / max allowable, or min allowable / value (null when dividing by 0)."),
    ]


class CampaignProgress(Envelope):
    """``campaign_progress``: the campaign so far, after each refresh of a watch."""

    seen: Annotated[int, Minimum(0)]
    done: Annotated[int, Minimum(0)]
    failed: Annotated[int, Minimum(0)]
    breaches: Annotated[int, Minimum(0)]
    incomplete: Annotated[int, Minimum(0)]
    refreshes: Annotated[int, Minimum(0)]


class WatchFinished(Envelope):
    """``watch_finished``: the last event of a watch."""

    reason: Literal["idle", "max_files", "breach", "cancelled", "error"]
    exit_code: Annotated[int, Minimum(0)]
    done: Annotated[int, Minimum(0)]
    failed: Annotated[int, Minimum(0)]
    breaches: Annotated[int, Minimum(0)]
    refreshes: Annotated[int, Minimum(0)]


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
    | WatchStarted
    | InputDetected
    | InputIncomplete
    | InputComplete
    | AllowableExceeded
    | CampaignProgress
    | WatchFinished
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
    "watch_started": WatchStarted,
    "input_detected": InputDetected,
    "input_incomplete": InputIncomplete,
    "input_complete": InputComplete,
    "allowable_exceeded": AllowableExceeded,
    "campaign_progress": CampaignProgress,
    "watch_finished": WatchFinished,
}
"""The TypedDict of each event name."""
