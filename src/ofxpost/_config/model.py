"""The batch config as plain data, and its validation: a mapping → typed :class:`Config`.

The core owns seven keys (``inputs``, ``output_dir``, ``plugins``, ``disable_plugins``,
``parallel_processing``, ``logging``, ``watch``); every other top-level key is a *section*
declared by a plugin through :func:`~ofxpost.hookspecs.ofxpost_add_config_sections`
and validated by that plugin's model. Relative paths resolve against the config
file's folder. Every problem becomes one :class:`~ofxpost.ConfigError` naming the
file, the key path and the value, with the nearest valid key suggested for a typo.

This module loads no plugin: :func:`build_config` is handed the section models.
Reading a YAML file, recognising another tool's layout and asking the plugins for
their sections is :mod:`ofxpost._plugins.loading`'s job (``ofxpost.load_config``), one layer
up (``docs/architecture.md``, "Layers").
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from ofxpost._config import strict_yaml
from ofxpost._config.messages import format_validation
from ofxpost._config.messages import label_prefix as label_prefix
from ofxpost._config.messages import suggest as suggest
from ofxpost._config.plugin_spec import LOCAL_PLUGIN_FILE as LOCAL_PLUGIN_FILE
from ofxpost._config.plugin_spec import PluginSpec
from ofxpost._config.plugin_spec import plugin_spec as plugin_spec
from ofxpost._core.sizes import parse_size
from ofxpost._version import __version__
from ofxpost.errors import ConfigError, YamlProblem


class DaskSettings(BaseModel):
    """The ``parallel_processing.dask`` section (used when ``executor: dask``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str | None = None
    """Scheduler to use (``tcp://host:port``); ``null``: start a local cluster."""
    n_workers: int | Literal["auto"] = "auto"
    """Local cluster only: worker processes (``auto``: as many as the local pool's)."""
    resources: dict[str, float] = Field(default_factory=dict)
    """Abstract resources each file needs on a worker (e.g. ``{ORCAFLEX: 1}``)."""
    licence_semaphore: str = "ofxpost-licences"
    """Name of the cluster-wide licence semaphore shared by batches (with ``licences``)."""
    scheduler_timeout: float = Field(default=30.0, gt=0, le=3600)
    """Seconds without a connection to the scheduler after which it counts as lost:
    every unfinished file then fails (``crash``), later ones are not sent, and the
    batch ends (exit 1; ``--resume`` runs the rest)."""

    @field_validator("n_workers")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("must be at least 1 or 'auto'")
        return value


class ParallelProcessing(BaseModel):
    """The ``parallel_processing`` section: workers, budgets, timeouts and retries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    """Run files in a process pool (``false``: one after another, in one worker process)."""
    max_workers: int | Literal["auto"] = Field(default="auto")
    """Worker processes; ``auto`` = min(CPUs, files, licences, what fits in memory)."""
    timeout_per_file: float | None = Field(default=None, gt=0)
    """Seconds one file may run; past it its worker is terminated (``null``: no limit)."""
    save_error_reports: bool = True
    """Write one JSON report per failed file under ``output_dir/errors``."""
    progress_reporting: bool = True
    """Show a progress bar on a terminal (JSON events otherwise)."""
    auto_optimize: bool = True
    """Accepted for digitalmodel configs; worker counts come from the budgets instead."""
    licences: int | None = Field(default=None, ge=1)
    """At most this many OrcaFlex files open at once (``null``: unlimited)."""
    memory_budget: str | int | None = None
    """Memory for the whole process tree: ``auto``, a size (``16GiB``) or ``null`` (none)."""
    memory_per_file: str | int = "auto"
    """Estimated peak memory of one file: ``auto`` (learnt) or a size."""
    retries: int = Field(default=0, ge=0)
    """Extra attempts for files failing with kind ``file`` or ``unknown``."""
    crash_retries: int = Field(default=1, ge=0)
    """Extra attempts, in a fresh worker, for a file whose worker died."""
    licence_wait: float = Field(default=600.0, ge=0)
    """Seconds to keep retrying a licence error before the file fails."""
    licence_backoff: float = Field(default=5.0, gt=0)
    """First delay (seconds) of the jittered exponential licence backoff."""
    max_tasks_per_child: int | None = Field(default=None, ge=1)
    """Replace a worker process after this many files (releases native memory)."""
    orcfxapi_threads: int = Field(default=1, ge=1)
    """``threadCount`` for ``OrcFxAPI.Model``; 1 avoids oversubscribing the CPUs."""
    executor: Literal["local", "sequential", "dask"] = "local"
    """``local``: a process pool here; ``sequential``: one worker process; ``dask``: Dask."""
    dask: DaskSettings = Field(default_factory=DaskSettings)
    """Where and how the ``dask`` executor runs (see ``docs/scale-out.md``)."""
    on_pool_failure: Literal["sequential", "error"] = "sequential"
    """When the process pool (or the Dask cluster) cannot be started: ``sequential``
    runs the files one after another in the controller, announced by a ``warning``
    event; ``error`` runs none of them and fails each (exit code 1)."""

    @field_validator("max_workers")
    @classmethod
    def _positive_workers(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("must be at least 1 or 'auto'")
        return value

    @field_validator("memory_budget")
    @classmethod
    def _check_budget(cls, value: str | int | None) -> str | int | None:
        if value is None or value == "auto":
            return value
        parse_size(value)
        return value

    @field_validator("memory_per_file")
    @classmethod
    def _check_per_file(cls, value: str | int) -> str | int:
        if value != "auto":
            parse_size(value)
        return value


LogLevel = Literal["debug", "info", "warning", "error"]
"""Event levels, least severe first (ofxpost emits no ``debug`` events yet)."""

LogFormat = Literal["auto", "json", "console", "ecs"]
"""How ``ofxpost run`` shows events (see ``docs/events.md``)."""


class LoggingSettings(BaseModel):
    """The ``logging`` section: where and how ``ofxpost run`` reports events.

    Used by the command line only; ``--log-file``/``--log-level``/``--log-format``
    and the ``OFXPOST_LOG_FILE``/``OFXPOST_LOG_LEVEL`` environment variables take
    precedence.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str | None = None
    """Also write every event as a JSON line to this file (relative to the config)."""
    level: LogLevel | None = None
    """Least severe event level shown and written (default ``info``)."""
    format: LogFormat | None = None
    """``auto`` (default), ``json``, ``console`` or ``ecs``."""


class OnBreach(BaseModel):
    """``watch.on_breach``: what ``ofxpost watch`` does when a file exceeds an allowable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stop: bool = False
    """End the watch (exit 1) after the breaching file's outputs are refreshed."""
    command: str | list[str] | None = None
    """Run this command with the ``allowable_exceeded`` event as JSON on its standard
    input: a list is the program and its arguments; a string is split like a shell
    command line (no shell is used)."""
    command_timeout_s: float = Field(default=60.0, gt=0)
    """A command still running after this many seconds is killed (a warning)."""


class WatchSettings(BaseModel):
    """The ``watch`` section: how ``ofxpost watch`` follows a running campaign.

    Used by ``ofxpost watch`` only; it never changes a file's results (not in the
    ``--resume`` hash).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    settle_s: float = Field(default=1.0, ge=0)
    """A file counts as complete once its size and modification time have not
    changed for this many seconds and it can be read (an archive: its Parquet footer)."""
    refresh_s: float = Field(default=0.0, ge=0)
    """Refresh the outputs at most every this many seconds; 0 (default): after each
    completed file (files completing during a refresh are taken together next)."""
    poll_s: float = Field(default=0.25, gt=0)
    """How often files still being written are looked at again."""
    on_breach: OnBreach = Field(default_factory=OnBreach)
    """What to do when a completed file exceeds an allowable."""


class CoreConfig(BaseModel):
    """The keys the core owns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inputs: list[str] = Field(min_length=1)
    """Input files and glob patterns, relative to the config file's folder."""
    output_dir: str = "results"
    """Where tables, plots, error reports and the result store go."""
    plugins: list[str] = Field(default_factory=list)
    """Importable module names registered as plugins."""
    disable_plugins: list[str] = Field(default_factory=list)
    """Plugins not to load (names as ``ofxpost plugins`` lists them, or an installed
    plugin's distribution name); also ``--disable-plugin NAME``."""
    parallel_processing: ParallelProcessing = Field(default_factory=ParallelProcessing)
    """Workers, budgets, timeouts and retries."""
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    """Where and how the command line reports events."""
    watch: WatchSettings = Field(default_factory=WatchSettings)
    """How ``ofxpost watch`` follows a running campaign."""

    @field_validator("inputs", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


CORE_KEYS = tuple(CoreConfig.model_fields)


@dataclass(frozen=True)
class Config:
    """A validated batch config.

    Core keys are attributes (``config.inputs``, ``config.parallel_processing`` ...);
    a plugin's section is ``config.section("summary")`` or ``config.summary``.
    """

    core: CoreConfig
    sections: Mapping[str, Any]
    base_dir: Path
    source: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    notices: tuple[str, ...] = ()

    @property
    def inputs(self) -> list[str]:
        """Input files and glob patterns, as written."""
        return self.core.inputs

    @property
    def plugins(self) -> list[str]:
        """Plugin module names, as written."""
        return self.core.plugins

    @property
    def plugin_spec(self) -> PluginSpec:
        """The :class:`~ofxpost._config.plugin_spec.PluginSpec` of this config.

        Workers rebuild the plugin set from it.
        """
        return plugin_spec(self.plugins, self.source, self.core.disable_plugins)

    @property
    def parallel_processing(self) -> ParallelProcessing:
        """The ``parallel_processing`` section."""
        return self.core.parallel_processing

    @property
    def logging(self) -> LoggingSettings:
        """The ``logging`` section (command line only)."""
        return self.core.logging

    @property
    def watch(self) -> WatchSettings:
        """The ``watch`` section (``ofxpost watch`` only)."""
        return self.core.watch

    @property
    def output_dir(self) -> Path:
        """Absolute output folder."""
        return resolve_path(self.core.output_dir, self.base_dir)

    @property
    def local_plugin_file(self) -> Path | None:
        """``ofxpost_plugins.py`` beside the config file, if there is one."""
        if self.source is None:
            return None
        candidate = self.source.parent / LOCAL_PLUGIN_FILE
        return candidate if candidate.is_file() else None

    def section(self, name: str) -> Any:
        """Return the validated section ``name`` (a plugin's model instance).

        :raises KeyError: if no plugin declared that section.
        """
        return self.sections[name]

    def __getattr__(self, name: str) -> Any:
        sections = self.__dict__.get("sections", {})
        if name in sections:
            return sections[name]
        raise AttributeError(f"config has no key or section {name!r}")

    def resolve(self, value: str | os.PathLike[str]) -> Path:
        """Resolve a path from the config against the config file's folder."""
        return resolve_path(value, self.base_dir)

    def with_parallel(self, **changes: Any) -> Config:
        """Return a copy with ``parallel_processing`` keys changed (CLI overrides)."""
        merged = {**self.parallel_processing.model_dump(), **changes}
        try:
            parallel = ParallelProcessing.model_validate(merged)
        except ValidationError as exc:
            raise ConfigError(
                format_validation(exc, self.source, ("parallel_processing",), ParallelProcessing)
            ) from None
        core = self.core.model_copy(update={"parallel_processing": parallel})
        raw = dict(self.raw)
        raw["parallel_processing"] = {**dict(raw.get("parallel_processing") or {}), **changes}
        return Config(core, self.sections, self.base_dir, self.source, raw, self.notices)

    def result_hash(self) -> str:
        """Hash of everything that decides a file's results (for ``--resume``).

        It covers the plugin sections, the plugin list, the loader's thread count and
        the ofxpost version, but not worker counts, budgets or timeouts.
        """
        payload = {
            "version": __version__,
            "plugins": list(self.plugins),
            "orcfxapi_threads": self.parallel_processing.orcfxapi_threads,
            "sections": {name: _dump(value) for name, value in sorted(self.sections.items())},
        }
        if self.core.disable_plugins:  # absent when empty: earlier hashes stay valid
            payload["disable_plugins"] = sorted(self.core.disable_plugins)
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def resolve_path(value: str | os.PathLike[str], base_dir: Path) -> Path:
    """Expand ``~`` and resolve ``value`` against ``base_dir`` unless it is absolute."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base_dir / path)


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


# ---------------------------------------------------------------------------- loading


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping with the strict safe loader (:mod:`ofxpost._config.strict_yaml`).

    :raises ConfigError: if the file is missing, unreadable, not UTF-8, not YAML,
        not a mapping, has a duplicate key or an alias that expands too far -- one
        line naming the file and the line.
    """
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        data = strict_yaml.load(text)
    except YamlProblem as exc:
        raise ConfigError(f"{path}: {exc.message}") from None
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the config must be a mapping of keys, not {type(data).__name__}"
        )
    return data


def plugin_keys(raw: Mapping[str, Any], source: Path | None = None) -> tuple[list[str], list[str]]:
    """The ``plugins`` and ``disable_plugins`` keys of a config mapping, checked.

    :raises ConfigError: if either is not a list of names.
    """
    plugins_value = raw.get("plugins", [])
    if not isinstance(plugins_value, list) or not all(isinstance(p, str) for p in plugins_value):
        raise ConfigError(
            f"{label_prefix(source)}key 'plugins': expected a list of module names, "
            f"got {plugins_value!r}"
        )
    disabled = raw.get("disable_plugins", [])
    if not isinstance(disabled, list) or not all(isinstance(p, str) for p in disabled):
        raise ConfigError(
            f"{label_prefix(source)}key 'disable_plugins': expected a list of plugin names, "
            f"got {disabled!r}"
        )
    return list(plugins_value), list(disabled)


def build_config(
    raw: Mapping[str, Any],
    section_models: Mapping[str, Any],
    *,
    base_dir: Path,
    source: Path | None = None,
    notices: tuple[str, ...] = (),
) -> Config:
    """Validate a native config mapping into a :class:`Config`.

    :param raw: the mapping, in ofxpost's own layout.
    :param section_models: ``{section: model}`` of every plugin section (what the
        plugins declared through ``ofxpost_add_config_sections``).
    :param base_dir: folder for relative paths.
    :param source: the config file, named in errors.
    :param notices: notices to keep in :attr:`Config.notices`.
    :raises ConfigError: naming the file, key path and value.
    """
    label = source
    _, disabled = plugin_keys(raw, label)
    known = set(CORE_KEYS) | set(section_models)
    for key in raw:
        if key not in known:
            hint = suggest(str(key), known)
            if disabled and not hint:  # the section of a disabled plugin
                notices = (
                    *notices,
                    f"key {key!r} ignored: no plugin declares it (disabled: {', '.join(disabled)})",
                )
                continue
            raise ConfigError(f"{label_prefix(label)}key {key!r}: unknown key{hint}")
    core_raw = {k: v for k, v in raw.items() if k in CORE_KEYS}
    try:
        core = CoreConfig.model_validate(core_raw)
    except ValidationError as exc:
        raise ConfigError(format_validation(exc, label, (), CoreConfig)) from None

    sections: dict[str, Any] = {}
    for name, model in sorted(section_models.items()):
        value = raw.get(name)
        try:
            sections[name] = _validate_section(model, value)
        except ValidationError as exc:
            raise ConfigError(format_validation(exc, label, (name,), model)) from None
    return Config(core, sections, base_dir, source, dict(raw), notices)


def _validate_section(model: Any, value: Any) -> Any:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model.model_validate({} if value is None else value)
    return TypeAdapter(model).validate_python(value)
