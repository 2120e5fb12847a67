"""The runners the throughput and overhead benchmarks compare, and their registry.

Every runner processes the same files with the same per-file work and ends with the
same tables written by the same writers, so their wall times differ only by how the
work is orchestrated:

==================  ========================================================  =========
key                 what it does                                              workers
==================  ========================================================  =========
``opp_loop``        "the opp.py way": one process, build the plugin manager   1
                    once, :func:`ofxpost._worker.worker.run_job` per file in a plain
                    loop, then aggregate and write (:func:`_peer.finish`)
``ofxpost_seq``     ``ofxpost.run(config, sequential=True)``                  1
``ppe``             ``ProcessPoolExecutor(spawn).map(peer_job, jobs)``        w
``joblib``          ``joblib.Parallel(n_jobs=w, backend="loky")``             w
``dask``            ``LocalCluster(processes=True)`` + ``client.map/gather``  w
``ofxpost``         ``ofxpost.run(config, workers=w)`` (pool start included)  w
``ofxpost_dask``    the same with ``executor: dask``: a LocalCluster started  w
                    by the batch (its start included), files in a child
                    process of each Dask worker
==================  ========================================================  =========

Each timing starts before the config is loaded and ends when the outputs are
written. Pools are started inside the timing (a user's run pays for them), except
the Dask cluster, whose start-up is timed separately and reported
(``phases["cluster_start"]``). Loky's reusable executor is shut down after each run
so that every run starts its workers cold, like the others.

Add an executor by writing a function ``(RunContext) -> RunOutcome`` and an entry in
:data:`RUNNERS` (``kind="ofxpost"`` makes the tables compare it against the best peer).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import _peer
import psutil

import ofxpost
from ofxpost._config.plan import Plan, make_plan
from ofxpost._core.records import FileRecord
from ofxpost._plugins.manager import get_plugin_manager
from ofxpost._store.store import ResultStore
from ofxpost._worker.worker import run_job


@dataclass
class RunContext:
    """What a runner gets: the config (without ``output_dir``), workers and a folder."""

    config: Mapping[str, Any]
    """A native config mapping with absolute paths; the runner adds ``output_dir``."""
    workers: int
    """Worker processes (ignored by sequential runners)."""
    output_dir: Path
    """Where this runner writes its outputs (and ofxpost its result store)."""
    chunksize: int = 1
    """Tasks per message for ``ProcessPoolExecutor.map``."""
    profile_to: Path | None = None
    """If set, ofxpost runners profile the controller with pyinstrument into this file."""

    def mapping(self) -> dict[str, Any]:
        """The config mapping with this run's ``output_dir``."""
        return {**self.config, "output_dir": str(self.output_dir)}


@dataclass
class RunOutcome:
    """What a runner measured."""

    wall_s: float
    """From before the config is loaded until the outputs are written."""
    fingerprints: dict[int, str]
    """Per-file ``status:payload-digest``, for the identity check."""
    phases: dict[str, float] = field(default_factory=dict)
    """Named sub-timings (seconds), e.g. ``pool_start``."""


Kind = Literal["baseline", "sequential", "peer", "ofxpost"]


@dataclass(frozen=True)
class RunnerSpec:
    """A registered runner."""

    key: str
    label: str
    kind: Kind
    parallel: bool
    run: Callable[[RunContext], RunOutcome]


def _plan(ctx: RunContext, **options: Any) -> Plan:
    return make_plan(ofxpost.load_config(ctx.mapping()), **options)


# ----------------------------------------------------------------------------- runners


def run_opp_loop(ctx: RunContext) -> RunOutcome:
    """One process, one file after another, then aggregate and write."""
    start = time.perf_counter()
    plan = _plan(ctx, sequential=True)
    pm = get_plugin_manager(plan.plugin_spec)
    records = [run_job(pm, plan.config, job) for job in plan.jobs]
    files_done = time.perf_counter()
    _peer.finish(plan, records, ctx.output_dir)
    end = time.perf_counter()
    return RunOutcome(
        end - start,
        _peer.fingerprints(records),
        {"files": files_done - start, "aggregate_write": end - files_done},
    )


