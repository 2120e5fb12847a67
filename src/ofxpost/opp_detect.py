"""Recognise a digitalmodel ``opp`` config and hand it to the translator."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    from ofxpost.builtin.opp_compat import translate_with_notices

    native, ignored = translate_with_notices(raw, source)
    where = f" {source}" if source is not None else ""
    notice = (
        f"config{where} is in digitalmodel's opp layout; it was translated to the native "
        "layout (see it with `ofxpost migrate`)"
    )
    return native, (notice, *ignored)
