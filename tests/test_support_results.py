"""Support results (``oeSupport``): archive storage and reading, export, the native
``object_extra: {support: n}`` and opp's ``SupportIndex``, checked against samples read
with pyarrow alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import ofxpost
from ofxpost import ofx
from ofxpost._builtin.opp.translate import translate_opp_config, translate_with_notices
from tests._pp_helpers import SMALL, VESSEL, RawArchive, make_sims, read_table, run_config
from tests._pp_helpers import write_yaml as _write_yaml

BELL = "Bellmouth"
FORCE = "Support reaction force"
CLEARANCE = "Support contact clearance"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ofxpost._tools.synth import generate_case

    folder = tmp_path_factory.mktemp("supports")
    return generate_case(
        folder / "case.ofx.parquet",
        hs=4.5,
        tp=10.0,
        heading=30.0,
        current=0.6,
        seed=3,
        supports=3,
        **SMALL,  # type: ignore[arg-type]
    )


def test_the_reader_answers_at_each_support(archive: Path) -> None:
    raw = RawArchive(archive)
    model = ofx.Model(str(archive))
    buoy = model[BELL]
    whole = ofx.PeriodNum.WholeSimulation
    contacts = 0
    for k in (1, 2, 3):
        force = raw.column(BELL, FORCE, f"support={k}")
        clearance = raw.column(BELL, CLEARANCE, f"support={k}")
        got = buoy.TimeHistory(FORCE, whole, ofx.oeSupport(SupportIndex=k))
        np.testing.assert_array_equal(got, force)
        # OrcaFlex's name rules: case and spaces do not matter
        np.testing.assert_array_equal(
            buoy.TimeHistory("support  contact CLEARANCE", whole, ofx.oeSupport(k)), clearance
        )
        # physically consistent: a reaction only where the clearance is negative
        np.testing.assert_array_equal(force > 0, clearance < 0)
        contacts += int(np.count_nonzero(force > 0))
        stats = buoy.TimeSeriesStatistics(CLEARANCE, whole, ofx.oeSupport(k))
        assert stats.Mean == pytest.approx(float(clearance.mean()), rel=1e-12)
        assert stats.StdDev == pytest.approx(float(clearance.std()), rel=1e-9)
        static = raw.objects[BELL]["static"][CLEARANCE][k - 1]
        assert buoy.StaticResult(CLEARANCE, ofx.oeSupport(k)) == pytest.approx(static)
    assert contacts > 0  # this sea state pushes the umbilical onto a support


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        (lambda: ofx.oeSupport(4), "at support 4"),
        (lambda: ofx.oeSupport(1, "Umbilical"), "at support 1 for the supported line 'Umbilical'"),
        (lambda: None, "at the default point"),
    ],
)
def test_a_support_not_stored_names_object_variable_and_support(
    archive: Path, extra: Any, where: str
) -> None:
    buoy = ofx.Model(str(archive))[BELL]
    with pytest.raises(ofx.DLLError) as info:
        buoy.TimeHistory(FORCE, None, extra())
    text = str(info.value)
    assert f"{BELL}: '{FORCE}' is not stored {where}" in text
    assert "stored points: support=1, support=2, support=3" in text


def test_default_archives_have_no_supports(tmp_path: Path) -> None:
    from ofxpost._tools.synth import generate_case

    same: dict[str, Any] = {"hs": 2.0, "tp": 8.0, "heading": 0.0, "current": 0.3, **SMALL}
    plain = generate_case(tmp_path / "a" / "case.ofx.parquet", **same)
    zero = generate_case(tmp_path / "b" / "case.ofx.parquet", supports=0, **same)
    assert plain.read_bytes() == zero.read_bytes()
    assert BELL not in RawArchive(plain).objects


def test_export_stores_selected_supports_and_support_variables_only(
    archive: Path, tmp_path: Path
) -> None:
    from ofxpost._archive import export_model

    select = {"objects": {BELL: {"supports": [1, 3, {"index": 2, "line": "Umbilical"}]}}}
    out = export_model(ofx.Model(str(archive)), tmp_path / "again.ofx.parquet", select=select)
    raw, again = RawArchive(archive), RawArchive(out)
    # support 2 for one supported line: the source does not store it, so it is left out
    assert again.objects[BELL]["results"][FORCE] == ["support=1", "support=3"]
    for k in (1, 3):
        np.testing.assert_array_equal(
            again.column(BELL, FORCE, f"support={k}"), raw.column(BELL, FORCE, f"support={k}")
        )


def test_the_selection_refuses_a_support_zero() -> None:
    from ofxpost._archive.select import load_selection
    from ofxpost.errors import SelectionError

    with pytest.raises(SelectionError, match="supports"):
        load_selection({"objects": {BELL: {"supports": [0]}}})
    chosen = load_selection({"objects": {BELL: {"supports": [2, {"index": 1, "line": "U"}]}}})
    assert chosen.for_object(BELL).support_points() == [(2, None), (1, "U")]  # type: ignore[union-attr]


# ---------------------------------------------------------------------- native config


def _native_column(extra: Any) -> dict[str, Any]:
    return {
        "command": "time_history",
        "object": BELL,
        "variable": FORCE,
        "statistic": "max",
        "object_extra": extra,
    }


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"support": 0}, "greater than or equal to 1"),
        ({"supported_line": "Umbilical"}, "give exactly one of"),
        ({"support": 1, "theta": 30}, "not to a support"),
        ({"support": 1, "node": 3}, "got node, support"),
    ],
)
def test_bad_native_supports_are_config_errors(extra: dict[str, Any], message: str) -> None:
    config = {"inputs": ["x"], "summary": {"groups": [{"name": "g", "columns": []}]}}
    config["summary"]["groups"][0]["columns"] = [_native_column(extra)]
    with pytest.raises(ofxpost.ConfigError, match=message):
        ofxpost.load_config(config)


def test_a_native_support_builds_oe_support() -> None:
    from ofxpost._builtin.support.selectors import ObjectExtraSpec, object_extra_arg

    spec = ObjectExtraSpec.model_validate({"support": 2, "supported_line": "Umbilical"})
    extra = object_extra_arg(spec)
    assert (extra.SupportIndex, extra.SupportedLineName) == (2, "Umbilical")
    assert spec.describe() == "support 2 Umbilical"


# --------------------------------------------------------------------------- opp


def post_bm(sims: str = "sims", out: str = "out_opp") -> dict[str, Any]:
    """A post_bm-style opp config: moonpool bellmouth support results in a summary
    whose master column gives the period and a SupportIndex to every column."""
    column = {"Command": "TimeHistory", "ObjectName": BELL, "Statistic_Type": "Max"}
    return {
        "orcaflex": {
            "postprocess": {
                "summary": {"flag": True},
                "time_series": {"flag": True},
            }
        },
        "summary_settings_master": {
            "groups": [
                {
                    "Label": "moonpool",
                    "Columns": [{"SimulationPeriod": [0.0, None], "SupportIndex": 1}],
                }
            ]
        },
        "summary_settings": {
            "groups": [
                {
                    "Label": "moonpool",
                    "Columns": [
                        {**column, "Variable": FORCE, "SupportIndex": 2, "Label": "F2_max"},
                        {**column, "Variable": FORCE, "Label": "F1_max"},
                        {
                            **column,
                            "Variable": CLEARANCE,
                            "SupportIndex": 3,
                            "Statistic_Type": "Min",
                            "Label": "C3_min",
                        },
                        {
                            "Command": "Static Result",
                            "ObjectName": BELL,
                            "Variable": CLEARANCE,
                            "SupportIndex": 3,
                            "Label": "C3_static",
                        },
                        {**column, "ObjectName": VESSEL, "Variable": "Z", "Label": "heave_max"},
                    ],
                }
            ]
        },
        "time_series_settings": {
            "groups": [
                {
                    "Label": "supports",
                    "Columns": [
                        {
                            "ObjectName": BELL,
                            "Variable": FORCE,
                            "SupportIndex": 2,
                            "Label": "F2",
                        }
                    ],
                }
            ]
        },
        "file_management": {
            "input_directory": sims,
            "output_directory": out,
            "filename": {"extension": ["sim"]},
        },
    }


def test_opp_support_index_translates_to_a_native_support() -> None:
    native, notices = translate_with_notices(post_bm(), None)
    columns = native["summary"]["groups"][0]["columns"]
    assert [c.get("object_extra") for c in columns] == [
        {"support": 2},
        {"support": 1},  # from the master column
        {"support": 3},
        {"support": 3},
        None,  # heave: opp read SupportIndex only for 'Support' variables
    ]
    series = native["time_series"]["groups"][0]["columns"][0]
    assert series["object_extra"] == {"support": 2}
    text = " ".join(notices)
    assert "summary_settings.groups[].Columns[].SupportIndex (opp read it only for" in text


def test_a_support_variable_without_support_index_names_the_key() -> None:
    raw = post_bm()
    del raw["summary_settings_master"]
    del raw["summary_settings"]["groups"][0]["Columns"][1]["Label"]
    raw["summary_settings"]["groups"][0]["Columns"] = raw["summary_settings"]["groups"][0][
        "Columns"
    ][1:2]
    with pytest.raises(ofxpost.ConfigError) as info:
        translate_opp_config(raw, None)
    text = str(info.value)
    assert "summary_settings.groups[0].Columns[0].SupportIndex" in text
    assert "support result" in text


def test_a_support_index_with_a_line_point_is_an_error() -> None:
    raw = post_bm()
    raw["summary_settings"]["groups"][0]["Columns"][0]["objectExtra"] = ["End A"]
    with pytest.raises(ofxpost.ConfigError, match=r"Columns\[0\]\.objectExtra"):
        translate_opp_config(raw, None)


@pytest.mark.integration
def test_a_post_bm_config_runs_on_support_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ofxpost._cli.main import main

    paths = make_sims(tmp_path / "sims", cases=3, seed=9, supports=3)
    config = _write_yaml(tmp_path / "post_bm.yml", post_bm())
    assert main(["migrate", str(config)]) == 0
    migrated = yaml.safe_load(capsys.readouterr().out)
    assert migrated["summary"]["groups"][0]["columns"][0]["object_extra"] == {"support": 2}

    result = run_config(config, sequential=True)
    assert result.exit_code == 0
    table = read_table(tmp_path / "out_opp", "summary_moonpool").set_index("stem")
    contacts = 0
    for path in paths:
        raw = RawArchive(path)
        mask = raw.mask(0.0, None)
        stem = path.name.removesuffix(".ofx.parquet")
        row = table.loc[stem]
        assert row["F2_max"] == pytest.approx(raw.column(BELL, FORCE, "support=2")[mask].max())
        assert row["F1_max"] == pytest.approx(raw.column(BELL, FORCE, "support=1")[mask].max())
        assert row["C3_min"] == pytest.approx(raw.column(BELL, CLEARANCE, "support=3")[mask].min())
        static = raw.objects[BELL]["static"][CLEARANCE][2]
        assert row["C3_static"] == pytest.approx(static)
        assert row["heave_max"] == pytest.approx(raw.column(VESSEL, "Z")[mask].max())
        series = read_table(tmp_path / "out_opp", f"time_series_supports_{stem}")
        np.testing.assert_allclose(series["F2"], raw.column(BELL, FORCE, "support=2"), rtol=1e-12)
        contacts += int(np.count_nonzero(raw.column(BELL, FORCE, "support=1") > 0))
    assert contacts > 0  # some files put the umbilical onto support 1


def test_synth_writes_supports_when_asked(tmp_path: Path) -> None:
    from ofxpost._cli.main import main

    small = ["--cases", "1", "--duration", "4", "--dt", "0.5", "--nodes", "3"]
    assert main(["synth", "--out", str(tmp_path / "s"), "--supports", "2", *small]) == 0
    raw = RawArchive(tmp_path / "s" / "case_001.ofx.parquet")
    assert raw.objects[BELL]["results"][FORCE] == ["support=1", "support=2"]
    assert raw.objects[BELL]["units"] == {FORCE: "kN", CLEARANCE: "m"}
    assert main(["synth", "--out", str(tmp_path / "t"), "--supports", "-1", *small]) == 2