def _peer_outcome(
    plan: Plan, records: list[FileRecord], ctx: RunContext, start: float, phases: dict[str, float]
) -> RunOutcome:
    files_done = time.perf_counter()
    _peer.finish(plan, records, ctx.output_dir)
    end = time.perf_counter()
    phases = {**phases, "files": files_done - start, "aggregate_write": end - files_done}
    return RunOutcome(end - start, _peer.fingerprints(records), phases)


def run_ppe(ctx: RunContext) -> RunOutcome:
    """``concurrent.futures.ProcessPoolExecutor`` (spawn) ``.map``."""
    start = time.perf_counter()
    plan = _plan(ctx)
    fn = functools.partial(_peer.peer_job, plan.worker_setup())
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=ctx.workers, mp_context=spawn) as pool:
        records = list(pool.map(fn, plan.jobs, chunksize=ctx.chunksize))
    return _peer_outcome(plan, records, ctx, start, {})


def _reset_loky() -> None:
    """Shut loky's reusable executor down, so the next joblib run starts cold."""
    from joblib.externals.loky import reusable_executor

    executor = reusable_executor._executor  # the singleton joblib reuses between calls
    if executor is not None:
        executor.shutdown(wait=True)


def run_joblib(ctx: RunContext) -> RunOutcome:
    """``joblib.Parallel(n_jobs=w, backend="loky")`` over the files."""
    from joblib import Parallel, delayed

    _reset_loky()
    start = time.perf_counter()
    plan = _plan(ctx)
    setup = plan.worker_setup()
    records = list(
        Parallel(n_jobs=ctx.workers, backend="loky")(
            delayed(_peer.peer_job)(setup, job) for job in plan.jobs
        )
    )
    outcome = _peer_outcome(plan, records, ctx, start, {})
    _reset_loky()
    return outcome


def run_dask(ctx: RunContext) -> RunOutcome:
    """Dask ``LocalCluster`` (processes, 1 thread each) + ``client.map`` / ``gather``.

    The cluster's start-up is excluded from ``wall_s`` and reported as
    ``phases["cluster_start"]``.
    """
    import distributed

    # distributed is untyped: go through Any
    dist: Any = distributed
    t0 = time.perf_counter()
    cluster = dist.LocalCluster(
        n_workers=ctx.workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = dist.Client(cluster)
    client.wait_for_workers(ctx.workers)
    cluster_start = time.perf_counter() - t0
    try:
        start = time.perf_counter()
        plan = _plan(ctx)
        fn = functools.partial(_peer.peer_job, plan.worker_setup())
        futures = client.map(fn, list(plan.jobs), pure=False)
        records: list[FileRecord] = client.gather(futures)
        outcome = _peer_outcome(plan, records, ctx, start, {"cluster_start": cluster_start})
    finally:
        client.close()
        cluster.close()
    return outcome


def _store_fingerprints(ctx: RunContext) -> dict[int, str]:
    """Per-file fingerprints of the records ofxpost left in its result store."""
    plan = _plan(ctx)
    store = ResultStore(plan.store_dir)
    store.prepare(resume=True)  # opens (and indexes) the existing store, keeps every record
    records: list[FileRecord] = []
    try:
        for job in plan.jobs:
            record = store.read(job)
            if record is None:
                raise RuntimeError(f"ofxpost left no store record for {job.path}")
            records.append(record)
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()
    return _peer.fingerprints(records)


def _run_ofxpost(ctx: RunContext, executor: str | None = None, **options: Any) -> RunOutcome:
    marks: dict[str, float] = {}

    def on_event(event: dict[str, Any]) -> None:
        name = event.get("event")
        now = time.perf_counter()
        if name in ("batch_started", "mode_selected", "batch_finished"):
            marks[str(name)] = now
        elif name in ("file_finished", "file_failed"):
            marks["last_file"] = now

    profiler: Any = None
    if ctx.profile_to is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001, async_mode="disabled")
        profiler.start()
    start = time.perf_counter()
    mapping = ctx.mapping()
    if executor is not None:
        pp = dict(mapping.get("parallel_processing") or {})
        mapping["parallel_processing"] = {**pp, "executor": executor}
    result = ofxpost.run(mapping, on_event=on_event, **options)
    end = time.perf_counter()
    if profiler is not None and ctx.profile_to is not None:
        profiler.stop()
        ctx.profile_to.parent.mkdir(parents=True, exist_ok=True)
        ctx.profile_to.write_text(
            profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8"
        )
    if result.exit_code != 0 or result.succeeded != result.total:
        raise RuntimeError(
            f"ofxpost run failed: exit {result.exit_code}, {result.succeeded}/{result.total} "
            f"succeeded, failures {result.failures[:3]}, output errors {result.output_errors}"
        )
    phases: dict[str, float] = {"batch_wall_s": result.wall_s}
    if {"batch_started", "mode_selected", "batch_finished"} <= marks.keys():
        phases["config_plan"] = marks["batch_started"] - start
        phases["pool_start"] = marks["mode_selected"] - marks["batch_started"]
        phases["mode_to_finished"] = marks["batch_finished"] - marks["mode_selected"]
        if "last_file" in marks:
            phases["files"] = marks["last_file"] - marks["mode_selected"]
            phases["shutdown_aggregate_write"] = marks["batch_finished"] - marks["last_file"]
        phases["after_finished"] = end - marks["batch_finished"]
    return RunOutcome(end - start, _store_fingerprints(ctx), phases)


