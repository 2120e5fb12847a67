"""The per-file function: the only code that runs in worker processes.

:func:`run_job` opens one file through the loader hook, calls every extractor with
its errors captured per plugin, encodes the results and returns a small picklable
:class:`~ofxpost.FileRecord`. The ``--in-process`` path (debugging only) calls the
same function in the controller, in input order.
"""

from __future__ import annotations

import gc
import json
import os
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pluggy

from ofxpost._config.model import Config
from ofxpost._config.plan import WorkerSetup
from ofxpost._core.codec import to_jsonable
from ofxpost._core.partial import Partial, item_errors
from ofxpost._core.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost._plugins.loading import validate_config
from ofxpost._plugins.manager import call_each, get_plugin_manager, implementer, trace_call
from ofxpost._store.artifacts import collecting
from ofxpost._store.fingerprint import fingerprint
from ofxpost._worker.capture import captured, log_path, silence_std_fds
from ofxpost._worker.whereabouts import HookMarker


@dataclass
class WorkerState:
    """The plugin manager and config a worker process rebuilt from its setup."""

    pm: pluggy.PluginManager
    config: Config


_STATE: WorkerState | None = None


def init_worker(setup: WorkerSetup) -> None:
    """Pool initializer: rebuild the plugins and the config from ``setup``."""
    global _STATE
    pm = get_plugin_manager(setup.plugin_spec)
    config = validate_config(setup.raw_config, base_dir=setup.base_dir, source=setup.source)
    _STATE = WorkerState(pm, config)
    silence_std_fds()  # between files, plugin output goes nowhere near the controller
    # the imports and the plugins are never scanned again: a full collection then
    # looks only at what the files make (see benchmarks/gc_pauses.py); no collection
    # first, which would add tens of milliseconds to every worker's start
    gc.freeze()


def process_job(job: Job) -> FileRecord:
    """Process one file with this process's plugins (the function sent to workers).

    The record carries the file's content fingerprint (for ``--resume``), taken before
    the file is opened, so that the controller does not read the input again.
    Descriptors 1 and 2 point at the file's log while it runs (see :mod:`ofxpost._worker.capture`).
    """
    if _STATE is None:
        raise RuntimeError("worker not initialised: init_worker() was not called")
    content = fingerprint(job.path)  # for the result store: the controller reads no input
    record = run_job_logged(_STATE.pm, _STATE.config, job)
    record.fingerprint = content
    return record


def run_job_logged(
    pm: pluggy.PluginManager, config: Config, job: Job, *, python_level: bool = False
) -> FileRecord:
    """:func:`run_job` with the plugins' output sent to the file's log.

    :param python_level: also swap ``sys.stdout``/``sys.stderr`` (``--in-process``,
        where they need not be descriptors 1 and 2 of this process).
    """
    path = log_path(config.output_dir.absolute(), job)
    with captured(path, append=job.attempt > 1, python_level=python_level):
        record = run_job(pm, config, job)
    record.log = str(path) if path.exists() else None
    return record


def run_job(pm: pluggy.PluginManager, config: Config, job: Job) -> FileRecord:
    """Open ``job``'s file, run every extractor, and return its record. Never raises.

    Artifacts the extractors write (:mod:`ofxpost._store.artifacts`) are listed in the
    record; a failed file lists none.
    """
    output_dir = config.output_dir.absolute()
    with collecting(output_dir, job) as names, HookMarker(output_dir, job) as marker:
        record = _run_job(pm, config, job, marker)
    if not record.failed:
        record.artifacts = list(names)
    return record


