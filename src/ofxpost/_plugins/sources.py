"""Where plugins come from: the installed entry points, the modules a config names,
and the ``ofxpost_plugins.py`` file beside the config."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ofxpost._core.markers import PROJECT_NAME
from ofxpost.errors import PluginError


@dataclass(frozen=True)
class EntryPoint:
    """One installed ``ofxpost`` entry point and its distribution."""

    name: str
    value: str
    dist: str
    version: str

    def describe(self) -> str:
        """The entry point as an error message names it."""
        return (
            f"installed plugin {self.name!r} (distribution {self.dist} {self.version}, "
            f"entry point '{self.name} = {self.value}' in group '{PROJECT_NAME}')"
        )


def find_entry_points() -> list[EntryPoint]:
    """The installed ``ofxpost`` entry points, by name (first distribution wins)."""
    found: dict[str, EntryPoint] = {}
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group != PROJECT_NAME or ep.name in found:
                continue
            meta = dist.metadata
            found[ep.name] = EntryPoint(
                ep.name, ep.value, str(meta["Name"] or "?"), str(meta["Version"] or "?")
            )
    return [found[name] for name in sorted(found)]


def installed_entry_points() -> tuple[str, ...]:
    """The ``ofxpost`` entry points installed now (part of the cache key)."""
    return tuple(f"{ep.name}={ep.value}" for ep in find_entry_points())


def normal_name(name: str) -> str:
    """A distribution name as PEP 503 normalises it (``Ofxpost_Fatigue``: ``ofxpost-fatigue``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def describe_module(name: str, module: ModuleType) -> str:
    """A plugin module as an error message names it (with its file)."""
    where = getattr(module, "__file__", None)
    return f"plugin {name!r} (module {module.__name__}" + (f", {where})" if where else ")")


def import_module(name: str) -> ModuleType:
    """Import the plugin module ``name`` (a config's ``plugins:`` entry).

    :raises PluginError: naming the module and the import error.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise PluginError(f"key 'plugins': cannot import plugin module {name!r}: {exc}") from None
    except Exception as exc:
        raise PluginError(
            f"key 'plugins': plugin module {name!r} failed on import: {exc!r}"
        ) from None


def import_local_file(path: Path) -> ModuleType:
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
