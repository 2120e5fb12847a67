"""The events that open a batch: ``batch_started`` and the warnings known before files run."""

from __future__ import annotations

from typing import TypedDict

from ofxpost._config.input_filters import pairing_event
from ofxpost._config.plan import Plan
from ofxpost._events.emitter import EventEmitter
from ofxpost._store.manifest import OutputLedger
from ofxpost._store.store import ResultStore
from ofxpost._version import __version__


def announce_start(emitter: EventEmitter, plan: Plan, store: ResultStore, resume: bool) -> None:
    """``batch_started``, the config's notices, ``inputs_paired``, a damaged store."""
    emitter.emit(
        "batch_started",
        total=plan.total,
        workers=plan.workers,
        output_dir=str(plan.output_dir),
        config=str(plan.config.source) if plan.config.source else None,
        version=__version__,
        resume=resume,
        **budget_totals(plan),
    )
    for notice in (*plan.config.notices, *plan.warnings):
        emitter.emit("warning", level="warning", message=notice)
    if (paired := pairing_event(plan.config, [job.path for job in plan.jobs])) is not None:
        emitter.emit("inputs_paired", **paired)
    if store.damaged_lines:
        emitter.emit(
            "warning",
            level="warning",
            message=f"result store {store.log_path}: skipped "
            f"{store.damaged_lines} damaged line(s); every valid record was kept "
            "(files whose record was damaged run again)",
        )


class BudgetTotals(TypedDict, total=False):
    """The budget fields of ``batch_started``."""

    licences: int
    memory_budget_bytes: int


def budget_totals(plan: Plan) -> BudgetTotals:
    """``licences`` and ``memory_budget_bytes`` of ``batch_started`` (where limited)."""
    budgets, totals = plan.budgets, BudgetTotals()
    if budgets.licences:
        totals["licences"] = budgets.licences
    if budgets.file_capacity:
        totals["memory_budget_bytes"] = budgets.file_capacity
    return totals


def announce_refused(emitter: EventEmitter, plan: Plan, ledger: OutputLedger | None) -> None:
    """A ``warning`` for manifest entries that are not confined relative paths."""
    if ledger is None or not ledger.refused:
        return
    emitter.emit(
        "warning",
        level="warning",
        message=f"manifest {plan.output_dir / 'ofxpost-run.json'}: ignored "
        f"{len(ledger.refused)} entry(ies) of 'written' that are not confined "
        f"relative paths ({', '.join(ledger.refused[:3])}); nothing outside "
        "output_dir is deleted",
    )


__all__ = ["announce_refused", "announce_start", "budget_totals"]