def _run_job(
    pm: pluggy.PluginManager, config: Config, job: Job, marker: HookMarker
) -> FileRecord:
    start = time.perf_counter()
    pid = os.getpid()
    hook_s: list[tuple[str, str, float]] = []

    def finish(status: FileStatus, errors: list[ErrorRecord], payload: str = "{}") -> FileRecord:
        return FileRecord(
            hook_s=hook_s,
            index=job.index,
            path=job.path,
            status=status,
            errors=errors,
            duration_s=time.perf_counter() - start,
            worker_pid=pid,
            attempts=job.attempt,
            payload=payload,
        )

    try:
        model = _open(pm, config, job, marker, hook_s)
    except BaseException as exc:  # sys.exit() or KeyboardInterrupt in a plugin fails the file
        marker.mark("ofxpost_classify_error", None)
        kind = classify_error(pm, exc, "open", ErrorKind.FILE)
        loader = implementer(pm.hook.ofxpost_open_simulation, exc)  # the loader that raised
        error = _error(kind, exc, job, plugin=loader, hook="ofxpost_open_simulation")
        return finish(FileStatus.FAILED, [error])
    if model is None:
        message = f"{job.path}: no loader handles '{job.path.suffix}' files"
        return finish(FileStatus.FAILED, [ErrorRecord(ErrorKind.FILE, message)])

    results: dict[str, Any] = {}
    errors: list[ErrorRecord] = []
    try:
        _extract_all(pm, config, job, model, results, errors, marker, hook_s)
    finally:
        marker.mark("close", "(loader close)")
        try:
            close = getattr(model, "close", None)
            if callable(close):
                close()
        except BaseException as exc:
            errors.append(_error(ErrorKind.UNKNOWN, exc, job, plugin="(loader close)"))
        del model
    if any(e.kind is ErrorKind.LICENCE for e in errors):
        return finish(FileStatus.FAILED, errors)
    payload = json.dumps(results, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return finish(FileStatus.PARTIAL if errors else FileStatus.OK, errors, payload)


def _extract_all(
    pm: pluggy.PluginManager,
    config: Config,
    job: Job,
    model: Any,
    results: dict[str, Any],
    errors: list[ErrorRecord],
    marker: HookMarker,
    hook_s: list[tuple[str, str, float]],
) -> None:
    """Call each extractor on its own, so one raising never stops the others
    (each one's time appended to ``hook_s``)."""
    owners: dict[str, str] = {}
    # Plugin code runs in a worker process or, with --in-process, on a thread of the
    # controller: a sys.exit(), KeyboardInterrupt or other BaseException raised there
    # belongs to the file, never to the batch (a real Ctrl-C reaches only the
    # controller's main thread).
    outcomes = call_each(
        pm.hook.ofxpost_extract,
        contain_base_exceptions=True,
        before=marker.mark,
        model=model,
        job=job,
        config=config,
    )
    for outcome in outcomes:
        plugin, value, error = outcome.plugin, outcome.value, outcome.error
        hook_s.append(("ofxpost_extract", plugin, outcome.seconds))
        try:
            if error is not None:
                raise error
            encoded = _encode(value, results, owners, plugin)
        except BaseException as exc:
            marker.mark("ofxpost_classify_error", None)
            kind = classify_error(pm, exc, "extract", ErrorKind.EXTRACTOR)
            errors.append(_error(kind, exc, job, plugin=plugin, hook="ofxpost_extract"))
            continue
        for key, item in encoded.items():
            results[key] = item
            owners[key] = plugin
        errors.extend(item_errors(value, job.path.name, plugin))


def _open(
    pm: pluggy.PluginManager,
    config: Config,
    job: Job,
    marker: HookMarker,
    hook_s: list[tuple[str, str, float]],
) -> Any:
    """``ofxpost_open_simulation`` as pluggy calls it (last registered first, the first
    answer that is not ``None`` wins), each loader marked before it runs and its time
    appended to ``hook_s``."""
    caller = pm.hook.ofxpost_open_simulation
    impls = caller.get_hookimpls()
    if any(i.hookwrapper or i.wrapper for i in impls):  # pluggy must run the wrappers
        marker.mark(caller.name, ",".join(i.plugin_name for i in reversed(impls)))
        return caller(path=job.path, job=job, config=config)
    kwargs = {"path": job.path, "job": job, "config": config}
    for impl in reversed(impls):
        marker.mark(caller.name, impl.plugin_name)
        start = time.perf_counter()
        try:
            model = impl.function(*[kwargs[arg] for arg in impl.argnames])
        finally:
            seconds = time.perf_counter() - start
            hook_s.append((caller.name, impl.plugin_name, seconds))
            trace_call(caller.name, impl.plugin_name, seconds)
        if model is not None:
            return model
    return None


def _encode(
    out: Any, results: dict[str, Any], owners: dict[str, str], plugin: str
) -> dict[str, Any]:
    """Check one extractor's output and encode it for the result store."""
    encoded: dict[str, Any] = {}
    if isinstance(out, Partial):  # results, and items that failed (see item_errors)
        out = out.results
    if out is None:
        return encoded
    if not isinstance(out, Mapping):
        raise TypeError(
            f"ofxpost_extract must return a mapping of result names, not {type(out).__name__}"
        )
    for key, value in out.items():
        if not isinstance(key, str):
            raise TypeError(f"result name {key!r} is not a string")
        if key in results or key in encoded:
            raise ValueError(f"result name {key!r} is already used by {owners.get(key, plugin)!r}")
        encoded[key] = to_jsonable(value, key)
    return encoded


def classify_error(
    pm: pluggy.PluginManager, exc: BaseException, stage: str, default: ErrorKind
) -> ErrorKind:
    """Ask the plugins, then the built-in rules, what kind of failure ``exc`` is."""
    try:
        kind = pm.hook.ofxpost_classify_error(exc=exc, stage=stage)
        if kind is not None:
            return ErrorKind(kind)
    except BaseException:  # a classifier that fails (or answers nonsense) is ignored
        pass
    from ofxpost._core.licensing import is_licence_error

    return ErrorKind.LICENCE if is_licence_error(exc) else default


def _error(
    kind: ErrorKind,
    exc: BaseException,
    job: Job,
    plugin: str | None = None,
    hook: str | None = None,
) -> ErrorRecord:
    message = _text(exc)
    if not isinstance(exc, Exception) or not message:
        # sys.exit(0) reads "0": name what happened
        message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if str(job.path) not in message and job.path.name not in message:
        message = f"{job.path.name}: {message}"
    return ErrorRecord(
        kind=kind,
        message=message,
        traceback=format_traceback(exc),
        plugin=plugin,
        exception_type=f"{type(exc).__module__}.{type(exc).__qualname__}",
        hook=hook,
    )


def _text(exc: BaseException) -> str:
    """``str(exc)``, even when the exception's ``__str__`` itself raises."""
    try:
        return str(exc).strip()
    except BaseException:
        return ""


def format_traceback(exc: BaseException) -> str:
    """The traceback text of ``exc`` (never raises).

    Each frame names its file, line, function and source line, without the ``^^^^``
    markers under the failing expression: Python works those out by parsing each
    frame's source line, which cost a failing file more than the rest of its
    processing (``benchmarks/failing_files.py``).
    """
    try:
        head = traceback.TracebackException.from_exception(exc)
        _without_markers(head)
        return "".join(head.format())
    except BaseException:
        return f"{type(exc).__qualname__} (its traceback could not be formatted)"


def _without_markers(head: traceback.TracebackException) -> None:
    """Drop the column positions of every frame of ``head`` and of the exceptions
    chained to it or grouped in it (so no ``^^^^`` markers are computed)."""
    seen: set[int] = set()
    todo = [head]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        for frame in item.stack:
            frame.colno = None
        todo.extend(x for x in (item.__cause__, item.__context__) if x is not None)
        todo.extend(getattr(item, "exceptions", None) or ())


def error_record(exc: BaseException, kind: ErrorKind = ErrorKind.UNKNOWN) -> ErrorRecord:
    """A plain, picklable :class:`ErrorRecord` for ``exc`` (type name, message, traceback).

    Workers send this instead of the exception itself: an exception that cannot be
    pickled or rebuilt (one holding a lock, or whose ``__init__`` takes other
    arguments than its ``args``) must never break the pipe to the controller.
    """
    message = _text(exc)
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return ErrorRecord(
        kind=kind,
        message=f"{type(exc).__name__}: {message}" if message else type(exc).__name__,
        traceback=format_traceback(exc),
        exception_type=name,
    )
