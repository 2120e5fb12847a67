"""Which extreme of a column governs, and its utilisation (docs/report.md)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ofxpost._builtin.support import report_data
from ofxpost._builtin.support.report_html import fmt_number
from ofxpost.plugin import set_allowables, set_units


def table(values: list[float], **limits: dict[str, float]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "file": [f"sims/c{i}.ofx.parquet" for i in range(len(values))],
            "stem": [f"c{i}" for i in range(len(values))],
            "hs": [1.0 + i for i in range(len(values))],
            "status": ["ok"] * len(values),
            "v": values,
        }
    )
    set_units(frame, {"v": "kN"})
    if limits:
        set_allowables(frame, limits)
    return frame


def test_max_allowable_governs_by_the_largest_value() -> None:
    found = report_data.governing("t", table([5.0, 12.0, 7.0], v={"max": 10.0}), "v")
    assert found is not None
    assert (found.side, found.value, found.stem, found.file) == (
        "max", 12.0, "c1", "sims/c1.ofx.parquet"
    )  # fmt: skip
    assert found.load_case == {"hs": 2.0}
    assert found.utilisation == pytest.approx(1.2) and found.flagged and found.unit == "kN"


def test_min_allowable_governs_by_the_smallest_value() -> None:
    found = report_data.governing("t", table([50.0, 20.0, 80.0], v={"min": 10.0}), "v")
    assert found is not None and (found.side, found.stem) == ("min", "c1")
    assert found.utilisation == pytest.approx(0.5) and not found.flagged
    below = report_data.governing("t", table([50.0, -5.0], v={"min": 10.0}), "v")
    assert below is not None and below.utilisation is None and below.flagged  # no ratio


def test_both_allowables_the_larger_utilisation_governs() -> None:
    limits = {"max": 100.0, "min": 10.0}
    high = report_data.governing("t", table([90.0, 50.0, 20.0], v=limits), "v")
    assert high is not None and (high.side, high.stem) == ("max", "c0")  # 0.9 > 0.5
    low = report_data.governing("t", table([60.0, 50.0, 11.0], v=limits), "v")
    assert low is not None and (low.side, low.stem) == ("min", "c2")  # 0.91 > 0.6
    assert low.utilisation == pytest.approx(10.0 / 11.0)


@pytest.mark.parametrize(
    ("statistic", "side"),
    [("max", "max"), ("abs_max", "max"), ("min", "min"), ("arc_length_of_min", "min"),
     ("min of the min range-graph curve", "min"), ("", "max")],
)  # fmt: skip
def test_no_allowable_the_statistic_decides(statistic: str, side: str) -> None:
    found = report_data.governing("t", table([3.0, 1.0, 2.0]), "v", statistic)
    assert found is not None and found.side == side
    assert found.stem == ("c0" if side == "max" else "c1")
    assert found.utilisation is None and not found.flagged


def test_ties_go_to_the_first_file_and_missing_values_are_skipped() -> None:
    found = report_data.governing("t", table([math.nan, 4.0, 4.0]), "v")
    assert found is not None and found.stem == "c1" and found.files == 2
    empty = report_data.governing("t", table([math.nan, math.nan]), "v")
    assert empty is not None and empty.value is None and empty.stem is None


def test_a_column_named_min_counts_as_min_without_definitions() -> None:
    frame = table([3.0, 1.0]).rename(columns={"v": "min_tension"})
    found = report_data.summary_governing({"summary_g": frame}, None)["summary_g"]
    assert [(g.column, g.side) for g in found] == [("min_tension", "min")]


def test_numbers_show_four_significant_figures() -> None:
    assert fmt_number(0.002589) == "0.002589"
    assert fmt_number(885.6789) == "885.7"
    assert fmt_number(123456.7) == "123457"
    assert fmt_number(1.5e-7) == "1.500e-07"
    assert fmt_number(math.nan) == "" and fmt_number(math.inf) == "∞" and fmt_number(3) == "3"


def test_the_alerts_table_is_not_a_summary_group() -> None:
    """``summary_alerts`` (one row per breach) gets no governing-case section: its
    ``value``/``allowable`` columns are not summary columns."""
    alerts = pd.DataFrame(
        {
            "file": ["a.ofx.parquet"],
            "stem": ["a"],
            "group": ["g"],
            "label": ["top"],
            "value": [888.7],
            "unit": ["kN"],
            "limit": ["max"],
            "allowable": [600.0],
            "utilisation": [888.7 / 600.0],
        }
    )
    group = pd.DataFrame({"file": ["a.ofx.parquet"], "stem": ["a"], "top": [888.7]})
    found = report_data.summary_governing({"summary_alerts": alerts, "summary_g": group}, None)
    assert list(found) == ["summary_g"]


def test_a_lower_tail_extreme_is_governed_by_its_smallest_value() -> None:
    """``mpm`` with ``tail: lower`` (the storm's most probable minimum) without an
    allowable: the smallest value governs, as for ``min``."""
    import ofxpost

    column = {
        "command": "time_history",
        "object": "Riser",
        "variable": "Effective tension",
        "object_extra": "end_a",
        "statistic": "mpm",
        "tail": "lower",
        "label": "low",
    }
    config = ofxpost.load_config(
        {"inputs": ["x"], "summary": {"groups": [{"name": "g", "columns": [column]}]}}
    )
    definitions = report_data.column_definitions(config)
    assert definitions["statistic"].iloc[0] == f"mpm {report_data.LOWER_TAIL}"
    frame = pd.DataFrame({"file": ["a", "b", "c"], "stem": ["a", "b", "c"], "low": [5.0, 2.0, 9.0]})
    (found,) = report_data.summary_governing({"summary_g": frame}, definitions)["summary_g"]
    assert (found.side, found.file, found.value) == ("min", "b", 2.0)
