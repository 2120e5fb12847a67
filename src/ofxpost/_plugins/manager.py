"""The plugin manager and plugin discovery.

Plugins come from four places, registered in this order:

1. the built-in plugins (loaders, post-processing features, writers, the opp
   config translator);
2. installed distributions exposing an entry point in the ``ofxpost`` group
   (sorted by entry-point name; skipped with ``OFXPOST_DISABLE_PLUGIN_AUTOLOAD=1``);
3. modules named under ``plugins:`` in the config;
4. ``ofxpost_plugins.py`` beside the config file (like pytest's ``conftest.py``).

Any of them can be disabled by name (``disable_plugins:`` in the config,
``--disable-plugin NAME`` on the command line): it is then not imported at all, so
a broken plugin can be switched off. A :class:`PluginSpec` names the set as plain
data, so a worker process (also under the ``spawn`` start method) rebuilds exactly
the same plugin set from it.

:func:`call_each` calls the built-ins first, then the other plugins in name order,
the same in every process: where two plugins claim the same result or table name,
the first keeps it and the newcomer is blamed, so a built-in is never displaced.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from ofxpost import hookspecs
from ofxpost._config.messages import suggest
from ofxpost._config.plugin_spec import BUILTIN_PLUGINS as BUILTIN_PLUGINS
from ofxpost._config.plugin_spec import PluginSpec as PluginSpec
from ofxpost._core.markers import PROJECT_NAME
from ofxpost.errors import PluginError

AUTOLOAD_ENV = "OFXPOST_DISABLE_PLUGIN_AUTOLOAD"
"""Set to ``1`` to load no installed (entry-point) plugin, as pytest's
``PYTEST_DISABLE_PLUGIN_AUTOLOAD``."""
TRACE_ENV = "OFXPOST_TRACE_PLUGINS"
"""Set to ``1`` to write one line per hook implementation call (plugin, duration)
to standard error."""


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def autoload_disabled() -> bool:
    """Whether ``OFXPOST_DISABLE_PLUGIN_AUTOLOAD`` turns entry-point loading off."""
    return _env_flag(AUTOLOAD_ENV)


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin that could not be loaded (what ``ofxpost plugins`` lists as broken)."""

    name: str
    """Its plugin name (entry-point name, module name, or the local file's name)."""
    origin: str
    """Where it comes from: ``<distribution> <version>``, ``config`` or ``local file``."""
    reason: str
    """The whole error message."""


@dataclass(frozen=True)
class _EntryPoint:
    name: str
    value: str
    dist: str
    version: str

    def describe(self) -> str:
        return (
            f"installed plugin {self.name!r} (distribution {self.dist} {self.version}, "
            f"entry point '{self.name} = {self.value}' in group '{PROJECT_NAME}')"
        )


_CACHE: dict[tuple[Any, ...], pluggy.PluginManager] = {}


def _entry_points() -> list[_EntryPoint]:
    """The installed ``ofxpost`` entry points, by name (first distribution wins)."""
    found: dict[str, _EntryPoint] = {}
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group != PROJECT_NAME or ep.name in found:
                continue
            meta = dist.metadata
            found[ep.name] = _EntryPoint(
                ep.name, ep.value, str(meta["Name"] or "?"), str(meta["Version"] or "?")
            )
    return [found[name] for name in sorted(found)]


def _installed_entry_points() -> tuple[str, ...]:
    """The ``ofxpost`` entry points installed now (part of the cache key)."""
    return tuple(f"{ep.name}={ep.value}" for ep in _entry_points())


def get_plugin_manager(spec: PluginSpec) -> pluggy.PluginManager:
    """Return the plugin manager for ``spec``, built once per process and cached.

    The cache key includes the installed entry points and the environment switches,
    so installing or removing a plugin distribution is seen by the next batch.
    """
    autoload = spec.entry_points and not autoload_disabled()
    key = (spec, autoload, _env_flag(TRACE_ENV), _installed_entry_points() if autoload else ())
    pm = _CACHE.get(key)
    if pm is None:
        pm = build_plugin_manager(spec)
        _CACHE[key] = pm
    return pm


