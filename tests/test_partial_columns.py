"""A feature column that fails for a file makes that file partial (exit 1), unless optional."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ofxpost
from ofxpost._builtin.support import feature
from tests._pp_helpers import BEND, RISER, TENSION, make_sims, read_table, write_yaml

GOOD_TH = {"command": "time_history", "object": RISER, "variable": TENSION}
BROKEN: dict[str, dict[str, Any]] = {
    "summary": {
        "groups": [
            {
                "name": "main",
                "columns": [
                    {**GOOD_TH, "object_extra": "end_a", "statistic": "max", "label": "top"},
                    {**GOOD_TH, "object": "NoSuchLine", "statistic": "max", "label": "lost"},
                ],
            }
        ]
    },
    "linked_statistics": {
        "columns": [
            {"object": RISER, "variable": "Nonsense", "linked_variables": [BEND], "label": "lost"}
        ]
    },
    "range_graph": {
        "plots": False,
        "graphs": [{"object": RISER, "variable": "Missing variable", "label": "lost"}],
    },
    "time_series": {
        "groups": [
            {
                "name": "ts",
                "columns": [{"object": "NoSuchLine", "variable": TENSION, "label": "lost"}],
            }
        ]
    },
}
ITEMS = {
    "summary": "summary group 'main' column 'lost'",
    "linked_statistics": "linked_statistics column 'lost'",
    "range_graph": "range_graph graph 'lost'",
    "time_series": "time_series group 'ts' column 'lost'",
}


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("partial_columns")
    make_sims(root / "sims", cases=2, seed=5)
    return root


def _config(root: Path, name: str, sections: dict[str, Any]) -> Path:
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": f"out_{name}",
        "outputs": {"formats": ["csv"]},
        **sections,
    }
    return write_yaml(root / f"{name}.yml", config)


def _optional(section: str) -> dict[str, Any]:
    """``BROKEN[section]`` with every failing item marked ``optional: true``."""
    import copy

    data = copy.deepcopy(BROKEN[section])
    items = data.get("columns") or data.get("graphs") or []
    for group in data.get("groups", []):
        items += group["columns"]
    for item in items:
        if item.get("label") == "lost":
            item["optional"] = True
    return data


@pytest.mark.integration
@pytest.mark.parametrize("section", list(BROKEN))
def test_failed_column_makes_the_file_partial_and_exit_1(sims: Path, section: str) -> None:
    from ofxpost._cli.main import main

    path = _config(sims, section, {section: BROKEN[section]})
    assert main(["run", str(path), "--sequential", "--log-format", "json"]) == 1
    files = read_table(sims / f"out_{section}", "files")
    assert list(files["status"]) == ["partial", "partial"]
    failures = read_table(sims / f"out_{section}", "failures")
    assert list(failures["kind"]) == ["extractor", "extractor"]
    plugin = {"linked_statistics": "linked", "range_graph": "rangegraph"}.get(section, section)
    assert (failures["plugin"] == f"ofxpost.builtin.{plugin.replace('_', '')}").all()
    for message, stem in zip(failures["message"], ["case_001", "case_002"], strict=True):
        assert message.startswith(f"{stem}.ofx.parquet: {ITEMS[section]}: "), message


@pytest.mark.integration
def test_parallel_workers_mark_the_file_partial_too(sims: Path) -> None:
    path = _config(sims, "parallel", {"summary": BROKEN["summary"]})
    result = ofxpost.run(path, workers=2)
    assert result.exit_code == 1 and result.partial == 2 and result.succeeded == 0
    failures = read_table(sims / "out_parallel", "failures")
    assert failures["message"].str.contains("column 'lost'").all() and len(failures) == 2


@pytest.mark.integration
@pytest.mark.parametrize("section", list(BROKEN))
def test_optional_column_keeps_the_file_ok_and_still_reports(sims: Path, section: str) -> None:
    name = f"optional_{section}"
    result = ofxpost.run(_config(sims, name, {section: _optional(section)}), sequential=True)
    assert result.exit_code == 0 and result.succeeded == 2
    assert read_table(sims / f"out_{name}", "failures").empty
    if section == "linked_statistics":
        table = read_table(sims / f"out_{name}", "linked_statistics")
        assert table["error"].str.contains("Nonsense").all()
    else:
        errors = read_table(sims / f"out_{name}", f"{section}_errors")
        assert len(errors) == 2 and (errors["label"] == "lost").all()


def test_units_and_allowable_metadata(sims: Path) -> None:
    from ofxpost._builtin import summary

    columns = [
        {**GOOD_TH, "object_extra": "end_a", "statistic": "max", "label": "top",
         "allowable": {"max": 820.0}},
        {**GOOD_TH, "object_extra": "end_a", "statistic": "time_of_max", "label": "when"},
        {**GOOD_TH, "object_extra": "end_a", "statistic": "max", "transform": "sqrt",
         "label": "root"},
    ]  # fmt: skip
    section = {"groups": [{"name": "g", "columns": columns}], "statistics": ["max"]}
    config = ofxpost.load_config(
        {"inputs": ["sims/*.ofx.parquet"], "summary": section}, base_dir=sims
    )
    from ofxpost._archive import open_archive
    from ofxpost._core import codec
    from ofxpost._core.records import FileRecord, FileStatus

    records = []
    for index, path in enumerate(sorted((sims / "sims").glob("*.ofx.parquet"))):
        out = summary.ofxpost_extract(model=open_archive(path), config=config)
        assert not isinstance(out, ofxpost.Partial)
        records.append(FileRecord(index, path, FileStatus.OK, payload=codec.dumps(out)))
    tables = summary.group_tables(records, config.section("summary"), config)
    frame = tables["summary_g"]
    assert frame.attrs[feature.UNITS_ATTR] == {
        "top": "kN",
        "when": "s",
        "start_time": "s",
        "stop_time": "s",
    }  # sqrt of kN has no stated unit
    assert frame.attrs[feature.ALLOWABLE_ATTR] == {"top": {"max": 820.0}}
    labels = list(frame.columns)
    assert labels[labels.index("top") + 1] == "top exceeds"
    expected = [value > 820.0 for value in frame["top"]]
    assert list(frame["top exceeds"]) == expected and True in expected and False in expected
    assert tables["summary_g_statistics"].attrs[feature.UNITS_ATTR]["top"] == "kN"


def test_allowable_and_labels_are_validated() -> None:
    base = {**GOOD_TH, "statistic": "max"}
    for bad, message in (
        ({**base, "allowable": {}}, "max' and/or 'min"),
        ({**base, "allowable": {"max": 1, "min": 2}}, "above max"),
        ({**base, "label": "status"}, "taken by the table's own column"),
    ):
        group = {"name": "g", "columns": [bad]}
        with pytest.raises(ofxpost.ConfigError, match=message):
            ofxpost.load_config({"inputs": ["x"], "summary": {"groups": [group]}})
    twice = [{**base, "label": "Top"}, {**base, "label": "top"}]  # labels ignore case
    for section in (
        {"summary": {"groups": [{"name": "g", "columns": twice}]}},
        {"time_series": {"groups": [{"name": "g", "columns": twice}]}},
    ):
        if "time_series" in section:
            for column in twice:
                column.pop("command", None)
                column.pop("statistic", None)
        with pytest.raises(ofxpost.ConfigError, match="labelled 'top'"):
            ofxpost.load_config({"inputs": ["x"], **section})


def test_exceeds_helper_flags_only_numbers() -> None:
    frame = pd.DataFrame({"v": [1.0, 5.0, float("nan")]})
    feature.add_exceeds(frame, {"v": feature.Allowable(max=2.0, min=0.5)})
    assert list(frame["v exceeds"]) == [False, True, None]


def test_units_of_time_series_range_graph_and_linked_tables(sims: Path) -> None:
    from ofxpost._archive import open_archive
    from ofxpost._builtin import linked, rangegraph, timeseries
    from ofxpost._core import codec
    from ofxpost._core.records import FileRecord, FileStatus

    sections = {
        "time_series": {
            "groups": [{"name": "g", "columns": [{"object": RISER, "variable": TENSION,
                                                  "object_extra": "end_a", "label": "t"}]}]
        },
        "range_graph": {"plots": False, "graphs": [{"object": RISER, "variable": TENSION}]},
        "linked_statistics": {
            "columns": [{"object": RISER, "object_extra": "end_a", "variable": TENSION,
                         "linked_variables": [BEND], "label": "top",
                         "allowable": {"max": 820.0}}]
        },
    }  # fmt: skip
    config = ofxpost.load_config({"inputs": ["sims/*.ofx.parquet"], **sections}, base_dir=sims)
    records = []
    for index, path in enumerate(sorted((sims / "sims").glob("*.ofx.parquet"))):
        results: dict[str, Any] = {}
        for module in (timeseries, rangegraph, linked):
            extract: Any = module.ofxpost_extract
            kwargs = {"job": None} if module is timeseries else {}
            results.update(extract(model=open_archive(path), config=config, **kwargs) or {})
        records.append(FileRecord(index, path, FileStatus.OK, payload=codec.dumps(results)))
    series = timeseries.series_tables(records, config.section("time_series"), config)
    assert series["time_series_g_case_001"].attrs[feature.UNITS_ATTR] == {"time": "s", "t": "kN"}
    graphs = rangegraph.graph_tables(records, config.section("range_graph"), config)
    assert graphs["range_graph"].attrs[feature.UNITS_ATTR]["max"] == "kN"
    assert graphs["range_graph_envelope"].attrs[feature.UNITS_ATTR]["max"] == "kN"
    table = linked.linked_table(records, config.section("linked_statistics"), config)
    assert table.attrs[feature.UNITS_ATTR] == {
        "time_of_max": "s",
        "time_of_min": "s",
        "tz": "s",
        "tc": "s",
    }
    assert list(table.columns[-3:]) == ["allowable_max", "allowable_min", "exceeds"]
    expected = [bool(v > 820.0) for v in table["value_at_max"]]
    assert list(table["exceeds"]) == expected


def test_a_licence_error_in_a_column_fails_the_whole_file_for_a_retry() -> None:
    class DLLError(Exception):
        status = 25  # an OrcFxAPI licensing status

    def no_licence() -> float:
        raise DLLError("licence not available")

    extraction = feature.Extraction("summary", model=None)
    with pytest.raises(DLLError):
        extraction.read("summary group 'g' column 'c'", False, no_licence)
    value, error = extraction.read("summary group 'g' column 'd'", True, lambda: 1 / 0)
    assert value is None and error is not None and "ZeroDivisionError" in error
    assert extraction.result({}) == {"summary": {}}  # optional failures are not file errors


def test_units_follow_orcaflex_name_rules(sims: Path) -> None:
    """A variable spelt in another case or with repeated spaces still gets its unit."""
    from ofxpost._archive import open_archive
    from ofxpost._builtin import summary
    from ofxpost._core import codec
    from ofxpost._core.records import FileRecord, FileStatus

    column = {**GOOD_TH, "variable": "effective  TENSION", "object": "riser"}
    column.update({"object_extra": "end_a", "statistic": "max", "label": "Top Tension"})
    section = {"groups": [{"name": "g", "columns": [column]}]}
    config = ofxpost.load_config(
        {"inputs": ["sims/*.ofx.parquet"], "summary": section}, base_dir=sims
    )
    path = sorted((sims / "sims").glob("*.ofx.parquet"))[0]
    out = summary.ofxpost_extract(model=open_archive(path), config=config)
    record = FileRecord(0, path, FileStatus.OK, payload=codec.dumps(out))
    frame = summary.group_tables([record], config.section("summary"), config)["summary_g"]
    assert frame.attrs[feature.UNITS_ATTR]["Top Tension"] == "kN"
