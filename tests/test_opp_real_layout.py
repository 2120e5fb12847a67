"""Configs written in the layout of real digitalmodel opp configs run unchanged.

Each config below follows the layout of one kind of public opp config (a summary,
a master-driven summary with per-group file selection, linked statistics, time
series, a visualisation-only run); the values are ours. Each run is compared with
a native config written by hand: same exit code, same file set, same tables.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import ofxpost
from ofxpost._builtin.opp.translate import translate_opp_config, translate_with_notices
from ofxpost._config.input_filters import InputFilters, select_inputs
from tests._pp_helpers import BEND, CURVATURE, RISER, TENSION, make_sims, write_yaml
from tests.conftest import table_bytes

# ----------------------------------------------------------------------------- helpers

HEADER: dict[str, Any] = {
    "basename": "orcaflex_post_process",
    "library": "digitalmodel",
    "default": {"log_level": "INFO", "config": {"overwrite": {"output": True}}},
}
ANALYSIS = {
    "static": False,
    "simulation": False,
    "iterate": {"flag": False},
    "save_sim": False,
    "save_dat": False,
}


def postprocess(**flags: Any) -> dict[str, Any]:
    """An ``orcaflex`` block as real configs write it (every feature named)."""
    block: dict[str, Any] = {
        "visualization": {"flag": False},
        "summary": {"flag": False},
        "linked_statistics": {"flag": False},
        "RangeGraph": {"flag": False},
        "time_series": {"flag": False},
        "RAOs": {"flag": False},
        "cummulative_histograms": {"flag": False},
        "rain_flow": {"bins": 10, "range": [0, 10]},
    }
    for name, value in flags.items():
        block.pop("summary" if name == "Summary" else name, None)
        block[name] = value
    return {"analysis": dict(ANALYSIS), "postprocess": block}


def run(path: Path) -> tuple[Any, list[dict[str, Any]]]:
    """Run a config; return the result and its events."""
    events: list[dict[str, Any]] = []
    result = ofxpost.run(path, sequential=True, on_event=events.append)
    return result, events


def tables(out: Path) -> dict[str, bytes]:
    """Every table written under ``out`` (CSV and Parquet)."""
    return table_bytes(out)


def assert_same_run(opp: Path, native: Path, root: Path) -> dict[str, bytes]:
    """Run both configs; same exit code (0), same file set, byte-identical tables."""
    opp_result, opp_events = run(opp)
    native_result, _ = run(native)
    assert opp_result.exit_code == 0 == native_result.exit_code
    opp_tables = tables(root / "out_opp")
    native_tables = tables(root / "out_native")
    assert sorted(opp_tables) == sorted(native_tables)
    assert opp_tables == native_tables
    for event in opp_events:
        ofxpost.validate_event(json.loads(json.dumps(event, default=str)))
    return opp_tables


def warnings_of(events: list[dict[str, Any]]) -> list[str]:
    """The messages of the warning events."""
    return [str(e["message"]) for e in events if e["event"] == "warning"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four small synthetic archives (``case_001`` ... ``case_004``) under ``runs/``."""
    root = tmp_path_factory.mktemp("real")
    make_sims(root / "runs", cases=4, seed=5)
    return root


# ------------------------------------------------------------- summary (opp_summary1)


