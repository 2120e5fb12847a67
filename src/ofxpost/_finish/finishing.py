"""The finish of a batch, composed of its steps (:class:`Finisher`).

While files run, :mod:`~ofxpost._finish.per_file` places each file's log, artifacts
and error report, and :mod:`~ofxpost._finish.folding` folds its record. After the
last file (or a cancellation): 1. :mod:`~ofxpost._finish.aggregate` (the tables,
checked), 2. :mod:`~ofxpost._finish.write` (each writer into its own staging
folder), 3. :mod:`~ofxpost._finish.publish` (the files listed in the manifest, then
placed), 4. :mod:`~ofxpost._finish.manifest` (the result; the manifest says
``complete`` or ``partial``). A careless plugin costs only its own outputs
(:mod:`~ofxpost._finish.blame`); a full disk is an output failure, not a traceback.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

from ofxpost._config.plan import Plan
from ofxpost._core.records import FileRecord, Job
from ofxpost._core.result import BatchResult, FileFailure
from ofxpost._events.emitter import EventEmitter
from ofxpost._finish import checkpoints, manifest
from ofxpost._finish.aggregate import Aggregation
from ofxpost._finish.blame import OutputFailures
from ofxpost._finish.folding import Folds
from ofxpost._finish.per_file import ERRORS_DIR, PerFileOutputs
from ofxpost._finish.publish import publish, restart
from ofxpost._finish.write import STAGING_DIR, Writing
from ofxpost._store.artifacts import STAGING as ARTIFACT_STAGING
from ofxpost._store.manifest import MANIFEST, OutputLedger
from ofxpost._store.store import ResultStore

if TYPE_CHECKING:  # the controller imports pandas when a table is made
    import pandas as pd

__all__ = ["Finisher"]


class Finisher:
    """The finish of one batch ``plan``: per-file outputs while it runs, then the rest."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        store: ResultStore,
        emitter: EventEmitter,
        observe: Callable[..., None],
        plan: Plan,
        executor: str | None = None,
    ) -> None:
        self.pm = pm
        self.store = store
        self.emitter = emitter
        self.plan = plan
        self.executor = executor
        """The name of the executor that ran the files (``None``: none started)."""
        self._observe = observe
        self.ledger: OutputLedger | None = None
        """The output ledger (the manifest), set by :meth:`begin`."""
        self._folds: Folds | None = None
        self._failures = OutputFailures(pm, emitter)
        self._per_file = PerFileOutputs(
            plan.output_dir, plan.batch_id, self._ledger, self._failures
        )
        self._aggregation = Aggregation(pm, store, emitter, self._failures)
        producers, keys = self._aggregation.producers, self._per_file.artifact_keys
        self._writing = Writing(pm, self._failures, plan, producers=producers, artifact_keys=keys)

    def begin(self) -> None:
        """Start a run: open the manifest (the output ledger) and the folds, then mark
        the manifest ``running`` and drop the last run's reports (:func:`restart`)."""
        self.ledger = OutputLedger(self.plan.output_dir, self.plan.batch_id)
        for problem in self.ledger.dropped:  # a damaged or edited manifest: named, not trusted
            message = f"manifest {self.plan.output_dir / MANIFEST}: ignored the field {problem}"
            self.emitter.emit("warning", level="warning", message=message)
        self._folds = Folds(self.pm, self.plan.config, self.plan)
        restart(self.ledger, ERRORS_DIR)

    def _ledger(self) -> OutputLedger:
        if self.ledger is None:
            raise RuntimeError(
                "ofxpost internal error: the output ledger was used before Finisher.begin()"
            )
        return self.ledger

    def record_done(self, job: Job, record: FileRecord) -> None:
        """Fold a finished (or reused) file's record (:mod:`ofxpost._finish.folding`)."""
        self._ledger()
        assert self._folds is not None
        self._folds.add(job, record)

    def claim_output(self, rel: str) -> None:
        """List ``rel`` (relative to ``output_dir``) as written by this run, before it
        is put in place (the controller's plugin-output log)."""
        if self.ledger is not None:
            self.ledger.claim([rel])

    def claim_log(self, record: FileRecord) -> None:
        """List a file's plugin-output log as ours (:meth:`PerFileOutputs.claim_log`)."""
        self._per_file.claim_log(record)

    def place_artifacts(self, record: FileRecord) -> None:
        """Move a file's artifacts into place (:meth:`PerFileOutputs.place_artifacts`)."""
        self._per_file.place_artifacts(record)

    def place_pending(self) -> None:
        """Place the artifacts still waiting (:meth:`PerFileOutputs.place_pending`)."""
        self._per_file.place_pending()

    def write_error_report(self, job: Job, record: FileRecord) -> None:
        """Gather a file's error report (:meth:`PerFileOutputs.write_error_report`)."""
        self._per_file.write_error_report(job, record)

    def flush_error_reports(self) -> None:
        """Write the reports gathered so far (:meth:`PerFileOutputs.flush_error_reports`)."""
        self._per_file.flush_error_reports()

    def fail_output(self, message: str, *, target: str | None = None) -> None:
        """Report something ofxpost itself could not write (stage ``output``)."""
        self._failures.output(message, target=target)

    def finish(
        self,
        *,
        cancelled: bool,
        started: float,
        done_jobs: set[int],
        failures: Mapping[int, FileFailure],
        succeeded: int,
        reused: int,
    ) -> BatchResult:
        """Aggregate the stored records, write and place the outputs, build the result.

        :param started: ``time.perf_counter()`` at the start of the batch;
            ``wall_s`` runs from there to the last output placed.
        """
        plan = self.plan
        self._per_file.place_pending()
        self._per_file.flush_error_reports(wait=True)
        done = [job for job in plan.jobs if job.index in done_jobs]
        tables: Mapping[str, pd.DataFrame] = {}
        outputs: list[Path] = []
        try:
            if self.ledger is None:  # output_dir could not be made: begin() never ran
                self.begin()
            ledger = self._ledger()
            tables = self._aggregation.run(plan, done, self._folds)
            staged = self._writing.run(ledger, tables, cancelled)
            checkpoints.checkpoint("staged")
            outputs = publish(
                ledger, staged, self._failures, self.emitter, plan, cancelled, len(done)
            )
        except OSError as exc:  # a full disk anywhere else: a result, not a traceback
            self.fail_output(f"the outputs were not written: {exc}")
        outputs.extend(p for p in self._per_file.artifacts if p.exists())
        shutil.rmtree(plan.output_dir / ARTIFACT_STAGING, ignore_errors=True)
        result = manifest.conclude(
            plan,
            self._ledger(),
            self._failures,
            cancelled=cancelled,
            wall_s=time.perf_counter() - started,
            file_failures=failures,
            succeeded=succeeded,
            reused=reused,
            outputs=outputs,
            tables=tables,
            executor=self.executor,
        )
        shutil.rmtree(plan.output_dir / STAGING_DIR, ignore_errors=True)
        with contextlib.suppress(OSError):  # every record was flushed (or reported)
            self.store.close()
        manifest.announce(self.emitter, result)
        self._observe("ofxpost_batch_finished", result=result)
        return result

    def write_manifest(self, result: BatchResult) -> None:
        """Write ``ofxpost-run.json`` describing ``result`` (status complete/partial)."""
        manifest.write_manifest(self._ledger(), result)
