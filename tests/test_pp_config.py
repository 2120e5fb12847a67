"""Post-processing sections are validated up front: errors name the key."""

from __future__ import annotations

from typing import Any

import pytest

import ofxpost

TH = {
    "command": "time_history",
    "object": "Riser",
    "variable": "Effective tension",
    "statistic": "max",
}


def _summary(**column: Any) -> dict[str, Any]:
    return {"summary": {"groups": [{"name": "g", "columns": [{**TH, **column}]}]}}


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        (
            _summary(statistc="max"),
            "summary.groups[0].columns[0].statistc",
            "did you mean 'statistic'",
        ),
        (_summary(statistic="p101"), "summary.groups[0].columns[0].statistic", "outside p0-p100"),
        (
            _summary(statistic="median"),
            "summary.groups[0].columns[0].statistic",
            "unknown statistic",
        ),
        (_summary(period="whole"), "summary.groups[0].columns[0].period", "unknown period"),
        (_summary(period=[10, 5]), "summary.groups[0].columns[0].period", "after its end"),
        (_summary(object_extra="end_c"), "summary.groups[0].columns[0].object_extra", "end_c"),
        (
            _summary(arclength_range=[0, 5]),
            "summary.groups[0].columns[0]",
            "'arclength_range' is not used",
        ),
        (
            _summary(statistic="arc_length_of_max"),
            "summary.groups[0].columns[0]",
            "range graphs only",
        ),
        (
            _summary(command="range_graph", statistic="time_of_max"),
            "summary.groups[0].columns[0]",
            "time histories only",
        ),
        (_summary(statistic=None), "summary.groups[0].columns[0]", "needs a 'statistic'"),
        (
            _summary(command="static_result", statistic="max"),
            "summary.groups[0].columns[0]",
            "'statistic' is not used",
        ),
        (
            {"summary": {"groups": [{"name": "a b", "columns": [TH]}]}},
            "summary.groups[0].name",
            "letters, digits",
        ),
        (
            {"summary": {"groups": [{"name": "errors", "columns": [TH]}]}},
            "summary.groups[0].name",
            "other tables",
        ),
        ({"summary": {"statistics": ["median"]}}, "summary.statistics[0]", "'min'"),
        (
            {"linked_statistics": {"columns": [{"object": "R", "variable": "T"}]}},
            "linked_statistics.columns[0].linked_variables",
            "required",
        ),
        (
            {"range_graph": {"graphs": [{"object": "R", "variable": "T", "statistics": ["p50"]}]}},
            "range_graph.graphs[0].statistics[0]",
            "'max'",
        ),
        (
            {"range_graph": {"graphs": [{"object": "R", "variable": "T", "alowable": 3}]}},
            "range_graph.graphs[0].alowable",
            "did you mean 'allowable'",
        ),
        (
            {
                "time_series": {
                    "groups": [
                        {
                            "name": "t",
                            "columns": [{"object": "R", "variable": "T", "label": "time"}],
                        }
                    ]
                }
            },
            "time_series.groups[0]",
            "'time'",
        ),
        ({"load_matrix": {"path": "m.txt"}}, "load_matrix.path", ".csv or .xlsx"),
    ],
)
def test_section_errors_name_the_key(section: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(ofxpost.ConfigError) as info:
        ofxpost.load_config({"inputs": ["x"], **section})
    text = str(info.value)
    assert f"'{key}" in text and message in text


def test_absent_sections_disable_the_features() -> None:
    config = ofxpost.load_config({"inputs": ["x"]})
    assert config.section("summary").groups == []
    assert config.section("linked_statistics").columns == []
    assert config.section("range_graph").graphs == []
    assert config.section("time_series").groups == []
    assert not config.section("load_matrix").active
    assert config.section("excel").name == "ofxpost-results.xlsx"