def summary_layout() -> dict[str, Any]:
    """The layout of a summary config: capital-S ``Summary``, ``Add*ToSummary``,
    ``SummaryFileName``, periods as strings and one-element lists, the older
    ``files_in_current_directory`` file selection with ``filename_pattern`` and
    ``files.filters``."""
    return {
        **HEADER,
        "orcaflex": postprocess(
            Summary={
                "flag": True,
                "AddMinimumToSummary": True,
                "AddMaximumToSummary": True,
                "AddMeanToSummary": False,
            },
            RangeGraph={"flag": True, "add_effective_tension_to_cfg": False},
            time_series={"flag": False, "histogram": True, "summation": True},
        ),
        "summary_settings": {
            "AddMeanToSummary": True,
            "groups": [
                {
                    "Label": "dynamics",
                    "SummaryFileName": "riser_summary",
                    "Columns": [
                        {
                            "Command": "Range Graph",
                            "ObjectName": RISER,
                            "Statistic_Type": "Max",
                            "SimulationPeriod": "SpecifiedPeriod(0.0, 20.0)",
                            "ArcLength": [0, 50],
                            "Variable": TENSION,
                            "Label": "Eff. Tension",
                        },
                        {
                            "Command": "TimeHistory",
                            "Statistic_Type": "Max",
                            "ObjectName": RISER,
                            "objectExtra": ["End B"],
                            "SimulationPeriod": [5.0],
                            "Variable": TENSION,
                            "Label": "EndB_Tension_from_5s",
                        },
                        {
                            "Command": "TimeHistory",
                            "Statistic_Type": "Min",
                            "ObjectName": RISER,
                            "objectExtra": ["End A"],
                            "SimulationPeriod": "PeriodNum.WholeSimulation",
                            "Variable": BEND,
                            "Label": "EndA_Bend_Min",
                        },
                        {
                            "Command": "TimeHistory",
                            "Statistic_Type": "Mean",
                            "ObjectName": RISER,
                            "ObjectType": "line",
                            "objectExtra": ["End A"],
                            "SimulationPeriod": "Stage 1",
                            "Variable": TENSION,
                            "Label": "EndA_Tension_Stage1",
                        },
                        {
                            "Command": "TimeHistory",
                            "Statistic_Type": "Max",
                            "ObjectName": RISER,
                            "objectExtra": ["End A"],
                            "SimulationPeriod": "LatestWave",
                            "Variable": TENSION,
                            "Label": "EndA_Tension_LatestWave",
                        },
                    ],
                }
            ],
        },
        "RangeGraph": [
            {
                "Command": "Range Graph",
                "ObjectName": RISER,
                "SimulationPeriod": "WholeSimulation",
                "Variable": TENSION,
                "ArcLength": [],
                "AdditionalData": ["Max", "Min"],
                "Label": "tension",
            }
        ],
        "RangeGraph_settings": {"add_effective_tension_to_cfg": False},
        "time_series_settings": {"histogram": True, "summation": True, "groups": []},
        "file_management": {
            "flag": True,
            "output_directory": "out_opp",
            "update_unfinished": {"flag": False},
            "files": {
                "files_in_current_directory": {
                    "flag": False,
                    "directory": "runs",
                    "auto_read": True,
                    "filename_pattern": "case_00",
                },
                "extension": "ofx.parquet",
                "filters": {
                    "filename_contains": ["case"],
                    "filename_not_contains": ["case_003"],
                },
            },
        },
    }


def summary_native() -> dict[str, Any]:
    """The same, written natively by hand."""
    return {
        "inputs": [f"runs/case_00{n}.ofx.parquet" for n in (1, 2, 4)],
        "output_dir": "out_native",
        "load_matrix": {"enabled": True},
        "summary": {
            "statistics": ["min", "max", "mean"],
            "groups": [
                {
                    "name": "riser_summary",
                    "columns": [
                        {
                            "command": "range_graph",
                            "object": RISER,
                            "variable": TENSION,
                            "statistic": "max",
                            "period": [0.0, 20.0],
                            "arclength_range": [0, 50],
                            "label": "Eff. Tension",
                        },
                        {
                            "command": "time_history",
                            "object": RISER,
                            "variable": TENSION,
                            "statistic": "max",
                            "object_extra": "end_b",
                            "period": [5.0, None],
                            "label": "EndB_Tension_from_5s",
                        },
                        {
                            "command": "time_history",
                            "object": RISER,
                            "variable": BEND,
                            "statistic": "min",
                            "object_extra": "end_a",
                            "period": "whole_simulation",
                            "label": "EndA_Bend_Min",
                        },
                        {
                            "command": "time_history",
                            "object": RISER,
                            "variable": TENSION,
                            "statistic": "mean",
                            "object_extra": "end_a",
                            "period": 1,
                            "label": "EndA_Tension_Stage1",
                        },
                        {
                            "command": "time_history",
                            "object": RISER,
                            "variable": TENSION,
                            "statistic": "max",
                            "object_extra": "end_a",
                            "period": "latest_wave",
                            "label": "EndA_Tension_LatestWave",
                        },
                    ],
                }
            ],
        },
        "range_graph": {
            "graphs": [
                {
                    "object": RISER,
                    "variable": TENSION,
                    "period": "whole_simulation",
                    "statistics": ["max", "min"],
                    "label": "tension",
                }
            ]
        },
    }


