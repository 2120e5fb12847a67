"""ofxpost: parallel, fault-tolerant post-processing of OrcaFlex simulation batches.

The public API::

    import ofxpost

    result = ofxpost.run("batch.yml")            # from a script
    result = await ofxpost.run_batch("batch.yml")  # inside a running event loop

    async with ofxpost.open_batch("batch.yml") as batch:   # events as they happen
        async for event in batch:
            ...

Every error raised on purpose derives from :class:`OfxpostError`; events are typed in
:mod:`ofxpost.event_types`.

Plugins implement the hooks in :mod:`ofxpost.hookspecs` with :data:`hookimpl`.
Importing ofxpost configures no logging and imports no OrcaFlex module.

The names that need the engine (``run``, ``run_batch``, ``Config``,
``validate_event``, ...) are imported on first use (:pep:`562` ``__getattr__``), so
a worker process that imports :mod:`ofxpost.worker` loads none of the controller's
modules (anyio, structlog, rich). ``run_batch`` and ``open_batch`` used inside a
running event loop before the engine is loaded import it on a thread, so that the
import never holds the loop.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ofxpost._version import __version__
from ofxpost.errors import (
    ConfigError,
    OfxpostError,
    OutputDirLockedError,
    OutputError,
    PluginError,
    UnsupportedLoopError,
)
from ofxpost.markers import hookimpl, hookspec
from ofxpost.partial import Partial
from ofxpost.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job

if TYPE_CHECKING:
    from ofxpost import event_types
    from ofxpost.batch import (
        BatchStream,
        RunOptions,
        load_config_async,
        open_batch,
        run,
        run_batch,
    )
    from ofxpost.config import Config, ParallelProcessing
    from ofxpost.events import SCHEMA_VERSION, Event, event_schema, validate_event
    from ofxpost.loading import load_config
    from ofxpost.plan import Plan, make_plan
    from ofxpost.result import BatchResult, FileFailure, OutputFailure

_LAZY: dict[str, str] = {
    "BatchStream": "ofxpost.batch",
    "RunOptions": "ofxpost.batch",
    "load_config_async": "ofxpost.batch",
    "open_batch": "ofxpost.batch",
    "run": "ofxpost.batch",
    "run_batch": "ofxpost.batch",
    "Config": "ofxpost.config",
    "ParallelProcessing": "ofxpost.config",
    "load_config": "ofxpost.loading",
    "SCHEMA_VERSION": "ofxpost.events",
    "Event": "ofxpost.events",
    "event_schema": "ofxpost.events",
    "validate_event": "ofxpost.events",
    "Plan": "ofxpost.plan",
    "make_plan": "ofxpost.plan",
    "BatchResult": "ofxpost.result",
    "FileFailure": "ofxpost.result",
    "OutputFailure": "ofxpost.result",
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
    """Import module ``name`` without holding a running asyncio loop (a thread does it)."""
    if name in sys.modules:
        return sys.modules[name]
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # another event loop library: import here
        return importlib.import_module(name)
    return await loop.run_in_executor(None, importlib.import_module, name)


async def _run_batch_first_use(config: Any, **options: Any) -> Any:
    """:func:`ofxpost.batch.run_batch`, its module imported off the event loop."""
    module = await _import_off_loop("ofxpost.batch")
    return await module.run_batch(config, **options)


@contextlib.asynccontextmanager
async def _open_batch_first_use(config: Any, **options: Any) -> AsyncIterator[Any]:
    """:func:`ofxpost.batch.open_batch`, its module imported off the event loop."""
    module = await _import_off_loop("ofxpost.batch")
    async with module.open_batch(config, **options) as batch:
        yield batch


_FIRST_USE: dict[str, Any] = {
    "run_batch": _run_batch_first_use,
    "open_batch": _open_batch_first_use,
}
"""Coroutine entry points that, used before ``ofxpost.batch`` is imported, import it
on a thread: the ~0.5 s import must not hold the caller's running event loop."""


def __dir__() -> list[str]:
    """The module's names, lazy ones included."""
    return sorted({*globals(), *__all__})


__all__ = [
    "SCHEMA_VERSION",
    "BatchResult",
    "BatchStream",
    "Config",
    "ConfigError",
    "ErrorKind",
    "ErrorRecord",
    "Event",
    "FileFailure",
    "FileRecord",
    "FileStatus",
    "Job",
    "OfxpostError",
    "OutputDirLockedError",
    "OutputError",
    "OutputFailure",
    "ParallelProcessing",
    "Partial",
    "Plan",
    "PluginError",
    "RunOptions",
    "UnsupportedLoopError",
    "__version__",
    "event_schema",
    "event_types",
    "hookimpl",
    "hookspec",
    "load_config",
    "load_config_async",
    "make_plan",
    "open_batch",
    "run",
    "run_batch",
    "validate_event",
]
