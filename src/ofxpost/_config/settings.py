"""The keys the core owns, as pydantic models: ``inputs``, ``output_dir``, ``plugins``,
``disable_plugins``, ``parallel_processing``, ``logging`` and ``watch``.

:class:`CoreConfig` is the whole; :mod:`ofxpost._config.model` wraps it, with the
plugins' sections, in a :class:`~ofxpost._config.model.Config`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ofxpost._core.sizes import parse_size


class DaskSettings(BaseModel):
    """The ``parallel_processing.dask`` section (used when ``executor: dask``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str | None = None
    """Scheduler to use (``tcp://host:port``); ``null``: start a local cluster."""
    n_workers: int | Literal["auto"] = "auto"
    """Local cluster only: worker processes (``auto``: as many as the local pool's)."""
    resources: dict[str, float] = Field(default_factory=dict)
    """Abstract resources each file needs on a worker (e.g. ``{ORCAFLEX: 1}``)."""
    licence_semaphore: str = "ofxpost-licences"
    """Name of the cluster-wide licence semaphore shared by batches (with ``licences``)."""
    scheduler_timeout: float = Field(default=30.0, gt=0, le=3600)
    """Seconds without a connection to the scheduler after which it counts as lost:
    every unfinished file then fails (``crash``), later ones are not sent, and the
    batch ends (exit 1; ``--resume`` runs the rest)."""

    @field_validator("n_workers")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("must be at least 1 or 'auto'")
        return value


class ParallelProcessing(BaseModel):
    """The ``parallel_processing`` section: workers, budgets, timeouts and retries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    """Run files in a process pool (``false``: one after another, in one worker process)."""
    max_workers: int | Literal["auto"] = Field(default="auto")
    """Worker processes; ``auto`` = min(CPUs, files, licences, what fits in memory)."""
    timeout_per_file: float | None = Field(default=None, gt=0)
    """Seconds one file may run; past it its worker is terminated (``null``: no limit)."""
    save_error_reports: bool = True
    """Write one JSON report per failed file under ``output_dir/errors``."""
    progress_reporting: bool = True
    """Show a progress bar on a terminal (JSON events otherwise)."""
    auto_optimize: bool = True
    """Accepted for digitalmodel configs; worker counts come from the budgets instead."""
    licences: int | None = Field(default=None, ge=1)
    """At most this many OrcaFlex files open at once (``null``: unlimited)."""
    memory_budget: str | int | None = None
    """Memory for the whole process tree: ``auto``, a size (``16GiB``) or ``null`` (none)."""
    memory_per_file: str | int = "auto"
    """Estimated peak memory of one file: ``auto`` (learnt) or a size."""
    retries: int = Field(default=0, ge=0)
    """Extra attempts for files failing with kind ``file`` or ``unknown``."""
    crash_retries: int = Field(default=1, ge=0)
    """Extra attempts, in a fresh worker, for a file whose worker died."""
    licence_wait: float = Field(default=600.0, ge=0)
    """Seconds to keep retrying a licence error before the file fails."""
    licence_backoff: float = Field(default=5.0, gt=0)
    """First delay (seconds) of the jittered exponential licence backoff."""
    max_tasks_per_child: int | None = Field(default=None, ge=1)
    """Replace a worker process after this many files (releases native memory)."""
    orcfxapi_threads: int = Field(default=1, ge=1)
    """``threadCount`` for ``OrcFxAPI.Model``; 1 avoids oversubscribing the CPUs."""
    executor: Literal["local", "sequential", "dask"] = "local"
    """``local``: a process pool here; ``sequential``: one worker process; ``dask``: Dask."""
    dask: DaskSettings = Field(default_factory=DaskSettings)
    """Where and how the ``dask`` executor runs (see ``docs/scale-out.md``)."""
    on_pool_failure: Literal["sequential", "error"] = "sequential"
    """When the process pool (or the Dask cluster) cannot be started: ``sequential``
    runs the files one after another in the controller, announced by a ``warning``
    event; ``error`` runs none of them and fails each (exit code 1)."""

    @field_validator("max_workers")
    @classmethod
    def _positive_workers(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("must be at least 1 or 'auto'")
        return value

    @field_validator("memory_budget")
    @classmethod
    def _check_budget(cls, value: str | int | None) -> str | int | None:
        if value is None or value == "auto":
            return value
        parse_size(value)
        return value

    @field_validator("memory_per_file")
    @classmethod
    def _check_per_file(cls, value: str | int) -> str | int:
        if value != "auto":
            parse_size(value)
        return value


LogLevel = Literal["debug", "info", "warning", "error"]
"""Event levels, least severe first (ofxpost emits no ``debug`` events yet)."""

LogFormat = Literal["auto", "json", "console", "ecs"]
"""How ``ofxpost run`` shows events (see ``docs/events.md``)."""


class LoggingSettings(BaseModel):
    """The ``logging`` section: where and how ``ofxpost run`` reports events.

    Used by the command line only; ``--log-file``/``--log-level``/``--log-format``
    and the ``OFXPOST_LOG_FILE``/``OFXPOST_LOG_LEVEL`` environment variables take
    precedence.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str | None = None
    """Also write every event as a JSON line to this file (relative to the config)."""
    level: LogLevel | None = None
    """Least severe event level shown and written (default ``info``)."""
    format: LogFormat | None = None
    """``auto`` (default), ``json``, ``console`` or ``ecs``."""


class OnBreach(BaseModel):
    """``watch.on_breach``: what ``ofxpost watch`` does when a file exceeds an allowable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stop: bool = False
    """End the watch (exit 1) after the breaching file's outputs are refreshed."""
    command: str | list[str] | None = None
    """Run this command with the ``allowable_exceeded`` event as JSON on its standard
    input: a list is the program and its arguments; a string is split like a shell
    command line (no shell is used)."""
    command_timeout_s: float = Field(default=60.0, gt=0)
    """A command still running after this many seconds is killed (a warning)."""


class WatchSettings(BaseModel):
    """The ``watch`` section: how ``ofxpost watch`` follows a running campaign.

    Used by ``ofxpost watch`` only; it never changes a file's results (not in the
    ``--resume`` hash).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    settle_s: float = Field(default=1.0, ge=0)
    """A file counts as complete once its size and modification time have not
    changed for this many seconds and it can be read (an archive: its Parquet footer)."""
    refresh_s: float = Field(default=0.0, ge=0)
    """Refresh the outputs at most every this many seconds; 0 (default): after each
    completed file (files completing during a refresh are taken together next)."""
    poll_s: float = Field(default=0.25, gt=0)
    """How often files still being written are looked at again."""
    on_breach: OnBreach = Field(default_factory=OnBreach)
    """What to do when a completed file exceeds an allowable."""


class CoreConfig(BaseModel):
    """The keys the core owns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inputs: list[str] = Field(min_length=1)
    """Input files and glob patterns, relative to the config file's folder."""
    output_dir: str = "results"
    """Where tables, plots, error reports and the result store go."""
    plugins: list[str] = Field(default_factory=list)
    """Importable module names registered as plugins."""
    disable_plugins: list[str] = Field(default_factory=list)
    """Plugins not to load (names as ``ofxpost plugins`` lists them, or an installed
    plugin's distribution name); also ``--disable-plugin NAME``."""
    parallel_processing: ParallelProcessing = Field(default_factory=ParallelProcessing)
    """Workers, budgets, timeouts and retries."""
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    """Where and how the command line reports events."""
    watch: WatchSettings = Field(default_factory=WatchSettings)
    """How ``ofxpost watch`` follows a running campaign."""

    @field_validator("inputs", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


CORE_KEYS = tuple(CoreConfig.model_fields)