@pytest.mark.integration
def test_summary_layout_runs_like_its_native_config(runs: Path) -> None:
    opp = write_yaml(runs / "opp_summary.yml", summary_layout())
    native = write_yaml(runs / "native_summary.yml", summary_native())
    written = assert_same_run(opp, native, runs)
    # the file set: filename_pattern, filename_contains and filename_not_contains applied
    matrix = (runs / "out_opp" / "load_matrix.csv").read_text(encoding="utf-8")
    assert "case_001" in matrix and "case_004" in matrix and "case_003" not in matrix
    # SummaryFileName names the table; Add*ToSummary give the min/max/mean rows
    assert "summary_riser_summary.csv" in written
    stats = (runs / "out_opp" / "summary_riser_summary_statistics.csv").read_text("utf-8")
    assert [line.split(",")[0] for line in stats.splitlines()[1:]] == ["min", "max", "mean"]


@pytest.mark.integration
def test_summary_layout_lists_ignored_keys_once(runs: Path) -> None:
    _, events = run(write_yaml(runs / "opp_summary_events.yml", summary_layout()))
    ignored = [m for m in warnings_of(events) if m.startswith("ignored opp keys")]
    assert len(ignored) == 1
    text = ignored[0]
    for key in (
        "basename",
        "library",
        "default",
        "orcaflex.analysis",
        "RangeGraph_settings.add_effective_tension_to_cfg",
        "summary_settings.groups[].Columns[].ObjectType",
    ):
        assert key in text
    assert text.count("ObjectType") == 1
    # histogram and summation are produced now (here the time_series feature is off)
    assert "time_series_settings.histogram" not in text and "summation" not in text


# --------------------------------------------- master summary, per-group files (post_bm)


def master_layout() -> dict[str, Any]:
    """A summary whose columns all come from the master, ``Columns: []`` in the group,
    ``inject_into``, and the group's own ``directory`` / ``filename_pattern``."""
    column = {
        "Command": "TimeHistory",
        "ObjectName": RISER,
        "objectExtra": ["End B"],
        "SimulationPeriod": "LatestWave",
        "Variable": TENSION,
    }
    return {
        **HEADER,
        "orcaflex": postprocess(summary={"flag": True}),
        "summary_settings_master": {
            "groups": [
                {
                    "SummaryFileName": "bm_steps",
                    "inject_into": {"flag": True, "filename": "bm.xlsx", "sheetname": None},
                    "Columns": [
                        {**column, "Statistic_Type": "Max", "Label": "Top_Tension_Max"},
                        {**column, "Statistic_Type": "Min", "Label": "Top_Tension_Min"},
                    ],
                }
            ]
        },
        "summary_settings": {
            "AddMinimumToSummary": True,
            "AddMaximumToSummary": True,
            "AddMeanToSummary": True,
            "groups": [
                {
                    "SummaryFileName": "bm_steps",
                    "directory": None,
                    "filename_pattern": "case_00",
                    "Columns": [],
                }
            ],
        },
        "RangeGraph_settings": {"add_effective_tension_to_cfg": False},
        "time_series_settings": {"histogram": True, "summation": True, "groups": []},
        "file_management": {
            "flag": True,
            "output_directory": "../out_opp_master",
            "update_unfinished": {"flag": False},
            "files": {
                "files_in_current_directory": {
                    "flag": True,
                    "auto_read": True,
                    "directory": None,
                    "filename_pattern": "matches_nothing",
                },
                "extension": ["ofx.parquet"],
            },
        },
    }


