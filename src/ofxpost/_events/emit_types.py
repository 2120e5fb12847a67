"""The typed signature of ``EventEmitter.emit`` (generated: do not edit).

Rewritten by ``python -m ofxpost._events.emit_gen`` from
:mod:`ofxpost.event_types`; a test checks it is current. One ``<Type>Fields`` per
event (its fields without the envelope) and one ``emit`` overload per event name.
"""

# no ``from __future__ import annotations``: TypedDict must see NotRequired at run time
from typing import Any, Literal, NotRequired, TypedDict, Unpack, overload

from ofxpost.event_types import HookTime, Level, PairedFile


class BatchStartedFields(TypedDict):
    """The fields of ``batch_started`` (without the envelope)."""

    total: int
    workers: int
    output_dir: str
    config: NotRequired[str | None]
    version: NotRequired[str]
    resume: NotRequired[bool]
    licences: NotRequired[int]
    memory_budget_bytes: NotRequired[int]


class ModeSelectedFields(TypedDict):
    """The fields of ``mode_selected`` (without the envelope)."""

    mode: Literal["parallel", "sequential", "dask"]
    reason: str
    workers: int
    pool_start_s: NotRequired[float]
    address: NotRequired[str]
    executor: NotRequired[str]
    fallback: NotRequired[bool]


class FileWaitingFields(TypedDict):
    """The fields of ``file_waiting`` (without the envelope)."""

    file: str
    index: int
    budget: Literal["licence", "memory"]
    needed_bytes: NotRequired[int | None]


class FileStartedFields(TypedDict):
    """The fields of ``file_started`` (without the envelope)."""

    file: str
    index: int
    worker_pid: int | None
    attempt: int
    worker: NotRequired[str]
    licence: NotRequired[bool]
    memory_bytes: NotRequired[int]


class FileRetryFields(TypedDict):
    """The fields of ``file_retry`` (without the envelope)."""

    file: str
    index: int
    attempt: int
    kind: Literal["file", "extractor", "licence", "timeout", "crash", "memory", "unknown"]
    delay_s: float
    message: NotRequired[str]


class FileTimeoutFields(TypedDict):
    """The fields of ``file_timeout`` (without the envelope)."""

    file: str
    index: int
    timeout_s: float
    worker_pid: NotRequired[int | None]
    worker: NotRequired[str]
    plugin: NotRequired[str | None]
    hook: NotRequired[str | None]


class WorkerCrashedFields(TypedDict):
    """The fields of ``worker_crashed`` (without the envelope)."""

    file: str
    index: int
    worker_pid: int | None
    exitcode: int | None
    attempt: NotRequired[int]
    message: NotRequired[str]
    worker: NotRequired[str]
    plugin: NotRequired[str | None]
    hook: NotRequired[str | None]


class ExtractorFailedFields(TypedDict):
    """The fields of ``extractor_failed`` (without the envelope)."""

    hook: NotRequired[str | None]
    exception_type: NotRequired[str | None]
    traceback: NotRequired[str | None]
    distribution: NotRequired[str | None]
    error_report: NotRequired[str | None]
    file: str
    index: int
    plugin: str | None
    message: str


class FileFinishedFields(TypedDict):
    """The fields of ``file_finished`` (without the envelope)."""

    file: str
    index: int
    status: Literal["ok", "partial"]
    duration_s: float
    worker_pid: NotRequired[int | None]
    peak_rss: NotRequired[int | None]
    attempts: NotRequired[int]
    reused: NotRequired[bool]
    log: NotRequired[str | None]
    hook_s: NotRequired[list[HookTime]]


class FileFailedFields(TypedDict):
    """The fields of ``file_failed`` (without the envelope)."""

    hook: NotRequired[str | None]
    exception_type: NotRequired[str | None]
    traceback: NotRequired[str | None]
    distribution: NotRequired[str | None]
    error_report: NotRequired[str | None]
    file: str
    index: int
    kind: Literal["file", "extractor", "licence", "timeout", "crash", "memory", "unknown"]
    message: str
    plugin: NotRequired[str | None]
    worker_pid: NotRequired[int | None]
    attempts: NotRequired[int]
    duration_s: NotRequired[float]
    log: NotRequired[str | None]
    hook_s: NotRequired[list[HookTime]]


class ProgressFields(TypedDict):
    """The fields of ``progress`` (without the envelope)."""

    done: int
    total: int
    failed: NotRequired[int]
    eta_s: NotRequired[float | None]


class WarningFields(TypedDict):
    """The fields of ``warning`` (without the envelope)."""

    message: str
    file: NotRequired[str]


class AggregationStartedFields(TypedDict):
    """The fields of ``aggregation_started`` (without the envelope)."""

    files: int


class OutputWrittenFields(TypedDict):
    """The fields of ``output_written`` (without the envelope)."""

    path: str
    bytes: int
    plugin: str


class AggregationFinishedFields(TypedDict):
    """The fields of ``aggregation_finished`` (without the envelope)."""

    tables: int
    seconds: float


class InputsPairedFields(TypedDict):
    """The fields of ``inputs_paired`` (without the envelope)."""

    reader: Literal["orcfxapi", "archive"]
    reason: str
    count: int
    files: list[PairedFile]


class OutputFailedFields(TypedDict):
    """The fields of ``output_failed`` (without the envelope)."""

    stage: Literal["aggregator", "writer", "output"]
    plugin: str | None
    distribution: NotRequired[str | None]
    target: NotRequired[str | None]
    message: str
    traceback: NotRequired[str | None]


