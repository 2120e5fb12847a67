"""The plan: the batch as plain data -- files in input order, budgets, worker count.

Nothing downstream of the plan reads the YAML again. The plan is made in the
controller; workers receive only :class:`~ofxpost.Job` records and a
:class:`WorkerSetup`.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import psutil

from ofxpost._config.discovery import _glob_root as _glob_root
from ofxpost._config.discovery import check_output_dir, normalised
from ofxpost._config.discovery import resolve_inputs as resolve_inputs
from ofxpost._config.input_names import input_keys
from ofxpost._config.model import Config
from ofxpost._config.plugin_spec import PluginSpec
from ofxpost._config.settings import ParallelProcessing
from ofxpost._core.estimates import MIN_FILE_ESTIMATE as MIN_FILE_ESTIMATE
from ofxpost._core.estimates import SIZE_FACTOR as SIZE_FACTOR
from ofxpost._core.estimates import initial_estimate as initial_estimate
from ofxpost._core.printable import shown
from ofxpost._core.records import Job
from ofxpost._core.sizes import parse_size
from ofxpost.errors import ConfigError, OutputError

LICENSED_SUFFIXES = frozenset({".sim", ".dat", ".yml", ".yaml"})
"""Inputs opened through OrcFxAPI, which hold an OrcaFlex licence while open."""

AUTO_BUDGET_SHARE = 0.7
"""Share of the available RAM that ``memory_budget: auto`` allows."""

MIN_MEMORY_PER_FILE = 1024**2
"""Smallest fixed ``memory_per_file`` accepted (bytes): below it no file can open."""

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
    in_process: bool = False
    """Run the files in the controller itself (``--in-process``, for debugging only).

    Otherwise even a sequential batch runs its files in one worker process, so a
    plugin's ``os._exit``, segfault, stray thread or leak fails its file only."""

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


