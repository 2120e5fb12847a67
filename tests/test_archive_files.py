"""Archive files: bad inputs, column projection, round trips and the low-level writer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from ofxpost import ofx
from ofxpost._archive import ArchiveError, export_model, open_archive, write_archive
from ofxpost._archive.format import (
    METADATA_KEY,
    ArchiveInfo,
    ObjectInfo,
    column_name,
    node_point,
    simulation_stem,
)
from ofxpost._tools.synth import make_bad_file
from tests._archive_helpers import CountingFile, RawArchive, small_archive

__all__ = ["small_archive"]


# ---------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("truncated", ["truncated"]),
        ("not_parquet", ["not a Parquet"]),
        ("empty", ["empty"]),
        ("wrong_version", ["format version 99.0", "not supported"]),
    ],
)
def test_bad_files_raise_archive_error_naming_the_file(
    tmp_path: Path, kind: str, words: list[str]
) -> None:
    path = make_bad_file(tmp_path / f"bad_{kind}.ofx.parquet", kind)
    with pytest.raises(ArchiveError) as excinfo:
        open_archive(path)
    message = str(excinfo.value)
    assert str(path) in message and excinfo.value.path == str(path)
    for word in words:
        assert word in message


def test_missing_file_and_foreign_parquet(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no such file") as excinfo:
        open_archive(tmp_path / "gone.ofx.parquet")
    assert "gone.ofx.parquet" in str(excinfo.value)
    foreign = tmp_path / "foreign.parquet"
    pq.write_table(
        pq.read_table(make_bad_file(tmp_path / "x.ofx.parquet", "incomplete"))
        .drop(["time"])
        .replace_schema_metadata({}),
        foreign,
    )
    with pytest.raises(ArchiveError, match="not an ofxpost result archive") as excinfo:
        open_archive(foreign)
    assert "foreign.parquet" in str(excinfo.value)


def test_metadata_column_mismatch_is_caught_at_open(tmp_path: Path, small_archive: Path) -> None:
    table = pq.read_table(small_archive)
    metadata = pq.ParquetFile(small_archive).metadata.metadata
    broken = tmp_path / "broken.ofx.parquet"
    dropped = table.drop([column_name("Riser", "Curvature", "node=3")])
    pq.write_table(dropped.replace_schema_metadata(metadata), broken)
    with pytest.raises(ArchiveError, match="declared columns missing") as excinfo:
        open_archive(broken)
    assert "broken.ofx.parquet" in str(excinfo.value)


def test_incomplete_and_unstable_archives_open_with_their_state(tmp_path: Path) -> None:
    incomplete = open_archive(make_bad_file(tmp_path / "inc.ofx.parquet", "incomplete"))
    assert incomplete.state == ofx.ModelState.RunningSimulation
    assert incomplete.simulationComplete is False
    times = incomplete.SampleTimes()
    assert times[-1] == incomplete.simulationTimeStatus.CurrentTime < incomplete.simulationStopTime
    unstable = open_archive(make_bad_file(tmp_path / "uns.ofx.parquet", "unstable"))
    assert unstable.state == ofx.ModelState.SimulationStoppedUnstable


# -------------------------------------------------------------------- projection


def _wide_archive(path: Path, variables: int = 1000, samples: int = 4000) -> Path:
    rng = np.random.default_rng(1)
    names = [f"Var {i:04d}" for i in range(variables)]
    info = ArchiveInfo(
        state=4,
        simulation_complete=True,
        start_time=-10.0,
        stop_time=(samples - 1) * 0.1 - 10.0,
        current_time=(samples - 1) * 0.1 - 10.0,
        stage_durations=[10.0, (samples - 1) * 0.1 - 10.0],
        log_sample_interval=0.1,
        objects=[
            ObjectInfo(
                "Buoy",
                "6D Buoy",
                7,
                results={n: [""] for n in names},
                static={n: [0.0] for n in names},
            )
        ],
    )
    data: dict[str, Any] = {"time": np.arange(samples) * 0.1 - 10.0}
    for name in names:
        data[column_name("Buoy", name, "")] = rng.standard_normal(samples)
    return write_archive(path, info, data)


def test_reading_one_variable_reads_a_small_fraction_of_the_file(tmp_path: Path) -> None:
    path = _wide_archive(tmp_path / "wide.ofx.parquet")
    size = path.stat().st_size
    counting = CountingFile(path)
    model = open_archive(counting)
    after_open = counting.bytes_read
    values = model["Buoy"].TimeHistory("Var 0500")
    assert values.shape == (4000,)
    one_variable = counting.bytes_read
    model.close()
    # one variable + time column + footer: well under 5 % of a 1,000-variable file
    assert after_open < 0.03 * size
    assert one_variable < 0.05 * size
    everything = CountingFile(path)
    pq.ParquetFile(everything).read()
    assert everything.bytes_read > 0.9 * size
    assert one_variable * 20 < everything.bytes_read


def test_periods_read_only_their_row_groups(tmp_path: Path) -> None:
    info = ArchiveInfo(
        state=4,
        simulation_complete=True,
        start_time=0.0,
        stop_time=999.0,
        current_time=999.0,
        stage_durations=[0.0, 999.0],
        log_sample_interval=1.0,
        objects=[ObjectInfo("Buoy", "6D Buoy", 7, results={"X": [""]}, static={"X": [0.5]})],
    )
    times = np.arange(1000.0)
    path = write_archive(
        tmp_path / "groups.ofx.parquet",
        info,
        {"time": times, "Buoy|X|": np.sin(times)},
        row_group_bytes=16 * 100,  # 100 rows per group
    )
    assert pq.ParquetFile(path).metadata.num_row_groups == 10
    model = open_archive(path)
    np.testing.assert_array_equal(
        model["Buoy"].TimeHistory("X", (250.0, 420.0)), np.sin(times[250:421])
    )
    np.testing.assert_array_equal(
        model["Buoy"].TimeHistory("X", (99.0, 100.0)), np.sin(times[99:101])
    )
    assert model["Buoy"].StaticResult("X") == 0.5


# ---------------------------------------------------------------------- round trip


def test_round_trip_through_export(tmp_path: Path, small_archive: Path) -> None:
    source = open_archive(small_archive)
    copy = export_model(source, tmp_path / "copy.ofx.parquet")
    first, second = RawArchive(small_archive), RawArchive(copy)
    assert first.table.column_names == second.table.column_names
    assert first.table.equals(second.table)
    documented = ("creator", "source", "extra")  # see docs/archive-format.md
    a = {k: v for k, v in first.meta.items() if k not in documented}
    b = {k: v for k, v in second.meta.items() if k not in documented}
    assert a == b
    assert second.meta["source"]["file"] == small_archive.name
    # and exporting the copy again gives the same bytes
    again = export_model(open_archive(copy), tmp_path / "again.ofx.parquet")
    third = export_model(open_archive(copy), tmp_path / "again2.ofx.parquet")
    assert again.read_bytes() == third.read_bytes()


def test_export_with_selection(tmp_path: Path, small_archive: Path) -> None:
    select = tmp_path / "select.yml"
    select.write_text(
        "objects:\n"
        "  Riser:\n"
        "    variables: [Effective tension, Bend moment]\n"
        "    nodes: {every: 5}\n"
        "    touchdown: false\n"
        "    arc_lengths: [150.0]\n"
        "  Vessel:\n"
        "    variables: [Z]\n",
        encoding="utf-8",
    )
    out = export_model(open_archive(small_archive), tmp_path / "sel.ofx.parquet", select)
    model = open_archive(out)
    assert list(model) == ["Vessel", "Riser"]
    riser = model["Riser"]
    assert riser.vars() == ("Effective tension", "Bend moment")
    points = model.archiveInfo.object("Riser").results["Bend moment"]  # type: ignore[union-attr]
    assert points == ["end_a", node_point(1), node_point(6), node_point(11), "end_b", "arc=150.0"]
    source = open_archive(small_archive)["Riser"]
    np.testing.assert_array_equal(
        riser.TimeHistory("Bend moment", None, ofx.oeArcLength(150.0)),
        source.TimeHistory("Bend moment", None, ofx.oeArcLength(150.0)),
    )
    with pytest.raises(ofx.DLLError) as excinfo:
        riser.TimeHistory("Bend moment", None, ofx.oeTouchdown)
    assert "end_a, end_b, arc=150.0, nodes 1, 6, 11" in str(excinfo.value)


def test_export_selection_errors(tmp_path: Path, small_archive: Path) -> None:
    from ofxpost.errors import SelectionError

    model = open_archive(small_archive)
    with pytest.raises(SelectionError, match="'Pipe'"):
        export_model(model, tmp_path / "a.ofx.parquet", {"objects": {"Pipe": None}})
    with pytest.raises(SelectionError, match="Shear force"):
        export_model(
            model,
            tmp_path / "a.ofx.parquet",
            {"objects": {"Riser": {"variables": ["Shear force"]}}},
        )
    with pytest.raises(SelectionError, match=r"objects\.Riser\.nodes"):
        export_model(model, tmp_path / "a.ofx.parquet", {"objects": {"Riser": {"nodes": "some"}}})
    assert not (tmp_path / "a.ofx.parquet").exists()


# ------------------------------------------------------------------- the writer


def _line_info(**changes: Any) -> ArchiveInfo:
    info = ArchiveInfo(
        state=4,
        simulation_complete=True,
        start_time=-1.0,
        stop_time=1.0,
        current_time=1.0,
        stage_durations=[1.0, 1.0],
        log_sample_interval=0.5,
        objects=[
            ObjectInfo(
                "Pipe",
                "Line",
                6,
                results={"Max von Mises stress": ["end_a"], "Effective tension": ["end_a"]},
                static={"Max von Mises stress": [1.0], "Effective tension": [float("nan")]},
                node_arclengths=[0.0, 10.0],
            )
        ],
    )
    for key, value in changes.items():
        setattr(info, key, value)
    return info


def _line_data(times: Any = (-1.0, -0.5, 0.0, 0.5, 1.0)) -> dict[str, Any]:
    t = np.asarray(times, dtype=float)
    return {
        "time": t,
        "Pipe|Max von Mises stress|end_a": t * 2,
        "Pipe|Effective tension|end_a": t + 100,
    }


def test_writer_is_deterministic_and_atomic(tmp_path: Path) -> None:
    a = write_archive(tmp_path / "a.ofx.parquet", _line_info(), _line_data())
    b = write_archive(tmp_path / "b.ofx.parquet", _line_info(), _line_data())
    assert a.read_bytes() == b.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ofx.parquet", "b.ofx.parquet"]
    meta = json.loads(pq.ParquetFile(a).metadata.metadata[METADATA_KEY])
    assert meta["objects"][0]["static"]["Effective tension"] == ["NaN"]
    assert np.isnan(open_archive(a)["Pipe"].StaticResult("Effective tension", ofx.oeEndA))


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"time": [0.0, 1.0], "Pipe|Effective tension|end_a": [1.0, 2.0]}, "missing"),
        ({**_line_data(), "Pipe|Extra|": [1.0] * 5}, "unexpected"),
        ({**_line_data(), "time": [0.0, 1.0, 1.0, 2.0, 3.0]}, "increase"),
        ({**_line_data(), "Pipe|Effective tension|end_a": [1.0, 2.0]}, "different lengths"),
    ],
)
def test_writer_rejects_inconsistent_data(tmp_path: Path, data: Any, words: str) -> None:
    target = tmp_path / "bad.ofx.parquet"
    with pytest.raises(ArchiveError, match=words) as excinfo:
        write_archive(target, _line_info(), data)
    assert "bad.ofx.parquet" in str(excinfo.value)
    assert list(tmp_path.iterdir()) == []


def test_stress_at_another_radial_position_is_refused(tmp_path: Path) -> None:
    path = write_archive(tmp_path / "s.ofx.parquet", _line_info(), _line_data())
    pipe = open_archive(path)["Pipe"]
    outer = ofx.oeLine(LinePoint=ofx.LinePoint.EndA, RadialPos=ofx.RadialPos.Outer)
    np.testing.assert_array_equal(
        pipe.TimeHistory("Max von Mises stress", None, ofx.oeEndA), _line_data()["time"] * 2
    )
    with pytest.raises(ofx.DLLError, match="default cross-section position"):
        pipe.TimeHistory("Max von Mises stress", None, outer)
    # radial position does not matter for tension
    np.testing.assert_array_equal(
        pipe.TimeHistory("Effective tension", None, outer), _line_data()["time"] + 100
    )


def test_static_only_archive(tmp_path: Path) -> None:
    info = _line_info(state=2, simulation_complete=False, current_time=-1.0)
    path = write_archive(tmp_path / "static.ofx.parquet", info, _line_data(()))
    model = open_archive(path)
    pipe = model["Pipe"]
    assert model.state == ofx.ModelState.InStaticState and model.SampleCount() == 1
    np.testing.assert_array_equal(pipe.TimeHistory("Max von Mises stress", None, ofx.oeEndA), [1.0])
    with pytest.raises(ofx.DLLError) as excinfo:
        pipe.TimeHistory("Max von Mises stress", ofx.PeriodNum.WholeSimulation, ofx.oeEndA)
    assert int(excinfo.value.status) == ofx.StatusCode.InvalidModelState
    copy = export_model(model, tmp_path / "static_copy.ofx.parquet")
    assert open_archive(copy)["Pipe"].StaticResult("Max von Mises stress", ofx.oeEndA) == 1.0


def test_archive_renamed_sim_still_opens(tmp_path: Path, small_archive: Path) -> None:
    renamed = tmp_path / "case.sim"
    shutil.copy(small_archive, renamed)
    assert open_archive(renamed).SampleCount() > 0


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("case_001.ofx.parquet", "case_001"),
        ("case_001.OFX.PARQUET", "case_001"),
        ("case_001.parquet", "case_001"),
        ("case_001.sim", "case_001"),
        ("dir/case_001.dat", "case_001"),
        ("case_001.yml", "case_001"),
        ("case_001.yaml", "case_001"),
        ("case.v2.sim", "case.v2"),
        ("notes.txt", "notes"),
    ],
)
def test_simulation_stem(name: str, stem: str) -> None:
    assert simulation_stem(name) == stem
    assert simulation_stem(Path(name)) == stem
