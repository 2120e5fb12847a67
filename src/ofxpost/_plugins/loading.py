"""Loading a config: read the YAML, let plugins translate it, hand their sections to validation.

:mod:`ofxpost._config.model` is plain data and validation and loads no plugin. This step
sits above it and above the plugin manager (``docs/architecture.md``, "Layers"):

1. read the YAML file (or take a mapping);
2. build the plugin set the config's own plugin keys name (``plugins:``,
   ``disable_plugins:``, ``ofxpost_plugins.py`` beside the file; the plugin manager
   is cached per set, so this costs nothing the validation would not);
3. ask the plugins to translate a config written for another tool
   (:func:`~ofxpost.hookspecs.ofxpost_translate_config`; the built-in
   :mod:`ofxpost._builtin.opp.plugin` translates digitalmodel's ``opp`` layout);
4. collect every plugin's config sections
   (:func:`~ofxpost.hookspecs.ofxpost_add_config_sections`) and validate the config
   with them (:func:`ofxpost._config.model.build_config`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from ofxpost._config.model import (
    CORE_KEYS,
    Config,
    build_config,
    label_prefix,
    plugin_keys,
    plugin_spec,
    read_yaml,
)
from ofxpost._plugins.manager import get_plugin_manager, implementer
from ofxpost.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import BaseModel


def load_config(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str] | None = None,
    disable_plugins: Sequence[str] = (),
) -> Config:
    """Load and validate a config from a YAML file or a mapping.

    A digitalmodel ``opp`` config is recognised and translated (with a notice in
    :attr:`Config.notices`). Plugins named in the config (and ``ofxpost_plugins.py``
    beside it) are loaded so that their sections can be validated.

    :param source: a YAML path, or an already-parsed mapping.
    :param base_dir: folder for relative paths when ``source`` is a mapping
        (default: the current folder).
    :param disable_plugins: plugins not to load, added to the config's
        ``disable_plugins`` (the CLI's ``--disable-plugin``).
    :raises ConfigError: naming the file, key path and value.
    """
    path: Path | None
    if not isinstance(source, str | os.PathLike | Mapping):
        raise ConfigError(
            f"config: expected a YAML path or a mapping (got {type(source).__name__})"
        )
    if isinstance(source, Mapping):
        raw = dict(source)
        path = None
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(source).expanduser().absolute()
        raw = read_yaml(path)
        base = path.parent
    raw, notices = translate_config(raw, path, disable_plugins)
    if disable_plugins:
        listed = raw.get("disable_plugins") or []
        listed = list(listed) if isinstance(listed, list) else [listed]
        raw["disable_plugins"] = [*listed, *(n for n in disable_plugins if n not in listed)]
    return validate_config(raw, base_dir=base.absolute(), source=path, notices=notices)


def translate_config(
    raw: Mapping[str, Any], source: Path | None, disable_plugins: Sequence[str] = ()
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``raw`` in ofxpost's layout, and the notices for the user.

    The plugins the config's own plugin keys name (with ``disable_plugins`` left
    out) are asked through :func:`~ofxpost.hookspecs.ofxpost_translate_config`; a
    config no plugin claims is returned as it is, without notices.

    :raises ConfigError: for unusable plugin keys, a plugin that cannot be loaded, or
        a config a translator refuses.
    """
    modules, disabled = plugin_keys(raw, source)
    disabled += [name for name in disable_plugins if name not in disabled]
    pm = _plugin_manager(modules, source, disabled)
    try:
        translated: tuple[Mapping[str, Any], Sequence[str]] | None = (
            pm.hook.ofxpost_translate_config(raw=raw, source=source)
        )
    except ConfigError:
        raise
    except Exception as exc:
        plugin = implementer(pm.hook.ofxpost_translate_config, exc)
        raise ConfigError(
            f"{label_prefix(source)}plugin {plugin!r} failed to translate the config: {exc!r}"
        ) from None
    if translated is None:
        return dict(raw), ()
    native, notices = translated
    return dict(native), tuple(str(n) for n in notices)


def validate_config(
    raw: Mapping[str, Any],
    *,
    base_dir: Path,
    source: Path | None = None,
    notices: tuple[str, ...] = (),
) -> Config:
    """Validate an already-parsed native config mapping (see :func:`load_config`).

    The plugins the config names are loaded and declare their sections, which
    :func:`ofxpost._config.model.build_config` validates.
    """
    modules, disabled = plugin_keys(raw, source)
    pm = _plugin_manager(modules, source, disabled)
    return build_config(
        raw, collect_sections(pm, source), base_dir=base_dir, source=source, notices=notices
    )


def _plugin_manager(
    modules: Sequence[str], source: Path | None, disabled: Sequence[str]
) -> pluggy.PluginManager:
    try:
        return get_plugin_manager(plugin_spec(modules, source, disabled))
    except ConfigError as exc:
        raise type(exc)(f"{label_prefix(source)}{exc}") from None


def collect_sections(pm: pluggy.PluginManager, label: Path | None) -> dict[str, type[BaseModel]]:
    """Gather ``{section: model}`` from every plugin, refusing clashes."""
    sections: dict[str, type[BaseModel]] = {}
    owners: dict[str, str] = {}
    for impl in pm.hook.ofxpost_add_config_sections.get_hookimpls():
        try:
            declared = impl.function() or {}
        except Exception as exc:
            raise ConfigError(
                f"{label_prefix(label)}plugin {impl.plugin_name!r} failed to declare its "
                f"config sections: {exc!r}"
            ) from None
        if not isinstance(declared, Mapping):
            raise ConfigError(
                f"{label_prefix(label)}plugin {impl.plugin_name!r}: ofxpost_add_config_sections "
                f"returned {type(declared).__name__}, not a mapping of section name to model"
            )
        for name, model in declared.items():
            owner = impl.plugin_name
            if name in CORE_KEYS:
                raise ConfigError(
                    f"{label_prefix(label)}plugin {owner!r} declares section {name!r}, a core key"
                )
            if name in sections:
                raise ConfigError(
                    f"{label_prefix(label)}plugins {owners[name]!r} and {owner!r} "
                    f"both declare section {name!r}"
                )
            sections[name] = model
            owners[name] = owner
    return sections
