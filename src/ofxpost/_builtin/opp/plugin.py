"""Built-in plugin: recognise a digitalmodel ``opp`` config and translate it.

It implements :func:`~ofxpost.hookspecs.ofxpost_translate_config`; the translation
itself is :mod:`ofxpost._builtin.opp.translate`. ``ofxpost migrate`` calls
:func:`is_opp_config` and :func:`translate` directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ofxpost._core.markers import hookimpl

OPP_MARKER_KEYS = frozenset(
    {
        "orcaflex",
        "summary_settings",
        "summary_settings_master",
        "linked_statistics_settings",
        "linked_statistics_settings_master",
        "time_series_settings",
        "time_series_settings_master",
        "RangeGraph",
        "file_management",
    }
)
"""Top-level keys that only digitalmodel's opp layout uses."""


def is_opp_config(raw: Mapping[str, Any]) -> bool:
    """True when ``raw`` is in digitalmodel's opp layout rather than ofxpost's."""
    return any(key in raw for key in OPP_MARKER_KEYS)


def translate(
    raw: Mapping[str, Any], source: Path | None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Translate an opp config to a native one; return it with the notices for the user.

    The first notice says the config was translated; a second one, when there is
    anything to say, lists the opp keys that have no meaning here
    (``ignored opp keys: ...``) and those of them that were switched on.
    """
    from ofxpost._builtin.opp.translate import translate_with_notices  # only when needed

    native, ignored = translate_with_notices(raw, source)
    where = f" {source}" if source is not None else ""
    notice = (
        f"config{where} is in digitalmodel's opp layout; it was translated to the native "
        "layout (see it with `ofxpost migrate`)"
    )
    return native, (notice, *ignored)


@hookimpl
def ofxpost_translate_config(
    raw: Mapping[str, Any], source: Path | None
) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    """Translate ``raw`` when it is in digitalmodel's opp layout (else ``None``)."""
    return translate(raw, source) if is_opp_config(raw) else None