@pytest.mark.integration
def test_master_columns_and_group_file_selection(runs: Path) -> None:
    opp = write_yaml(runs / "runs" / "post_bm.yml", master_layout())
    column = {
        "command": "time_history",
        "object": RISER,
        "variable": TENSION,
        "object_extra": "end_b",
        "period": "latest_wave",
    }
    native = write_yaml(
        runs / "runs" / "native_bm.yml",
        {
            "inputs": ["*case_00*.ofx.parquet"],
            "output_dir": "../out_native_master",
            "load_matrix": {"enabled": True},
            "summary": {
                "statistics": ["min", "max", "mean"],
                "groups": [
                    {
                        "name": "bm_steps",
                        "columns": [
                            {**column, "statistic": "max", "label": "Top_Tension_Max"},
                            {**column, "statistic": "min", "label": "Top_Tension_Min"},
                        ],
                    }
                ],
            },
        },
    )
    opp_result, events = run(opp)
    native_result, _ = run(native)
    assert opp_result.exit_code == 0 == native_result.exit_code
    got, want = tables(runs / "out_opp_master"), tables(runs / "out_native_master")
    assert sorted(got) == sorted(want) and got == want
    assert "summary_bm_steps.csv" in got
    text = next(m for m in warnings_of(events) if m.startswith("ignored opp keys"))
    assert "inject_into" not in text  # translated, not ignored
    injected = openpyxl.load_workbook(runs / "out_opp_master" / "bm.xlsx")
    assert injected.sheetnames == ["bm_steps"]  # a new workbook: bm.xlsx does not exist


def test_group_file_selections_that_differ_are_an_error() -> None:
    raw = master_layout()
    group = raw["summary_settings"]["groups"][0]
    raw["summary_settings"]["groups"].append(
        {
            **group,
            "SummaryFileName": "b",
            "filename_pattern": "x",
            "Columns": raw["summary_settings_master"]["groups"][0]["Columns"],
        }
    )
    with pytest.raises(ofxpost.ConfigError, match=r"groups\[1\].*select different files"):
        translate_opp_config(raw, None)


# ---------------------------------------------- linked statistics (opp_linked_statistics1)


def linked_layout() -> dict[str, Any]:
    """Linked statistics with a master carrying ``Add*ToSummary``, the same label in
    two groups, ``ObjectType``, and ``input_files: {yml: [...]}`` naming models whose
    ``.sim`` files are not here (only their archives are)."""

    def column(end: str, label: str) -> dict[str, Any]:
        return {
            "ObjectType": "line",
            "ObjectName": RISER,
            "objectExtra": [end],
            "Variable": [TENSION, BEND, CURVATURE],
            "Label": label,
        }

    return {
        **HEADER,
        "orcaflex": postprocess(linked_statistics={"flag": True, "csv_decimal": 6}),
        "linked_statistics_settings_master": {
            "AddMinimumToSummary": True,
            "AddMaximumToSummary": True,
            "AddMeanToSummary": False,
            "groups": [
                {"Label": "ef_end_b", "Columns": [{"SimulationPeriod": [5.0]}]},
                {"Label": "ef_end_a", "Columns": [{"SimulationPeriod": [5.0]}]},
            ],
        },
        "linked_statistics_settings": {
            "groups": [
                {"Label": "ef_end_b", "Columns": [column("End B", "effective_tension")]},
                {"Label": "ef_end_a", "Columns": [column("End A", "effective_tension")]},
            ]
        },
        "RangeGraph_settings": {"add_effective_tension_to_cfg": False},
        "time_series_settings": {"histogram": True, "summation": True, "groups": []},
        "file_management": {
            "flag": True,
            "output_directory": "out_opp_linked",
            "update_unfinished": {"flag": False},
            "input_files": {"yml": ["runs/case_001.yml", "runs/case_002.yml"]},
        },
    }


@pytest.mark.integration
def test_linked_layout_runs_like_its_native_config(runs: Path) -> None:
    opp = write_yaml(runs / "opp_linked.yml", linked_layout())

    def column(end: str, label: str) -> dict[str, Any]:
        return {
            "object": RISER,
            "object_extra": end,
            "variable": TENSION,
            "linked_variables": [BEND, CURVATURE],
            "period": [5.0, None],
            "label": label,
        }

    native = write_yaml(
        runs / "native_linked.yml",
        {
            "inputs": ["runs/case_001.ofx.parquet", "runs/case_002.ofx.parquet"],
            "output_dir": "out_native_linked",
            "outputs": {"formats": ["csv", "parquet", "xlsx"]},
            "load_matrix": {"enabled": True},
            "linked_statistics": {
                "statistics": ["min", "max", "std"],
                "columns": [
                    column("end_b", "ef_end_b.effective_tension"),
                    column("end_a", "ef_end_a.effective_tension"),
                ],
            },
        },
    )
    opp_result, events = run(opp)
    native_result, _ = run(native)
    assert opp_result.exit_code == 0 == native_result.exit_code
    got, want = tables(runs / "out_opp_linked"), tables(runs / "out_native_linked")
    assert sorted(got) == sorted(want) and got == want
    # the .yml names became .sim names, found as the archives exported from them
    paired = [e for e in events if e["event"] == "inputs_paired"]
    assert len(paired) == 1 and paired[0]["reader"] == "archive"
    assert [Path(f["named"]).name for f in paired[0]["files"]] == ["case_001.sim", "case_002.sim"]
    assert [Path(f["read"]).name for f in paired[0]["files"]] == [
        "case_001.ofx.parquet",
        "case_002.ofx.parquet",
    ]


