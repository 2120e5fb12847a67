"""Rainflow cycle counting per ASTM E1049-85 (section 5.4.4), with the ``rainflow`` package."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import rainflow  # type: ignore[import-untyped]

from ofxpost_fatigue._numpy import np

if TYPE_CHECKING:
    FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def count_cycles(series: Any) -> tuple[FloatArray, FloatArray]:
    """Count the cycles of ``series`` by ASTM E1049-85 rainflow counting.

    :returns: ``(ranges, counts)``: one entry per extracted cycle, in the order
        they are extracted; a count is 1.0 (a full cycle) or 0.5 (a half cycle,
        the residue). Ranges are not binned. A series with fewer than two
        reversals gives empty arrays.

    The ASTM E1049-85 worked example ``[-2, 1, -3, 5, -1, 3, -4, 4, -2]`` gives
    ranges 3, 4, 6, 8, 9 with counts 0.5, 1.5, 0.5, 1.0, 0.5 (summed by range).

    :raises ValueError: if ``series`` holds NaN or infinite values.
    """
    values = np.asarray(series, dtype=float).ravel()
    if not np.all(np.isfinite(values)):
        raise ValueError("the series holds NaN or infinite values")
    if values.size < 2:
        empty = np.zeros(0, dtype=float)
        return empty, empty.copy()
    ranges: list[float] = []
    counts: list[float] = []
    for rng, _mean, count, _start, _end in rainflow.extract_cycles(values.tolist()):
        ranges.append(float(rng))
        counts.append(float(count))
    return np.asarray(ranges, dtype=float), np.asarray(counts, dtype=float)


def summed_by_range(ranges: FloatArray, counts: FloatArray) -> list[tuple[float, float]]:
    """``[(range, total count), ...]`` sorted by range (as ASTM E1049-85 tabulates them)."""
    totals: dict[float, float] = {}
    for rng, count in zip(ranges.tolist(), counts.tolist(), strict=True):
        totals[rng] = totals.get(rng, 0.0) + count
    return sorted(totals.items())
