"""What a batch does when its process pool (or Dask cluster) cannot be started.

``parallel_processing.on_pool_failure`` chooses:

* ``sequential`` (the default): the files run one after another in the controller.
  The change is never quiet: a ``warning`` event says why, ``mode_selected`` has
  ``fallback: true`` at level ``warning``, and the command line's summary names it.
* ``error``: no file runs. Each fails (kind ``unknown``, the reason in its message),
  so the batch ends with exit code 1, its outputs saying what happened.

Whatever ``on_pool_failure`` says, a plugin that loads in the controller but not in
the worker processes (a module missing from the workers' path, an import that needs
something only the controller has) is such a failure (:func:`worker_plugin_failure`):
running the files in the controller instead would hide an environment the batch
cannot use, one file at a time. So is a script that starts a batch when a spawned
worker imports it again (no ``if __name__ == "__main__":`` guard;
:func:`main_reimport_failure`): each worker would otherwise start a batch of its own.
"""

from __future__ import annotations

import re

from ofxpost import errors
from ofxpost._core.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost._events.emitter import EventEmitter
from ofxpost._pool.reimport import REIMPORT_PREFIX


def announce_fallback(emitter: EventEmitter, reason: str) -> None:
    """Emit the ``warning`` event of a fall-back to sequential mode."""
    emitter.emit(
        "warning",
        level="warning",
        message=f"{reason}: the files run one after another in this process "
        "(parallel_processing.on_pool_failure: sequential; set it to error to fail instead)",
    )


PLUGIN_IN_WORKERS = "a plugin cannot be loaded in the worker processes"
"""How the reason of a :func:`worker_plugin_failure` begins."""

_LAST_LINE = re.compile(r"^ofxpost\.errors\.(\w+): (.*)$", re.MULTILINE)


def worker_plugin_failure(exc: BaseException) -> str | None:
    """The reason to fail the batch when ``exc`` (the executor's start failure) is a
    plugin that could not be loaded in a worker; ``None`` for any other failure."""
    if not isinstance(exc, errors.PoolStartError):
        return None
    found = _LAST_LINE.findall(str(exc))  # the worker's traceback, as text
    if not found:
        return None
    name, message = found[-1]
    kind = getattr(errors, name, None)
    if not (isinstance(kind, type) and issubclass(kind, errors.PluginError)):
        return None
    return f"{PLUGIN_IN_WORKERS}, although it loads in this process: {message}"


def main_reimport_failure(exc: BaseException) -> str | None:
    """The reason to fail the batch when ``exc`` is a worker that found the batch
    started again by its re-import of the main script (a script without the
    ``__main__`` guard; :mod:`ofxpost._pool.reimport`); ``None`` otherwise."""
    if isinstance(exc, errors.PoolStartError) and str(exc).startswith(REIMPORT_PREFIX):
        return str(exc)
    return None


def start_refusal(exc: BaseException) -> str | None:
    """The reason to fail the batch whatever ``on_pool_failure`` says, when the
    executor's start failure ``exc`` is one that running the files in the controller
    would only hide (:func:`worker_plugin_failure`, :func:`main_reimport_failure`);
    ``None`` for any other failure."""
    return worker_plugin_failure(exc) or main_reimport_failure(exc)


def _why(reason: str) -> str:
    if reason.startswith((PLUGIN_IN_WORKERS, REIMPORT_PREFIX)):
        return ""
    return " (parallel_processing.on_pool_failure: error)"


def announce_refusal(emitter: EventEmitter, reason: str) -> None:
    """Emit the ``warning`` event saying that no file runs (``on_pool_failure: error``,
    or a plugin that fails only in the workers)."""
    emitter.emit(
        "warning",
        level="warning",
        message=f"{reason}: no file is run{_why(reason)}",
    )


def not_run_record(job: Job, reason: str) -> FileRecord:
    """The failed record of ``job``, not run because the executor could not start."""
    message = f"{job.path.name}: not run: {reason}{_why(reason)}"
    return FileRecord(
        index=job.index,
        path=job.path,
        status=FileStatus.FAILED,
        errors=[ErrorRecord(ErrorKind.UNKNOWN, message)],
        attempts=0,
    )
