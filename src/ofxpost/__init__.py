"""ofxpost: parallel, fault-tolerant post-processing of OrcaFlex simulation batches.

The public API::

    import ofxpost

    result = ofxpost.run("batch.yml")            # from a script
    result = await ofxpost.run_batch("batch.yml")  # inside a running event loop

    async with ofxpost.open_batch("batch.yml") as batch:   # events as they happen
        async for event in batch:
            ...

Every error raised on purpose derives from :class:`OfxpostError` (the whole tree is
in :mod:`ofxpost.errors`); events are typed in :mod:`ofxpost.event_types`.

Plugins implement the hooks in :mod:`ofxpost.hookspecs` with :data:`hookimpl`; what
else they need is in :mod:`ofxpost.plugin`. The result archive is
:mod:`ofxpost.archive`, the OrcFxAPI names :mod:`ofxpost.ofx`, the test kit
:mod:`ofxpost.testing`. Every other module is private (its name starts with ``_``).
Importing ofxpost configures no logging and imports no OrcaFlex module.

The names that need the engine (``run``, ``run_batch``, ``Config``,
``validate_event``, ...) are imported on first use (:pep:`562` ``__getattr__``), so
a worker process that imports :mod:`ofxpost._worker.worker` loads none of the controller's
modules (anyio, structlog, rich). ``run_batch`` and ``open_batch`` used inside a
running event loop before the engine is loaded import it on a thread, so that the
import never holds the loop.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Unpack

from ofxpost._core.markers import hookimpl, hookspec
from ofxpost._core.partial import Partial
from ofxpost._core.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost._version import __version__
from ofxpost.errors import (
    ArchiveError,
    ArtifactError,
    ConfigError,
    EncodeError,
    ExecutorError,
    ExecutorUnavailable,
    InvalidEventError,
    LoadMatrixError,
    MemoryLimitExceeded,
    NotInArchiveError,
    NotSupported,
    ObjectNotFound,
    OfxpostError,
    OrcaFlexUnavailableError,
    OutputDirLockedError,
    OutputError,
    OutputWriteError,
    PlotProcessDied,
    PluginError,
    PluginNotImportable,
    PoolStartError,
    PoolStartFailed,
    RemoteError,
    SelectionError,
    SimulationError,
    SimulationStateError,
    TablesNotWritten,
    TaskKilled,
    UnitConversionError,
    UnknownObjectError,
    UnsupportedLoopError,
    WorkerDied,
    YamlProblem,
)

if TYPE_CHECKING:
    from ofxpost import event_types
    from ofxpost._cli.main import main
    from ofxpost._config.model import Config, ParallelProcessing
    from ofxpost._config.plan import Plan, make_plan
    from ofxpost._core.result import BatchResult, FileFailure, OutputFailure
    from ofxpost._engine.batch import (
        BatchStream,
        ConfigSource,
        RunOptions,
        load_config_async,
        open_batch,
        run,
        run_batch,
    )
    from ofxpost._engine.cancel import CancelHandle
    from ofxpost._events.emitter import SCHEMA_VERSION, Event, event_schema, validate_event
    from ofxpost._events.metrics import MetricsSink
    from ofxpost._events.otel import OtelMetricsSink
    from ofxpost._events.sink_thread import ThreadedSink
    from ofxpost._executors.dask import dask_executor
    from ofxpost._plugins.loading import load_config
    from ofxpost._store.artifacts import artifact_path
    from ofxpost._watch.watcher import WatchResult, watch, watch_batch

_LAZY: dict[str, str] = {
    "CancelHandle": "ofxpost._engine.cancel",
    "dask_executor": "ofxpost._executors.dask",
    "BatchStream": "ofxpost._engine.batch",
    "RunOptions": "ofxpost._engine.batch",
    "load_config_async": "ofxpost._engine.batch",
    "open_batch": "ofxpost._engine.batch",
    "run": "ofxpost._engine.batch",
    "run_batch": "ofxpost._engine.batch",
    "Config": "ofxpost._config.model",
    "ParallelProcessing": "ofxpost._config.model",
    "load_config": "ofxpost._plugins.loading",
    "SCHEMA_VERSION": "ofxpost._events.emitter",
    "Event": "ofxpost._events.emitter",
    "event_schema": "ofxpost._events.emitter",
    "validate_event": "ofxpost._events.emitter",
    "Plan": "ofxpost._config.plan",
    "make_plan": "ofxpost._config.plan",
    "BatchResult": "ofxpost._core.result",
    "FileFailure": "ofxpost._core.result",
    "OutputFailure": "ofxpost._core.result",
    "artifact_path": "ofxpost._store.artifacts",
    "main": "ofxpost._cli.main",
    "MetricsSink": "ofxpost._events.metrics",
    "OtelMetricsSink": "ofxpost._events.otel",
    "ThreadedSink": "ofxpost._events.sink_thread",
    "WatchResult": "ofxpost._watch.watcher",
    "watch": "ofxpost._watch.watcher",
    "watch_batch": "ofxpost._watch.watcher",
}
"""Public name -> the module that defines it, imported on first access."""


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access (:pep:`562`)."""
    if name == "event_types":
        module = importlib.import_module("ofxpost.event_types")
        globals()[name] = module
        return module
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'ofxpost' has no attribute {name!r}")
    if name in _FIRST_USE and where not in sys.modules:
        return _FIRST_USE[name]  # not cached: the real function once the module is in
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # later lookups skip this function
    return value