def test_a_label_in_two_linked_groups_is_renamed_in_both() -> None:
    columns = translate_opp_config(linked_layout(), None)["linked_statistics"]["columns"]
    assert [c["label"] for c in columns] == [
        "ef_end_b.effective_tension",
        "ef_end_a.effective_tension",
    ]


# ------------------------------------------------------ time series (opp_time_series1)


def series_layout() -> dict[str, Any]:
    """Time series with ``SimulationPeriod: [t]``, ``extension: [sim]`` and filters."""
    return {
        **HEADER,
        "orcaflex": postprocess(time_series={"flag": True, "csv_decimal": 6}),
        "time_series_settings": {
            "data": True,
            "histogram": False,
            "summation": False,
            "groups": [
                {
                    "Label": "time_history_end_b",
                    "Columns": [
                        {
                            "Command": "TimeHistory",
                            "ObjectName": RISER,
                            "objectExtra": ["End B"],
                            "SimulationPeriod": [10.0],
                            "Variable": TENSION,
                            "Label": "EndB_EffTension",
                        }
                    ],
                }
            ],
        },
        "file_management": {
            "flag": True,
            "input_directory": "runs",
            "output_directory": "out_opp_series",
            "filename": {
                "extension": ["sim"],
                "pattern": None,
                "filters": {"contains": ["case"], "not_contains": ["case_002", "case_004"]},
            },
        },
    }


@pytest.mark.integration
def test_time_series_layout_reaches_archives_of_named_sims(runs: Path) -> None:
    # a .sim that is here but cannot be read (no OrcFxAPI): its archive is read instead
    (runs / "runs" / "case_001.sim").write_bytes(b"")
    try:
        opp = write_yaml(runs / "opp_series.yml", series_layout())
        native = write_yaml(
            runs / "native_series.yml",
            {
                "inputs": ["runs/case_001.ofx.parquet", "runs/case_003.ofx.parquet"],
                "output_dir": "out_native_series",
                "outputs": {"formats": ["csv", "parquet", "xlsx"]},
                "load_matrix": {"enabled": True},
                "time_series": {
                    "groups": [
                        {
                            "name": "time_history_end_b",
                            "period": [10.0, None],
                            "columns": [
                                {
                                    "object": RISER,
                                    "variable": TENSION,
                                    "object_extra": "end_b",
                                    "label": "EndB_EffTension",
                                }
                            ],
                        }
                    ]
                },
            },
        )
        opp_result, events = run(opp)
        native_result, _ = run(native)
    finally:
        (runs / "runs" / "case_001.sim").unlink()
    assert opp_result.exit_code == 0 == native_result.exit_code
    got, want = tables(runs / "out_opp_series"), tables(runs / "out_native_series")
    assert sorted(got) == sorted(want) and got == want
    series_names = sorted(name for name in got if name.endswith(".csv") and "case_" in name)
    assert series_names == [
        "time_series_time_history_end_b_case_001.csv",
        "time_series_time_history_end_b_case_003.csv",
    ]
    # [10.0] is from 10 s to the end (OrcFxAPI's SpecifiedPeriod(t)), not [10, 10]
    series = runs / "out_opp_series" / "time_series_time_history_end_b_case_001.csv"
    rows = series.read_text(encoding="utf-8").splitlines()[1:]
    assert float(rows[0].split(",")[0]) == 10.0 and float(rows[-1].split(",")[0]) == 30.0
    paired = next(e for e in events if e["event"] == "inputs_paired")
    assert paired["count"] == 2 and paired["reader"] == "archive"


