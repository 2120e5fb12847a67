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
``validate_event``, ...) are resolved through :pep:`562` ``__getattr__``. In the
controller they are imported with the package (so that no first use holds a running
event loop); in a spawned worker process they are not imported at all, so a worker
that imports :mod:`ofxpost.worker` loads none of the controller's modules (anyio,
structlog, rich).
"""

from __future__ import annotations

import importlib
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
    from ofxpost.config import Config, ParallelProcessing, load_config
    from ofxpost.events import SCHEMA_VERSION, Event, event_schema, validate_event
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
    "load_config": "ofxpost.config",
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
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # later lookups skip this function
    return value


def _spawned_worker() -> bool:
    """Whether this interpreter is a ``multiprocessing`` child (an ofxpost worker).

    A child started with ``spawn`` (Linux, macOS and Windows alike) imports ofxpost
    while it unpickles its task, with ``current_process()._inheriting`` set; once
    running, ``parent_process()`` names its parent.
    """
    import multiprocessing

    if multiprocessing.parent_process() is not None:
        return True
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


if not _spawned_worker():
    # In the controller the engine is imported now, with the package: importing it
    # on first use (``await ofxpost.run_batch(...)``) would hold a running event loop
    # for ~0.5 s. Spawned workers skip it: they never use the engine.
    for _name in ("run", "Config", "validate_event", "Plan", "BatchResult"):
        __getattr__(_name)


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
