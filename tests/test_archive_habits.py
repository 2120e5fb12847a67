"""OrcFxAPI habits on archives: OrcaFlex name rules, ``Model()``/``LoadSimulation``,
scripts that run by changing one import, and clear errors for calls archives
cannot answer."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ofxpost import ofx
from ofxpost._archive import (
    ArchiveError,
    ArchiveModel,
    Model,
    NotInArchiveError,
    UnknownObjectError,
    open_archive,
)
from tests._archive_helpers import RawArchive, small_archive

__all__ = ["small_archive"]

TENSION = "Effective tension"
MOMENT = "Bend moment"


@pytest.fixture
def model(small_archive: Path) -> Iterator[ArchiveModel]:
    with open_archive(small_archive) as opened:
        yield opened


# ------------------------------------------------------------------ name rules


def test_object_names_ignore_case_and_repeated_spaces(model: ArchiveModel) -> None:
    riser = model["Riser"]
    for spelling in ("riser", "RISER", "  Riser ", "rIsEr"):
        assert spelling in model
        assert model[spelling] == riser
        assert str(model[spelling]) == "Riser"  # the archive's spelling
    assert model.get("riser") == riser
    assert "Risers" not in model


def test_variable_names_ignore_case_and_repeated_spaces(model: ArchiveModel) -> None:
    riser = model["riser"]
    exact = riser.TimeHistory(TENSION, None, ofx.oeEndA)
    for spelling in ("effective  TENSION", " Effective Tension ", "EFFECTIVE\tTENSION"):
        np.testing.assert_array_equal(riser.TimeHistory(spelling, None, ofx.oeEndA), exact)
    assert riser.StaticResult("effective tension", ofx.oeEndA) == riser.StaticResult(
        TENSION, ofx.oeEndA
    )
    both = riser.TimeHistory(["bend moment", "Effective Tension"], 1, ofx.oeNodeNum(3))
    assert both.shape[1] == 2
    graph = riser.RangeGraph("BEND  moment")
    np.testing.assert_array_equal(graph.Max, riser.RangeGraph(MOMENT).Max)
    linked = riser.LinkedStatistics(["effective tension", "bend moment"], 1, ofx.oeEndA)
    query = linked.Query("Effective Tension", "BEND MOMENT")
    assert query.ValueAtMax == riser.TimeHistory(TENSION, 1, ofx.oeEndA).max()
    stats = riser.TimeSeriesStatistics("effective tension", 1, ofx.oeEndA)
    assert stats.Mean == pytest.approx(riser.TimeHistory(TENSION, 1, ofx.oeEndA).mean())


def test_data_names_ignore_case(model: ArchiveModel) -> None:
    riser = model["Riser"]
    assert riser.GetData("length", 1) == riser.GetData("Length", 1) == 500.0
    assert riser.DataNameValid(" LENGTH ")
    assert not riser.DataNameValid("Colour")
    assert riser.GetDataRowCount("length") == 3


def test_unknown_object_is_a_key_error_listing_the_nearest_names(model: ArchiveModel) -> None:
    with pytest.raises(KeyError) as excinfo:
        model["Risr"]
    error = excinfo.value
    assert isinstance(error, UnknownObjectError)
    assert error.args[0] == "Risr"  # as OrcFxAPI's KeyError(name)
    assert "no object named 'Risr'" in str(error) and "nearest: 'Riser'" in str(error)


def test_a_column_error_for_an_unknown_object_keeps_the_nearest_names(
    model: ArchiveModel,
) -> None:
    from ofxpost._builtin.support.selectors import describe_error, find_object
    from ofxpost.errors import ObjectNotFound

    with pytest.raises(ObjectNotFound) as excinfo:
        find_object(model, "Risr")
    assert "nearest: 'Riser'" in describe_error(excinfo.value)


def test_unknown_variable_lists_the_nearest_names(model: ArchiveModel) -> None:
    riser = model["Riser"]
    with pytest.raises(ofx.DLLError) as excinfo:
        riser.TimeHistory("Efective tensoin", None, ofx.oeEndA)
    assert int(excinfo.value.status) == int(ofx.StatusCode.UnrecognisedVarName)
    assert "nearest: 'Effective tension'" in str(excinfo.value)
    with pytest.raises(ofx.DLLError, match="nearest: 'Length'"):
        riser.GetData("Lenght", 0)


@pytest.mark.integration
def test_summary_columns_follow_the_name_rules(small_archive: Path, tmp_path: Path) -> None:
    import pandas as pd

    from tests._pp_helpers import read_table, run_config, write_yaml

    def column(obj: str, variable: str, label: str) -> dict[str, Any]:
        return {
            "command": "time_history",
            "object": obj,
            "variable": variable,
            "statistic": "max",
            "object_extra": "end_a",
            "label": label,
        }

    config = {
        "inputs": [str(small_archive)],
        "output_dir": "out",
        "summary": {
            "groups": [
                {
                    "name": "g",
                    "columns": [
                        column("riser", "effective  TENSION", "Top Tension (user spelling)"),
                        column("Riser", "Efective tension", "Bad"),
                    ],
                }
            ]
        },
        "outputs": {"formats": ["csv"]},
        "parallel_processing": {"enabled": False},
    }
    run_config(write_yaml(tmp_path / "batch.yml", config))
    table = read_table(tmp_path / "out", "summary_g")
    errors = read_table(tmp_path / "out", "summary_errors")
    with open_archive(small_archive) as model:
        expected = model["Riser"].TimeHistory(TENSION, None, ofx.oeEndA).max()
    assert table["Top Tension (user spelling)"].iloc[0] == pytest.approx(expected, rel=1e-9)
    assert pd.isna(table["Bad"].iloc[0])
    assert list(errors["label"]) == ["Bad"]
    assert "nearest: 'Effective tension'" in errors["message"].iloc[0]


# ----------------------------------------------------------- Model like OrcFxAPI


def test_model_then_load_simulation(small_archive: Path) -> None:
    empty = Model()
    assert len(empty) == 0 and empty.state == ofx.ModelState.Reset
    with pytest.raises(KeyError):
        empty["Riser"]
    empty.LoadSimulation(small_archive)
    assert "Riser" in empty and empty.simulationComplete
    assert empty.latestFileName == str(small_archive)
    direct = Model(small_archive, threadCount=1)
    np.testing.assert_array_equal(
        direct["Riser"].TimeHistory(TENSION, 1, ofx.oeEndA),
        empty["Riser"].TimeHistory(TENSION, 1, ofx.oeEndA),
    )
    assert Model is ArchiveModel
    direct.close()
    empty.close()


def test_model_refuses_data_files_and_handles(tmp_path: Path) -> None:
    with pytest.raises(NotInArchiveError, match="LoadData"):
        Model(tmp_path / "case.dat")
    with pytest.raises(NotInArchiveError, match="LoadData"):
        Model().LoadData(tmp_path / "case.yml")
    with pytest.raises(TypeError, match="handle"):
        Model(handle=12345)


def test_ofx_model_is_the_archive_model_without_orcfxapi() -> None:
    assert not ofx.HAVE_ORCFXAPI
    assert ofx.Model is ArchiveModel
    assert "Model" in ofx.__all__


def test_load_simulation_of_a_sim_finds_the_exported_archive(
    small_archive: Path, tmp_path: Path
) -> None:
    shutil.copy(small_archive, tmp_path / "case_a.ofx.parquet")
    (tmp_path / "case_a.sim").write_bytes(b"\x00OrcaFlex binary simulation")
    model = Model()
    model.LoadSimulation(tmp_path / "case_a.sim")
    assert model.latestFileName.endswith("case_a.ofx.parquet")
    model.close()
    (tmp_path / "case_b.sim").write_bytes(b"\x00OrcaFlex binary simulation")
    with pytest.raises(ArchiveError, match="ofxpost export"):
        Model().LoadSimulation(tmp_path / "case_b.sim")


def test_orcfxapi_script_runs_by_changing_one_import(small_archive: Path, tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        from ofxpost import ofx as OrcFxAPI   # was: import OrcFxAPI

        model = OrcFxAPI.Model()
        model.LoadSimulation(SIM)
        line = model["Riser"]
        period = OrcFxAPI.SpecifiedPeriod(0, 30)
        tension = line.TimeHistory("Effective Tension", period, OrcFxAPI.oeArcLength(10.0))
        times = model.SampleTimes(period)
        graph = line.RangeGraph("Bend Moment", OrcFxAPI.pnWholeSimulation)
        top = line.StaticResult("Effective Tension", OrcFxAPI.oeEndA)
        names = ["Effective Tension", "Bend Moment"]
        linked = line.LinkedStatistics(names, period, OrcFxAPI.oeEndA)
        query = linked.Query("Effective Tension", "Bend Moment")
        stats = line.TimeSeriesStatistics("Effective Tension", period, OrcFxAPI.oeEndA)
        dt = model.general.ActualLogSampleInterval
        stages = model.general.StageDuration
        objects = [obj.Name for obj in model.objects]
        lengths = list(line.Length)
        hs = model.environment.GetData("WaveHs", -1)
        heading = model["Vessel"].InitialHeading
        try:
            line.RainflowHalfCycles("Effective Tension", period, OrcFxAPI.oeEndA)
        except NotImplementedError as exc:
            refused = str(exc)
        """
    )
    namespace: dict[str, Any] = {"SIM": str(small_archive)}
    exec(compile(script, "user_script.py", "exec"), namespace)
    raw = RawArchive(small_archive)
    mask = (raw.time >= 0.0) & (raw.time <= 30.0)
    np.testing.assert_array_equal(namespace["times"], raw.time[mask])
    arcs = raw.object("Riser")["node_arclengths"]
    weight = 10.0 / arcs[1]
    expected = (1 - weight) * raw.column("Riser", TENSION, "node=1")[mask] + weight * raw.column(
        "Riser", TENSION, "node=2"
    )[mask]
    np.testing.assert_allclose(namespace["tension"], expected, rtol=1e-12)
    assert namespace["graph"].Upper is None and namespace["graph"].Lower is None
    assert namespace["query"].ValueAtMax == raw.column("Riser", TENSION, "end_a")[mask].max()
    assert namespace["stats"].StdDev == pytest.approx(
        raw.column("Riser", TENSION, "end_a")[mask].std()
    )
    assert namespace["dt"] == raw.dt
    assert namespace["objects"] == ["General", "Environment", "Vessel", "Riser"]
    assert namespace["lengths"] == [100.0, 500.0, 300.0]
    assert namespace["hs"] == 3.0
    assert namespace["heading"] == 0.0  # the vessel heading; waves come from 30 deg
    assert "RainflowHalfCycles" in namespace["refused"]
    namespace["model"].close()