# ------------------------------------------------------- visualisation-only run


def visualisation_layout() -> dict[str, Any]:
    """Only visualisation switched on: nothing to post-process, said in the notice."""
    return {
        **HEADER,
        "orcaflex": postprocess(
            visualization={"flag": True},
            Summary={
                "flag": False,
                "AddMinimumToSummary": True,
                "AddMaximumToSummary": True,
                "AddMeanToSummary": True,
            },
            RangeGraph={"flag": False, "add_effective_tension_to_cfg": False},
            time_series={"flag": False, "histogram": True, "summation": True},
        ),
        "visualization_settings": {"label": "ld", "individual": True, "views": ["plan"]},
        "file_management": {
            "flag": True,
            "output_directory": "out_opp_vis",
            "files": {
                "files_in_current_directory": {"flag": False, "directory": None},
                "extension": "yml",
                "filters": {"filename_contains": ["case_00"], "filename_not_contains": []},
                "data_source": "yml",
                "csv_filename": "",
            },
            "input_files": {"yml": ["runs/case_004.sim"]},
        },
    }


@pytest.mark.integration
def test_visualisation_layout_is_accepted_and_says_what_it_does_not_do(runs: Path) -> None:
    native, notices = translate_with_notices(visualisation_layout(), None)
    assert native["inputs"] == ["runs/case_004.sim"]
    assert native["input_filters"] == {"contains": ["case_00"], "sim_archives": True}
    assert not {"summary", "linked_statistics", "range_graph", "time_series"} & set(native)
    (text,) = notices
    needs = "orcaflex.postprocess.visualization (model views need OrcaFlex itself; draw them there)"
    assert needs in text
    assert "visualization_settings" in text
    result, _ = run(write_yaml(runs / "opp_vis.yml", visualisation_layout()))
    assert result.exit_code == 0
    matrix = (runs / "out_opp_vis" / "load_matrix.csv").read_text(encoding="utf-8")
    assert "case_004.ofx.parquet" in matrix


# --------------------------------------------------------------------- unit checks


@pytest.mark.parametrize(
    ("written", "period"),
    [
        ([5.0], [5.0, None]),
        ([0.0, 120.0], [0.0, 120.0]),
        ("SpecifiedPeriod(0.0, 120.0)", [0.0, 120.0]),
        ("OrcFxAPI.SpecifiedPeriod(30)", [30.0, None]),
        ("SpecifiedPeriod(FromTime=1, ToTime=2)", [1.0, 2.0]),
        ("WholeSimulation", "whole_simulation"),
        ("PeriodNum.LatestWave", "latest_wave"),
        ("pnStaticState", "static_state"),
        ("Latest Wave", "latest_wave"),
        (2, 2),
        ("Stage 1", 1),
    ],
)
def test_every_written_form_of_a_period(written: Any, period: Any) -> None:
    raw = series_layout()
    raw["time_series_settings"]["groups"][0]["Columns"][0]["SimulationPeriod"] = written
    native = translate_opp_config(raw, None)
    assert native["time_series"]["groups"][0]["period"] == period
    ofxpost.load_config({**native, "inputs": ["x.ofx.parquet"]}, base_dir=Path.cwd())


@pytest.mark.parametrize(
    ("section", "key", "suggestion"),
    [
        ("linked_statistics_settings_master", "AddMinimumToSumary", "AddMinimumToSummary"),
        ("summary_settings_master", "AddMaximumToSumary", "AddMaximumToSummary"),
        ("summary_settings", "AddMeanToSumary", "AddMeanToSummary"),
    ],
)
def test_unknown_key_names_its_own_section_and_the_nearest_key(
    section: str, key: str, suggestion: str
) -> None:
    raw = linked_layout() if section.startswith("linked") else master_layout()
    raw.setdefault(section, {"groups": []})[key] = True
    with pytest.raises(ofxpost.ConfigError) as info:
        translate_opp_config(raw, Path("old.yml"))
    message = str(info.value)
    assert f"'{section}.{key}'" in message and f"did you mean '{suggestion}'" in message


