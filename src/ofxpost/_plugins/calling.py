"""Calling a hook's implementations one by one (:func:`call_each`), finding which
plugin raised (:func:`implementer`), and the ``OFXPOST_TRACE_PLUGINS`` trace."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy

from ofxpost._config.plugin_spec import BUILTIN_PLUGINS

TRACE_ENV = "OFXPOST_TRACE_PLUGINS"
"""Set to ``1`` to write one line per hook implementation call (plugin, duration)
to standard error."""


def env_flag(name: str) -> bool:
    """Whether the environment variable ``name`` is set to something true."""
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


@dataclass(frozen=True)
class ImplOutcome:
    """What one hook implementation returned (or raised) in :func:`call_each`."""

    plugin: str
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0
    """How long the implementation ran."""


def call_each(
    caller: pluggy.HookCaller,
    /,
    *,
    contain_base_exceptions: bool = False,
    before: Callable[[str, str], None] | None = None,
    **kwargs: object,
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
    trace = env_flag(TRACE_ENV)
    outcomes: list[ImplOutcome] = []
    for impl in sorted(impls, key=lambda i: (_rank(i.plugin_name), i.plugin_name)):
        if before is not None:
            before(caller.name, impl.plugin_name)
        start = time.perf_counter()
        try:
            value = impl.function(*[kwargs[arg] for arg in impl.argnames])
        except caught as exc:
            seconds = time.perf_counter() - start
            outcomes.append(ImplOutcome(impl.plugin_name, error=exc, seconds=seconds))
        else:
            seconds = time.perf_counter() - start
            outcomes.append(ImplOutcome(impl.plugin_name, value=value, seconds=seconds))
        if trace:
            _trace_line(caller.name, impl.plugin_name, seconds)
    return outcomes


def _rank(name: str) -> int:
    """Built-ins first (in their listed order), then every other plugin."""
    try:
        return list(BUILTIN_PLUGINS).index(name)
    except ValueError:
        return len(BUILTIN_PLUGINS)


def implementer(caller: pluggy.HookCaller, exc: BaseException) -> str | None:
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
    if env_flag(TRACE_ENV):
        _trace_line(hook, plugin, seconds)


def _trace_line(hook: str, plugin: str, seconds: float) -> None:
    print(
        f"ofxpost-trace: pid={os.getpid()} hook={hook} plugin={plugin} "
        f"duration_ms={seconds * 1000:.3f}",
        file=sys.stderr,
        flush=True,
    )


def install_trace(pm: pluggy.PluginManager) -> None:
    """With ``OFXPOST_TRACE_PLUGINS=1``, trace hooks called through ``pm.hook`` too."""
    if not env_flag(TRACE_ENV):
        return
    started: dict[int, float] = {}

    def before(
        hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, object]
    ) -> None:
        started[id(kwargs)] = time.perf_counter()

    def after(
        outcome: pluggy.Result[object],
        hook_name: str,
        impls: Sequence[pluggy.HookImpl],
        kwargs: Mapping[str, object],
    ) -> None:
        begin = started.pop(id(kwargs), time.perf_counter())
        names = ",".join(i.plugin_name for i in reversed(impls))
        _trace_line(hook_name, names, time.perf_counter() - begin)

    pm.add_hookcall_monitoring(before, after)
