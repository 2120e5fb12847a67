"""The finish's work while files run: logs, artifacts and error reports, file by file.

As each file finishes, the controller lists its plugin-output log as written by
this run, moves its per-file artifacts (:mod:`ofxpost._store.artifacts`) into
``output_dir``, and gathers its error report. Artifacts are claimed in the manifest
and moved in batches (:mod:`ofxpost._finish.placement`); the
reports are claimed in batches (:data:`REPORT_BATCH_S`) and written by a thread off
the event loop (:mod:`ofxpost._finish.report_writer`). Every path is listed in the
manifest before it is written or moved into place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ofxpost._core.records import FileRecord, Job
from ofxpost._core.result import OutputFailure
from ofxpost._finish.blame import OutputFailures
from ofxpost._finish.placement import ArtifactPlacement
from ofxpost._finish.report_writer import ReportWriter
from ofxpost._store.manifest import OutputLedger

__all__ = ["ERRORS_DIR", "REPORT_BATCH_S", "PerFileOutputs"]

ERRORS_DIR = "errors"
"""Folder of ``output_dir`` holding one JSON report per failed file."""

REPORT_BATCH_S = 0.5
"""Error reports are claimed in the manifest and written at most this often (seconds;
the rest at the end of the batch): see :meth:`PerFileOutputs.flush_error_reports`."""


class PerFileOutputs:
    """Places each finished file's log, artifacts and error report."""

    def __init__(
        self,
        output_dir: Path,
        batch_id: str,
        ledger: Callable[[], OutputLedger],
        failures: OutputFailures,
    ) -> None:
        self.output_dir = output_dir
        self.batch_id = batch_id
        self._ledger = ledger
        self._failures = failures
        self._placement = ArtifactPlacement(output_dir, ledger, failures)
        self.artifacts: list[Path] = self._placement.artifacts
        """Per-file artifacts placed in ``output_dir`` during the run."""
        self.artifact_keys: set[str] = self._placement.artifact_keys
        """The :func:`~ofxpost._core.names.name_key` of every artifact placed."""
        self._pending_reports: list[tuple[str, dict[str, Any]]] = []
        self._reports_flushed = time.monotonic()
        self._writer: ReportWriter | None = None
        """Writes the claimed reports off the event loop (made at the first flush)."""

    def claim_log(self, record: FileRecord) -> None:
        """List a file's plugin-output log (``logs/…``, written by its worker) as ours.

        So the next run removes it when it is stale, like any other output; a
        resumed file keeps its log.
        """
        if not record.log:
            return
        path = Path(record.log)
        if not path.is_relative_to(self.output_dir):
            return
        rel = path.relative_to(self.output_dir).as_posix()
        if rel not in self._ledger().written:
            self._placement.claim_later(rel)  # with the artifacts' next manifest write

    def place_artifacts(self, record: FileRecord) -> None:
        """Place a file's artifacts (:meth:`ArtifactPlacement.place_artifacts`)."""
        self._placement.place_artifacts(record)

    def place_pending(self) -> None:
        """Place the artifacts still waiting (:meth:`ArtifactPlacement.place_pending`)."""
        self._placement.place_pending()

    def write_error_report(self, job: Job, record: FileRecord) -> None:
        """Write ``errors/<key>.json`` for a file that has errors (the job's unique key,
        :attr:`ofxpost.Job.key`; ``<index>_<file name>`` for a job without one)."""
        ledger = self._ledger()
        rel = f"{ERRORS_DIR}/{job.key or f'{job.index:05d}_{job.path.name}'}.json"
        if ledger.foreign_in_listing(rel):
            self._failures.fail(
                OutputFailure(
                    "output",
                    None,
                    None,
                    f"error report {rel!r} not written: output_dir already holds a file "
                    "there that ofxpost did not write (it was left as it is)",
                    target=rel,
                )
            )
            return
        report = {
            "batch_id": self.batch_id,
            "file": str(job.path),
            "index": job.index,
            "status": str(record.status),
            "attempts": record.attempts,
            "worker_pid": record.worker_pid,
            "errors": [e.to_dict() for e in record.errors],
        }
        self._pending_reports.append((rel, report))
        if time.monotonic() - self._reports_flushed >= REPORT_BATCH_S:
            self.flush_error_reports()

    def flush_error_reports(self, *, wait: bool = False) -> None:
        """Claim the error reports gathered since the last call and hand them to the
        writer thread (:mod:`ofxpost._finish.report_writer`).

        All of them are claimed with one manifest write before any is written: the
        manifest is rewritten about once per :data:`REPORT_BATCH_S`, not once per
        failing file (which made a batch of failing files quadratic), and encoding and
        writing the reports runs off the event loop. A report that could not be
        written is taken off the manifest's list and reported (an ``output_failed``)
        at the next call. A report not yet written when the controller is killed is
        listed but missing; the file's errors are in the result store, and the next
        run writes its report again.

        :param wait: wait until every report handed over is written (the end of the
            batch: the final manifest then lists exactly the reports on disk).
        """
        pending, self._pending_reports = self._pending_reports, []
        self._reports_flushed = time.monotonic()
        if pending:
            ledger = self._ledger()
            rels = [rel for rel, _ in pending]
            try:
                ledger.claim(rels)
            except OSError as exc:  # a full or failing disk costs the reports, not the batch
                for rel in rels:
                    ledger.unclaim(rel)
                    self._failures.output(f"error report {rel!r} not written: {exc}", target=rel)
            else:
                if self._writer is None:
                    self._writer = ReportWriter(ledger.checked)
                self._writer.submit(pending)
        if self._writer is None:
            return
        failures = self._writer.wait() if wait else self._writer.done()
        for failure in failures:
            self._ledger().unclaim(failure.rel)
            self._failures.output(failure.message, target=failure.rel)
