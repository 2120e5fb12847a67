"""The finish phase of a batch: aggregation, writing, error reports and the manifest.

Everything here runs in the controller after the last file has finished (or after
a cancellation). The steps, each guarded so that one careless plugin costs only
its own outputs:

1. **Aggregate.** Each aggregator is called on its own. Its return is checked at
   the boundary: ``None`` or a mapping of a safe table name (:mod:`ofxpost._core.names`)
   to a ``pandas.DataFrame``. Anything else, an exception, or a table name that an
   earlier-registered plugin already produced (built-ins are registered first, so a
   built-in is never displaced; names that differ only in case collide) is that
   aggregator's error.
2. **Write, staged.** Each writer gets its own empty folder under
   ``output_dir/.ofxpost/staging/`` as ``output_dir``. A writer that raises loses
   the files it wrote there, and only those. Writers are independent, so they run
   at the same time, each in its own thread; their results are checked in
   registration order.
3. **Check.** Every staged file's path must be confined and portable
   (:mod:`ofxpost._core.names`), not already taken by an earlier writer, and not the
   path of a file that ofxpost did not write (see :mod:`ofxpost._store.manifest`).
4. **Publish.** The manifest says ``writing`` and lists every file about to be
   placed; each file is then moved into ``output_dir`` by one atomic rename;
   outputs of the previous run that this run did not write again are removed;
   the manifest then says ``complete`` (or ``partial``).

A run killed at any moment therefore leaves either the previous complete set or
a manifest that says ``running``/``writing``, never a torn file under a
``complete`` manifest.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import math
import os
import shutil
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pluggy

from ofxpost._config.plan import Plan
from ofxpost._core import atomic, jsontext
from ofxpost._core.names import name_key, name_problem, relative_path_problem
from ofxpost._core.records import FileRecord, Job
from ofxpost._core.result import BatchResult, FileFailure, OutputFailure
from ofxpost._events.emitter import EventEmitter
from ofxpost._finish.folding import Folds
from ofxpost._plugins.manager import BUILTIN_PLUGINS, ImplOutcome, call_each
from ofxpost._store.artifacts import STAGING as ARTIFACT_STAGING
from ofxpost._store.artifacts import name_problem as artifact_problem
from ofxpost._store.artifacts import staged_file as artifact_staged
from ofxpost._store.manifest import (
    COMPLETE,
    MANIFEST,
    PARTIAL,
    PARTIAL_MARKER,
    WRITING,
    OutputLedger,
    confined,
)
from ofxpost._store.store import ResultStore
from ofxpost.errors import TablesNotWritten

__all__ = [
    "ERRORS_DIR",
    "MANIFEST",
    "PARTIAL_MARKER",
    "STAGING_DIR",
    "Finisher",
    "TablesNotWritten",
]

ERRORS_DIR = "errors"
"""Folder of ``output_dir`` holding one JSON report per failed file."""

STAGING_DIR = Path(".ofxpost") / "staging"
"""Where writers write (``output_dir``-relative) before their files are placed."""

REPORT_BATCH_S = 0.5
"""Error reports are claimed in the manifest and written at most this often (seconds;
the rest at the end of the batch): see :meth:`Finisher.flush_error_reports`."""


def checkpoint(step: str) -> None:
    """A named point of the finish phase (a seam for crash tests; does nothing)."""


@dataclass(frozen=True)
class _Staged:
    rel: str
    source: Path
    plugin: str


def _registration_order(pm: pluggy.PluginManager) -> Callable[[str], tuple[int, str]]:
    """Sort key: registration order (built-ins first, then entry points, then the
    config's ``plugins:``, then ``ofxpost_plugins.py``), so the earlier plugin keeps
    a name and the newcomer is blamed."""
    order = {name: i for i, (name, _) in enumerate(pm.list_name_plugin())}
    return lambda name: (order.get(name, len(order)), name)


class Finisher:
    """Writes error reports while a batch runs, then aggregates and writes its outputs."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        store: ResultStore,
        emitter: EventEmitter,
        observe: Callable[..., None],
    ) -> None:
        self.pm = pm
        self.store = store
        self.emitter = emitter
        self._observe = observe
        self.ledger: OutputLedger | None = None
        self.failures: list[OutputFailure] = []
        self._producers: dict[str, str] = {}
        self.artifacts: list[Path] = []
        """Per-file artifacts placed in ``output_dir`` during the run."""
        self._artifact_keys: set[str] = set()
        self._folds: Folds | None = None
        self._pending_reports: list[tuple[str, dict[str, Any]]] = []
        self._reports_flushed = time.monotonic()

    # ------------------------------------------------------------------ start

    def begin(self, plan: Plan) -> None:
        """Start a run: mark the manifest ``running``, drop the last run's reports.

        Only files the previous manifest lists are removed: the error reports
        under ``errors/`` and the ``PARTIAL`` marker. A user's files (say
        ``errors/my_notes.txt``) stay.
        """
        ledger = OutputLedger(plan.output_dir, plan.batch_id)
        self.ledger = ledger
        for problem in ledger.dropped:  # a damaged or edited manifest: named, not trusted
            message = f"manifest {plan.output_dir / MANIFEST}: ignored the field {problem}"
            self.emitter.emit("warning", level="warning", message=message)
        self._folds = Folds(self.pm, plan.config, plan)
        ledger.sweep_temporaries()
        ledger.save()
        for rel in sorted(ledger.previous):
            if rel == PARTIAL_MARKER or rel.startswith(f"{ERRORS_DIR}/"):
                with contextlib.suppress(OSError):  # kept on the list if it stays
                    ledger.remove(rel)
        ledger.save()

    # ------------------------------------------------------------------ during the run

    def record_done(self, plan: Plan, job: Job, record: FileRecord) -> None:
        """Fold a finished (or reused) file's record into the built-in aggregations.

        Called once per file as it finishes, so that after the last file only the
        final tables remain to be built (see :mod:`ofxpost._finish.folding`).
        """
        self._ledger(plan)
        assert self._folds is not None
        self._folds.add(job, record)

    def claim_output(self, rel: str) -> None:
        """List ``rel`` (relative to ``output_dir``) as written by this run, before it
        is put in place (the controller's plugin-output log)."""
        if self.ledger is not None:
            self.ledger.claim([rel])

    def claim_log(self, plan: Plan, record: FileRecord) -> None:
        """List a file's plugin-output log (``logs/…``, written by its worker) as ours.

        So the next run removes it when it is stale, like any other output; a
        resumed file keeps its log.
        """
        if not record.log:
            return
        path = Path(record.log)
        if not path.is_relative_to(plan.output_dir):
            return
        rel = path.relative_to(plan.output_dir).as_posix()
        ledger = self._ledger(plan)
        if rel not in ledger.written:
            # The log exists: it stays claimed, and the final manifest lists it (or,
            # if that cannot be written either, says so with an output_failed).
            with contextlib.suppress(OSError):  # the manifest cannot be rewritten now
                ledger.claim([rel])

    def place_artifacts(self, plan: Plan, record: FileRecord) -> None:
        """Claim a file's artifacts (:mod:`ofxpost._store.artifacts`), then move them into place.

        Each is listed in the manifest before one rename moves it from the file's
        staging folder to ``output_dir``; no data passes through here. A name that
        a user's file holds, or that another file of this run already placed, is
        refused (an ``output`` error; the staged file is dropped). A reused file's
        artifacts are already in place and are claimed again.
        """
        if not record.artifacts:
            return
        ledger = self._ledger(plan)
        root = plan.output_dir
        for rel in record.artifacts:
            staged = artifact_staged(root, record.index, rel)
            target = ledger.path(rel)
            problem = artifact_problem(rel)
            reason: str | None = None
            if problem is not None:
                reason = f"{problem}; it was not placed"
            elif rel in ledger.written or name_key(rel) in self._artifact_keys:
                reason = "is already written by another output of this run; it was not placed"
            elif staged.exists():
                if ledger.foreign(rel) or _blocked_by_file(root, rel):
                    reason = (
                        f"not placed: output_dir already holds {str(target)!r}, which "
                        "ofxpost did not write (it was left as it is)"
                    )
            elif not (record.reused and rel in ledger.owned and target.is_file()):
                reason = "is missing: its worker did not leave it"
            if reason is not None:
                if problem is None and confined(root / ARTIFACT_STAGING, staged):
                    with contextlib.suppress(OSError):
                        staged.unlink()
                self._fail(
                    OutputFailure(
                        "output",
                        None,
                        None,
                        f"artifact {rel!r} of {record.path}: {reason}",
                        target=rel,
                    )
                )
                continue
            try:
                target = ledger.checked(rel)
                ledger.claim([rel])
                if staged.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staged, target)
            except OSError as exc:
                ledger.unclaim(rel)
                self._fail(
                    OutputFailure(
                        "output",
                        None,
                        None,
                        f"artifact {rel!r} of {record.path} could not be placed: {exc}",
                        target=rel,
                    )
                )
                continue
            self._artifact_keys.add(name_key(rel))
            self.artifacts.append(target)

    def write_error_report(self, plan: Plan, job: Job, record: FileRecord) -> None:
        """Write ``errors/<key>.json`` for a file that has errors (the job's unique key,
        :attr:`ofxpost.Job.key`; ``<index>_<file name>`` for a job without one)."""
        ledger = self._ledger(plan)
        rel = f"{ERRORS_DIR}/{job.key or f'{job.index:05d}_{job.path.name}'}.json"
        if ledger.foreign(rel):
            self._fail(
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
            "batch_id": plan.batch_id,
            "file": str(job.path),
            "index": job.index,
            "status": str(record.status),
            "attempts": record.attempts,
            "worker_pid": record.worker_pid,
            "errors": [e.to_dict() for e in record.errors],
        }
        self._pending_reports.append((rel, report))
        if time.monotonic() - self._reports_flushed >= REPORT_BATCH_S:
            self.flush_error_reports(plan)

    def flush_error_reports(self, plan: Plan) -> None:
        """Write the error reports gathered since the last call.

        All of them are claimed with one manifest write, then each is written: the
        manifest is rewritten about once per :data:`REPORT_BATCH_S`, not once per
        failing file (which made a batch of failing files quadratic). A report not
        yet written when the controller is killed is lost; the file's errors are in
        the result store, and the next run writes its report again.
        """
        pending, self._pending_reports = self._pending_reports, []
        self._reports_flushed = time.monotonic()
        if not pending:
            return
        ledger = self._ledger(plan)
        rels = [rel for rel, _ in pending]
        try:
            ledger.claim(rels)
        except OSError as exc:  # a full or failing disk costs the reports, not the batch
            for rel in rels:
                ledger.unclaim(rel)
                self.fail_output(f"error report {rel!r} not written: {exc}", target=rel)
            return
        made: set[Path] = set()
        for rel, report in pending:
            try:
                target = ledger.checked(rel)
                if target.parent not in made:
                    target.parent.mkdir(exist_ok=True)
                    made.add(target.parent)
                atomic.write_text(target, jsontext.key_per_line(report))
            except OSError as exc:
                ledger.unclaim(rel)
                self.fail_output(f"error report {rel!r} not written: {exc}", target=rel)

    # ------------------------------------------------------------------ finish

    def finish(
        self,
        plan: Plan,
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
        self.flush_error_reports(plan)
        done = [job for job in plan.jobs if job.index in done_jobs]
        tables: Mapping[str, pd.DataFrame] = {}
        outputs: list[Path] = []
        try:
            ledger = self._ledger(plan)
            tables = self._aggregate(plan, done)
            staged = self._write(plan, tables, cancelled)
            checkpoint("staged")
            outputs = self._publish(plan, ledger, staged, cancelled, len(done))
        except OSError as exc:  # a full disk anywhere else: a result, not a traceback
            self.fail_output(f"the outputs were not written: {exc}")
        outputs.extend(p for p in self.artifacts if p.exists())
        shutil.rmtree(plan.output_dir / ARTIFACT_STAGING, ignore_errors=True)
        wall_s = time.perf_counter() - started
        problems = tuple(self.failures)
        result = BatchResult(
            batch_id=plan.batch_id,
            mode=plan.mode,
            workers=plan.workers,
            total=plan.total,
            succeeded=succeeded,
            failures=tuple(failures[i] for i in sorted(failures)),
            reused=reused,
            cancelled=cancelled,
            wall_s=wall_s,
            output_dir=plan.output_dir,
            outputs=tuple(sorted(outputs)),
            tables=tuple(tables),
            output_errors=tuple(f.message for f in problems),
            output_failures=problems,
        )
        try:
            self.write_manifest(plan, result)
        except OSError as exc:
            # the manifest on disk still says "writing": the set is marked incomplete
            self._fail(
                OutputFailure(
                    "output", None, None, f"{MANIFEST} not written: {exc}", target=MANIFEST
                )
            )
            problems = tuple(self.failures)
            result = replace(
                result,
                output_errors=tuple(f.message for f in problems),
                output_failures=problems,
            )
        checkpoint("manifest")
        shutil.rmtree(plan.output_dir / STAGING_DIR, ignore_errors=True)
        with contextlib.suppress(OSError):  # every record was flushed (or reported)
            self.store.close()
        self.emitter.emit(
            "batch_finished",
            level="warning" if result.exit_code else "info",
            total=result.total,
            succeeded=result.succeeded,
            partial=result.partial,
            failed=result.failed,
            reused=result.reused,
            wall_s=round(wall_s, 3),
            cancelled=cancelled,
            exit_code=result.exit_code,
            outputs=len(result.outputs),
            output_errors=len(problems),
        )
        self._observe("ofxpost_batch_finished", result=result)
        return result

    def write_manifest(self, plan: Plan, result: BatchResult) -> None:
        """Write ``ofxpost-run.json`` describing ``result`` (status complete/partial)."""
        ledger = self._ledger(plan)
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

    # ------------------------------------------------------------------ steps

    def _aggregate(self, plan: Plan, done: list[Job]) -> dict[str, pd.DataFrame]:
        """Every aggregator's valid tables, sorted by name."""
        self.emitter.emit("aggregation_started", files=len(done))
        clock = time.perf_counter()
        records = self.store.records(done)
        stored = [job.index for job in done if self.store.has(job)]
        folded = self._folds.outcomes(stored) if self._folds is not None else {}
        caller = self.pm.hook.ofxpost_aggregate
        if folded:  # the built-ins that folded the records as they came
            others = [self.pm.get_plugin(name) for name in folded]
            caller = self.pm.subset_hook_caller("ofxpost_aggregate", remove_plugins=others)
        outcomes = call_each(caller, records=records, config=plan.config, plan=plan)
        outcomes.extend(folded.values())
        tables: dict[str, pd.DataFrame] = {}
        producer = self._producers
        first = _registration_order(self.pm)
        for outcome in sorted(outcomes, key=lambda o: first(o.plugin)):
            for name, table in self._checked_tables(outcome):
                key = name_key(name)
                if key in producer:
                    self._fail_plugin(
                        "aggregator",
                        outcome.plugin,
                        f"table {name!r} is already produced by plugin {producer[key]!r}; "
                        f"this plugin's {name!r} was not written (rename it)",
                        target=name,
                    )
                    continue
                producer[key] = outcome.plugin
                tables[name] = table
        ordered = dict(sorted(tables.items()))
        for table in ordered.values():  # warnings an aggregator attached to its table
            for message in table.attrs.get("ofxpost.warnings") or ():
                self.emitter.emit("warning", level="warning", message=str(message))
        self.emitter.emit(
            "aggregation_finished",
            tables=len(ordered),
            seconds=round(time.perf_counter() - clock, 6),
        )
        checkpoint("aggregated")
        return ordered

    def _checked_tables(self, outcome: ImplOutcome) -> list[tuple[str, pd.DataFrame]]:
        """The valid ``(name, table)`` pairs of one aggregator; each problem is its error."""
        plugin = outcome.plugin
        if outcome.error is not None:
            self._fail_plugin(
                "aggregator", plugin, f"raised {_describe(outcome.error)}", error=outcome.error
            )
            return []
        value = outcome.value
        if value is None:
            return []
        if not isinstance(value, Mapping):
            self._fail_plugin(
                "aggregator",
                plugin,
                f"returned a {_type_name(value)}, not a mapping of table name to "
                "pandas.DataFrame (or None); none of its tables was written",
            )
            return []
        try:
            items = list(value.items())
        except Exception as exc:
            self._fail_plugin(
                "aggregator",
                plugin,
                f"returned a mapping that could not be read: {_describe(exc)}",
                error=exc,
            )
            return []
        checked: list[tuple[str, pd.DataFrame]] = []
        for name, table in items:
            problem = name_problem(name)
            if problem is not None:
                self._fail_plugin(
                    "aggregator",
                    plugin,
                    f"table name {name!r} {problem}; the table was not written",
                    target=str(name),
                )
            elif not isinstance(table, pd.DataFrame):
                self._fail_plugin(
                    "aggregator",
                    plugin,
                    f"table {name!r} is a {_type_name(table)}, not a pandas.DataFrame; "
                    "it was not written",
                    target=name,
                )
            else:
                checked.append((name, table))
        return checked

    def _write(
        self, plan: Plan, tables: Mapping[str, pd.DataFrame], cancelled: bool
    ) -> list[_Staged]:
        """Call each writer into its own staging folder; return the files to place."""
        staging = plan.output_dir / STAGING_DIR
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a full disk: no writer can run
            self.fail_output(f"no output was written: {STAGING_DIR} cannot be made: {exc}")
            return []
        caller_name = "ofxpost_write_outputs"
        impls = getattr(self.pm.hook, caller_name).get_hookimpls()
        writers = sorted(
            {i.plugin_name for i in impls if not (i.hookwrapper or i.wrapper)},
            key=_registration_order(self.pm),
        )
        staged: list[_Staged] = []
        taken: dict[str, str] = {}
        folders = [staging / f"w{number:03d}" for number in range(len(writers))]

        def run_writer(number: int) -> list[ImplOutcome]:
            writer, folder = writers[number], folders[number]
            folder.mkdir()
            others = [self.pm.get_plugin(w) for w in writers if w != writer]
            caller = self.pm.subset_hook_caller(caller_name, remove_plugins=others)
            outcomes = call_each(
                caller, tables=tables, output_dir=folder, config=plan.config, partial=cancelled
            )
            checkpoint(f"wrote:{writer}")
            return outcomes

        # Writers are independent (each has its own folder and only reads the
        # tables): they run at the same time, in threads (pandas/pyarrow and the
        # PNG encoder release the GIL for much of the work). Their results are then
        # checked and staged in registration order, as if they had run one by one.
        if len(writers) > 1:
            with ThreadPoolExecutor(len(writers), thread_name_prefix="ofxpost-writer") as pool:
                results = list(pool.map(run_writer, range(len(writers))))
        else:
            results = [run_writer(number) for number in range(len(writers))]
        for writer, folder, outcomes in zip(writers, folders, results, strict=True):
            error = next((o.error for o in outcomes if o.error is not None), None)
            if isinstance(error, TablesNotWritten):
                self._tables_not_written(writer, error)
                error = None
            if error is not None:
                self._fail_plugin(
                    "writer",
                    writer,
                    f"raised {_describe(error)}; the files it wrote were discarded",
                    error=error,
                )
                continue
            for outcome in outcomes:
                self._check_returned(writer, folder, outcome.value)
            for source in sorted(p for p in folder.rglob("*") if p.is_file()):
                rel = source.relative_to(folder).as_posix()
                if self._placeable(plan, writer, rel, taken):
                    taken[name_key(rel)] = writer
                    staged.append(_Staged(rel, source, writer))
        return staged

    def _tables_not_written(self, writer: str, error: TablesNotWritten) -> None:
        """Blame each table a writer could not write on the aggregator that made it."""
        for what, exc in error.failed.items():
            table = what.split(" ")[0]
            producer = self._producers.get(name_key(table))
            self._fail_plugin(
                "output",
                producer or writer,
                f"table {what} could not be written by writer {writer!r}: {_describe(exc)}",
                error=exc,
                target=table,
            )

    def _check_returned(self, writer: str, folder: Path, value: Any) -> None:
        """A writer's returned paths must lie in the folder it was given."""
        try:
            paths = [Path(p) for p in (value or ())]
        except TypeError:
            self._fail_plugin(
                "writer", writer, f"returned a {_type_name(value)}, not a list of paths"
            )
            return
        root = folder.resolve()
        for path in paths:
            full = (path if path.is_absolute() else folder / path).resolve()
            if not full.is_relative_to(root):
                self._fail_plugin(
                    "writer",
                    writer,
                    f"returned {str(path)!r}, outside the output_dir it was given; "
                    "writers must write only under the output_dir they receive",
                    target=str(path),
                )

    def _placeable(self, plan: Plan, writer: str, rel: str, taken: Mapping[str, str]) -> bool:
        """Whether the staged file ``rel`` may be placed; a refusal is the writer's error."""
        ledger = self._ledger(plan)
        problem = relative_path_problem(rel)
        reason: str | None = None
        if problem is None and rel.split("/")[0] in (".ofxpost", MANIFEST, PARTIAL_MARKER):
            problem = "is reserved for ofxpost itself"
        if problem is not None:
            reason = f"output {rel!r} {problem}; it was not written"
        elif name_key(rel) in self._artifact_keys:
            reason = f"output {rel!r} is a per-file artifact of this run; it was not written"
        elif name_key(rel) in taken:
            reason = (
                f"output {rel!r} is already written by plugin {taken[name_key(rel)]!r}; "
                "this plugin's file was not written"
            )
        elif ledger.foreign(rel) or _blocked_by_file(plan.output_dir, rel):
            reason = (
                f"output {rel!r} not written: output_dir already holds "
                f"{str(ledger.path(rel))!r}, which ofxpost did not write (it was left as it "
                "is; move it away or choose another output_dir)"
            )
        if reason is None:
            return True
        self._fail_plugin("output", writer, reason, target=rel)
        return False

    def _publish(
        self,
        plan: Plan,
        ledger: OutputLedger,
        staged: list[_Staged],
        cancelled: bool,
        done: int,
    ) -> list[Path]:
        """Place the staged files, remove the last run's leftovers; return the paths."""
        marker = [PARTIAL_MARKER] if cancelled and not ledger.foreign(PARTIAL_MARKER) else []
        try:
            ledger.claim([s.rel for s in staged] + marker, status=WRITING)
        except OSError as exc:
            # Claims must be on disk before a file is placed: none is placed, each
            # is an output_failed, and the manifest on disk still says "running".
            for rel in [s.rel for s in staged] + marker:
                ledger.unclaim(rel)
            for item in staged:
                self._fail_plugin(
                    "output",
                    item.plugin,
                    f"output {item.rel!r} not placed: {MANIFEST} could not be updated first: {exc}",
                    target=item.rel,
                )
            return []
        checkpoint("writing")
        placed: list[Path] = []
        for item in staged:
            target = ledger.path(item.rel)
            try:
                target = ledger.checked(item.rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item.source, target)
            except OSError as exc:
                ledger.unclaim(item.rel)  # an old file there is then stale, removed below
                self._fail_plugin(
                    "output",
                    item.plugin,
                    f"output {item.rel!r} could not be placed: {exc}",
                    target=item.rel,
                )
                continue
            placed.append(target)
            checkpoint(f"placed:{item.rel}")
            self.emitter.emit(
                "output_written",
                path=str(target),
                bytes=target.stat().st_size,
                plugin=item.plugin,
            )
        if cancelled:
            if marker:
                try:
                    atomic.write_text(
                        ledger.path(PARTIAL_MARKER),
                        f"Batch {plan.batch_id} was cancelled: the outputs cover {done} of "
                        f"{plan.total} files. Run again with --resume to finish.\n",
                    )
                except OSError as exc:  # the manifest still says "partial"
                    ledger.unclaim(PARTIAL_MARKER)
                    self._fail(
                        OutputFailure(
                            "output",
                            None,
                            None,
                            f"the {PARTIAL_MARKER!r} marker was not written: {exc}",
                            target=PARTIAL_MARKER,
                        )
                    )
            else:
                self._fail(
                    OutputFailure(
                        "output",
                        None,
                        None,
                        f"the {PARTIAL_MARKER!r} marker was not written: output_dir already "
                        "holds a file of that name that ofxpost did not write",
                        target=PARTIAL_MARKER,
                    )
                )
        for rel in sorted(ledger.owned - ledger.written):
            with contextlib.suppress(OSError):
                ledger.remove(rel)
            checkpoint(f"removed:{rel}")
        return placed

    # ------------------------------------------------------------------ errors

    def _ledger(self, plan: Plan) -> OutputLedger:
        if self.ledger is None:
            self.begin(plan)
        assert self.ledger is not None
        return self.ledger

    def _fail_plugin(
        self,
        stage: str,
        plugin: str,
        message: str,
        *,
        error: BaseException | None = None,
        target: str | None = None,
    ) -> None:
        distribution = plugin_distribution(self.pm, plugin)
        origin = f" (distribution {distribution})" if distribution else ""
        text = None
        if error is not None:
            text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self._fail(
            OutputFailure(
                stage,
                plugin,
                distribution,
                f"{stage} {plugin!r}{origin}: {message}",
                traceback=text,
                target=target,
            )
        )

    def fail_output(self, message: str, *, target: str | None = None) -> None:
        """Report something ofxpost itself could not write (stage ``output``)."""
        self._fail(OutputFailure("output", None, None, message, target=target))

    def _fail(self, failure: OutputFailure) -> None:
        self.failures.append(failure)
        self.emitter.emit("output_failed", level="error", **failure.to_dict())


def plugin_distribution(pm: pluggy.PluginManager, name: str) -> str | None:
    """``"<distribution> <version>"`` of the registered plugin ``name``, if known."""
    plugin = pm.get_plugin(name)
    for registered, dist in pm.list_plugin_distinfo():
        if registered is plugin:
            return f"{dist.project_name} {dist.version}"
    if name in BUILTIN_PLUGINS:
        from ofxpost._version import __version__

        return f"ofxpost {__version__}"
    module = getattr(plugin, "__name__", "") or ""
    top = module.split(".")[0]
    with contextlib.suppress(Exception):
        dists = importlib.metadata.packages_distributions().get(top) or []
        if dists:
            return f"{dists[0]} {importlib.metadata.version(dists[0])}"
    return None


def _blocked_by_file(output_dir: Path, rel: str) -> bool:
    """Whether a folder of ``rel`` is a file (so ``rel`` cannot be created)."""
    parts = rel.split("/")[:-1]
    folder = output_dir
    for part in parts:
        folder = folder / part
        if folder.exists() and not folder.is_dir():
            return True
    return False


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _type_name(value: Any) -> str:
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"