# ------------------------------------------------------ calls archives cannot answer


UNANSWERABLE: list[tuple[str, tuple[Any, ...]]] = [
    ("RainflowHalfCycles", (TENSION,)),
    ("UnorderedRainflowHalfCycles", (TENSION,)),
    ("RainflowAssociatedMean", (TENSION,)),
    ("CycleHistogramBins", (TENSION,)),
    ("SpectralDensity", (TENSION,)),
    ("SpectralResponseRAO", (TENSION,)),
    ("EmpiricalDistribution", (TENSION,)),
    ("TimeHistoryCollated", (TENSION,)),
    ("SampleTimesCollated", ()),
    ("FrequencyDomainResults", (TENSION,)),
    ("FrequencyDomainResultsProcess", (TENSION,)),
    ("FrequencyDomainMPM", (TENSION, 3.0)),
    ("RangeGraphCollated", (TENSION,)),
]


@pytest.mark.parametrize(("method", "args"), UNANSWERABLE, ids=[u[0] for u in UNANSWERABLE])
def test_unanswerable_object_calls_name_the_method(
    model: ArchiveModel, method: str, args: tuple[Any, ...]
) -> None:
    with pytest.raises(NotInArchiveError) as excinfo:
        getattr(model["Riser"], method)(*args)
    text = str(excinfo.value)
    assert method in text and "no data item" not in text
    assert "archive" in text and ";" in text  # says what to do instead


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("SaveSimulation", ("x.sim",)),
        ("SaveData", ("x.dat",)),
        ("CalculateStatics", ()),
        ("RunSimulation", ()),
        ("SampleTimesCollated", ()),
    ],
)
def test_unanswerable_model_calls_name_the_method(
    model: ArchiveModel, method: str, args: tuple[Any, ...]
) -> None:
    with pytest.raises(NotInArchiveError, match=method):
        getattr(model, method)(*args)


def test_unanswerable_calls_are_methods_not_data_lookups(model: ArchiveModel) -> None:
    with pytest.raises(AttributeError, match="no data item named 'Colour'"):
        _ = model["Riser"].Colour
    assert callable(model["Riser"].ExtremeStatistics)
