"""Every S-N parameter against the published DNV-RP-C203 (April 2016) tables.

The expected values below are typed from the standard's tables (Table 2-1 in air,
Table 2-2 in seawater with cathodic protection, Table 2-4 free corrosion; the T
curve of section 2.4.6 in each environment), independently of the library's own
tables, and cross-checked against relations the standard states or implies: the
stress range at the knee is the published fatigue limit, the two slopes of a
bilinear curve meet at the knee, and a free-corrosion curve of slope 3 has a third
of the life in air (log a lower by log10 3).
"""

from __future__ import annotations

import math

import pytest

from ofxpost_fatigue.sn_curves import (
    DNV_AIR,
    DNV_FREE_CORROSION,
    DNV_SEAWATER_CP,
    EDITION,
    STANDARD,
    dnv_curve,
)

# curve: (m1, log a1, m2, log a2, k, stress range at 1e7 cycles in MPa)
TABLE_2_1_AIR = {
    "B1": (4.0, 15.117, 5.0, 17.146, 0.00, 106.97),
    "B2": (4.0, 14.885, 5.0, 16.856, 0.00, 93.59),
    "C": (3.0, 12.592, 5.0, 16.320, 0.05, 73.10),
    "C1": (3.0, 12.449, 5.0, 16.081, 0.10, 65.50),
    "C2": (3.0, 12.301, 5.0, 15.835, 0.15, 58.48),
    "D": (3.0, 12.164, 5.0, 15.606, 0.20, 52.63),
    "E": (3.0, 12.010, 5.0, 15.350, 0.20, 46.78),
    "F": (3.0, 11.855, 5.0, 15.091, 0.25, 41.52),
    "F1": (3.0, 11.699, 5.0, 14.832, 0.25, 36.84),
    "F3": (3.0, 11.546, 5.0, 14.576, 0.25, 32.75),
    "G": (3.0, 11.398, 5.0, 14.330, 0.25, 29.24),
    "W1": (3.0, 11.261, 5.0, 14.101, 0.25, 26.32),
    "W2": (3.0, 11.107, 5.0, 13.845, 0.25, 23.39),
    "W3": (3.0, 10.970, 5.0, 13.617, 0.25, 21.05),
    "T": (3.0, 12.164, 5.0, 15.606, 0.25, 52.63),
}

# curve: (m1, log a1, m2, log a2, k, stress range at 1e7 cycles in MPa)
TABLE_2_2_SEAWATER_CP = {
    "B1": (4.0, 14.917, 5.0, 17.146, 0.00, 106.97),
    "B2": (4.0, 14.685, 5.0, 16.856, 0.00, 93.59),
    "C": (3.0, 12.192, 5.0, 16.320, 0.05, 73.10),
    "C1": (3.0, 12.049, 5.0, 16.081, 0.10, 65.50),
    "C2": (3.0, 11.901, 5.0, 15.835, 0.15, 58.48),
    "D": (3.0, 11.764, 5.0, 15.606, 0.20, 52.63),
    "E": (3.0, 11.610, 5.0, 15.350, 0.20, 46.78),
    "F": (3.0, 11.455, 5.0, 15.091, 0.25, 41.52),
    "F1": (3.0, 11.299, 5.0, 14.832, 0.25, 36.84),
    "F3": (3.0, 11.146, 5.0, 14.576, 0.25, 32.75),
    "G": (3.0, 10.998, 5.0, 14.330, 0.25, 29.24),
    "W1": (3.0, 10.861, 5.0, 14.101, 0.25, 26.32),
    "W2": (3.0, 10.707, 5.0, 13.845, 0.25, 23.39),
    "W3": (3.0, 10.570, 5.0, 13.617, 0.25, 21.05),
    "T": (3.0, 11.764, 5.0, 15.606, 0.25, 52.63),
}

# curve: (m, log a, k). In the 2016 edition every free-corrosion curve has slope 3,
# B1 and B2 included (earlier editions gave B1/B2 slope 4).
TABLE_2_4_FREE_CORROSION = {
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


def test_the_library_holds_exactly_the_published_curves() -> None:
    assert set(DNV_AIR) == set(TABLE_2_1_AIR)
    assert set(DNV_SEAWATER_CP) == set(TABLE_2_2_SEAWATER_CP)
    assert set(DNV_FREE_CORROSION) == set(TABLE_2_4_FREE_CORROSION)


@pytest.mark.parametrize(
    ("environment", "published"),
    [("air", TABLE_2_1_AIR), ("seawater_cp", TABLE_2_2_SEAWATER_CP)],
)
def test_bilinear_parameters_equal_the_published_tables(
    environment: str, published: dict[str, tuple[float, ...]]
) -> None:
    for name, (m1, log_a1, m2, log_a2, k, _) in published.items():
        curve = dnv_curve(name, environment)  # type: ignore[arg-type]
        held = (curve.m1, curve.log_a1, curve.m2, curve.log_a2, curve.k)
        assert held == (m1, log_a1, m2, log_a2, k), name


def test_free_corrosion_parameters_equal_the_published_table() -> None:
    for name, (m, log_a, k) in TABLE_2_4_FREE_CORROSION.items():
        curve = dnv_curve(name, "free_corrosion")
        assert (curve.m1, curve.log_a1, curve.m2, curve.log_a2, curve.k) == (m, log_a, m, log_a, k)
        assert curve.single_slope and math.isinf(curve.knee_cycles)


@pytest.mark.parametrize("published", [TABLE_2_1_AIR, TABLE_2_2_SEAWATER_CP])
def test_the_published_fatigue_limit_follows_from_the_second_slope(
    published: dict[str, tuple[float, ...]],
) -> None:
    """The typed values agree with each other: log a2 - m2 log S(1e7) = 7."""
    for name, (_, _, m2, log_a2, _, limit) in published.items():
        assert 10 ** ((log_a2 - 7.0) / m2) == pytest.approx(limit, abs=0.02), name


def test_free_corrosion_slope_three_curves_have_a_third_of_the_life_in_air() -> None:
    for name, (_m, log_a, _) in TABLE_2_4_FREE_CORROSION.items():
        if TABLE_2_1_AIR[name][0] == 3.0:  # B1/B2 are slope 4 in air: no such relation
            assert log_a == pytest.approx(TABLE_2_1_AIR[name][1] - math.log10(3.0), abs=0.0015)


def test_every_free_corrosion_curve_has_slope_three_b1_and_b2_included() -> None:
    """A 2016 B1 detail in free corrosion: log N = 12.436 - 3 log S (not slope 4)."""
    curve = dnv_curve("B1", "free_corrosion")
    assert {c.m1 for c in DNV_FREE_CORROSION.values()} == {3.0}
    assert curve.cycles_to_failure([100.0])[0] == pytest.approx(10 ** (12.436 - 6.0))


def test_a_free_corrosion_curve_has_no_fatigue_limit() -> None:
    curve = dnv_curve("D", "free_corrosion")
    low = 5.0  # MPa: far below the air curve's fatigue limit
    expected = 10 ** (11.687 - 3.0 * math.log10(low))
    assert curve.cycles_to_failure([low])[0] == pytest.approx(expected)


def test_curves_name_the_standard_edition_and_table() -> None:
    assert (STANDARD, EDITION) == ("DNV-RP-C203", "2016")
    title = dnv_curve("T", "seawater_cp").title
    assert title == (
        "DNV-RP-C203 (2016) Table 2-2 (in seawater with cathodic protection), curve T"
    )
    assert "Table 2-4" in dnv_curve("F", "free_corrosion").title
    assert "Table 2-1" in dnv_curve("B1", "air").title
