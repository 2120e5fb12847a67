"""The plan: the batch as plain data -- files in input order, budgets, worker count.

Nothing downstream of the plan reads the YAML again. The plan is made in the
controller; workers receive only :class:`~ofxpost.Job` records and a
:class:`WorkerSetup`.
"""

from __future__ import annotations

import glob
import os
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import psutil

from ofxpost import input_filters
from ofxpost.config import Config
from ofxpost.errors import ConfigError
from ofxpost.plugins import PluginSpec
from ofxpost.records import Job
from ofxpost.sizes import parse_size

LICENSED_SUFFIXES = frozenset({".sim", ".dat", ".yml", ".yaml"})
"""Inputs opened through OrcFxAPI, which hold an OrcaFlex licence while open."""

AUTO_BUDGET_SHARE = 0.7
"""Share of the available RAM that ``memory_budget: auto`` allows."""

MIN_FILE_ESTIMATE = 32 * 1024**2
"""Floor of the ``auto`` memory estimate of one file (bytes)."""

SIZE_FACTOR = 2.0
"""First ``auto`` estimate of a file's peak memory: this many times its size."""

Mode = Literal["parallel", "sequential"]


@dataclass(frozen=True)
class Budgets:
    """Limits that gate admission of files to workers."""

    licences: int | None = None
    """At most this many licensed files open at once (``None``: unlimited)."""
    memory_budget: int | None = None
    """Bytes for the whole process tree (``None``: no memory admission control)."""
    memory_per_file: int | None = None
    """Fixed per-file estimate in bytes (``None``: ``auto``, learnt as files finish)."""
    file_capacity: int | None = None
    """Bytes left for file data once the controller and idle workers are counted."""
    worker_base: int = 0
    """Estimated resident memory of an idle worker process (bytes)."""


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker process needs to rebuild the controller's plugins and config."""

    plugin_spec: PluginSpec
    raw_config: dict[str, Any]
    base_dir: Path
    source: Path | None


@dataclass(frozen=True)
class Plan:
    """Everything the orchestrator needs to run a batch."""

    batch_id: str
    config: Config
    jobs: tuple[Job, ...]
    workers: int
    mode: Mode
    mode_reason: str
    budgets: Budgets
    output_dir: Path
    store_dir: Path
    config_hash: str
    plugin_spec: PluginSpec
    timeout: float | None
    warnings: tuple[str, ...] = field(default=())

    @property
    def total(self) -> int:
        """Number of input files."""
        return len(self.jobs)

    def worker_setup(self) -> WorkerSetup:
        """The :class:`WorkerSetup` for this plan's workers."""
        cfg = self.config
        return WorkerSetup(
            plugin_spec=self.plugin_spec,
            raw_config=dict(cfg.raw),
            base_dir=cfg.base_dir,
            source=cfg.source,
        )


def resolve_inputs(config: Config) -> list[Path]:
    """Expand ``inputs`` into absolute file paths, in input order, without duplicates.

    Glob matches are sorted by path. A file name that does not exist, or a pattern
    that matches nothing, is a config error. An active ``input_filters`` section
    takes over (see :mod:`ofxpost.input_filters`).
    """
    if (filtered := input_filters.resolve_filtered_inputs(config)) is not None:
        return filtered
    label = f"{config.source}: " if config.source is not None else ""
    seen: set[Path] = set()
    paths: list[Path] = []
    for i, entry in enumerate(config.inputs):
        resolved = config.resolve(entry)
        if glob.has_magic(str(entry)):
            matches = sorted(
                Path(p) for p in glob.glob(str(resolved), recursive=True) if Path(p).is_file()
            )
            if not matches:
                raise ConfigError(f"{label}key 'inputs[{i}]': pattern {entry!r} matched no files")
        else:
            if not resolved.is_file():
                raise ConfigError(
                    f"{label}key 'inputs[{i}]': input file not found: {entry!r} ({resolved})"
                )
            matches = [resolved]
        for path in matches:
            absolute = path.absolute()
            if absolute not in seen:
                seen.add(absolute)
                paths.append(absolute)
    return paths