def make_plan(
    config: Config,
    *,
    workers: int | None = None,
    sequential: bool = False,
    in_process: bool = False,
    batch_id: str | None = None,
    paths: Sequence[Path] | None = None,
) -> Plan:
    """Turn a validated config into a :class:`Plan`.

    :param workers: override ``max_workers`` (at least 1).
    :param sequential: force the sequential path (``--sequential``): one worker
        process, files in input order.
    :param in_process: run the files in this process, in order (``--in-process``;
        for debugging only: a plugin that exits, crashes or leaves a thread running
        takes the batch with it, and ``timeout_per_file`` is not enforced).
    :param paths: the input files, already resolved (in input order), instead of
        resolving ``config.inputs`` (the watch mode plans over the inputs complete
        so far); at least one.
    :raises ConfigError: for unusable inputs, options or budgets.
    :raises OutputError: for an ``output_dir`` that cannot be used.
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)):
        raise ConfigError(f"option 'workers': expected an integer (got {workers!r})")
    if workers is not None and workers < 1:
        raise ConfigError(f"option 'workers': must be at least 1 (got {workers!r})")
    pp = config.parallel_processing
    notes: list[str] = []
    paths = resolve_inputs(config, notes) if paths is None else list(paths)
    _check_sections(config, paths)
    output_dir = normalised(config.output_dir)
    try:
        check_output_dir(output_dir)
    except OutputError as exc:
        label = f"{config.source}: " if config.source is not None else ""
        raise OutputError(f"{label}key 'output_dir': {exc}") from None
    per_file = None if pp.memory_per_file == "auto" else parse_size(pp.memory_per_file)
    keys = input_keys(paths)
    jobs = tuple(_job(i, path, per_file, keys[i]) for i, path in enumerate(paths))

    cpus = os.cpu_count() or 1
    licensed = any(job.needs_licence for job in jobs)
    requested = workers if workers is not None else pp.max_workers
    limit = cpus if requested == "auto" else int(requested)
    limit = max(1, min(limit, len(jobs)))
    if pp.licences is not None and licensed and all(j.needs_licence for j in jobs):
        limit = min(limit, pp.licences)

    budgets, limit, warnings = _memory_budgets(
        pp.memory_budget, per_file, jobs, limit, pp, config.source
    )
    warnings = (*notes, *warnings)

    mode: Mode = "parallel"
    reason = f"{limit} worker processes"
    if in_process:
        mode, reason = "sequential", "requested with --in-process (debugging only)"
    elif sequential:
        mode, reason = "sequential", "requested with --sequential"
    elif pp.executor == "sequential":
        mode, reason = "sequential", "parallel_processing.executor is 'sequential'"
    elif not pp.enabled:
        mode, reason = "sequential", "parallel_processing.enabled is false"
    elif len(jobs) == 1:
        mode, reason = "sequential", "only one input file"
    if mode == "sequential":
        limit = 1
        if in_process and pp.timeout_per_file is not None:
            warnings += ("timeout_per_file is not enforced with --in-process",)

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
        plugin_spec=config.plugin_spec,
        timeout=pp.timeout_per_file,
        warnings=warnings,
        in_process=in_process,
    )


def _check_sections(config: Config, paths: list[Path]) -> None:
    """Let each config section that can check itself against the inputs do so.

    A section model with a ``check_inputs(config, paths)`` method (the load matrix:
    no row may match two files) raises :class:`ValueError` for a config that cannot
    run; that is a :class:`ConfigError` naming the section (exit 2, nothing ran).
    """
    label = f"{config.source}: " if config.source is not None else ""
    for name, section in sorted(config.sections.items()):
        check = getattr(section, "check_inputs", None)
        if not callable(check):
            continue
        try:
            check(config, paths)
        except ValueError as exc:
            raise ConfigError(f"{label}key {name!r}: {exc}") from None


def with_mode(plan: Plan, mode: Mode, reason: str, *, in_process: bool = False) -> Plan:
    """Return ``plan`` switched to ``mode`` (used for the fallbacks when no pool starts)."""
    workers = 1 if mode == "sequential" else plan.workers
    return replace(plan, mode=mode, mode_reason=reason, workers=workers, in_process=in_process)


def _job(index: int, path: Path, per_file: int | None, key: str = "") -> Job:
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
        key=key,
    )
    estimate = per_file if per_file is not None else initial_estimate(job)
    return replace(job, memory_estimate=estimate)


def _memory_budgets(
    budget_value: str | int | None,
    per_file: int | None,
    jobs: tuple[Job, ...],
    workers: int,
    pp: ParallelProcessing,
    source: Path | None = None,
) -> tuple[Budgets, int, tuple[str, ...]]:
    licences = pp.licences
    label = f"{source}: " if source is not None else ""
    if per_file is not None and per_file < MIN_MEMORY_PER_FILE:
        raise ConfigError(
            f"{label}key 'parallel_processing.memory_per_file': {per_file} bytes is too "
            f"small to open any file; use at least {_mib(MIN_MEMORY_PER_FILE)} (or 'auto')"
        )
    if budget_value is None:
        return Budgets(licences=licences, memory_per_file=per_file), workers, ()
    if budget_value == "auto":
        budget = int(psutil.virtual_memory().available * AUTO_BUDGET_SHARE)
    else:
        budget = parse_size(budget_value)
    controller = psutil.Process().memory_info().rss
    worker_base = controller  # a worker imports what the controller imported
    typical = sorted(job.memory_estimate for job in jobs)[len(jobs) // 2]
    smallest = min(job.memory_estimate for job in jobs)
    while workers > 1 and budget - controller - workers * worker_base < workers * typical:
        workers -= 1
    capacity = budget - controller - workers * worker_base
    if capacity < smallest:
        minimum = controller + worker_base + smallest
        if budget_value == "auto":
            written = f"auto (70% of the available memory, {_mib(budget)})"
        elif str(budget_value).replace(" ", "") == _mib(budget):
            written = _mib(budget)
        else:
            written = f"{budget_value} ({_mib(budget)})"
        raise ConfigError(
            f"{label}key 'parallel_processing.memory_budget': {written} "
            f"is too small to run any file: the controller ({_mib(controller)}) and one "
            f"worker ({_mib(worker_base)}) leave {_mib(max(capacity, 0))} for file data, "
            f"and the smallest file needs an estimated {_mib(smallest)}; use at least "
            f"{_mib(minimum, up=True)}, or null for no memory budget"
        )
    budgets = Budgets(
        licences=licences,
        memory_budget=budget,
        memory_per_file=per_file,
        file_capacity=capacity,
        worker_base=worker_base,
    )
    return budgets, workers, ()


def _mib(size: int, up: bool = False) -> str:
    mib = size / 1024**2
    return f"{math.ceil(mib) if up else round(mib)}MiB"


def display_path(path: Path, base_dir: Path) -> str:
    """``path`` as written in output tables: relative to the config's folder when it is
    inside it (with ``/`` separators, so tables are the same on Windows and Linux and
    when the project folder moves), absolute otherwise."""
    full, base = str(path), str(base_dir)
    prefix = base if base.endswith(os.sep) else base + os.sep
    if len(full) > len(prefix) and full.startswith(prefix):  # what relative_to finds, cheaper
        rest = full[len(prefix) :]
        text = rest if os.sep == "/" else rest.replace(os.sep, "/")
    elif isinstance(path, PurePosixPath) and isinstance(base_dir, PurePosixPath):
        text = full  # relative_to compares POSIX paths exactly: it would fail too
    else:  # Windows paths compare without case: let pathlib decide
        try:
            text = path.relative_to(base_dir).as_posix()
        except ValueError:
            text = path.as_posix()
    return shown(text)  # a name that is not UTF-8: its odd bytes as ``\xNN``
