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

import importlib
import inspect
from dataclasses import dataclass
from types import ModuleType

import pluggy

from ofxpost import hookspecs
from ofxpost._config.messages import suggest
from ofxpost._config.plugin_spec import BUILTIN_PLUGINS as BUILTIN_PLUGINS
from ofxpost._config.plugin_spec import PluginSpec as PluginSpec
from ofxpost._core.markers import PROJECT_NAME
from ofxpost._plugins.calling import TRACE_ENV as TRACE_ENV
from ofxpost._plugins.calling import ImplOutcome as ImplOutcome
from ofxpost._plugins.calling import call_each as call_each
from ofxpost._plugins.calling import env_flag, install_trace
from ofxpost._plugins.calling import implementer as implementer
from ofxpost._plugins.calling import trace_call as trace_call
from ofxpost._plugins.sources import (
    EntryPoint,
    describe_module,
    find_entry_points,
    import_local_file,
    import_module,
    installed_entry_points,
    normal_name,
)
from ofxpost.errors import PluginError

AUTOLOAD_ENV = "OFXPOST_DISABLE_PLUGIN_AUTOLOAD"
"""Set to ``1`` to load no installed (entry-point) plugin, as pytest's
``PYTEST_DISABLE_PLUGIN_AUTOLOAD``."""


def autoload_disabled() -> bool:
    """Whether ``OFXPOST_DISABLE_PLUGIN_AUTOLOAD`` turns entry-point loading off."""
    return env_flag(AUTOLOAD_ENV)


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin that could not be loaded (what ``ofxpost plugins`` lists as broken)."""

    name: str
    """Its plugin name (entry-point name, module name, or the local file's name)."""
    origin: str
    """Where it comes from: ``<distribution> <version>``, ``config`` or ``local file``."""
    reason: str
    """The whole error message."""


_CACHE: dict[tuple[object, ...], pluggy.PluginManager] = {}


def get_plugin_manager(spec: PluginSpec) -> pluggy.PluginManager:
    """Return the plugin manager for ``spec``, built once per process and cached.

    The cache key includes the installed entry points and the environment switches,
    so installing or removing a plugin distribution is seen by the next batch.
    """
    autoload = spec.entry_points and not autoload_disabled()
    key = (spec, autoload, env_flag(TRACE_ENV), installed_entry_points() if autoload else ())
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
    entry_points = find_entry_points() if spec.entry_points else []
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
            if ep.name in disabled or normal_name(ep.dist) in disabled or pm.has_plugin(ep.name):
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
            module = import_module(name)
            if not pm.is_registered(module):  # also installed through an entry point
                _register(pm, module, name)
                origins[name] = ("config", describe_module(name, module))
        except PluginError as exc:
            fail(name, "config", str(exc))
    if spec.local_file is not None and not (
        {str(spec.local_file), spec.local_file.name} & disabled
    ):
        # its label is the file name, short and stable (the full path would make
        # every output folder a new label in logs and metrics)
        name = spec.local_file.name
        try:
            _register(pm, import_local_file(spec.local_file), name)
            origins[name] = ("local file", f"local plugin file {spec.local_file}")
        except PluginError as exc:
            fail(name, "local file", str(exc))
    for name, origin, message in _unknown_hooks(pm, origins):
        _forget(pm, name)
        fail(name, origin, message)
    install_trace(pm)
    return pm


def _why(exc: BaseException) -> str:
    if isinstance(exc, pluggy.PluginValidationError):
        return str(exc).replace("\n", "; ")
    return f"{type(exc).__name__}: {exc}"


def _forget(pm: pluggy.PluginManager, name: str) -> None:
    plugin = pm.get_plugin(name)
    if plugin is not None:
        pm.unregister(plugin, name=name)


def _check_disabled(spec: PluginSpec, entry_points: list[EntryPoint]) -> set[str]:
    """The disabled names; an unknown name is refused with the nearest known one."""
    known = set(BUILTIN_PLUGINS) | set(spec.modules)
    for ep in entry_points:
        known |= {ep.name, normal_name(ep.dist)}
    if spec.local_file is not None:
        known |= {str(spec.local_file), spec.local_file.name}
    out: set[str] = set()
    for name in spec.disabled:
        key = name if name in known else normal_name(name)
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
