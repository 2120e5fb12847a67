"""Palmgren-Miner damage and damage-equivalent ranges."""

from __future__ import annotations

from typing import Any

from ofxpost_fatigue._numpy import np
from ofxpost_fatigue.sn_curves import T_REF_MM, SNCurve


def miner_damage(
    ranges: Any,
    counts: Any,
    curve: SNCurve,
    thickness_mm: float | None = None,
    t_ref_mm: float = T_REF_MM,
) -> float:
    """Palmgren-Miner damage ``D = Σ n_i / N_i`` of rainflow-counted stress ranges (MPa).

    ``N_i`` comes from ``curve`` (bilinear, with the thickness correction); a zero
    range does no damage. A constant-amplitude history of ``n`` cycles of range
    ``S`` gives ``n / N(S)``.
    """
    s = np.asarray(ranges, dtype=float)
    n = np.asarray(counts, dtype=float)
    if s.shape != n.shape:
        raise ValueError(f"ranges and counts differ in shape: {s.shape} vs {n.shape}")
    if s.size == 0:
        return 0.0
    if np.any(s < 0) or not np.all(np.isfinite(s)):
        raise ValueError("stress ranges must be finite and >= 0")
    life = curve.cycles_to_failure(s, thickness_mm, t_ref_mm)
    return float(np.sum(n / life))


def damage_equivalent_range(ranges: Any, counts: Any, m: float, n_eq: float) -> float:
    """Damage-equivalent range (DEL) of a rainflow count.

    Convention: the constant range that, applied ``n_eq`` times, gives the same
    ``Σ n_i S_i^m`` as the counted cycles on a single-slope S-N curve of slope
    ``m``::

        DEL = (Σ n_i S_i^m / n_eq) ^ (1/m)

    It has the unit of the ranges (a stress, or a load when the ranges are loads).
    """
    if m <= 0 or n_eq <= 0:
        raise ValueError("m and n_eq must be > 0")
    s = np.asarray(ranges, dtype=float)
    n = np.asarray(counts, dtype=float)
    if s.size == 0:
        return 0.0
    return float((np.sum(n * s**m) / n_eq) ** (1.0 / m))
