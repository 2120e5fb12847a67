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
"""

from ofxpost import event_types
from ofxpost._version import __version__
from ofxpost.batch import BatchStream, RunOptions, load_config_async, open_batch, run, run_batch
from ofxpost.config import Config, ParallelProcessing
from ofxpost.errors import (
    ConfigError,
    OfxpostError,
    OutputDirLockedError,
    OutputError,
    PluginError,
    UnsupportedLoopError,
)
from ofxpost.events import SCHEMA_VERSION, Event, event_schema, validate_event
from ofxpost.loading import load_config
from ofxpost.markers import hookimpl, hookspec
from ofxpost.partial import Partial
from ofxpost.plan import Plan, make_plan
from ofxpost.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost.result import BatchResult, FileFailure, OutputFailure

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
