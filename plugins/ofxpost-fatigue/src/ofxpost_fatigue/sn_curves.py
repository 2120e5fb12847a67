"""S-N curves of DNV-RP-C203 (Fatigue design of offshore steel structures).

Each curve is bilinear in log-log scale (stress range Δσ in MPa, cycles N)::

    log10 N = log10 a1 - m1 log10(Δσ · (t/tref)^k)    for N <= N_knee
    log10 N = log10 a2 - m2 log10(Δσ · (t/tref)^k)    for N >  N_knee

with ``N_knee = 1e7`` cycles **in air** (Table 2-1) and ``1e6`` cycles **in
seawater with cathodic protection** (Table 2-2); in both, m2 = 5. The thickness
correction ``(t/tref)^k`` applies for ``t > tref`` (``t = tref`` below it); ``tref``
is 25 mm for welded connections other than tubular joints (16 mm for tubular
joints: pass ``t_ref_mm=16``). The tables hold each curve's published ``m1``,
``log a1``, ``m2``, ``log a2`` and thickness exponent ``k``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Environment = Literal["air", "seawater_cp"]

T_REF_MM = 25.0
"""Reference thickness (mm) of welded connections other than tubular joints."""


@dataclass(frozen=True)
class SNCurve:
    """One bilinear S-N curve (stress ranges in MPa)."""

    name: str
    environment: Environment
    m1: float
    log_a1: float
    m2: float
    log_a2: float
    k: float
    """Thickness exponent."""
    source: str = "DNV-RP-C203"

    @property
    def knee_cycles(self) -> float:
        """Cycles where the two slopes meet (1e7 in air, 1e6 in seawater with CP)."""
        log_s = (self.log_a2 - self.log_a1) / (self.m2 - self.m1)
        return float(10 ** (self.log_a1 - self.m1 * log_s))

    @property
    def knee_stress(self) -> float:
        """Stress range (MPa) at :attr:`knee_cycles` (no thickness correction)."""
        return float(10 ** ((self.log_a1 - math.log10(self.knee_cycles)) / self.m1))

    def stress_at(self, cycles: float) -> float:
        """The stress range (MPa) with ``cycles`` cycles to failure (no thickness correction)."""
        log_n = math.log10(cycles)
        if cycles <= self.knee_cycles:
            return float(10 ** ((self.log_a1 - log_n) / self.m1))
        return float(10 ** ((self.log_a2 - log_n) / self.m2))

    def cycles_to_failure(
        self, stress_range: Any, thickness_mm: float | None = None, t_ref_mm: float = T_REF_MM
    ) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Cycles to failure N for each stress range (MPa); ``inf`` for a zero range.

        :param thickness_mm: the thickness (mm) for the correction ``(t/tref)^k``
            (``None``: no correction).
        """
        s = np.asarray(stress_range, dtype=float) * thickness_factor(self, thickness_mm, t_ref_mm)
        with np.errstate(divide="ignore"):
            log_s = np.log10(s)
        log_n1 = self.log_a1 - self.m1 * log_s
        log_n2 = self.log_a2 - self.m2 * log_s
        log_n = np.where(log_n1 <= math.log10(self.knee_cycles), log_n1, log_n2)
        return np.asarray(np.power(10.0, log_n), dtype=float)


def thickness_factor(
    curve: SNCurve, thickness_mm: float | None, t_ref_mm: float = T_REF_MM
) -> float:
    """``(t/tref)^k`` for ``t > tref``, else 1."""
    if thickness_mm is None or thickness_mm <= t_ref_mm:
        return 1.0
    return float((thickness_mm / t_ref_mm) ** curve.k)