class InternalErrorFields(TypedDict):
    """The fields of ``internal_error`` (without the envelope)."""

    message: str
    not_run: NotRequired[int]
    exception_type: NotRequired[str | None]


class BatchCancelledFields(TypedDict):
    """The fields of ``batch_cancelled`` (without the envelope)."""

    done: int
    total: int
    reason: NotRequired[str]


class BatchFinishedFields(TypedDict):
    """The fields of ``batch_finished`` (without the envelope)."""

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
    mode: NotRequired[Literal["parallel", "sequential", "dask"]]


class WatchStartedFields(TypedDict):
    """The fields of ``watch_started`` (without the envelope)."""

    config: str | None
    output_dir: str
    inputs: list[str]
    folders: list[str]
    settle_s: float
    refresh_s: float
    idle_exit_s: NotRequired[float | None]
    max_files: NotRequired[int | None]


class InputDetectedFields(TypedDict):
    """The fields of ``input_detected`` (without the envelope)."""

    file: str
    size: int


class InputIncompleteFields(TypedDict):
    """The fields of ``input_incomplete`` (without the envelope)."""

    file: str
    size: int
    reason: str


class InputCompleteFields(TypedDict):
    """The fields of ``input_complete`` (without the envelope)."""

    file: str
    size: int


class AllowableExceededFields(TypedDict):
    """The fields of ``allowable_exceeded`` (without the envelope)."""

    file: str
    group: str
    column: str
    value: float
    unit: str | None
    limit: Literal["max", "min"]
    allowable: float
    utilisation: float | None


class CampaignProgressFields(TypedDict):
    """The fields of ``campaign_progress`` (without the envelope)."""

    seen: int
    done: int
    failed: int
    breaches: int
    incomplete: int
    refreshes: int


class WatchFinishedFields(TypedDict):
    """The fields of ``watch_finished`` (without the envelope)."""

    reason: Literal["idle", "max_files", "breach", "cancelled", "error"]
    exit_code: int
    done: int
    failed: int
    breaches: int
    refreshes: int


class TypedEmit:
    """``emit`` with one overload per event (see the module)."""

    @overload
    def emit(
        self,
        event: Literal["batch_started"],
        *,
        level: Level = ...,
        **fields: Unpack[BatchStartedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["mode_selected"],
        *,
        level: Level = ...,
        **fields: Unpack[ModeSelectedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["file_waiting"],
        *,
        level: Level = ...,
        **fields: Unpack[FileWaitingFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["file_started"],
        *,
        level: Level = ...,
        **fields: Unpack[FileStartedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["file_retry"],
        *,
        level: Level = ...,
        **fields: Unpack[FileRetryFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["file_timeout"],
        *,
        level: Level = ...,
        **fields: Unpack[FileTimeoutFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["worker_crashed"],
        *,
        level: Level = ...,
        **fields: Unpack[WorkerCrashedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["extractor_failed"],
        *,
        level: Level = ...,
        **fields: Unpack[ExtractorFailedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["file_finished"],
        *,
        level: Level = ...,
        **fields: Unpack[FileFinishedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["file_failed"],
        *,
        level: Level = ...,
        **fields: Unpack[FileFailedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["progress"],
        *,
        level: Level = ...,
        **fields: Unpack[ProgressFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["warning"],
        *,
        level: Level = ...,
        **fields: Unpack[WarningFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["aggregation_started"],
        *,
        level: Level = ...,
        **fields: Unpack[AggregationStartedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["output_written"],
        *,
        level: Level = ...,
        **fields: Unpack[OutputWrittenFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["aggregation_finished"],
        *,
        level: Level = ...,
        **fields: Unpack[AggregationFinishedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["inputs_paired"],
        *,
        level: Level = ...,
        **fields: Unpack[InputsPairedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["output_failed"],
        *,
        level: Level = ...,
        **fields: Unpack[OutputFailedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["internal_error"],
        *,
        level: Level = ...,
        **fields: Unpack[InternalErrorFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["batch_cancelled"],
        *,
        level: Level = ...,
        **fields: Unpack[BatchCancelledFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["batch_finished"],
        *,
        level: Level = ...,
        **fields: Unpack[BatchFinishedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["watch_started"],
        *,
        level: Level = ...,
        **fields: Unpack[WatchStartedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["input_detected"],
        *,
        level: Level = ...,
        **fields: Unpack[InputDetectedFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["input_incomplete"],
        *,
        level: Level = ...,
        **fields: Unpack[InputIncompleteFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["input_complete"],
        *,
        level: Level = ...,
        **fields: Unpack[InputCompleteFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["allowable_exceeded"],
        *,
        level: Level = ...,
        **fields: Unpack[AllowableExceededFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["campaign_progress"],
        *,
        level: Level = ...,
        **fields: Unpack[CampaignProgressFields],
    ) -> None: ...

    @overload
    def emit(
        self,
        event: Literal["watch_finished"],
        *,
        level: Level = ...,
        **fields: Unpack[WatchFinishedFields],
    ) -> None: ...

    def emit(self, event: str, *, level: Level = "info", **fields: Any) -> None:
        """Emit ``event`` with ``fields`` at ``level``."""
        self._emit(event, level, fields)

    def _emit(self, event: str, level: Level, fields: dict[str, Any]) -> None:
        """Build and deliver the event (the emitter implements it)."""
        raise NotImplementedError
