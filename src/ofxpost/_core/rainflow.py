"""Rainflow cycle counting (ASTM E1049-85, section 5.4.4) and cycle histograms.

Plain numpy, so that the core features need no counting package. The count is
the standard's: the series is reduced to its reversals (peaks and valleys), then
each range ``Y`` that is not larger than the next range ``X`` is counted -- as a
half cycle (and the starting point dropped) when it contains the starting point,
otherwise as a full cycle (and its two points dropped); the ranges left at the end
are half cycles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
else:  # the controller registers the rainflow plugin long before it needs numpy
    from ofxpost._core.lazymodule import on_first_use

    np = on_first_use("numpy")


def reversals(series: Any) -> FloatArray:
    """The peaks and valleys of ``series`` (first and last samples included).

    Runs of equal values count once; a sample between a rise and a fall is a peak.

    :raises ValueError: for NaN or infinite values.
    """
    x: FloatArray = np.asarray(series, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x)):
        raise ValueError("the series holds NaN or infinite values")
    if x.size < 2:
        return np.array(x, dtype=np.float64)
    keep = np.concatenate([[True], np.diff(x) != 0])
    x = x[keep]
    if x.size < 3:
        return x
    slope = np.sign(np.diff(x))
    turning = np.flatnonzero(slope[1:] != slope[:-1]) + 1
    out: FloatArray = np.concatenate([[x[0]], x[turning], [x[-1]]])
    return out


def count_cycles(series: Any) -> tuple[FloatArray, FloatArray]:
    """``(ranges, counts)`` of the rainflow cycles of ``series`` (ASTM E1049-85).

    One entry per extracted cycle, in extraction order; a count is 1.0 (a full
    cycle) or 0.5 (a half cycle). The standard's worked example
    ``[-2, 1, -3, 5, -1, 3, -4, 4, -2]`` gives ranges 3, 4, 6, 8, 9 with counts
    0.5, 1.5, 0.5, 1.0, 0.5 (summed by range).
    """
    points = reversals(series).tolist()
    ranges: list[float] = []
    counts: list[float] = []
    stack: list[float] = []
    start = 0  # index in ``stack`` of the starting point still present
    for point in points:
        stack.append(point)
        while len(stack) - start >= 3:
            x = abs(stack[-1] - stack[-2])
            y = abs(stack[-2] - stack[-3])
            if x < y:
                break
            if len(stack) - start == 3:  # Y contains the starting point
                ranges.append(y)
                counts.append(0.5)
                start += 1
            else:
                ranges.append(y)
                counts.append(1.0)
                last = stack.pop()
                stack.pop()
                stack.pop()
                stack.append(last)
    for a, b in zip(stack[start:-1], stack[start + 1 :], strict=True):
        ranges.append(abs(b - a))
        counts.append(0.5)
    return np.asarray(ranges, dtype=np.float64), np.asarray(counts, dtype=np.float64)


def histogram_edges(
    bins: int | Sequence[float], span: Sequence[float] | None, top: float
) -> FloatArray:
    """Bin edges: explicit ``bins`` edges, or ``bins`` equal bins over ``span``
    (default ``[0, top]``, ``top`` the largest range; ``[0, 1]`` when it is 0)."""
    if not isinstance(bins, int):
        return np.asarray(list(bins), dtype=np.float64)
    low, high = (0.0, top if top > 0 else 1.0) if span is None else (float(span[0]), float(span[1]))
    return np.linspace(low, high, bins + 1)


def binned(
    ranges: FloatArray, counts: FloatArray, edges: FloatArray
) -> tuple[FloatArray, float, float]:
    """Cycles per bin of ``edges`` (numpy's rule: the last bin includes its right
    edge), and the cycles below the first and above the last edge."""
    inside, _ = np.histogram(ranges, bins=edges, weights=counts)
    below = float(counts[ranges < edges[0]].sum())
    above = float(counts[ranges > edges[-1]].sum())
    return inside.astype(np.float64), below, above