def run_ofxpost_seq(ctx: RunContext) -> RunOutcome:
    """``ofxpost.run(config, sequential=True)``."""
    return _run_ofxpost(ctx, sequential=True)


def run_ofxpost_pool(ctx: RunContext) -> RunOutcome:
    """``ofxpost.run(config, workers=w)``: the local resilient process pool."""
    return _run_ofxpost(ctx, workers=ctx.workers)


def run_ofxpost_dask(ctx: RunContext) -> RunOutcome:
    """``ofxpost.run`` with ``executor: dask`` (a local cluster, its start included)."""
    return _run_ofxpost(ctx, executor="dask", workers=ctx.workers)


RUNNERS: dict[str, RunnerSpec] = {
    spec.key: spec
    for spec in (
        RunnerSpec("opp_loop", "opp-style loop (1 process)", "baseline", False, run_opp_loop),
        RunnerSpec("ofxpost_seq", "ofxpost --sequential", "sequential", False, run_ofxpost_seq),
        RunnerSpec("ppe", "ProcessPoolExecutor.map", "peer", True, run_ppe),
        RunnerSpec("joblib", "joblib Parallel (loky)", "peer", True, run_joblib),
        RunnerSpec("dask", "dask LocalCluster", "peer", True, run_dask),
        RunnerSpec("ofxpost", "ofxpost local pool", "ofxpost", True, run_ofxpost_pool),
        RunnerSpec("ofxpost_dask", "ofxpost on Dask", "ofxpost", True, run_ofxpost_dask),
    )
}
"""Every runner, by key. Sections pick the ones they need."""


# ----------------------------------------------------------------------------- rounds


SETTLE_S = 0.5
"""Pause after each run (its processes gone) before the next one starts."""


class IdentityError(RuntimeError):
    """Two runners produced different per-file results."""


