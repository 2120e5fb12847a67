"""The plain description of a plugin set, which every worker rebuilds.

A :class:`PluginSpec` names the plugins of a batch as plain, picklable data: the
config's ``plugins:`` modules, the ``ofxpost_plugins.py`` file beside the config,
the disabled names and two switches. The plan carries it to the workers, and
:func:`ofxpost._plugins.manager.get_plugin_manager` turns it into plugins. It sits below the
config and the plan, which describe a batch, and below the plugin manager, which
loads it (``docs/architecture.md``, "Layers").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LOCAL_PLUGIN_FILE = "ofxpost_plugins.py"
"""Name of the conftest-like plugin file picked up beside the config file."""


BUILTIN_PLUGINS: dict[str, str] = {
    "ofxpost.builtin.loaders": "ofxpost._builtin.loaders",
    "ofxpost.builtin.modelinfo": "ofxpost._builtin.modelinfo",
    "ofxpost.builtin.outputs": "ofxpost._builtin.outputs",
    "ofxpost.builtin.tables": "ofxpost._builtin.tables",
    "ofxpost.builtin.summary": "ofxpost._builtin.summary",
    "ofxpost.builtin.linked": "ofxpost._builtin.linked",
    "ofxpost.builtin.rangegraph": "ofxpost._builtin.rangegraph",
    "ofxpost.builtin.rainflow": "ofxpost._builtin.rainflow",
    "ofxpost.builtin.timeseries": "ofxpost._builtin.timeseries",
    "ofxpost.builtin.loadmatrix": "ofxpost._builtin.loadmatrix",
    "ofxpost.builtin.excel": "ofxpost._builtin.excel",
    "ofxpost.builtin.report": "ofxpost._builtin.report",
    "ofxpost.builtin.inject": "ofxpost._builtin.inject",
    "ofxpost.builtin.opp": "ofxpost._builtin.opp.plugin",
}
"""The built-in plugins, registered first: ``{plugin name: module}``.

The names are stable (they appear in tables, events and ``disable_plugins``) and do
not follow the private modules that implement them."""


@dataclass(frozen=True)
class PluginSpec:
    """Plain, picklable description of a plugin set (rebuilt in every worker)."""

    modules: tuple[str, ...] = ()
    """Module names from the config's ``plugins:`` key."""
    local_file: Path | None = None
    """``ofxpost_plugins.py`` beside the config file, if any."""
    entry_points: bool = True
    """Load installed plugins from the ``ofxpost`` entry-point group (unless
    ``OFXPOST_DISABLE_PLUGIN_AUTOLOAD`` is set)."""
    builtins: bool = True
    """Register the built-in plugins."""
    disabled: tuple[str, ...] = ()
    """Plugins not to load: plugin names as ``ofxpost plugins`` lists them, or an
    installed plugin's distribution name."""


def plugin_spec(
    modules: Sequence[str], source: Path | None, disabled: Sequence[str] = ()
) -> PluginSpec:
    """The :class:`PluginSpec` for a config's plugin keys (``source``: the config file,
    beside which ``ofxpost_plugins.py`` is looked for)."""
    local = source.parent / LOCAL_PLUGIN_FILE if source is not None else None
    return PluginSpec(
        modules=tuple(modules),
        local_file=local if local is not None and local.is_file() else None,
        disabled=tuple(disabled),
    )