def test_add_to_summary_keys_are_accepted_in_masters_and_honoured() -> None:
    native = translate_opp_config(master_layout(), None)
    assert native["summary"]["statistics"] == ["min", "max", "mean"]
    linked = translate_opp_config(linked_layout(), None)["linked_statistics"]
    assert linked["statistics"] == ["min", "max", "std"]  # AddMeanToSummary: false


def test_unknown_file_management_key_suggests_the_right_one() -> None:
    raw = series_layout()
    raw["file_management"]["filename"]["filter"] = {}
    with pytest.raises(ofxpost.ConfigError, match=r"filename.filter'.*did you mean 'filters'"):
        translate_opp_config(raw, None)


def test_range_graph_command_must_be_a_range_graph() -> None:
    raw = summary_layout()
    raw["RangeGraph"][0]["Command"] = "TimeHistory"
    with pytest.raises(ofxpost.ConfigError, match=r"RangeGraph\[0\].Command"):
        translate_opp_config(raw, None)


def test_auto_read_false_needs_listed_files() -> None:
    raw = summary_layout()
    raw["file_management"]["files"]["files_in_current_directory"]["auto_read"] = False
    with pytest.raises(ofxpost.ConfigError, match="auto_read"):
        translate_opp_config(raw, None)


def test_select_inputs_pairs_sims_with_archives() -> None:
    paths = [
        Path("/r/a.sim"),
        Path("/r/a.ofx.parquet"),
        Path("/r/b.ofx.parquet"),
        Path("/r/c.sim"),
        Path("/r/skip_d.sim"),
    ]
    filters = InputFilters(not_contains=["skip"], sim_archives=True)
    without = select_inputs(paths, filters, orcfxapi=False)
    assert without.paths == [Path("/r/a.ofx.parquet"), Path("/r/b.ofx.parquet"), Path("/r/c.sim")]
    assert without.dropped == 1
    assert [(p.named.name, p.read.name) for p in without.pairs] == [
        ("a.sim", "a.ofx.parquet"),
        ("b.sim", "b.ofx.parquet"),
    ]
    with_api = select_inputs(paths, filters, orcfxapi=True)
    assert with_api.paths == [Path("/r/a.sim"), Path("/r/b.ofx.parquet"), Path("/r/c.sim")]
    plain = select_inputs(paths, InputFilters(contains=["a."]), orcfxapi=False)
    assert plain.paths == [Path("/r/a.sim"), Path("/r/a.ofx.parquet")]


def test_native_input_filters_and_an_empty_selection(runs: Path) -> None:
    config = write_yaml(
        runs / "native_filtered.yml",
        {
            "inputs": ["runs/*.ofx.parquet"],
            "output_dir": "out_filtered",
            "input_filters": {"contains": ["case_00"], "not_contains": ["case_001"]},
            "load_matrix": {"enabled": True},
        },
    )
    from ofxpost._config.plan import resolve_inputs

    names = [p.name for p in resolve_inputs(ofxpost.load_config(config))]
    assert names == ["case_002.ofx.parquet", "case_003.ofx.parquet", "case_004.ofx.parquet"]
    empty = write_yaml(
        runs / "native_empty.yml",
        {"inputs": ["runs/*.ofx.parquet"], "input_filters": {"contains": ["nothing"]}},
    )
    with pytest.raises(ofxpost.ConfigError, match="no input file is left"):
        resolve_inputs(ofxpost.load_config(empty))


# ----------------------------------------------- a mooring post-processing config


