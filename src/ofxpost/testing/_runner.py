"""Run a batch with chosen plugins and read back its result, tables and events.

::

    from ofxpost.testing import run_plugin_batch

    run = run_plugin_batch(
        {"inputs": ["sims/*.ofx.parquet"], "output_dir": "out", "peaks": {"threshold": 2.5}},
        base_dir=tmp_path,
        plugins=["ofxpost_peaks"],          # or a module object, or a path to a .py file
        mode="parallel",
    )
    assert run.result.exit_code == 0
    assert list(run.table("peaks")["file"]) == ["sims/case_001.ofx.parquet", ...]
    assert run.events.named("batch_finished")

How each kind of plugin is registered:

* **installed** (an ``ofxpost`` entry point): already active in every batch; give
  its entry-point name to check that it is installed, or nothing.
* **a module name** (``"ofxpost_peaks"``): listed under the config's ``plugins:``;
  it must be importable (spawned workers inherit ``sys.path``).
* **a file path** (``Path("my_plugin.py")``): its folder is put on ``sys.path`` for
  the run and its stem is listed under ``plugins:``, so it works in both modes. It
  is imported afresh for each run (a module of the same name imported earlier is
  set aside for the run and put back after it).
* **a module object**: listed by its ``__name__``. In ``sequential`` mode it may
  live only in memory (``types.ModuleType``): the runner puts it in
  ``sys.modules`` for the run and runs the batch in this process (``in_process``,
  the debugging mode), since no worker process could import it. In ``parallel``
  mode each worker is a fresh interpreter (``spawn``) that must *import* it, so
  the module must come from a file that ``importlib`` finds under that name; otherwise
  :class:`PluginNotImportable` says so before anything runs.
"""

from __future__ import annotations

import copy
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from ofxpost._core.markers import PROJECT_NAME
from ofxpost.errors import InvalidEventError, PluginNotImportable
from ofxpost.testing._events import EventLog
from ofxpost.testing._tables import NONDETERMINISTIC_TABLES, table_bytes

if TYPE_CHECKING:
    import pandas as pd

    from ofxpost._config.model import Config
    from ofxpost._core.result import BatchResult

Mode = Literal["sequential", "parallel"]
PluginRef = str | os.PathLike[str] | ModuleType
"""A plugin given to the runner: an entry-point or module name, a ``.py`` path, a module."""


@dataclass
class BatchRun:
    """What :func:`run_plugin_batch` returns."""

    result: BatchResult
    """The batch's :class:`~ofxpost.BatchResult`."""
    tables: dict[str, pd.DataFrame]
    """Every written table, read back from its Parquet file, by table name."""
    events: EventLog
    """Every event, each one already checked against the event schema."""
    config: Config
    """The validated config the batch ran with."""
    mode: Mode = "sequential"
    """The mode asked for (``result.mode`` is the mode that ran)."""
    plugin_names: list[str] = field(default_factory=list)
    """The module names the runner listed under ``plugins:``."""

    @property
    def output_dir(self) -> Path:
        """The batch's output folder."""
        return self.result.output_dir

    def assert_ok(self) -> BatchRun:
        """Assert the batch was fully ok (exit 0); return ``self`` for chaining.

        :raises AssertionError: naming every failed or partial file with its errors,
            every failed output, and the exit code.
        """
        result = self.result
        if result.exit_code == 0:
            return self
        lines = [f"the batch exited {result.exit_code}, not 0:"]
        for failure in result.failures:
            kind = "partial" if failure.partial else "failed"
            for error in failure.errors or ():
                lines.append(f"  {failure.path.name}: {kind} ({error.kind}) {error.message}")
        for output in result.output_failures:
            lines.append(f"  output {output.stage} {output.plugin}: {output.message}")
        lines.extend(f"  output: {error}" for error in result.output_errors)
        if result.cancelled:
            lines.append("  the batch was cancelled")
        raise AssertionError("\n".join(lines))

    def table(self, name: str) -> pd.DataFrame:
        """One table by name.

        :raises AssertionError: naming the tables that exist when ``name`` is absent.
        """
        if name not in self.tables:
            raise AssertionError(
                f"no table {name!r} was written; tables: {sorted(self.tables)}; "
                f"output errors: {list(self.result.output_errors)}"
            )
        return self.tables[name]


def _entry_point_names() -> set[str]:
    return {ep.name for ep in importlib.metadata.entry_points(group=PROJECT_NAME)}


