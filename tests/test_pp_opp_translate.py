"""Unit tests of the digitalmodel opp → native translation (no simulation files needed)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import ofxpost
from ofxpost._builtin.opp.translate import deep_merge, merge_master, translate_opp_config
from tests._pp_helpers import opp_config


def test_master_merge_never_mutates_or_shares_dicts() -> None:
    master = {
        "AddMinimumToSummary": True,
        "groups": [
            {"Label": "g", "Columns": [{"SimulationPeriod": [0.0, 10.0], "objectExtra": ["End A"]}]}
        ],
    }
    settings = {
        "groups": [
            {
                "Columns": [
                    {"Label": "a", "Variable": "Effective tension"},
                    {"Label": "b", "Variable": "Bend moment", "objectExtra": ["End B"]},
                ]
            }
        ]
    }
    master_before, settings_before = copy.deepcopy(master), copy.deepcopy(settings)
    merged = merge_master(settings, master)
    assert master == master_before and settings == settings_before
    first, second = merged["groups"][0]["Columns"]
    assert first["objectExtra"] == ["End A"] and second["objectExtra"] == ["End B"]
    assert merged["groups"][0]["Label"] == "g" and merged["AddMinimumToSummary"] is True
    # every column owns its own copies: changing one touches nothing else
    first["SimulationPeriod"][1] = 99.0
    assert second["SimulationPeriod"] == [0.0, 10.0]
    assert master["groups"][0]["Columns"][0]["SimulationPeriod"] == [0.0, 10.0]
    assert first["SimulationPeriod"] is not master["groups"][0]["Columns"][0]["SimulationPeriod"]


def test_deep_merge_override_wins_and_copies() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    override = {"a": {"y": [3]}, "c": {"z": 1}}
    merged = deep_merge(base, override)
    assert merged == {"a": {"x": 1, "y": [3]}, "b": 2, "c": {"z": 1}}
    assert merged["c"] is not override["c"] and merged["a"] is not base["a"]


def test_translation_does_not_change_its_input() -> None:
    raw = opp_config()
    before = copy.deepcopy(raw)
    translate_opp_config(raw, None)
    assert raw == before


def test_full_translation_layout() -> None:
    native = translate_opp_config(opp_config(), None)
    assert native["inputs"] == ["sims/*.ofx.parquet"]
    assert native["output_dir"] == "results_opp"
    assert native["parallel_processing"] == {"enabled": True, "max_workers": 2}
    assert "outputs" not in native  # csv_decimal: ofxpost writes significant digits instead
    assert native["load_matrix"]["enabled"] is True
    group = native["summary"]["groups"][0]
    assert group["name"] == "dynamics"
    by_label = {c["label"]: c for c in group["columns"]}
    # master default period copied into each column; integer period → stage
    assert by_label["TopTensionMax"]["period"] == [None, None]
    assert by_label["TopTensionStage1"]["period"] == 1
    assert by_label["TopTensionMax"]["object_extra"] == "end_a"
    # ArcLength [a, b] on a range graph is a range, not a radial position
    assert by_label["RGMaxTension"]["arclength_range"] == [0.0, 60.0]
    assert "object_extra" not in by_label["RGMaxTension"]
    assert by_label["TDPBend"]["object_extra"] == "touchdown"
    assert native["summary"]["statistics"] == ["min", "max", "mean", "std"]
    graphs = native["range_graph"]["graphs"]
    assert graphs[0]["statistics"] == ["max", "min", "mean", "std_dev"]
    assert graphs[0]["allowable"] == 4000.0
    linked = native["linked_statistics"]["columns"][0]
    assert linked["variable"] == "Effective tension"
    assert linked["linked_variables"] == ["Bend moment", "Curvature"]
    series = native["time_series"]["groups"][0]
    assert series["period"] == [0.0, None] and series["columns"][0]["object_extra"] == "end_a"


def test_translated_config_validates_as_native() -> None:
    native = translate_opp_config(opp_config(), None)
    config = ofxpost.load_config(native)
    assert config.section("summary").groups[0].columns[0].command == "time_history"
    assert config.section("range_graph").graphs[0].statistics == ["max", "min", "mean", "std_dev"]


def _summary_column(column: dict[str, Any]) -> dict[str, Any]:
    raw = opp_config()
    raw["summary_settings"]["groups"][0]["Columns"] = [column]
    raw.pop("summary_settings_master")
    return translate_opp_config(raw, None)["summary"]["groups"][0]["columns"][0]


def test_arclength_single_point_and_range() -> None:
    base = {"ObjectName": "Riser", "Variable": "Bend moment", "Statistic_Type": "Max"}
    point = _summary_column({**base, "Command": "TimeHistory", "ArcLength": [12.5]})
    assert point["object_extra"] == {"arc_length": 12.5}
    rg = _summary_column({**base, "Command": "Range Graph", "ArcLength": [12.5]})
    assert rg["arclength_range"] == [12.5, 12.5]
    with pytest.raises(ofxpost.ConfigError, match=r"ArcLength.*range"):
        _summary_column({**base, "Command": "TimeHistory", "ArcLength": [0, 50]})


def test_section_object_extra_becomes_a_section_range() -> None:
    column = _summary_column(
        {
            "Command": "Range Graph",
            "ObjectName": "Riser",
            "Variable": "Effective tension",
            "Statistic_Type": "Min",
            "objectExtra": ["Section", [1, 2]],
        }
    )
    assert column["arclength_range"] == {"sections": [1, 2]}
    assert column["statistic"] == "min"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("Range Graph", "range_graph"),
        ("RangeGraph", "range_graph"),
        ("TimeHistory", "time_history"),
        ("Static Result", "static_result"),
        ("StaticResult", "static_result"),
        ("GetData", "data"),
        ("Get Data", "data"),
    ],
)
def test_command_spellings(command: str, expected: str) -> None:
    column: dict[str, Any] = {
        "Command": command,
        "ObjectName": "Riser",
        "Variable": "Effective tension",
        "Statistic_Type": "Max",
    }
    if expected in ("static_result", "data"):
        column.pop("Statistic_Type")
    if expected == "data":
        column["Variable"] = ["Length", 0]
    out = _summary_column(column)
    assert out["command"] == expected
    if expected == "data":
        assert out["variable"] == "Length" and out["index"] == 0


def test_api_2rd_method_1_keeps_opp_square_root() -> None:
    column = _summary_column(
        {
            "Command": "Range Graph",
            "ObjectName": "Riser",
            "Variable": "API STD 2RD Method 1",
            "Statistic_Type": "Max",
        }
    )
    assert column["transform"] == "sqrt"


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda r: r.__setitem__("visualisation", {}), "visualisation"),
        (
            lambda r: r["summary_settings"]["groups"][0]["Columns"][0].__setitem__("transform", {}),
            "summary_settings.groups[0].Columns[0].transform",
        ),
        (
            lambda r: r["summary_settings"]["groups"][0]["Columns"][0].__setitem__(
                "Statistic_Typ", "Max"
            ),
            "summary_settings.groups[0].Columns[0].Statistic_Typ",
        ),
        (
            lambda r: r["summary_settings"]["groups"][0]["Columns"][0].__setitem__(
                "SimulationPeriod", "Whole"
            ),
            "summary_settings.groups[0].Columns[0].SimulationPeriod",
        ),
        (
            lambda r: r["RangeGraph"][0].__setitem__("AdditionalData", ["Max", "Upper"]),
            "RangeGraph[0].AdditionalData",
        ),
        (
            lambda r: r["orcaflex"]["postprocess"]["summary"].__setitem__("flagg", True),
            "orcaflex.postprocess.summary.flagg",
        ),
        (lambda r: r["file_management"].__setitem__("input_dir", "."), "file_management.input_dir"),
        (
            lambda r: r["summary_settings"]["groups"][0]["Columns"][1].pop("Statistic_Type"),
            "summary_settings.groups[0].Columns[1].Statistic_Type",
        ),
    ],
)
def test_unknown_or_unsupported_keys_raise_naming_the_key(mutate: Any, key: str) -> None:
    raw = opp_config()
    mutate(raw)
    with pytest.raises(ofxpost.ConfigError) as info:
        translate_opp_config(raw, Path("old.yml"))
    assert f"'{key}'" in str(info.value) and "old.yml" in str(info.value)


def test_ignored_legacy_keys_are_dropped() -> None:
    raw = opp_config()
    raw.update(
        {
            "meta": {"basename": "orcaflex_post_process"},
            "Analysis": {"file_name": "x"},
            "parameters": {"VarNames": {"Line": ["Effective tension"]}},
            "RangeGraph_settings": {"add_effective_tension_to_cfg": False},
        }
    )
    raw["orcaflex"]["postprocess"]["visualization"] = {"flag": True}
    raw["orcaflex"]["postprocess"]["cummulative_histograms"] = {"flag": False}
    native = translate_opp_config(raw, None)
    assert not {"meta", "Analysis", "parameters", "RangeGraph_settings"} & set(native)


def test_file_management_forms() -> None:
    raw = opp_config()
    raw["file_management"] = {
        "input_directory": "runs",
        "filename": {"extension": ["yml", "sim"], "pattern": "Hs2"},
    }
    assert translate_opp_config(raw, None)["inputs"] == ["runs/*Hs2*.sim"]
    raw["file_management"] = {
        "files": {"files_in_current_directory": {"flag": True, "directory": None}},
        "filename": {"extension": "sim"},
    }
    native = translate_opp_config(raw, None)
    assert native["inputs"] == ["*.sim"] and native["output_dir"] == "results"


def test_disabled_features_are_not_translated() -> None:
    raw = opp_config()
    for feature in ("summary", "linked_statistics", "RangeGraph", "time_series"):
        raw["orcaflex"]["postprocess"][feature]["flag"] = False
    native = translate_opp_config(raw, None)
    assert not {"summary", "linked_statistics", "range_graph", "time_series"} & set(native)


def test_time_series_group_with_two_periods_is_an_error() -> None:
    raw = opp_config()
    columns = raw["time_series_settings"]["groups"][0]["Columns"]
    columns.append({**columns[0], "Label": "other", "SimulationPeriod": [1.0, 2.0]})
    with pytest.raises(ofxpost.ConfigError, match="share one period"):
        translate_opp_config(raw, None)


def test_migrate_prints_yaml_that_loads_as_a_native_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ofxpost._builtin.opp.plugin import translate
    from ofxpost._cli.main import main

    old = tmp_path / "old.yml"
    old.write_text(yaml.safe_dump(opp_config()), encoding="utf-8")
    assert main(["migrate", str(old)]) == 0
    captured = capsys.readouterr()
    text = captured.out
    _, notices = translate(yaml.safe_load(old.read_text(encoding="utf-8")), old)
    # the notices `ofxpost validate` prints, on stderr (stdout stays the YAML)
    assert notices and [f"notice: {n}" for n in notices] == captured.err.splitlines()
    native = yaml.safe_load(text)
    assert "summary_settings" not in native and "summary" in native
    new = tmp_path / "new.yml"
    new.write_text(text, encoding="utf-8")
    config = ofxpost.load_config(new)
    assert not config.notices  # native: no translation needed
    assert [c.name for c in config.section("summary").groups[0].columns][:2] == [
        "TopTensionMax",
        "TopTensionStage1",
    ]
