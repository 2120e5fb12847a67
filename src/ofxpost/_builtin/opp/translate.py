"""Translate a digitalmodel ``opp`` (OrcaFlex post-process) config to the native layout.

:func:`translate_opp_config` is called by :mod:`ofxpost._builtin.opp.plugin` when a config
file is in the opp layout, and by ``ofxpost migrate``. It never changes its input:
master defaults are merged into fresh deep copies, one per column.

The translation fixes opp's bugs where they change results (see
``docs/migrating-from-opp.md``): ``ArcLength: [a]`` / ``[a, b]`` are an arc length
and an arc-length *range* (opp called ``oeLine(a)`` / ``oeLine(a, b)``, whose first
parameters are ``LinePoint`` and ``NodeNum``, so no arc length was ever set), a
one-element ``SimulationPeriod: [t]`` runs from ``t`` to the end (OrcFxAPI's
``SpecifiedPeriod(t)``; opp made it ``[t, t]``), an integer ``SimulationPeriod`` is a stage
(the newest opp ignored it), every ``RangeGraph`` ``AdditionalData`` curve is kept
(opp overwrote one column), statistics rows are never duplicated (they live in
their own tables), a ``null`` period end is each file's own stop time, and the
load matrix (files, run status, start/stop times) is saved.

``SupportIndex`` of a variable containing ``Support`` becomes ``object_extra:
{support: n}`` (OrcFxAPI's ``oeSupport``). Keys that would change results but have no
native equivalent (``transform``, ``Location``) raise
:class:`~ofxpost.errors.ConfigError` naming the key; keys with no meaning here
(``visualization``, ``RAOs``, ``orcaflex.analysis``, ``default``, ``library`` ...) are
accepted and listed once in a notice, ``ignored opp keys: ...`` (with a note for those
that were switched on).
Any other key is an error naming it and its section, with the nearest known key.
A summary group's ``inject_into`` (or the settings') becomes an entry of the native
``inject_into`` section (:mod:`ofxpost._builtin.inject`). File filters become the
native ``input_filters`` section (see
:mod:`ofxpost._config.input_filters`); a config naming ``.sim`` files also finds the
archives exported from them.

The pieces: :mod:`~ofxpost._builtin.opp.models` declares the opp layout (pydantic),
:mod:`~ofxpost._builtin.opp.values` how opp spells each value;
:mod:`~ofxpost._builtin.opp.merge` merges the master settings;
:mod:`~ofxpost._builtin.opp.features`, :mod:`~ofxpost._builtin.opp.columns` and
:mod:`~ofxpost._builtin.opp.files` turn the models into native sections;
:mod:`~ofxpost._builtin.opp.context` holds one translation's state. Every error is
formatted by :mod:`ofxpost._config.messages`, as the native config's are.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ofxpost._builtin.opp.context import Translation, switched_on
from ofxpost._builtin.opp.features import linked, range_graphs, summary, time_series
from ofxpost._builtin.opp.files import files
from ofxpost._builtin.opp.merge import deep_merge, merge_master
from ofxpost._builtin.opp.models import (
    IGNORED_FEATURE_KEYS,
    IGNORED_FEATURES,
    IGNORED_TOP_LEVEL,
    NATIVE_KEYS,
    OppConfig,
    Orcaflex,
    Postprocess,
    SeriesSettings,
)

__all__ = [
    "FEATURES",
    "deep_merge",
    "merge_master",
    "translate_opp_config",
    "translate_with_notices",
]

FEATURES: tuple[str, ...] = ("summary", "linked_statistics", "RangeGraph", "time_series")
"""The opp post-processing features ofxpost translates."""


def translate_opp_config(raw: Mapping[str, Any], source: Path | None) -> dict[str, Any]:
    """Translate a digitalmodel opp config mapping to a native ofxpost config.

    :param raw: the parsed opp YAML (not changed).
    :param source: the config file, for error messages (``None`` for a mapping).
    :returns: a new native config mapping (core keys, ``outputs``, ``load_matrix``
        and the feature sections).
    :raises ConfigError: naming the opp key that cannot be translated.
    """
    return translate_with_notices(raw, source)[0]


def translate_with_notices(
    raw: Mapping[str, Any], source: Path | None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """:func:`translate_opp_config`, with the ``ignored opp keys: ...`` notice (if any)."""
    ctx = Translation(source)
    config = ctx.validate(OppConfig, raw)
    for key in raw:
        if key in IGNORED_TOP_LEVEL:
            ctx.ignore(str(key), raw[key])
    postprocess = _postprocess(ctx, raw, config.orcaflex or Orcaflex())
    ctx.ignore_written(
        config.RangeGraph_settings, "RangeGraph_settings", "add_effective_tension_to_cfg"
    )
    flags = {name: getattr(postprocess, name) for name in FEATURES}
    flags["summary"] = postprocess.summary_feature
    on = {name: block is not None and block.flag for name, block in flags.items()}

    native: dict[str, Any] = {"inputs": ["*.sim"], "output_dir": "results"}
    if config.parallel_processing is not None:
        parallel = copy.deepcopy(dict(config.parallel_processing))
        parallel.pop("task_type", None)  # opp forced it to 'mixed'; it chose nothing
        native["parallel_processing"] = parallel
    # csv_decimal is validated (models.py) but not translated: ofxpost writes
    # significant digits (outputs.csv_significant_digits), never fixed decimals, which
    # would round small values (damages, probabilities) to zero
    native["load_matrix"] = {"enabled": True}
    for name in ("time_series_settings", "time_series_settings_master"):
        ctx.ignore_written(getattr(config, name), name, *SeriesSettings.IGNORED)

    if on["summary"]:
        native["summary"] = summary(ctx, raw, config, flags["summary"])
        if ctx.injections:
            native["inject_into"] = ctx.injections
    if on["linked_statistics"]:
        native["linked_statistics"] = linked(ctx, raw, config, flags["linked_statistics"])
    if on["RangeGraph"]:
        native["range_graph"] = range_graphs(ctx, config)
    if on["time_series"]:
        series = time_series(ctx, raw, flags["time_series"])
        if series is not None:
            native["time_series"] = series
    others = any(on[name] for name in ("linked_statistics", "RangeGraph", "time_series"))
    inputs, output_dir, filters = files(ctx, config.file_management, others)
    native["inputs"], native["output_dir"] = inputs, output_dir
    if filters:
        native["input_filters"] = filters
    for key in sorted(set(NATIVE_KEYS) & set(raw)):
        value = copy.deepcopy(raw[key])
        if isinstance(value, Mapping) and isinstance(native.get(key), Mapping):
            native[key] = deep_merge(native[key], value)
        else:
            native[key] = value
    return native, ctx.notices()


def _postprocess(ctx: Translation, raw: Mapping[str, Any], orcaflex: Orcaflex) -> Postprocess:
    """``orcaflex.postprocess``, with its ignored keys recorded in the order written."""
    if "analysis" in orcaflex.model_fields_set:
        analysis = orcaflex.analysis
        requested = isinstance(analysis, Mapping) and any(
            switched_on(value) for value in analysis.values()
        )
        ctx.ignore("orcaflex.analysis", requested)
    postprocess = orcaflex.postprocess or Postprocess()
    for name in (raw.get("orcaflex") or {}).get("postprocess") or {}:
        where = f"orcaflex.postprocess.{name}"
        if name in IGNORED_FEATURES:
            ctx.ignore(where, getattr(postprocess, name))
        else:
            block = getattr(postprocess, name)
            ctx.ignore_written(block, where, *IGNORED_FEATURE_KEYS)
    return postprocess
