"""Statistics of sampled results, as the archive reader computes them.

They live in :mod:`ofxpost._ofx.stats`, below the archive, so that the pure-Python
OrcFxAPI names can use them too; this module keeps their archive-side name.
"""

from __future__ import annotations

from ofxpost._ofx.stats import (
    FloatArray,
    analyse_extrema,
    as_values,
    linked_query,
    local_maxima,
    mean_up_crossings,
    range_statistics,
    time_series_statistics,
)

__all__ = [
    "FloatArray",
    "analyse_extrema",
    "as_values",
    "linked_query",
    "local_maxima",
    "mean_up_crossings",
    "range_statistics",
    "time_series_statistics",
]