async def _import_off_loop(name: str) -> Any:
    """Import module ``name`` on a worker thread, so that the import does not hold the
    caller's running event loop (asyncio or trio, through anyio)."""
    if name in sys.modules:
        return sys.modules[name]
    import anyio.to_thread

    return await anyio.to_thread.run_sync(importlib.import_module, name)


async def _run_batch_first_use(
    config: ConfigSource | Plan, **options: Unpack[RunOptions]
) -> BatchResult:
    """:func:`ofxpost.run_batch`, its module imported off the event loop."""
    module = await _import_off_loop("ofxpost._engine.batch")
    result: BatchResult = await module.run_batch(config, **options)
    return result


@contextlib.asynccontextmanager
async def _open_batch_first_use(
    config: ConfigSource, **options: Unpack[RunOptions]
) -> AsyncIterator[BatchStream]:
    """:func:`ofxpost.open_batch`, its module imported off the event loop."""
    module = await _import_off_loop("ofxpost._engine.batch")
    async with module.open_batch(config, **options) as batch:
        yield batch


for _wrapper, _name in ((_run_batch_first_use, "run_batch"), (_open_batch_first_use, "open_batch")):
    # the same name as the real function: the signatures are the same already
    _wrapper.__name__ = _wrapper.__qualname__ = _name
del _wrapper, _name


_FIRST_USE: dict[str, Any] = {
    "run_batch": _run_batch_first_use,
    "open_batch": _open_batch_first_use,
}
"""Coroutine entry points that, used before ``ofxpost._engine.batch`` is imported, import it
on a thread: the ~0.5 s import must not hold the caller's running event loop."""


def __dir__() -> list[str]:
    """The module's names, lazy ones included."""
    return sorted({*globals(), *__all__})


__all__ = [
    "SCHEMA_VERSION",
    "ArchiveError",
    "ArtifactError",
    "BatchResult",
    "BatchStream",
    "CancelHandle",
    "Config",
    "ConfigError",
    "EncodeError",
    "ErrorKind",
    "ErrorRecord",
    "Event",
    "ExecutorError",
    "ExecutorUnavailable",
    "FileFailure",
    "FileRecord",
    "FileStatus",
    "InvalidEventError",
    "Job",
    "LoadMatrixError",
    "MemoryLimitExceeded",
    "MetricsSink",
    "NotInArchiveError",
    "NotSupported",
    "ObjectNotFound",
    "OfxpostError",
    "OrcaFlexUnavailableError",
    "OtelMetricsSink",
    "OutputDirLockedError",
    "OutputError",
    "OutputFailure",
    "OutputWriteError",
    "ParallelProcessing",
    "Partial",
    "Plan",
    "PlotProcessDied",
    "PluginError",
    "PluginNotImportable",
    "PoolStartError",
    "PoolStartFailed",
    "RemoteError",
    "RunOptions",
    "SelectionError",
    "SimulationError",
    "SimulationStateError",
    "TablesNotWritten",
    "TaskKilled",
    "ThreadedSink",
    "UnitConversionError",
    "UnknownObjectError",
    "UnsupportedLoopError",
    "WatchResult",
    "WorkerDied",
    "YamlProblem",
    "__version__",
    "artifact_path",
    "dask_executor",
    "event_schema",
    "event_types",
    "hookimpl",
    "hookspec",
    "load_config",
    "load_config_async",
    "main",
    "make_plan",
    "open_batch",
    "run",
    "run_batch",
    "validate_event",
    "watch",
    "watch_batch",
]
