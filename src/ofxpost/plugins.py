"""The plugin manager and plugin discovery.

Plugins come from four places, registered in this order:

1. the built-in plugins (loaders, post-processing features, writers);
2. installed distributions exposing an entry point in the ``ofxpost`` group;
3. modules named under ``plugins:`` in the config;
4. ``ofxpost_plugins.py`` beside the config file (like pytest's ``conftest.py``).

A :class:`PluginSpec` names them as plain data, so a worker process (also under the
``spawn`` start method) rebuilds exactly the same plugin set from it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from ofxpost import hookspecs
from ofxpost.errors import PluginError
from ofxpost.markers import PROJECT_NAME

BUILTIN_PLUGINS: tuple[str, ...] = (
    "ofxpost.builtin.loaders",
    "ofxpost.builtin.modelinfo",
    "ofxpost.builtin.outputs",
    "ofxpost.builtin.tables",
    "ofxpost.builtin.summary",
    "ofxpost.builtin.linked",
    "ofxpost.builtin.rangegraph",
    "ofxpost.builtin.timeseries",
    "ofxpost.builtin.loadmatrix",
    "ofxpost.builtin.excel",
)
"""Modules of the built-in plugins, registered first under these names."""


@dataclass(frozen=True)
class PluginSpec:
    """Plain, picklable description of a plugin set (rebuilt in every worker)."""

    modules: tuple[str, ...] = ()
    """Module names from the config's ``plugins:`` key."""
    local_file: Path | None = None
    """``ofxpost_plugins.py`` beside the config file, if any."""
    entry_points: bool = True
    """Load installed plugins from the ``ofxpost`` entry-point group."""
    builtins: bool = True
    """Register the built-in plugins."""


_CACHE: dict[tuple[PluginSpec, tuple[str, ...]], pluggy.PluginManager] = {}


def _installed_entry_points() -> tuple[str, ...]:
    """The ``ofxpost`` entry points installed now (part of the cache key)."""
    found = importlib.metadata.entry_points(group=PROJECT_NAME)
    return tuple(sorted(f"{ep.name}={ep.value}" for ep in found))


def get_plugin_manager(spec: PluginSpec) -> pluggy.PluginManager:
    """Return the plugin manager for ``spec``, built once per process and cached.

    The cache key includes the installed entry points, so installing or removing a
    plugin distribution is seen by the next batch.
    """
    key = (spec, _installed_entry_points() if spec.entry_points else ())
    pm = _CACHE.get(key)
    if pm is None:
        pm = build_plugin_manager(spec)
        _CACHE[key] = pm
    return pm


def build_plugin_manager(spec: PluginSpec) -> pluggy.PluginManager:
    """Build a fresh plugin manager holding every plugin ``spec`` names.

    :raises PluginError: naming the module or file that could not be loaded.
    """
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    if spec.builtins:
        for name in BUILTIN_PLUGINS:
            _register(pm, importlib.import_module(name), name)
    if spec.entry_points:
        try:
            pm.load_setuptools_entrypoints(PROJECT_NAME)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"installed plugin {exc.plugin!r} is invalid: {exc}") from None
        except Exception as exc:
            raise PluginError(
                f"an installed '{PROJECT_NAME}' entry-point plugin failed to load: {exc!r}"
            ) from None
    for name in spec.modules:
        module = _import_module(name)
        if not pm.is_registered(module):  # also installed through an entry point
            _register(pm, module, name)
    if spec.local_file is not None:
        _register(pm, _import_local_file(spec.local_file), str(spec.local_file))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r}: {exc}") from None
    return pm


def _register(pm: pluggy.PluginManager, plugin: ModuleType, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {name!r} is invalid: {exc}") from None
    except ValueError as exc:
        raise PluginError(f"plugin {name!r} cannot be registered: {exc}") from None


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise PluginError(f"key 'plugins': cannot import plugin module {name!r}: {exc}") from None
    except Exception as exc:
        raise PluginError(
            f"key 'plugins': plugin module {name!r} failed on import: {exc!r}"
        ) from None


def _import_local_file(path: Path) -> ModuleType:
    """Import ``ofxpost_plugins.py`` under a stable module name derived from its path."""
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    module_name = f"ofxpost_local_plugins_{digest}"
    existing = sys.modules.get(module_name)
    if existing is not None:
        return existing
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"{path}: cannot load local plugin file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise PluginError(f"{path}: local plugin file failed on import: {exc!r}") from None
    return module


def plugin_names(pm: pluggy.PluginManager) -> list[str]:
    """Names of the registered plugins, in registration order."""
    return [name for name, _ in pm.list_name_plugin()]


@dataclass(frozen=True)
class ImplOutcome:
    """What one hook implementation returned (or raised) in :func:`call_each`."""

    plugin: str
    value: Any = None
    error: Exception | None = None


def call_each(caller: Any, **kwargs: Any) -> list[ImplOutcome]:
    """Call every implementation of a hook on its own, capturing each one's error.

    pluggy stops at the first implementation that raises (pluggy#419); batch hooks
    must not, so each implementation is called directly with the arguments it asks
    for, in plugin-name order (stable across processes). Wrappers are skipped.
    """
    outcomes: list[ImplOutcome] = []
    impls = [i for i in caller.get_hookimpls() if not (i.hookwrapper or i.wrapper)]
    for impl in sorted(impls, key=lambda i: i.plugin_name):
        try:
            value = impl.function(*[kwargs[arg] for arg in impl.argnames])
        except Exception as exc:
            outcomes.append(ImplOutcome(impl.plugin_name, error=exc))
        else:
            outcomes.append(ImplOutcome(impl.plugin_name, value=value))
    return outcomes
