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
from typing import Any, TypeVar, overload

from pydantic import BaseModel, TypeAdapter, ValidationError

from ofxpost._config.messages import format_validation
from ofxpost._config.messages import label_prefix as label_prefix
from ofxpost._config.messages import suggest as suggest
from ofxpost._config.plugin_spec import LOCAL_PLUGIN_FILE as LOCAL_PLUGIN_FILE
from ofxpost._config.plugin_spec import PluginSpec
from ofxpost._config.plugin_spec import plugin_spec as plugin_spec
from ofxpost._config.settings import CORE_KEYS as CORE_KEYS
from ofxpost._config.settings import CoreConfig as CoreConfig
from ofxpost._config.settings import DaskSettings as DaskSettings
from ofxpost._config.settings import LogFormat as LogFormat
from ofxpost._config.settings import LoggingSettings as LoggingSettings
from ofxpost._config.settings import LogLevel as LogLevel
from ofxpost._config.settings import OnBreach as OnBreach
from ofxpost._config.settings import ParallelProcessing as ParallelProcessing
from ofxpost._config.settings import WatchSettings as WatchSettings
from ofxpost._config.strict_yaml import read_yaml as read_yaml
from ofxpost._version import __version__
from ofxpost.errors import ConfigError

SectionT = TypeVar("SectionT")
"""The model class of a plugin's config section (:meth:`Config.section`)."""


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

    @overload
    def section(self, name: str) -> Any: ...

    @overload
    def section(self, name: str, model: type[SectionT]) -> SectionT: ...

    def section(self, name: str, model: type[SectionT] | None = None) -> SectionT | Any:
        """Return the validated section ``name`` (a plugin's model instance).

        With ``model`` (the class the plugin declared for the section), the result is
        typed as that class and checked to be one:
        ``config.section("summary", SummarySection)``. Without it, the static type is
        unknown (a plugin's section model is only known at run time).

        :raises KeyError: if no plugin declared that section.
        :raises TypeError: if ``model`` is given and the section is not one.
        """
        value = self.sections[name]
        if model is not None and not isinstance(value, model):
            raise TypeError(
                f"config section {name!r} is a {type(value).__name__}, not {model.__name__}"
            )
        return value

    def __getattr__(self, name: str) -> Any:
        sections = self.__dict__.get("sections", {})
        if name in sections:
            return sections[name]
        raise AttributeError(f"config has no key or section {name!r}")

    def resolve(self, value: str | os.PathLike[str]) -> Path:
        """Resolve a path from the config against the config file's folder."""
        return resolve_path(value, self.base_dir)

    def with_parallel(self, **changes: object) -> Config:
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


def _dump(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


# ---------------------------------------------------------------------------- loading


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
    section_models: Mapping[str, type[object]],
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

    sections: dict[str, object] = {}
    for name, model in sorted(section_models.items()):
        value = raw.get(name)
        try:
            sections[name] = _validate_section(model, value)
        except ValidationError as exc:
            raise ConfigError(format_validation(exc, label, (name,), model)) from None
    return Config(core, sections, base_dir, source, dict(raw), notices)


def _validate_section(model: type[object], value: object) -> object:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model.model_validate({} if value is None else value)
    return TypeAdapter(model).validate_python(value)