def _module_file(module: ModuleType) -> Path | None:
    location = getattr(module, "__file__", None)
    return Path(location).resolve() if location else None


def _importable_as(name: str, module: ModuleType) -> bool:
    """Whether a fresh interpreter with this ``sys.path`` imports ``module`` as ``name``."""
    own = _module_file(module)
    if own is None:
        return False
    saved = sys.modules.pop(name, None)
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    finally:
        if saved is not None:
            sys.modules[name] = saved
    origin = spec.origin if spec is not None else None
    return origin is not None and Path(origin).resolve() == own


@dataclass
class _Registration:
    names: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    modules: dict[str, ModuleType] = field(default_factory=dict)
    file_modules: list[str] = field(default_factory=list)
    """Module names of plugin files: imported afresh for the run, forgotten after it."""
    in_memory: bool = False
    """A module object no fresh interpreter can import: the batch runs in this process."""


def _resolve_plugins(plugins: Sequence[PluginRef], mode: Mode) -> _Registration:
    reg = _Registration()
    installed = _entry_point_names()
    for plugin in plugins:
        if isinstance(plugin, ModuleType):
            name = plugin.__name__
            importable = _importable_as(name, plugin)
            reg.in_memory |= not importable
            if mode == "parallel" and not importable:
                raise PluginNotImportable(
                    f"plugin module object {name!r} cannot be imported by a spawned worker "
                    f"(no file that 'import {name}' finds); run it with mode='sequential', "
                    "or pass its file path or an importable module name"
                )
            reg.names.append(name)
            reg.modules[name] = plugin
            continue
        text = os.fspath(plugin)
        as_path = Path(text)
        if not isinstance(plugin, str) or text.endswith(".py"):
            if not as_path.is_file():
                raise PluginNotImportable(f"plugin file {text!r} does not exist")
            if not as_path.stem.isidentifier():
                raise PluginNotImportable(
                    f"plugin file {text!r}: its stem {as_path.stem!r} is not a module name"
                )
            reg.paths.append(str(as_path.resolve().parent))
            reg.names.append(as_path.stem)
            reg.file_modules.append(as_path.stem)
        elif text in installed:
            continue  # entry-point plugins are active in every batch
        else:
            reg.names.append(text)
    return reg


def _forget_plugin_managers() -> None:
    """Drop the cached plugin managers: a module name may now mean another module."""
    from ofxpost._plugins import manager as plugin_registry

    plugin_registry.clear_cache()


@contextmanager
def _registered(reg: _Registration) -> Iterator[None]:
    """Make the plugins importable for the run; undo it afterwards."""
    added_paths = [p for p in reg.paths if p not in sys.path]
    sys.path[:0] = added_paths
    added_modules = [n for n, m in reg.modules.items() if sys.modules.get(n) is not m]
    replaced = added_modules + reg.file_modules
    saved = {n: sys.modules.pop(n) for n in replaced if n in sys.modules}
    for name in added_modules:
        sys.modules[name] = reg.modules[name]
    _forget_plugin_managers()
    try:
        yield
    finally:
        for name in replaced:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
        for path in added_paths:
            if path in sys.path:
                sys.path.remove(path)
        _forget_plugin_managers()


def _with_parquet(raw: dict[str, Any]) -> None:
    """Make sure the built-in writer writes Parquet (the tables are read from it)."""
    outputs = raw.get("outputs")
    if outputs is None:
        raw["outputs"] = {"formats": ["csv", "parquet"]}
    elif isinstance(outputs, dict):
        formats = list(outputs.get("formats", ["csv", "parquet", "xlsx"]))
        if "parquet" not in formats:
            formats.append("parquet")
        outputs["formats"] = formats


def _read_tables(result: BatchResult) -> dict[str, pd.DataFrame]:
    import pandas as pd

    folder = result.output_dir / "parquet"
    return {
        name: pd.read_parquet(folder / f"{name}.parquet")
        for name in result.tables
        if (folder / f"{name}.parquet").is_file()
    }