def mooring_layout() -> dict[str, Any]:
    """A static mooring summary: master groups giving each group's command, period and
    variable, columns giving only the object; ``statistics`` all off; ``extension:
    [sim]`` with a ``not_contains`` filter; paths relative to a ``scripts`` folder."""
    return {
        **HEADER,
        "orcaflex": postprocess(
            summary={
                "flag": True,
                "statistics": {"Minimum": False, "Maximum": False, "Mean": False, "StdDev": False},
            }
        ),
        "summary_settings_master": {
            "groups": [
                {
                    "Label": "line_static_eff_tension_max",
                    "Columns": [
                        {
                            "Command": "TimeHistory",
                            "SimulationPeriod": "StaticState",
                            "objectExtra": ["End B"],
                            "Variable": TENSION,
                        }
                    ],
                },
                {
                    "Label": "vessel_6dof_stat",
                    "Columns": [
                        {
                            "Command": "TimeHistory",
                            "SimulationPeriod": "StaticState",
                            "objectExtra": None,
                        }
                    ],
                },
            ]
        },
        "summary_settings": {
            "groups": [
                {
                    "Label": "line_static_eff_tension_max",
                    "Columns": [{"ObjectName": RISER, "Statistic_Type": "Max", "Label": RISER}],
                },
                {
                    "Label": "vessel_6dof_stat",
                    "Columns": [
                        {"ObjectName": "Vessel", "Statistic_Type": "Min", "Variable": v, "Label": v}
                        for v in ("X", "Rotation 3")
                    ],
                },
            ]
        },
        "RangeGraph_settings": {"add_effective_tension_to_cfg": False},
        "file_management": {
            "flag": True,
            "input_directory": "../run_files/sim",
            "output_directory": "../output/collate/csv",
            "filename": {
                "extension": ["sim"],
                "pattern": None,
                "filters": {"contains": [], "not_contains": ["includefile"]},
            },
        },
        "visualization_settings": {"label": "moorings", "individual": True},
    }


@pytest.mark.integration
def test_mooring_layout_runs_like_its_native_config(tmp_path: Path) -> None:
    import shutil

    sims = tmp_path / "run_files" / "sim"
    paths = make_sims(sims, cases=2, seed=9)
    shutil.copy(paths[0], sims / f"includefile_{paths[0].name}")
    opp = write_yaml(tmp_path / "scripts" / "dm_ofx_post.yml", mooring_layout())
    static = {"command": "time_history", "period": "static_state"}
    native = write_yaml(
        tmp_path / "scripts" / "native.yml",
        {
            "inputs": [f"../{p.relative_to(tmp_path).as_posix()}" for p in paths],
            "output_dir": "../native",
            "load_matrix": {"enabled": True},
            "summary": {
                "statistics": [],
                "groups": [
                    {
                        "name": "line_static_eff_tension_max",
                        "columns": [
                            {
                                **static,
                                "object": RISER,
                                "variable": TENSION,
                                "object_extra": "end_b",
                                "statistic": "max",
                                "label": RISER,
                            }
                        ],
                    },
                    {
                        "name": "vessel_6dof_stat",
                        "columns": [
                            {
                                **static,
                                "object": "Vessel",
                                "variable": v,
                                "statistic": "min",
                                "label": v,
                            }
                            for v in ("X", "Rotation 3")
                        ],
                    },
                ],
            },
        },
    )
    opp_result, events = run(opp)
    native_result, _ = run(native)
    assert opp_result.exit_code == 0 == native_result.exit_code
    got = tables(tmp_path / "output" / "collate" / "csv")
    want = tables(tmp_path / "native")
    assert sorted(got) == sorted(want) and got == want
    assert {"summary_line_static_eff_tension_max.csv", "summary_vessel_6dof_stat.csv"} <= set(got)
    assert not any(name.endswith("_statistics.csv") for name in got)
    matrix = (tmp_path / "output" / "collate" / "csv" / "load_matrix.csv").read_text("utf-8")
    assert "includefile" not in matrix
    paired = next(e for e in events if e["event"] == "inputs_paired")
    assert paired["count"] == 2


def test_a_bad_key_in_a_master_column_is_named_in_the_master() -> None:
    raw = mooring_layout()
    raw["summary_settings_master"]["groups"][1]["Columns"][0]["Statistic_Typ"] = "Max"
    with pytest.raises(ofxpost.ConfigError) as info:
        translate_opp_config(raw, None)
    message = str(info.value)
    assert "'summary_settings_master.groups[1].Columns[0].Statistic_Typ'" in message
    assert "did you mean 'Statistic_Type'" in message


def test_top_level_typo_suggests_the_key() -> None:
    raw = mooring_layout()
    raw["summary_setings"] = raw.pop("summary_settings")
    with pytest.raises(
        ofxpost.ConfigError, match=r"'summary_setings'.*did you mean 'summary_settings'"
    ):
        translate_opp_config(raw, None)
