"""The fatigue tables' names and columns, and the plugin's error."""

from __future__ import annotations

RESULT = "fatigue"
"""The extractor's result name."""
DAMAGE_TABLE = "fatigue_damage"
LIFE_TABLE = "fatigue_life"

DAMAGE_COLUMNS = [
    "index", "file", "label", "object", "arc_length", "hot_spot", "status", "exposure",
    "duration_s",
    "cycles", "max_range", "damage", "annual_damage", "del", "del_m", "del_n_eq",
    "del_1hz", "units_read",
]  # fmt: skip
LIFE_COLUMNS = [
    "label", "object", "arc_length", "hot_spot", "sn_curve", "annual_damage", "life_years",
    "utilisation", "del_lifetime_1hz", "del_year", "worst_file", "files_used",
    "files_missing", "complete",
]  # fmt: skip


class FatigueError(ValueError):
    """The fatigue tables cannot be built (the message names what is missing)."""
