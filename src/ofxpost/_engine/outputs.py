"""The engine's one place that calls the finish phase (``Finisher``).

:class:`Outputs` is built once the plan is settled (:mod:`ofxpost._engine.settle`)
and binds that plan to every call, so the rest of the engine never passes a plan to
the finish phase.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pluggy

from ofxpost._config.plan import Plan
from ofxpost._core.records import FileRecord, Job
from ofxpost._core.result import BatchResult, FileFailure
from ofxpost._events.emitter import EventEmitter
from ofxpost._finish.finishing import Finisher
from ofxpost._store.manifest import OutputLedger
from ofxpost._store.store import ResultStore


class Outputs:
    """The finish phase of one batch, bound to its settled plan."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        store: ResultStore,
        emitter: EventEmitter,
        observe: Callable[..., None],
        plan: Plan,
        executor: str | None = None,
    ) -> None:
        self.plan = plan
        self.finisher = Finisher(pm, store, emitter, observe, plan, executor)
        self.begun = False
        """:meth:`begin` has been called (whether or not it could write)."""

    def begin(self) -> None:
        """Mark the manifest ``running`` and drop the last run's reports.

        :raises OSError: ``output_dir`` cannot be written.
        """
        self.begun = True
        self.finisher.begin()

    @property
    def ledger(self) -> OutputLedger | None:
        """The manifest's ledger, once :meth:`begin` has read it."""
        return self.finisher.ledger

    def file_done(self, job: Job, record: FileRecord) -> None:
        """Fold a final record, claim its log, place its artifacts, report its errors."""
        finisher = self.finisher
        finisher.record_done(job, record)
        finisher.claim_log(record)  # a full disk: an output_failed
        finisher.place_artifacts(record)
        if record.errors and self.plan.config.parallel_processing.save_error_reports:
            finisher.write_error_report(job, record)

    def place_pending(self) -> None:
        """Place the per-file artifacts still waiting for their batch's manifest write
        (called every :data:`~ofxpost._finish.placement.ARTIFACT_BATCH_S` while files run)."""
        self.finisher.place_pending()

    def fail_output(self, message: str, *, target: str | None = None) -> None:
        """Record an output that could not be written (an ``output_failed``)."""
        self.finisher.fail_output(message, target=target)

    def claim_output(self, rel: str) -> None:
        """List ``rel`` as written by this run (the controller's plugin-output log)."""
        self.finisher.claim_output(rel)

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
        """Aggregate, write the outputs and the manifest; the batch's result."""
        return self.finisher.finish(
            cancelled=cancelled,
            started=started,
            done_jobs=done_jobs,
            failures=failures,
            succeeded=succeeded,
            reused=reused,
        )


__all__ = ["Outputs"]
