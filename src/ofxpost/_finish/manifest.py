"""The manifest step: the batch result, and ``ofxpost-run.json`` saying how it ended.

The result counts the files and lists every output placed and every output
failure; the manifest (:class:`~ofxpost._store.manifest.OutputLedger`) then says
``complete`` (``partial`` after a cancellation) with the same figures. A manifest
that cannot be written leaves the one on disk saying ``writing`` (the set is
marked incomplete) and is itself an output failure of the result.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from ofxpost._config.plan import Plan
from ofxpost._core.result import BatchResult, FileFailure, OutputFailure
from ofxpost._events.emitter import EventEmitter
from ofxpost._events.fields import mode_name
from ofxpost._finish import checkpoints
from ofxpost._finish.blame import OutputFailures
from ofxpost._store.manifest import COMPLETE, MANIFEST, PARTIAL, OutputLedger

__all__ = ["announce", "conclude", "ran_in", "write_manifest"]


def conclude(
    plan: Plan,
    ledger: OutputLedger,
    failures: OutputFailures,
    *,
    cancelled: bool,
    wall_s: float,
    file_failures: Mapping[int, FileFailure],
    succeeded: int,
    reused: int,
    outputs: Iterable[Path],
    tables: Iterable[str],
    executor: str | None = None,
) -> BatchResult:
    """The result of the batch ``plan``, once its manifest is written.

    Its ``mode`` is the one the files ran in: ``dask`` when ``executor`` (the name
    of the executor that ran them) is ``dask``, else the settled plan's mode
    (``sequential`` after a fall-back). A manifest that cannot be written is one
    more output failure of the result.
    """
    problems = tuple(failures.failures)
    result = BatchResult(
        batch_id=plan.batch_id,
        mode=ran_in(plan.mode, executor),
        workers=plan.workers,
        total=plan.total,
        succeeded=succeeded,
        failures=tuple(file_failures[i] for i in sorted(file_failures)),
        reused=reused,
        cancelled=cancelled,
        wall_s=wall_s,
        output_dir=plan.output_dir,
        outputs=tuple(sorted(outputs)),
        tables=tuple(tables),
        output_errors=tuple(f.message for f in problems),
        output_failures=problems,
        executor=executor,
    )
    try:
        write_manifest(ledger, result)
    except OSError as exc:
        # the manifest on disk still says "writing": the set is marked incomplete
        failures.fail(
            OutputFailure("output", None, None, f"{MANIFEST} not written: {exc}", target=MANIFEST)
        )
        problems = tuple(failures.failures)
        result = replace(
            result,
            output_errors=tuple(f.message for f in problems),
            output_failures=problems,
        )
    checkpoints.checkpoint("manifest")
    return result


def ran_in(mode: str, executor: str | None) -> str:
    """The mode files ran in: ``dask`` on the Dask executor, else the plan's ``mode``."""
    return "dask" if executor == "dask" else mode


def announce(emitter: EventEmitter, result: BatchResult) -> None:
    """Emit ``batch_finished`` for ``result``."""
    emitter.emit(
        "batch_finished",
        level="warning" if result.exit_code else "info",
        total=result.total,
        succeeded=result.succeeded,
        partial=result.partial,
        failed=result.failed,
        reused=result.reused,
        wall_s=round(result.wall_s, 3),
        cancelled=result.cancelled,
        exit_code=result.exit_code,
        outputs=len(result.outputs),
        output_errors=len(result.output_failures),
        mode=mode_name(result.mode),
    )


def write_manifest(ledger: OutputLedger, result: BatchResult) -> None:
    """Write ``ofxpost-run.json`` describing ``result`` (status complete/partial)."""
    ledger.status = PARTIAL if result.cancelled else COMPLETE
    ledger.save(
        {
            "mode": result.mode,
            "workers": result.workers,
            "total": result.total,
            "succeeded": result.succeeded,
            "partial": result.partial,
            "failed": result.failed,
            "reused": result.reused,
            "wall_s": round(result.wall_s, 3) if math.isfinite(result.wall_s) else None,
            "outputs": [_relative(p, result.output_dir) for p in result.outputs],
            "output_errors": [f.to_dict() for f in result.output_failures],
        }
    )


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
