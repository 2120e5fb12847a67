"""S-N curves of DNV-RP-C203 (Fatigue design of offshore steel structures).

Each curve is bilinear in log-log scale (stress range Δσ in MPa, cycles N)::

    log10 N = log10 a1 - m1 log10(Δσ · (t/tref)^k)    for N <= N_knee
    log10 N = log10 a2 - m2 log10(Δσ · (t/tref)^k)    for N >  N_knee

with ``N_knee = 1e7`` cycles **in air** (Table 2-1) and ``1e6`` cycles **in
seawater with cathodic protection** (Table 2-2); in both, m2 = 5. **Free
corrosion** (Table 2-4) curves have one slope (no knee, no fatigue limit). Every
table also holds the tubular-joint **T** curve (section 2.4.6 of the edition), with
``k = 0.25`` (the standard's value for SCF <= 10; it gives 0.30 for SCF > 10, which
is not modelled here). The thickness
correction ``(t/tref)^k`` applies for ``t > tref`` (``t = tref`` below it); ``tref``
is 25 mm for welded connections other than tubular joints (16 mm for tubular
joints: pass ``t_ref_mm=16``). The tables hold each curve's published ``m1``,
``log a1``, ``m2``, ``log a2`` and thickness exponent ``k``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from ofxpost_fatigue._numpy import np

Environment = Literal["air", "seawater_cp", "free_corrosion"]

STANDARD = "DNV-RP-C203"
"""The standard the curves come from."""
EDITION = "2016"
"""The edition whose tables are transcribed here (April 2016)."""
TABLES: dict[str, str] = {
    "air": "Table 2-1 (in air)",
    "seawater_cp": "Table 2-2 (in seawater with cathodic protection)",
    "free_corrosion": "Table 2-4 (in seawater, free corrosion)",
}
"""The table of each environment."""

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
    source: str = STANDARD
    edition: str = EDITION

    @property
    def title(self) -> str:
        """The curve as an engineer cites it, e.g. ``DNV-RP-C203 (2016) Table 2-1 (in
        air), curve D``: what the fatigue tables write in their ``sn_curve`` column."""
        return f"{self.source} ({self.edition}) {TABLES[self.environment]}, curve {self.name}"

    @property
    def single_slope(self) -> bool:
        """One slope all the way (the free-corrosion curves)."""
        return self.m1 == self.m2 and self.log_a1 == self.log_a2

    @property
    def knee_cycles(self) -> float:
        """Cycles where the two slopes meet (1e7 in air, 1e6 in seawater with CP;
        infinite for a single-slope curve)."""
        if self.single_slope:
            return math.inf
        log_s = (self.log_a2 - self.log_a1) / (self.m2 - self.m1)
        return float(10 ** (self.log_a1 - self.m1 * log_s))

    @property
    def knee_stress(self) -> float:
        """Stress range (MPa) at :attr:`knee_cycles` (no thickness correction; 0 for a
        single-slope curve)."""
        if self.single_slope:
            return 0.0
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
        if self.single_slope:
            return np.asarray(np.power(10.0, log_n1), dtype=float)
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
    "T": (3.0, 12.164, 5.0, 15.606, 0.25),
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
    "T": (3.0, 11.764, 5.0, 15.606, 0.25),
}

# DNV-RP-C203 Table 2-4, in seawater for free corrosion: one slope (m, log a); in the
# 2016 edition every curve has m = 3, B1 and B2 included (earlier editions: m = 4)
_FREE_CORROSION: dict[str, tuple[float, float, float]] = {
    "B1": (3.0, 12.436, 0.00),
    "B2": (3.0, 12.262, 0.00),
    "C": (3.0, 12.115, 0.05),
    "C1": (3.0, 11.972, 0.10),
    "C2": (3.0, 11.824, 0.15),
    "D": (3.0, 11.687, 0.20),
    "E": (3.0, 11.533, 0.20),
    "F": (3.0, 11.378, 0.25),
    "F1": (3.0, 11.222, 0.25),
    "F3": (3.0, 11.068, 0.25),
    "G": (3.0, 10.921, 0.25),
    "W1": (3.0, 10.784, 0.25),
    "W2": (3.0, 10.630, 0.25),
    "W3": (3.0, 10.493, 0.25),
    "T": (3.0, 11.687, 0.25),
}

DNV_AIR: dict[str, SNCurve] = {name: SNCurve(name, "air", *values) for name, values in _AIR.items()}
"""DNV-RP-C203 S-N curves in air, by name (``B1`` ... ``W3``)."""
DNV_SEAWATER_CP: dict[str, SNCurve] = {
    name: SNCurve(name, "seawater_cp", *values) for name, values in _SEAWATER_CP.items()
}
"""DNV-RP-C203 S-N curves in seawater with cathodic protection, by name."""
DNV_FREE_CORROSION: dict[str, SNCurve] = {
    name: SNCurve(name, "free_corrosion", m, log_a, m, log_a, k)
    for name, (m, log_a, k) in _FREE_CORROSION.items()
}
"""DNV-RP-C203 S-N curves in seawater for free corrosion (one slope), by name."""

FATIGUE_LIMIT_1E7_MPA: dict[str, float] = {
    "B1": 106.97, "B2": 93.59, "C": 73.10, "C1": 65.50, "C2": 58.48, "D": 52.63,
    "E": 46.78, "F": 41.52, "F1": 36.84, "F3": 32.75, "G": 29.24, "W1": 26.32,
    "W2": 23.39, "W3": 21.05, "T": 52.63,
}  # fmt: skip
"""The published stress range at 1e7 cycles (MPa), both tables (a cross-check)."""


def dnv_curve(name: str, environment: Environment = "seawater_cp") -> SNCurve:
    """The DNV-RP-C203 curve ``name`` in ``environment`` (``air``, ``seawater_cp`` or
    ``free_corrosion``).

    :raises ValueError: naming the curves that exist.
    """
    tables = {"air": DNV_AIR, "seawater_cp": DNV_SEAWATER_CP, "free_corrosion": DNV_FREE_CORROSION}
    table = tables.get(environment)
    if table is None:
        raise ValueError(f"unknown environment {environment!r}; choose from {list(tables)}")
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown DNV-RP-C203 curve {name!r}; choose from {list(table)}") from None
