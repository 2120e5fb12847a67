"""Worker processes started while the controller is still setting up the batch.

Starting a worker costs a fresh interpreter and the imports a worker needs (about
half a second to a second each). The controller meanwhile reads the config,
discovers plugins, resolves the inputs and locks ``output_dir``. :class:`Prestart`
overlaps the two: the local pool's workers are spawned first and import
:data:`WARM_MODULES` while the controller works; once the config is known
(:meth:`Prestart.bind`) and the plan has said how many workers it needs, the
executor claims the pool (:func:`claim`), hands the workers their set-up and stops any
it does not need. At :meth:`Prestart.bind` the workers are also told to import what the
batch's first file would (:func:`worker_modules`: pyarrow for archives, pandas when the
workers write time-series tables), so that no worker pays for those imports on its first
file.

``ofxpost run`` starts the workers before it reads the config (their number is
``--workers``, else a glance at the YAML's ``max_workers``, else the CPU count; none
when the YAML says ``enabled: false`` or another executor, see :func:`early_count`);
:func:`ofxpost.run_batch` as soon as the config is valid, before planning. Nothing is
pre-started for ``--sequential``, the Dask executor, a custom executor factory, or a
disabled pool. Every pre-started pool that
is not claimed is shut down by its owner (:meth:`Prestart.discard`).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ofxpost._config.plugin_spec import BUILTIN_PLUGINS
from ofxpost._pool.pool import ResilientProcessPool

if TYPE_CHECKING:  # ``ofxpost run`` starts workers before it has imported the config
    from ofxpost._config.model import Config

WARM_MODULES: tuple[str, ...] = ("ofxpost._worker.worker", *BUILTIN_PLUGINS.values())
"""What a pre-started worker imports while it waits for its set-up."""

ARCHIVE_MODULES: tuple[str, ...] = ("ofxpost._archive.reader", "pyarrow.parquet")
"""What reading a result archive imports on a worker's first file: imported while the
controller plans (:meth:`Prestart.bind`) when the inputs may be archives. (The reader
takes a column's values without pyarrow's pandas conversion, so reading alone does
not load pandas.)"""

TABLE_MODULES: tuple[str, ...] = ("pandas", "pyarrow.pandas_compat")
"""What a worker imports when it writes tables itself: the time-series groups are
written per file, in the worker (:mod:`ofxpost._builtin.timeseries`). Warmed only for
a config with time-series groups; a summary-only batch's workers never load pandas
(~0.25 s of CPU and ~40 MB each)."""

_SERIES = "time_series"
_OTHER_SUFFIX = re.compile(r"\.[A-Za-z0-9]+$")


def worker_modules(config: Config) -> tuple[str, ...]:
    """The heavy modules a worker of ``config``'s batch will import on its first file.

    :data:`ARCHIVE_MODULES` unless every input pattern names another suffix (``*.sim``,
    ``*.noop``): a batch of tiny files of a plugin's own kind pays for none of them;
    and :data:`TABLE_MODULES` when the config has time-series groups.
    """
    section = config.sections.get(_SERIES)
    return _modules_for(config.inputs, bool(getattr(section, "groups", None)))


def _modules_for(inputs: object, series: bool) -> tuple[str, ...]:
    tables = TABLE_MODULES if series else ()
    patterns = inputs if isinstance(inputs, list) else [inputs]
    for pattern in patterns:
        name = str(pattern).lower()
        if name.endswith(".parquet") or not _OTHER_SUFFIX.search(name):
            return (*ARCHIVE_MODULES, *tables)
    return tables


def early_modules(config_path: str | os.PathLike[str] | None) -> tuple[str, ...]:
    """:func:`worker_modules` from a quick look at the YAML's ``inputs`` (``ofxpost run``
    spawns its workers before it reads the config); ``()`` when it cannot tell."""
    if config_path is None:
        return ()
    try:
        import yaml

        with open(config_path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
    except Exception:
        return ()
    if not isinstance(raw, dict) or not raw.get("inputs"):
        return ()
    series = raw.get(_SERIES)
    return _modules_for(raw["inputs"], isinstance(series, dict) and bool(series.get("groups")))


_lock = threading.Lock()
_bound: list[Prestart] = []
"""Pre-started pools bound to a config, not yet claimed (oldest first)."""


def wanted_workers(
    config: Config, *, workers: int | None, sequential: bool, in_process: bool = False
) -> int:
    """How many local workers a batch of ``config`` may use (0: no local pool).

    An upper bound: the plan can still lower it (fewer files, licences, memory). A
    sequential batch uses one local worker process; ``in_process`` none.
    """
    pp = config.parallel_processing
    if in_process:
        return 0
    if sequential or not pp.enabled or pp.executor == "sequential":
        return 1
    return _worker_count(pp.executor == "local", pp.max_workers, workers)


def _worker_count(local: bool, max_workers: object, workers: int | None) -> int:
    """The one rule: none without a local pool; else ``workers`` (an option), else
    ``max_workers`` when it is a count, else one per CPU (``auto``)."""
    if not local:
        return 0
    if workers is not None:
        return workers
    if isinstance(max_workers, int) and not isinstance(max_workers, bool) and max_workers > 0:
        return max_workers
    return os.cpu_count() or 1


@dataclass(eq=False)
class Prestart:
    """One pre-started local pool, owned by whoever started it (see the module docs)."""

    pool: ResilientProcessPool
    config: Config | None = None
    claimed: bool = False

    @classmethod
    def begin(cls, count: int, modules: tuple[str, ...] = ()) -> Prestart:
        """Spawn ``count`` workers now; they import :data:`WARM_MODULES` and ``modules``
        (what the batch's files will need, when already known) and wait."""
        pool = ResilientProcessPool(max(1, count))
        pool.prestart((*WARM_MODULES, *modules))
        return cls(pool)

    def bind(
        self, config: Config, *, workers: int | None, sequential: bool, in_process: bool = False
    ) -> bool:
        """Offer the pool to the batch of ``config``; stop it if that batch has no use for it.

        Returns whether the pool is kept for :func:`claim`.
        """
        wanted = wanted_workers(
            config, workers=workers, sequential=sequential, in_process=in_process
        )
        if wanted < 1:
            self.discard()
            return False
        with _lock:
            self.config = config
            _bound.append(self)
        self.pool.warm(worker_modules(config))
        return True

    def discard(self) -> None:
        """Shut the pool down unless an executor claimed it (idempotent)."""
        with _lock:
            if self in _bound:
                _bound.remove(self)
            if self.claimed:
                return
            self.claimed = True  # nobody may claim it from now on
        self.pool.shutdown(wait=True, cancel_futures=True)


def early_count(config_path: str | os.PathLike[str] | None, workers: int | None) -> int:
    """How many workers ``ofxpost run`` starts before it reads the config properly.

    ``--workers`` if given; else a quick look at the YAML's
    ``parallel_processing`` (``max_workers``, ``enabled``, ``executor``), so that a
    config asking for 4 workers on a 64-CPU machine does not start 64; else one per
    CPU (also without a config file yet: ``None``). 0: start none. Anything
    unreadable here is left for the real config load to report.
    """
    section: Any = None
    if config_path is not None:
        try:
            import yaml

            with open(config_path, encoding="utf-8") as handle:
                raw = yaml.safe_load(handle)
            if isinstance(raw, dict):
                section = raw.get("parallel_processing")
        except Exception:
            section = None
    if not isinstance(section, dict):
        section = {}
    if section.get("enabled") is False or section.get("executor") == "sequential":
        return 1  # a sequential batch runs in one worker process
    local = section.get("executor") != "dask"
    return _worker_count(local, section.get("max_workers"), workers)


def prestart_for(
    config: Config, *, workers: int | None, sequential: bool, in_process: bool = False
) -> Prestart | None:
    """Pre-start the local pool a batch of ``config`` will use, bound to it (or ``None``)."""
    count = wanted_workers(config, workers=workers, sequential=sequential, in_process=in_process)
    if count < 1:
        return None
    early = Prestart.begin(count)
    early.bind(config, workers=workers, sequential=sequential, in_process=in_process)
    return early


def release(config: Config) -> None:
    """Stop the pools pre-started for ``config`` now: its batch runs in this process."""
    with _lock:
        unused = [early for early in _bound if early.config is config]
    for early in unused:
        early.discard()


def claim(config: Config) -> ResilientProcessPool | None:
    """The pool pre-started for ``config`` (the same object), taken by an executor."""
    with _lock:
        for early in _bound:
            if early.config is config and not early.claimed:
                early.claimed = True
                _bound.remove(early)
                return early.pool
    return None


__all__ = [
    "ARCHIVE_MODULES",
    "TABLE_MODULES",
    "WARM_MODULES",
    "Prestart",
    "claim",
    "early_count",
    "early_modules",
    "prestart_for",
    "release",
    "wanted_workers",
    "worker_modules",
]
