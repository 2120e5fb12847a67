"""What a batch does when its process pool (or Dask cluster) cannot be started.

``parallel_processing.on_pool_failure`` chooses:

* ``sequential`` (the default): the files run one after another in the controller.
  The change is never quiet: a ``warning`` event says why, ``mode_selected`` has
  ``fallback: true`` at level ``warning``, and the command line's summary names it.
* ``error``: no file runs. Each fails (kind ``unknown``, the reason in its message),
  so the batch ends with exit code 1, its outputs saying what happened.
"""

from __future__ import annotations

from ofxpost._core.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost._events.emitter import EventEmitter


def announce_fallback(emitter: EventEmitter, reason: str) -> None:
    """Emit the ``warning`` event of a fall-back to sequential mode."""
    emitter.emit(
        "warning",
        level="warning",
        message=f"{reason}: the files run one after another in this process "
        "(parallel_processing.on_pool_failure: sequential; set it to error to fail instead)",
    )


def announce_refusal(emitter: EventEmitter, reason: str) -> None:
    """Emit the ``warning`` event saying that no file runs (``on_pool_failure: error``)."""
    emitter.emit(
        "warning",
        level="warning",
        message=f"{reason}: no file is run (parallel_processing.on_pool_failure: error)",
    )


def not_run_record(job: Job, reason: str) -> FileRecord:
    """The failed record of ``job``, not run because the executor could not start."""
    message = f"{job.path.name}: not run: {reason} (parallel_processing.on_pool_failure: error)"
    return FileRecord(
        index=job.index,
        path=job.path,
        status=FileStatus.FAILED,
        errors=[ErrorRecord(ErrorKind.UNKNOWN, message)],
        attempts=0,
    )