def run_plugin_batch(
    config: Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str],
    plugins: Sequence[PluginRef] = (),
    mode: Mode = "sequential",
    workers: int = 2,
    output_dir: str | None = None,
) -> BatchRun:
    """Run one batch with ``plugins`` and return its result, tables and events.

    :param config: the config as a mapping (as the YAML would hold it); relative
        paths resolve against ``base_dir``. It is not modified.
    :param base_dir: folder of relative paths (``inputs``, ``output_dir``, a load
        matrix ...), usually ``tmp_path``.
    :param plugins: plugins to add (see the module docs for each kind); they are
        appended to the config's own ``plugins:``.
    :param mode: ``sequential`` (in this process, one file after another) or
        ``parallel`` (a pool of ``workers`` spawned processes).
    :param output_dir: replaces the config's ``output_dir``.

    The built-in writer is made to write Parquet too, and :attr:`BatchRun.tables`
    are those Parquet files read back. Every event is schema-checked.

    :raises PluginNotImportable: a plugin cannot be registered for ``mode``.
    :raises AssertionError: ``mode="parallel"`` was asked but the batch ran
        sequentially (the ``mode_selected`` event's reason is given), or an event
        does not match the schema.
    :raises ConfigError: the config is unusable (as :func:`ofxpost.run`).
    """

    import ofxpost

    if mode not in ("sequential", "parallel"):
        raise ValueError(f"mode must be 'sequential' or 'parallel', not {mode!r}")
    raw = copy.deepcopy(dict(config))
    reg = _resolve_plugins(plugins, mode)
    listed = list(raw.get("plugins") or [])
    raw["plugins"] = listed + [n for n in reg.names if n not in listed]
    if output_dir is not None:
        raw["output_dir"] = output_dir
    _with_parquet(raw)
    collected: list[dict[str, Any]] = []
    with _registered(reg):
        loaded = ofxpost.load_config(raw, base_dir=base_dir)
        if mode == "parallel":
            result = ofxpost.run(loaded, workers=workers, on_event=collected.append)
        else:
            # a module that lives only in memory cannot reach a worker process: the
            # batch then runs in this process (the debugging mode, --in-process)
            result = ofxpost.run(
                loaded, sequential=True, in_process=reg.in_memory, on_event=collected.append
            )
    events = EventLog()
    for event in collected:
        try:
            events(event)
        except InvalidEventError as exc:
            raise AssertionError(str(exc)) from None
    if mode == "parallel" and result.mode != "parallel":
        reasons = [e.get("reason") for e in events.named("mode_selected")]
        raise AssertionError(f"parallel mode was asked but the batch ran {result.mode}: {reasons}")
    return BatchRun(result, _read_tables(result), events, loaded, mode, list(reg.names))


def assert_same_tables(
    config: Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str],
    plugins: Sequence[PluginRef] = (),
    tables: Collection[str] | None = None,
    workers: int = 2,
) -> tuple[BatchRun, BatchRun]:
    """Assert that the tables are byte-identical sequential vs parallel.

    Runs the batch twice (``out_sequential`` and ``out_parallel`` under
    ``base_dir``) and compares the CSV and Parquet bytes of ``tables`` (default:
    every table but ``run_log``, which records durations and pids). A module
    object must be importable by name for the parallel run (see
    :func:`run_plugin_batch`). Example::

        seq, par = assert_same_tables(config, base_dir=tmp_path, plugins=[my_plugin_path],
                                      tables=["peaks"])

    :returns: both runs (sequential first), for further checks.
    :raises AssertionError: a table is missing in either run, its DataFrames
        differ (pandas' message) or its bytes differ.
    """
    import pandas.testing as pdt

    runs = [
        run_plugin_batch(
            config,
            base_dir=base_dir,
            plugins=plugins,
            mode=mode,
            workers=workers,
            output_dir=f"out_{mode}",
        )
        for mode in ("sequential", "parallel")
    ]
    seq, par = runs
    wanted = (
        set(tables)
        if tables is not None
        else (set(seq.tables) | set(par.tables)) - NONDETERMINISTIC_TABLES
    )
    for name in sorted(wanted):
        for run in runs:
            run.table(name)
        pdt.assert_frame_equal(seq.tables[name], par.tables[name], check_exact=True)
    seq_bytes = table_bytes(seq.output_dir, names=wanted)
    par_bytes = table_bytes(par.output_dir, names=wanted)
    if seq_bytes.keys() != par_bytes.keys():
        raise AssertionError(
            f"different files: sequential {sorted(seq_bytes)}, parallel {sorted(par_bytes)}"
        )
    differ = [k for k in seq_bytes if seq_bytes[k] != par_bytes[k]]
    if differ:
        raise AssertionError(f"tables differ sequential vs parallel: {differ}")
    if not seq_bytes:
        raise AssertionError(f"no table files compared (asked for {sorted(wanted)})")
    return seq, par
