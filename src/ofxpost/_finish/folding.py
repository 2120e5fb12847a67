"""Incremental aggregation: records folded into the aggregators as they arrive.

An aggregator's work is mostly per file (decode the results, build that file's
rows); only the last step needs every file (put the rows in input order, make the
tables, take envelopes and statistics). So a plugin may implement, beside its
``ofxpost_aggregate`` hook, the public hook::

    @hookimpl
    def ofxpost_start_fold(config, plan) -> Fold | None

A :class:`Fold` takes each finished record as the controller gets it
(:meth:`Folds.add`, from :meth:`ofxpost._finish.finishing.Finisher.record_done`) and
builds the same tables at the end (:meth:`Fold.tables`). The module's
``ofxpost_aggregate`` is the same fold run over the stored records, so the two
cannot drift apart; a fold keeps each file's part under its input index and
orders them only at the end, so the completion order does not matter.

The Finisher uses a plugin's fold only when it saw exactly the records the
batch aggregation would read (the done files with a stored record; each once).
Otherwise -- and for a plugin whose fold raised on some record -- that plugin is
aggregated from the store as before, and an error it raises is reported as
before. The built-ins and third-party plugins use the same hook (see
``docs/hooks.md``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, cast

import pluggy

from ofxpost._core.fold import Fold
from ofxpost._core.records import FileRecord, Job
from ofxpost._plugins.manager import ImplOutcome, trace_call

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan

__all__ = ["Fold", "Folds"]

class Folds:
    """The folds of a batch's aggregators (every plugin with ``ofxpost_start_fold``)."""

    def __init__(self, pm: pluggy.PluginManager, config: Config, plan: Plan) -> None:
        self._folds: dict[str, Fold] = {}
        self._indexes: set[int] = set()
        self._valid = True
        self._lock = threading.Lock()  # records arrive on the loop; the end runs on a thread
        aggregators = {i.plugin_name for i in pm.hook.ofxpost_aggregate.get_hookimpls()}
        offered = {"config": config, "plan": plan}
        for impl in pm.hook.ofxpost_start_fold.get_hookimpls():
            name = impl.plugin_name
            if name not in aggregators:
                continue
            try:
                fold = cast("Fold | None", impl.function(**{a: offered[a] for a in impl.argnames}))
            except Exception:  # aggregated from the store at the end instead
                continue
            if fold is not None and callable(getattr(fold, "add", None)):
                self._folds[name] = fold

    def add(self, job: Job, record: FileRecord) -> None:
        """Fold a finished file's record into every fold (as the store would give it).

        A fold that raises is dropped (its plugin is aggregated from the store);
        a file seen twice drops them all.
        """
        with self._lock:
            self._add(job, record)

    def _add(self, job: Job, record: FileRecord) -> None:
        if not self._valid:
            return
        if job.index in self._indexes:
            self._valid = False
            self._folds.clear()
            return
        self._indexes.add(job.index)
        # what store.read() returns: the job's index and path, never "reused"
        stored = record
        if record.reused or record.index != job.index or record.path != job.path:
            stored = replace(record, index=job.index, path=job.path, reused=False)
        for name, fold in list(self._folds.items()):
            try:
                fold.add(stored)
            except Exception:
                del self._folds[name]

    def outcomes(self, indexes: Iterable[int]) -> dict[str, ImplOutcome]:
        """Each fold's tables (or error) by plugin, if it saw exactly ``indexes``."""
        with self._lock:
            if not self._valid or set(indexes) != self._indexes:
                return {}
            outcomes: dict[str, ImplOutcome] = {}
            for name, fold in self._folds.items():
                start = time.perf_counter()
                try:
                    outcomes[name] = ImplOutcome(name, value=fold.tables())
                except Exception as exc:
                    outcomes[name] = ImplOutcome(name, error=exc)
                trace_call("ofxpost_aggregate", name, time.perf_counter() - start)
            return outcomes