# name: (m1, log a1, m2, log a2, k)  -- DNV-RP-C203 Table 2-1, in air (knee at 1e7 cycles)
_AIR: dict[str, tuple[float, float, float, float, float]] = {
    "B1": (4.0, 15.117, 5.0, 17.146, 0.00),
    "B2": (4.0, 14.885, 5.0, 16.856, 0.00),
    "C": (3.0, 12.592, 5.0, 16.320, 0.05),
    "C1": (3.0, 12.449, 5.0, 16.081, 0.10),
    "C2": (3.0, 12.301, 5.0, 15.835, 0.15),
    "D": (3.0, 12.164, 5.0, 15.606, 0.20),
    "E": (3.0, 12.010, 5.0, 15.350, 0.20),
    "F": (3.0, 11.855, 5.0, 15.091, 0.25),
    "F1": (3.0, 11.699, 5.0, 14.832, 0.25),
    "F3": (3.0, 11.546, 5.0, 14.576, 0.25),
    "G": (3.0, 11.398, 5.0, 14.330, 0.25),
    "W1": (3.0, 11.261, 5.0, 14.101, 0.25),
    "W2": (3.0, 11.107, 5.0, 13.845, 0.25),
    "W3": (3.0, 10.970, 5.0, 13.617, 0.25),
}

# DNV-RP-C203 Table 2-2, in seawater with cathodic protection (knee at 1e6 cycles)
_SEAWATER_CP: dict[str, tuple[float, float, float, float, float]] = {
    "B1": (4.0, 14.917, 5.0, 17.146, 0.00),
    "B2": (4.0, 14.685, 5.0, 16.856, 0.00),
    "C": (3.0, 12.192, 5.0, 16.320, 0.05),
    "C1": (3.0, 12.049, 5.0, 16.081, 0.10),
    "C2": (3.0, 11.901, 5.0, 15.835, 0.15),
    "D": (3.0, 11.764, 5.0, 15.606, 0.20),
    "E": (3.0, 11.610, 5.0, 15.350, 0.20),
    "F": (3.0, 11.455, 5.0, 15.091, 0.25),
    "F1": (3.0, 11.299, 5.0, 14.832, 0.25),
    "F3": (3.0, 11.146, 5.0, 14.576, 0.25),
    "G": (3.0, 10.998, 5.0, 14.330, 0.25),
    "W1": (3.0, 10.861, 5.0, 14.101, 0.25),
    "W2": (3.0, 10.707, 5.0, 13.845, 0.25),
    "W3": (3.0, 10.570, 5.0, 13.617, 0.25),
}

DNV_AIR: dict[str, SNCurve] = {name: SNCurve(name, "air", *values) for name, values in _AIR.items()}
"""DNV-RP-C203 S-N curves in air, by name (``B1`` ... ``W3``)."""
DNV_SEAWATER_CP: dict[str, SNCurve] = {
    name: SNCurve(name, "seawater_cp", *values) for name, values in _SEAWATER_CP.items()
}
"""DNV-RP-C203 S-N curves in seawater with cathodic protection, by name."""

FATIGUE_LIMIT_1E7_MPA: dict[str, float] = {
    "B1": 106.97, "B2": 93.59, "C": 73.10, "C1": 65.50, "C2": 58.48, "D": 52.63,
    "E": 46.78, "F": 41.52, "F1": 36.84, "F3": 32.75, "G": 29.24, "W1": 26.32,
    "W2": 23.39, "W3": 21.05,
}  # fmt: skip
"""The published stress range at 1e7 cycles (MPa), both tables (a cross-check)."""


def dnv_curve(name: str, environment: Environment = "seawater_cp") -> SNCurve:
    """The DNV-RP-C203 curve ``name`` in ``environment`` (``air`` or ``seawater_cp``).

    :raises ValueError: naming the curves that exist.
    """
    table = {"air": DNV_AIR, "seawater_cp": DNV_SEAWATER_CP}.get(environment)
    if table is None:
        raise ValueError(f"unknown environment {environment!r}; choose 'air' or 'seawater_cp'")
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown DNV-RP-C203 curve {name!r}; choose from {list(table)}") from None
