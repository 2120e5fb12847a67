"""The consistency checks of a batch's result: every file counted, exit 0 only when all are ok.

A check that fails is a bug in ofxpost: it is named in an ``internal_error`` event,
and the batch cannot exit 0.
"""

from __future__ import annotations

from dataclasses import replace

from ofxpost._core.records import ErrorKind, ErrorRecord
from ofxpost._core.result import BatchResult, FileFailure
from ofxpost._engine.tally import Tally


def check_accounting(tally: Tally, cancelled: bool, broken: BaseException | None) -> None:
    """Assert ok + partial + failed (+ not run, when cancelled) == total.

    Outside a cancellation every file must have a final record. A file that has
    none is failed (kind ``unknown``) and named in an ``internal_error`` event.
    """
    plan = tally.plan
    done = len(tally.done_jobs)
    counted = tally.succeeded + len(tally.failures)
    missing = [job for job in plan.jobs if job.index not in tally.done_jobs]
    problems: list[str] = []
    if broken is not None:
        problems.append(f"the batch stopped on {type(broken).__name__}: {broken}")
    if counted != done:
        problems.append(f"{done} files finished but {counted} were counted")
    if missing and not cancelled:
        problems.append(f"{len(missing)} of {plan.total} files were never run")
    if not problems:
        return
    message = "internal error (please report it): " + "; ".join(problems)
    tally.emitter.emit(
        "internal_error",
        level="error",
        message=message,
        not_run=0 if cancelled else len(missing),
        exception_type=type(broken).__qualname__ if broken is not None else None,
    )
    if cancelled:
        return
    for job in missing:
        record = ErrorRecord(ErrorKind.UNKNOWN, f"{job.path.name}: was not run ({message})")
        tally.failures[job.index] = FileFailure(job.index, job.path, (record,))


def check_result(tally: Tally, result: BatchResult) -> BatchResult:
    """Exit 0 is a promise: never give it unless every file is ok."""
    if result.exit_code == 0 and (result.succeeded != result.total or result.failures):
        message = (
            f"internal error (please report it): exit code 0 with {result.succeeded} "
            f"of {result.total} files ok"
        )
        tally.emitter.emit("internal_error", level="error", message=message, not_run=0)
        result = replace(result, output_errors=(*result.output_errors, message))
    return result


__all__ = ["check_accounting", "check_result"]
