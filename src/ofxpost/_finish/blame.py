"""Output failures of the finish phase, and whom each one blames.

One careless plugin costs only its own outputs: each problem is an
:class:`~ofxpost.OutputFailure` naming the stage, the plugin and its distribution
(and the traceback), kept for the batch result and emitted as ``output_failed``.
A duplicate name is blamed on the later plugin in registration order.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import pluggy

from ofxpost._core.result import OutputFailure
from ofxpost._events.emitter import EventEmitter
from ofxpost._events.fields import stage_name
from ofxpost._plugins.manager import BUILTIN_PLUGINS

__all__ = [
    "OutputFailures",
    "describe",
    "plugin_distribution",
    "registration_order",
    "type_name",
]


class OutputFailures:
    """The batch's output failures, in the order they happened; each is emitted."""

    def __init__(self, pm: pluggy.PluginManager, emitter: EventEmitter) -> None:
        self.pm = pm
        self.emitter = emitter
        self.failures: list[OutputFailure] = []

    def fail(self, failure: OutputFailure) -> None:
        """Keep ``failure`` and emit it as ``output_failed``."""
        self.failures.append(failure)
        self.emitter.emit(
            "output_failed",
            level="error",
            stage=stage_name(failure.stage),
            plugin=failure.plugin,
            distribution=failure.distribution,
            target=failure.target,
            message=failure.message,
            traceback=failure.traceback,
        )

    def output(self, message: str, *, target: str | None = None) -> None:
        """Report something ofxpost itself could not write (stage ``output``)."""
        self.fail(OutputFailure("output", None, None, message, target=target))

    def plugin(
        self,
        stage: str,
        plugin: str,
        message: str,
        *,
        error: BaseException | None = None,
        target: str | None = None,
    ) -> None:
        """Blame ``plugin`` (with its distribution and ``error``'s traceback)."""
        distribution = plugin_distribution(self.pm, plugin)
        origin = f" (distribution {distribution})" if distribution else ""
        text = None
        if error is not None:
            text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self.fail(
            OutputFailure(
                stage,
                plugin,
                distribution,
                f"{stage} {plugin!r}{origin}: {message}",
                traceback=text,
                target=target,
            )
        )


def registration_order(pm: pluggy.PluginManager) -> Callable[[str], tuple[int, str]]:
    """Sort key: registration order (built-ins first, then entry points, then the
    config's ``plugins:``, then ``ofxpost_plugins.py``), so the earlier plugin keeps
    a name and the newcomer is blamed."""
    order = {name: i for i, (name, _) in enumerate(pm.list_name_plugin())}
    return lambda name: (order.get(name, len(order)), name)


@functools.cache
def _packages_distributions() -> Mapping[str, list[str]]:
    """Top-level module -> distributions, read once per process (a scan of every
    installed distribution: about half a second)."""
    return importlib.metadata.packages_distributions()


def plugin_distribution(pm: pluggy.PluginManager, name: str) -> str | None:
    """``"<distribution> <version>"`` of the registered plugin ``name``, if known."""
    plugin = pm.get_plugin(name)
    for registered, dist in pm.list_plugin_distinfo():
        if registered is plugin:
            return f"{dist.project_name} {dist.version}"
    if name in BUILTIN_PLUGINS:
        from ofxpost._version import __version__

        return f"ofxpost {__version__}"
    module = getattr(plugin, "__name__", "") or ""
    top = module.split(".")[0]
    with contextlib.suppress(Exception):
        dists = _packages_distributions().get(top) or []
        if dists:
            return f"{dists[0]} {importlib.metadata.version(dists[0])}"
    return None


def describe(error: BaseException) -> str:
    """``"<type>: <message>"`` of ``error``."""
    return f"{type(error).__name__}: {error}"


def type_name(value: Any) -> str:
    """The qualified type name of ``value`` (bare for built-in types)."""
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"