def clear_cache() -> None:
    """Forget the cached plugin managers.

    For test kits that import a different module under a name already used: the
    next batch builds its plugin manager afresh.
    """
    _CACHE.clear()


def _normal(name: str) -> str:
    """A distribution name as PEP 503 normalises it (``Ofxpost_Fatigue``: ``ofxpost-fatigue``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def build_plugin_manager(
    spec: PluginSpec, broken: list[BrokenPlugin] | None = None
) -> pluggy.PluginManager:
    """Build a fresh plugin manager holding every plugin ``spec`` names.

    :param broken: when given, a plugin that cannot be loaded is appended to it and
        left out instead of raising (``ofxpost plugins`` lists it as broken).
    :raises PluginError: naming the plugin that could not be loaded (for an installed
        one its distribution and entry point) and how to disable it.
    """
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    entry_points = _entry_points() if spec.entry_points else []
    disabled = _check_disabled(spec, entry_points)
    origins: dict[str, tuple[str, str]] = {}

    def fail(name: str, origin: str, message: str) -> None:
        hint = (
            f" (disable it with --disable-plugin {name!r}, 'disable_plugins: [{name}]' "
            "in the config"
            + (
                f", or {AUTOLOAD_ENV}=1 for every installed plugin)"
                if "installed" in message
                else ")"
            )
        )
        error = BrokenPlugin(name, origin, message + hint)
        if broken is None:
            raise PluginError(error.reason)
        broken.append(error)

    if spec.builtins:
        for name, module_name in BUILTIN_PLUGINS.items():
            if name not in disabled:
                _register(pm, importlib.import_module(module_name), name)
                origins[name] = ("ofxpost (built-in)", f"built-in plugin {name!r}")
    if spec.entry_points and not autoload_disabled():
        for ep in entry_points:
            if ep.name in disabled or _normal(ep.dist) in disabled or pm.has_plugin(ep.name):
                continue
            try:
                pm.load_setuptools_entrypoints(PROJECT_NAME, name=ep.name)
            except Exception as exc:
                _forget(pm, ep.name)
                fail(
                    ep.name,
                    f"{ep.dist} {ep.version}",
                    f"{ep.describe()} failed to load: {_why(exc)}",
                )
            else:
                origins[ep.name] = (f"{ep.dist} {ep.version}", ep.describe())
    for name in spec.modules:
        if name in disabled:
            continue
        try:
            module = _import_module(name)
            if not pm.is_registered(module):  # also installed through an entry point
                _register(pm, module, name)
                origins[name] = ("config", _describe_module(name, module))
        except PluginError as exc:
            fail(name, "config", str(exc))
    if spec.local_file is not None and not (
        {str(spec.local_file), spec.local_file.name} & disabled
    ):
        # its label is the file name, short and stable (the full path would make
        # every output folder a new label in logs and metrics)
        name = spec.local_file.name
        try:
            _register(pm, _import_local_file(spec.local_file), name)
            origins[name] = ("local file", f"local plugin file {spec.local_file}")
        except PluginError as exc:
            fail(name, "local file", str(exc))
    for name, origin, message in _unknown_hooks(pm, origins):
        _forget(pm, name)
        fail(name, origin, message)
    _install_trace(pm)
    return pm


def _why(exc: BaseException) -> str:
    if isinstance(exc, pluggy.PluginValidationError):
        return str(exc).replace("\n", "; ")
    return f"{type(exc).__name__}: {exc}"


def _forget(pm: pluggy.PluginManager, name: str) -> None:
    plugin = pm.get_plugin(name)
    if plugin is not None:
        pm.unregister(plugin, name=name)


def _check_disabled(spec: PluginSpec, entry_points: list[_EntryPoint]) -> set[str]:
    """The disabled names; an unknown name is refused with the nearest known one."""
    known = set(BUILTIN_PLUGINS) | set(spec.modules)
    for ep in entry_points:
        known |= {ep.name, _normal(ep.dist)}
    if spec.local_file is not None:
        known |= {str(spec.local_file), spec.local_file.name}
    out: set[str] = set()
    for name in spec.disabled:
        key = name if name in known else _normal(name)
        if key not in known:
            raise PluginError(
                f"key 'disable_plugins': no plugin named {name!r}{suggest(name, known)}; "
                "'ofxpost plugins' lists the plugin names"
            )
        out.add(key)
    return out


def _register(pm: pluggy.PluginManager, plugin: ModuleType, name: str) -> None:
    undecorated = _undecorated_hooks(plugin)
    if undecorated:
        listed = ", ".join(repr(n) for n in undecorated)
        raise PluginError(
            f"plugin {name!r}: {listed} looks like a hook implementation but is not "
            "decorated with @ofxpost.hookimpl, so it would never be called "
            "(decorate it, or rename it if it is not a hook)"
        )
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {name!r} is invalid: {_why(exc)}") from None
    except ValueError as exc:
        raise PluginError(f"plugin {name!r} cannot be registered: {exc}") from None


def _undecorated_hooks(plugin: object) -> list[str]:
    """Names of the plugin's ``ofxpost_*`` functions without the ``hookimpl`` marker.

    pluggy silently ignores them (the plugin's table would just be missing); pytest
    refuses them the same way.
    """
    marker = f"{PROJECT_NAME}_impl"
    found = []
    for attr in sorted(vars(plugin)) if hasattr(plugin, "__dict__") else ():
        if not attr.startswith("ofxpost_"):
            continue
        value = getattr(plugin, attr, None)
        if inspect.isroutine(value) and not hasattr(value, marker):
            found.append(attr)
    return found


def _describe_module(name: str, module: ModuleType) -> str:
    where = getattr(module, "__file__", None)
    return f"plugin {name!r} (module {module.__name__}" + (f", {where})" if where else ")")


def _unknown_hooks(
    pm: pluggy.PluginManager, origins: dict[str, tuple[str, str]]
) -> list[tuple[str, str, str]]:
    """``(plugin, origin, message)`` for each implementation of a hook that does not exist."""
    hook_names = sorted(
        n for n, c in vars(pm.hook).items() if isinstance(c, pluggy.HookCaller) and c.has_spec()
    )
    found: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for hook_name, caller in sorted(vars(pm.hook).items()):
        if not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if impl.optionalhook or impl.plugin_name in seen:
                continue
            seen.add(impl.plugin_name)
            hint = suggest(hook_name, hook_names)
            label, where = origins.get(impl.plugin_name, ("?", f"plugin {impl.plugin_name!r}"))
            found.append((impl.plugin_name, label, f"{where}: unknown hook {hook_name!r}{hint}"))
    return found


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
    return [name for name, plugin in pm.list_name_plugin() if plugin is not None]


def describe_plugin(pm: pluggy.PluginManager, name: str) -> str:
    """``name`` as an error message should give it: with its distribution and version
    for an installed plugin (``'peaks' (distribution ofxpost-peaks 0.1.0)``)."""
    plugin = pm.get_plugin(name)
    for candidate, dist in pm.list_plugin_distinfo():
        if candidate is plugin and plugin is not None:
            return f"{name!r} (distribution {dist.project_name} {dist.version})"
    return repr(name)


@dataclass(frozen=True)
class ImplOutcome:
    """What one hook implementation returned (or raised) in :func:`call_each`."""

    plugin: str
    value: Any = None
    error: BaseException | None = None


def call_each(
    caller: Any,
    /,
    *,
    contain_base_exceptions: bool = False,
    before: Callable[[str, str], None] | None = None,
    **kwargs: Any,
) -> list[ImplOutcome]:
    """Call every implementation of a hook on its own, capturing each one's error.

    pluggy stops at the first implementation that raises (pluggy#419); batch hooks
    must not, so each implementation is called directly with the arguments it asks
    for, built-ins first (in their registration order), then every other plugin in
    plugin-name order -- the same in every process. A result or table name two
    plugins claim therefore stays with the first, and the newcomer is blamed: a
    built-in is never displaced. Wrappers are skipped.

    With ``contain_base_exceptions``, a ``BaseException`` (``sys.exit()``,
    ``KeyboardInterrupt``) is captured too: for plugin code that runs on behalf of one
    file, where such an exception belongs to the file, never to the batch.

    ``before(hook, plugin)``, when given, is called before each implementation (the
    worker marks where it is, so a crash or a timeout can name the plugin).
    """
    caught: type[BaseException] = BaseException if contain_base_exceptions else Exception
    impls = [i for i in caller.get_hookimpls() if not (i.hookwrapper or i.wrapper)]
    trace = _env_flag(TRACE_ENV)
    outcomes: list[ImplOutcome] = []
    for impl in sorted(impls, key=lambda i: (_rank(i.plugin_name), i.plugin_name)):
        if before is not None:
            before(caller.name, impl.plugin_name)
        start = time.perf_counter()
        try:
            value = impl.function(*[kwargs[arg] for arg in impl.argnames])
        except caught as exc:
            outcomes.append(ImplOutcome(impl.plugin_name, error=exc))
        else:
            outcomes.append(ImplOutcome(impl.plugin_name, value=value))
        if trace:
            _trace_line(caller.name, impl.plugin_name, time.perf_counter() - start)
    return outcomes


def _rank(name: str) -> int:
    """Built-ins first (in their listed order), then every other plugin."""
    try:
        return list(BUILTIN_PLUGINS).index(name)
    except ValueError:
        return len(BUILTIN_PLUGINS)


def implementer(caller: Any, exc: BaseException) -> str | None:
    """The plugin whose implementation of ``caller``'s hook raised ``exc``.

    Found from the traceback: the innermost frame that runs one of the hook's
    implementations. ``None`` when no implementation is on the traceback.
    """
    codes = {
        impl.function.__code__: impl.plugin_name
        for impl in caller.get_hookimpls()
        if hasattr(impl.function, "__code__")
    }
    found: str | None = None
    tb = exc.__traceback__
    while tb is not None:
        found = codes.get(tb.tb_frame.f_code, found)
        tb = tb.tb_next
    return found


def trace_call(hook: str, plugin: str, seconds: float) -> None:
    """With ``OFXPOST_TRACE_PLUGINS=1``, write the trace line of one implementation's call
    (for plugin code that runs other than through :func:`call_each`)."""
    if _env_flag(TRACE_ENV):
        _trace_line(hook, plugin, seconds)


def _trace_line(hook: str, plugin: str, seconds: float) -> None:
    print(
        f"ofxpost-trace: pid={os.getpid()} hook={hook} plugin={plugin} "
        f"duration_ms={seconds * 1000:.3f}",
        file=sys.stderr,
        flush=True,
    )


def _install_trace(pm: pluggy.PluginManager) -> None:
    """With ``OFXPOST_TRACE_PLUGINS=1``, trace hooks called through ``pm.hook`` too."""
    if not _env_flag(TRACE_ENV):
        return
    started: dict[int, float] = {}

    def before(hook_name: str, impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        started[id(kwargs)] = time.perf_counter()

    def after(
        outcome: Any, hook_name: str, impls: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> None:
        begin = started.pop(id(kwargs), time.perf_counter())
        names = ",".join(i.plugin_name for i in reversed(impls))
        _trace_line(hook_name, names, time.perf_counter() - begin)

    pm.add_hookcall_monitoring(before, after)