def make_plan(
    config: Config,
    *,
    workers: int | None = None,
    sequential: bool = False,
    batch_id: str | None = None,
) -> Plan:
    """Turn a validated config into a :class:`Plan`.

    :param workers: override ``max_workers``.
    :param sequential: force the sequential path (``--sequential``).
    """
    pp = config.parallel_processing
    paths = resolve_inputs(config)
    output_dir = config.output_dir.absolute()
    per_file = None if pp.memory_per_file == "auto" else parse_size(pp.memory_per_file)
    jobs = tuple(_job(i, path, per_file) for i, path in enumerate(paths))

    cpus = os.cpu_count() or 1
    licensed = any(job.needs_licence for job in jobs)
    requested = workers if workers is not None else pp.max_workers
    limit = cpus if requested == "auto" else int(requested)
    limit = max(1, min(limit, len(jobs)))
    if pp.licences is not None and licensed and all(j.needs_licence for j in jobs):
        limit = min(limit, pp.licences)

    budgets, limit, warnings = _memory_budgets(pp.memory_budget, per_file, jobs, limit, pp)

    mode: Mode = "parallel"
    reason = f"{limit} worker processes"
    if sequential:
        mode, reason = "sequential", "requested with --sequential"
    elif pp.executor == "sequential":
        mode, reason = "sequential", "parallel_processing.executor is 'sequential'"
    elif not pp.enabled:
        mode, reason = "sequential", "parallel_processing.enabled is false"
    elif len(jobs) == 1:
        mode, reason = "sequential", "only one input file"
    if mode == "sequential":
        limit = 1
        if pp.timeout_per_file is not None:
            warnings += ("timeout_per_file is not enforced in sequential mode",)

    return Plan(
        batch_id=batch_id or uuid.uuid4().hex[:12],
        config=config,
        jobs=jobs,
        workers=limit,
        mode=mode,
        mode_reason=reason,
        budgets=budgets,
        output_dir=output_dir,
        store_dir=output_dir / ".ofxpost" / "store",
        config_hash=config.result_hash(),
        plugin_spec=PluginSpec(
            modules=tuple(config.plugins),
            local_file=config.local_plugin_file,
        ),
        timeout=pp.timeout_per_file,
        warnings=warnings,
    )


def with_mode(plan: Plan, mode: Mode, reason: str) -> Plan:
    """Return ``plan`` switched to ``mode`` (used for the sequential fallback)."""
    workers = 1 if mode == "sequential" else plan.workers
    return replace(plan, mode=mode, mode_reason=reason, workers=workers)


def initial_estimate(job: Job) -> int:
    """First ``auto`` memory estimate of a file, before any file has finished."""
    return max(MIN_FILE_ESTIMATE, int(job.size * SIZE_FACTOR))


def _job(index: int, path: Path, per_file: int | None) -> Job:
    try:
        stat = path.stat()
        size, mtime_ns = stat.st_size, stat.st_mtime_ns
    except OSError:
        size, mtime_ns = 0, 0
    job = Job(
        index=index,
        path=path,
        size=size,
        mtime_ns=mtime_ns,
        needs_licence=path.suffix.lower() in LICENSED_SUFFIXES,
    )
    estimate = per_file if per_file is not None else initial_estimate(job)
    return replace(job, memory_estimate=estimate)


def _memory_budgets(
    budget_value: str | int | None,
    per_file: int | None,
    jobs: tuple[Job, ...],
    workers: int,
    pp: Any,
) -> tuple[Budgets, int, tuple[str, ...]]:
    licences = pp.licences
    if budget_value is None:
        return Budgets(licences=licences, memory_per_file=per_file), workers, ()
    if budget_value == "auto":
        budget = int(psutil.virtual_memory().available * AUTO_BUDGET_SHARE)
    else:
        budget = parse_size(budget_value)
    controller = psutil.Process().memory_info().rss
    worker_base = controller  # a worker imports what the controller imported
    typical = sorted(job.memory_estimate for job in jobs)[len(jobs) // 2]
    warnings: tuple[str, ...] = ()
    while workers > 1 and budget - controller - workers * worker_base < workers * typical:
        workers -= 1
    capacity = budget - controller - workers * worker_base
    if capacity <= 0:
        warnings += (
            f"memory_budget {budget} bytes does not cover the controller and one worker; "
            "files run one at a time",
        )
        capacity = max(capacity, 1)
    budgets = Budgets(
        licences=licences,
        memory_budget=budget,
        memory_per_file=per_file,
        file_capacity=capacity,
        worker_base=worker_base,
    )
    return budgets, workers, warnings


def display_path(path: Path, base_dir: Path) -> str:
    """``path`` as written in output tables: relative to the config's folder when it is
    inside it (with ``/`` separators, so tables are the same on Windows and Linux and
    when the project folder moves), absolute otherwise."""
    try:
        return path.relative_to(base_dir).as_posix()
    except ValueError:
        return path.as_posix()
