"""Aggregate: every aggregator's tables, each checked at the boundary.

Each aggregator is called on its own (a plugin whose fold saw every record gives
its folded tables instead, see :mod:`ofxpost._finish.folding`). Its return must be
``None`` or a mapping of a safe table name (:mod:`ofxpost._core.names`) to a
``pandas.DataFrame``. Anything else, an exception, or a table name that an
earlier-registered plugin already produced (built-ins are registered first, so a
built-in is never displaced; names that differ only in case collide) is that
aggregator's error, and costs only its own tables.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pluggy

from ofxpost._config.plan import Plan
from ofxpost._core.names import name_key, name_problem
from ofxpost._core.records import Job
from ofxpost._core.tableattrs import PROBLEMS_ATTR, WARNINGS_ATTR
from ofxpost._events.emitter import EventEmitter
from ofxpost._finish import checkpoints
from ofxpost._finish.blame import OutputFailures, describe, registration_order, type_name
from ofxpost._finish.folding import Folds
from ofxpost._plugins.manager import ImplOutcome, call_each
from ofxpost._store.store import ResultStore

if TYPE_CHECKING:  # the controller imports pandas when a table is made
    import pandas as pd

__all__ = ["Aggregation"]


class Aggregation:
    """Builds the batch's tables from the stored records (or the folds)."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        store: ResultStore,
        emitter: EventEmitter,
        failures: OutputFailures,
    ) -> None:
        self.pm = pm
        self.store = store
        self.emitter = emitter
        self._failures = failures
        self.producers: dict[str, str] = {}
        """The plugin that produced each table, by :func:`~ofxpost._core.names.name_key`."""

    def run(self, plan: Plan, done: list[Job], folds: Folds | None) -> dict[str, pd.DataFrame]:
        """Every aggregator's valid tables, sorted by name."""
        self.emitter.emit("aggregation_started", files=len(done))
        clock = time.perf_counter()
        records = self.store.records(done)
        stored = [job.index for job in done if self.store.has(job)]
        folded = folds.outcomes(stored) if folds is not None else {}
        caller = self.pm.hook.ofxpost_aggregate
        if folded:  # the built-ins that folded the records as they came
            others = [self.pm.get_plugin(name) for name in folded]
            caller = self.pm.subset_hook_caller("ofxpost_aggregate", remove_plugins=others)
        outcomes = call_each(caller, records=records, config=plan.config, plan=plan)
        outcomes.extend(folded.values())
        tables: dict[str, pd.DataFrame] = {}
        producer = self.producers
        first = registration_order(self.pm)
        for outcome in sorted(outcomes, key=lambda o: first(o.plugin)):
            for name, table in self._checked_tables(outcome):
                key = name_key(name)
                if key in producer:
                    self._failures.plugin(
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
        for name, table in ordered.items():  # what an aggregator attached to its table
            for message in table.attrs.get(WARNINGS_ATTR) or ():
                self.emitter.emit("warning", level="warning", message=str(message))
            for message in table.attrs.get(PROBLEMS_ATTR) or ():
                self._failures.plugin(
                    "aggregator",
                    producer[name_key(name)],
                    f"table {name!r} is incomplete: {message}",
                    target=name,
                )
        self.emitter.emit(
            "aggregation_finished",
            tables=len(ordered),
            seconds=round(time.perf_counter() - clock, 6),
        )
        checkpoints.checkpoint("aggregated")
        return ordered

    def _checked_tables(self, outcome: ImplOutcome) -> list[tuple[str, pd.DataFrame]]:
        """The valid ``(name, table)`` pairs of one aggregator; each problem is its error."""
        plugin = outcome.plugin
        if outcome.error is not None:
            self._failures.plugin(
                "aggregator", plugin, f"raised {describe(outcome.error)}", error=outcome.error
            )
            return []
        value = outcome.value
        if value is None:
            return []
        if not isinstance(value, Mapping):
            self._failures.plugin(
                "aggregator",
                plugin,
                f"returned a {type_name(value)}, not a mapping of table name to "
                "pandas.DataFrame (or None); none of its tables was written",
            )
            return []
        try:
            items = list(value.items())
        except Exception as exc:
            self._failures.plugin(
                "aggregator",
                plugin,
                f"returned a mapping that could not be read: {describe(exc)}",
                error=exc,
            )
            return []
        checked: list[tuple[str, pd.DataFrame]] = []
        for name, table in items:
            problem = name_problem(name)
            if problem is not None:
                self._failures.plugin(
                    "aggregator",
                    plugin,
                    f"table name {name!r} {problem}; the table was not written",
                    target=str(name),
                )
            elif not isinstance(table, _data_frame()):
                self._failures.plugin(
                    "aggregator",
                    plugin,
                    f"table {name!r} is a {type_name(table)}, not a pandas.DataFrame; "
                    "it was not written",
                    target=name,
                )
            else:
                checked.append((name, table))
        return checked


def _data_frame() -> type[pd.DataFrame]:
    import pandas as pd  # imported here: nothing before the finish needs it

    return pd.DataFrame