def check_identity(reference: dict[int, str], got: dict[int, str], who: str) -> None:
    """Raise :class:`IdentityError` unless ``got`` equals ``reference`` file by file."""
    if got == reference:
        return
    missing = sorted(reference.keys() - got.keys())
    extra = sorted(got.keys() - reference.keys())
    differ = sorted(i for i in reference.keys() & got.keys() if reference[i] != got[i])
    raise IdentityError(
        f"{who}: per-file results differ from the reference run: "
        f"{len(differ)} files differ (first: {differ[:5]}), {len(missing)} missing "
        f"(first: {missing[:5]}), {len(extra)} unexpected; e.g. "
        + (f"file {differ[0]}: {reference[differ[0]]} != {got[differ[0]]}" if differ else "")
    )


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def _quiesce(before: set[int], who: str, log: Callable[[str], None], timeout: float = 15) -> None:
    """Wait until the processes a run started have exited.

    Long-lived helpers that outlive a run (multiprocessing's resource tracker) are
    tolerated after ``timeout``; they are idle.
    """
    deadline = time.monotonic() + timeout
    left = _children() - before
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = _children() - before
    if left:
        names = []
        for pid in sorted(left):
            with contextlib.suppress(psutil.Error):
                names.append(" ".join(psutil.Process(pid).cmdline()))
        if any("resource_tracker" not in n and "semaphore_tracker" not in n for n in names):
            log(f"  note: {who} left processes running: {[n[:100] for n in names]}")


Slot = tuple[str, int]
"""A runner key and its worker count."""


FOREIGN_RETRIES = 2
"""How many times a disturbed run is redone before it is kept (and flagged)."""


def run_rounds(
    slots: list[Slot],
    rounds: int,
    make_context: Callable[[str, int], RunContext],
    *,
    log: Callable[[str], None] = print,
    max_foreign: float | None = None,
    retries: int = FOREIGN_RETRIES,
) -> dict[Slot, list[RunOutcome]]:
    """Run every slot ``rounds`` times, interleaved, checking identity after each run.

    Round *r* runs the slots in order, rotated by *r*, so that no runner always runs
    first (cold caches) or right after the same neighbour; machine drift over time
    is spread over all runners. The first run of the first slot is the reference for
    the identity check; any difference aborts (:class:`IdentityError`).

    Before each run :data:`_common.QUIET` waits (briefly) for a quiet machine. Each
    run's *foreign load* -- the share of the machine other processes used meanwhile
    (:class:`_common.ForeignLoad`) -- is recorded as ``phases["foreign_load"]``; a
    run above ``max_foreign`` (default: the gate's threshold, ``--max-foreign``) is
    redone up to ``retries`` times.
    """
    from _common import QUIET, ForeignLoad

    limit = QUIET.threshold if max_foreign is None else max_foreign
    outcomes: dict[Slot, list[RunOutcome]] = {slot: [] for slot in slots}
    reference: dict[int, str] | None = None
    for r in range(rounds):
        shift = r % len(slots)
        order = slots[shift:] + slots[:shift]
        for key, workers in order:
            spec = RUNNERS[key]
            who = f"{key} (w={workers}, round {r + 1})"
            for attempt in range(retries + 1):
                waited = QUIET.wait()
                if waited > 2 * QUIET.window:
                    log(f"  waited {waited:.0f} s for other processes to calm down")
                before = _children()
                with ForeignLoad() as load:
                    outcome = spec.run(make_context(key, workers))
                    _quiesce(before, who, log)
                outcome.phases["foreign_load"] = load.fraction
                if reference is None:
                    reference = outcome.fingerprints
                    _check_reference(reference, who)
                check_identity(reference, outcome.fingerprints, who)
                if load.fraction <= limit:
                    break
                verdict = "redoing it" if attempt < retries else "keeping it (flagged)"
                log(f"  {who}: other processes used {load.fraction:.0%} of the CPUs; {verdict}")
            time.sleep(SETTLE_S)
            outcomes[(key, workers)].append(outcome)
            log(
                f"  round {r + 1}/{rounds}  {key:<12} w={workers}  {outcome.wall_s:8.3f} s"
                f"  (foreign load {load.fraction:.0%})"
            )
    return outcomes


def _check_reference(reference: dict[int, str], who: str) -> None:
    if not reference:
        raise IdentityError(f"{who}: produced no per-file results")
    failed = sorted(i for i, f in reference.items() if not f.startswith("ok:"))
    if failed:
        raise IdentityError(
            f"{who}: {len(failed)} of {len(reference)} files did not succeed "
            f"(first: {failed[:5]}); a benchmark of failing files means nothing"
        )
