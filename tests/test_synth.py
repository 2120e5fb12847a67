"""Synthetic simulations: determinism, plausibility, the load matrix and sizing."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from ofxpost import ofx
from ofxpost._archive import open_archive
from ofxpost._tools.synth import (
    BAD_KINDS,
    duration_for_size,
    generate_batch,
    generate_case,
    make_bad_file,
)
from tests._archive_helpers import SMALL, small_archive

__all__ = ["small_archive"]


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    a = generate_case(tmp_path / "one" / "case.ofx.parquet", **SMALL)  # type: ignore[arg-type]
    b = generate_case(tmp_path / "two" / "case.ofx.parquet", **SMALL)  # type: ignore[arg-type]
    assert a.read_bytes() == b.read_bytes()
    other = generate_case(
        tmp_path / "three" / "case.ofx.parquet",
        **{**SMALL, "seed": 6},  # type: ignore[arg-type]
    )
    assert other.read_bytes() != a.read_bytes()
    # generating in small chunks gives the same file
    chunked = generate_case(tmp_path / "d.ofx.parquet", chunk_rows=37, **SMALL)  # type: ignore[arg-type]
    assert open_archive(chunked)["Riser"].TimeHistory(
        "Effective tension", None, ofx.oeNodeNum(4)
    ) == pytest.approx(
        open_archive(a)["Riser"].TimeHistory("Effective tension", None, ofx.oeNodeNum(4)),
        rel=1e-12,
    )


def test_physics_is_plausible(small_archive: Path) -> None:
    model = open_archive(small_archive)
    riser = model["Riser"]
    assert model.simulationStartTime < 0
    assert model.state == ofx.ModelState.SimulationStopped and model.simulationComplete
    top = riser.TimeHistory("Effective tension", None, ofx.oeEndA)
    bottom = riser.TimeHistory("Effective tension", None, ofx.oeEndB)
    assert top.mean() > bottom.mean() > 0
    assert top.std() > 5 * bottom.std()  # dynamics attenuate along the line
    moment = riser.RangeGraph("Bend moment")
    touchdown = riser.TimeHistory("X", None, ofx.oeTouchdown)  # moves with the vessel
    assert touchdown.std() > 0
    peak = float(moment.X[int(np.argmax(moment.Max))])
    assert 450.0 <= peak <= 650.0  # touchdown at 600 m, nodes every 90 m
    curvature = riser.RangeGraph("Curvature")
    assert curvature.X[int(np.argmax(curvature.Mean))] == peak
    assert curvature.Max[-1] < 0.01 * curvature.Max.max()  # nothing on the seabed end
    assert riser.StaticResult("Z", ofx.oeEndA) == pytest.approx(-20.0)
    assert riser.StaticResult("Z", ofx.oeEndB) == pytest.approx(-400.0)
    assert riser.StaticResult("Declination", ofx.oeEndB) == pytest.approx(90.0)
    # the build-up ramps the waves in
    elevation = model["Environment"].TimeHistory("Elevation", 0)
    assert abs(elevation[0]) < 1e-9 and np.abs(elevation).max() > 0
    heave = model["Vessel"].TimeHistory("Z", 1)
    assert 0 < heave.std() < SMALL["hs"]
    assert model["Vessel"].StaticResult("X") == pytest.approx(
        3 * 0.6**2 * math.cos(math.radians(30))
    )


def test_wave_height_matches_hs(tmp_path: Path) -> None:
    path = generate_case(
        tmp_path / "long.ofx.parquet",
        hs=4.0,
        tp=10.0,
        heading=0.0,
        current=0.0,
        duration=1800.0,
        dt=0.5,
        nodes=3,
        seed=1,
    )
    elevation = open_archive(path)["Environment"].TimeHistory("Elevation", 1)
    assert 4 * elevation.std() == pytest.approx(4.0, rel=0.15)


def test_batch_and_load_matrix(tmp_path: Path) -> None:
    batch = generate_batch(tmp_path / "sims", cases=10, seed=3, duration=10.0, dt=0.5, nodes=5)
    assert [p.name for p in batch.paths] == [f"case_{i:03d}.ofx.parquet" for i in range(1, 11)]
    assert batch.load_matrix == tmp_path / "sims" / "load_matrix.csv"
    with batch.load_matrix.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "case_id",
        "file",
        "hs",
        "tp",
        "wave_heading",
        "current_speed",
        "probability",
    ]
    assert [r["file"] for r in rows] == [f"case_{i:03d}" for i in range(1, 11)]
    assert sum(float(r["probability"]) for r in rows) == pytest.approx(1.0, abs=1e-12)
    for row, path in zip(rows, batch.paths, strict=True):
        facts = open_archive(path).archiveInfo.extra["synthetic"]
        assert facts["hs"] == float(row["hs"]) and facts["tp"] == float(row["tp"])
        assert facts["wave_heading"] == float(row["wave_heading"])
        assert 1.0 <= facts["hs"] <= 5.0
    again = generate_batch(tmp_path / "again", cases=10, seed=3, duration=10.0, dt=0.5, nodes=5)
    assert [p.read_bytes() for p in again.paths] == [p.read_bytes() for p in batch.paths]
    assert again.load_matrix.read_bytes() == batch.load_matrix.read_bytes()


def test_default_batch_is_quick_and_about_1mb(tmp_path: Path) -> None:
    batch = generate_batch(out_dir=tmp_path, cases=24)
    sizes = [p.stat().st_size for p in batch.paths]
    assert all(500_000 < s < 1_500_000 for s in sizes)


@pytest.mark.parametrize("target", [400_000, 3_000_000])
def test_target_bytes(tmp_path: Path, target: int) -> None:
    batch = generate_batch(tmp_path, cases=1, target_bytes=target)
    assert batch.paths[0].stat().st_size == pytest.approx(target, rel=0.15)
    assert duration_for_size(10 * target) > duration_for_size(target)


def test_more_variables_and_bad_arguments(tmp_path: Path) -> None:
    path = generate_case(
        tmp_path / "v.ofx.parquet",
        hs=2,
        tp=8,
        heading=0,
        current=0.1,
        duration=5,
        dt=0.5,
        nodes=4,
        variables=["Wall tension", "Shear force", "Effective tension"],
    )
    riser = open_archive(path)["Riser"]
    assert riser.vars() == ("Wall tension", "Shear force", "Effective tension")
    wall = riser.TimeHistory("Wall tension", None, ofx.oeEndA)
    assert (wall > riser.TimeHistory("Effective tension", None, ofx.oeEndA)).all()
    with pytest.raises(ValueError, match="unknown riser variables"):
        generate_case(
            tmp_path / "x.ofx.parquet", hs=2, tp=8, heading=0, current=0, variables=["Colour"]
        )
    with pytest.raises(ValueError, match="hs must be"):
        generate_case(tmp_path / "x.ofx.parquet", hs=-1, tp=8, heading=0, current=0)
    with pytest.raises(ValueError, match="unknown bad-file kind"):
        make_bad_file(tmp_path / "x", "odd")
    assert set(BAD_KINDS) == {
        "truncated",
        "not_parquet",
        "empty",
        "incomplete",
        "unstable",
        "wrong_version",
    }


def test_default_archive_has_wall_tension_and_signed_reversing_moments(tmp_path: Path) -> None:
    """Riser fatigue needs wall tension and signed x/y moments in the default archives."""
    path = generate_case(
        tmp_path / "f.ofx.parquet", hs=4, tp=10, heading=30, current=0.2, duration=200, dt=0.25
    )
    riser = open_archive(path)["Riser"]
    for name in ("Wall tension", "x bend moment", "y bend moment"):
        assert name in riser.vars()
    period = ofx.SpecifiedPeriod(0.0, 200.0)
    wall = riser.TimeHistory("Wall tension", period, ofx.oeEndA)
    assert (wall > riser.TimeHistory("Effective tension", period, ofx.oeEndA)).all()
    mx = riser.TimeHistory("x bend moment", period, ofx.oeEndA)
    my = riser.TimeHistory("y bend moment", period, ofx.oeEndA)
    for moment in (mx, my):  # a signed moment that reverses, not a magnitude
        assert moment.min() < 0.0 < moment.max()
    magnitude = riser.TimeHistory("Bend moment", period, ofx.oeEndA)
    assert (magnitude >= 0.0).all()
