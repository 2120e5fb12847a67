"""The ``bins``/``range`` keys a histogram section takes (rainflow, time-series
histograms): their check, in one place."""

from __future__ import annotations

import itertools
from collections.abc import Sequence


def check_bins(bins: int | Sequence[float], span: Sequence[float] | None) -> None:
    """Refuse ``bins`` (a count, or the bin edges) and ``range`` (``span``) that do
    not describe bins.

    :raises ValueError: fewer than one bin, edges that are fewer than two or not
        increasing, a ``range`` beside explicit edges, or a ``range`` whose low is
        not below its high (the message names the key, as pydantic shows it).
    """
    if isinstance(bins, int) and bins < 1:
        raise ValueError(f"bins: {bins} must be at least 1")
    if not isinstance(bins, int):
        edges = list(bins)
        if len(edges) < 2 or any(low >= high for low, high in itertools.pairwise(edges)):
            raise ValueError("bins: give at least two increasing edges")
        if span is not None:
            raise ValueError("range: not used with explicit bin edges")
    if span is not None and not span[0] < span[1]:
        raise ValueError(f"range: {list(span)} must be [low, high] with low < high")


__all__ = ["check_bins"]
