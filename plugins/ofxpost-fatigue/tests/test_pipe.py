"""``kind: pipe``: wall tension and signed x/y moments at angles round the pipe.

Expected damages are computed from the samples written to the archive by the
S-N formula (DNV-RP-C203 D in air), not by the plugin's functions.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ofxpost.archive import ArchiveInfo, ObjectInfo, column_name, node_point, write_archive
from ofxpost.testing import BatchRunner

OD, WT = 0.30, 0.02  # m
R_OUT, R_IN = OD / 2, OD / 2 - WT
AREA = math.pi * (R_OUT**2 - R_IN**2)
INERTIA = math.pi / 4 * (R_OUT**4 - R_IN**4)
PERIOD_S, DT, CYCLES = 10.0, 0.25, 30
AMPLITUDE_KNM = 60.0


def _n_air_d(s: float) -> float:
    """Cycles to failure, DNV-RP-C203 D in air (knee at 1e7 cycles)."""
    n = 10 ** (12.164 - 3 * math.log10(s))
    return float(n if n <= 1e7 else 10 ** (15.606 - 5 * math.log10(s)))


def _archive(path: Path, moment_unit: str = "kN.m", to_unit: float = 1.0) -> Path:
    """Mx = A·cos(ωt) reverses; My = 0; Bend moment = |Mx| (its magnitude); the wall
    tension is constant; the effective tension varies (it must not be used)."""
    times = np.arange(0.0, CYCLES * PERIOD_S + DT / 2, DT)
    mx = AMPLITUDE_KNM * np.cos(2 * np.pi * times / PERIOD_S)
    series = {
        "Wall tension": np.full_like(times, 1200.0),
        "Effective tension": 1000.0 + 400.0 * np.cos(2 * np.pi * times / 5.0),
        "x bend moment": mx * to_unit,
        "y bend moment": np.zeros_like(times),
        "Bend moment": np.abs(mx) * to_unit,
    }
    units = {"Wall tension": "kN", "Effective tension": "kN"}
    units |= {k: moment_unit for k in ("x bend moment", "y bend moment", "Bend moment")}
    points = [node_point(1), node_point(2)]
    riser = ObjectInfo(
        "Riser", "Line", 6, results={k: points for k in series},
        static={k: [0.0, 0.0] for k in series}, units=units,
        node_arclengths=[0.0, 100.0], section_ends=[100.0], data={"Length": [100.0]},
    )  # fmt: skip
    info = ArchiveInfo(
        state=4, simulation_complete=True, start_time=0.0, stop_time=float(times[-1]),
        current_time=float(times[-1]), stage_durations=[0.0, float(times[-1])],
        log_sample_interval=DT, objects=[ObjectInfo("General", "General", 1), riser],
    )  # fmt: skip
    data = {"time": times}
    for point in points:
        for name, values in series.items():
            data[column_name("Riser", name, point)] = values
    (path.parent / "load_matrix.csv").parent.mkdir(parents=True, exist_ok=True)
    (path.parent / "load_matrix.csv").write_text("file,probability\ncase_001,1\n", "utf-8")
    return write_archive(path, info, data)


def _config(stress: dict[str, Any]) -> dict[str, Any]:
    return {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "load_matrix": "sims/load_matrix.csv",
        "outputs": {"formats": ["csv", "parquet"]},
        "fatigue": {
            "sn_curve": {"environment": "air", "curve": "D"},
            "plot": False,
            "lines": [
                {"label": "riser", "object": "Riser", "arc_lengths": [50.0], "stress": stress}
            ],
        },
    }


PIPE = {"kind": "pipe", "outer_diameter": OD, "wall_thickness": WT}


def test_reversing_moment_gives_the_signed_moment_damage_at_the_hot_spot(
    tmp_path: Path, ofxpost_batch: BatchRunner
) -> None:
    _archive(tmp_path / "sims" / "case_001.ofx.parquet")
    pipe = ofxpost_batch.run(_config(PIPE))
    assert pipe.result.exit_code == 0, pipe.result.output_errors
    row = pipe.table("fatigue_damage").iloc[0]
    # outer fibre at 90°: σ = Tw/A + r·Mx/I; Mx = A cos: CYCLES cycles of range 2·A·r/I
    signed_range = 2 * AMPLITUDE_KNM * 1e3 * R_OUT / INERTIA / 1e6  # MPa
    assert row["hot_spot"] == "outer 90°"
    assert row["units_read"] == "Wall tension [kN]; x bend moment [kN.m]; y bend moment [kN.m]"
    assert row["max_range"] == pytest.approx(signed_range, rel=1e-9)
    assert row["cycles"] == CYCLES
    signed = CYCLES / _n_air_d(signed_range)
    assert row["damage"] == pytest.approx(signed, rel=1e-9)
    assert pipe.table("fatigue_life")["hot_spot"].iloc[0] == "outer 90°"
    # the magnitude 'Bend moment' rectifies it: 2·CYCLES cycles of range A·r/I
    section = {
        "kind": "section", "area": AREA, "section_modulus": INERTIA / R_OUT,
        "tension_variable": "Wall tension", "moment_variable": "Bend moment",
    }  # fmt: skip
    rectified = ofxpost_batch.run(_config(section))
    assert rectified.result.exit_code == 0, rectified.result.output_errors
    magnitude = rectified.table("fatigue_damage").iloc[0]["damage"]
    assert magnitude == pytest.approx(2 * CYCLES / _n_air_d(signed_range / 2), rel=1e-9)
    assert signed / magnitude > 4.0  # the magnitude is unconservative by 4.10x here


def test_every_angle_and_fibre_matches_the_formula(
    tmp_path: Path, ofxpost_batch: BatchRunner
) -> None:
    _archive(tmp_path / "sims" / "case_001.ofx.parquet", "N.m", 1000.0)
    stress = {**PIPE, "angles_deg": [30.0], "fibres": ["inner"]}
    run = ofxpost_batch.run(_config(stress))
    assert run.result.exit_code == 0, run.result.output_errors
    row = run.table("fatigue_damage").iloc[0]
    s = 2 * AMPLITUDE_KNM * 1e3 * R_IN * math.sin(math.radians(30.0)) / INERTIA / 1e6
    assert row["hot_spot"] == "inner 30°"
    assert row["max_range"] == pytest.approx(s, rel=1e-9)
    assert row["damage"] == pytest.approx(CYCLES / _n_air_d(s), rel=1e-9)


def test_section_needs_an_explicit_moment_variable(tmp_path: Path) -> None:
    import ofxpost

    config = _config({"kind": "section", "area": AREA, "section_modulus": 1.0})
    config["inputs"] = ["*.none"]
    with pytest.raises(ofxpost.ConfigError, match=r"moment_variable.*not conservative"):
        ofxpost.load_config(config, base_dir=tmp_path)


def test_pipe_on_synthetic_archives_matches_a_hand_count(
    ofxpost_archives: Any, ofxpost_batch: BatchRunner
) -> None:
    """The generator stores wall tension and signed x/y moments; each file's damage at
    the hot spot is recounted here from the raw samples (``rainflow.count_cycles``
    and the S-N formula, outside the plugin)."""
    import rainflow
    from ofxpost import ofx
    from ofxpost.archive import open_archive

    sims = ofxpost_archives(cases=2, variables=["Wall tension", "x bend moment", "y bend moment"])
    config = _config(PIPE)
    config["fatigue"]["period"] = [None, None]
    run = ofxpost_batch.run(config)
    assert run.result.exit_code == 0, run.result.output_errors
    damage = run.table("fatigue_damage")
    spot = str(damage["hot_spot"].iloc[0])
    fibre, angle = spot.split()[0], float(spot.split()[1].rstrip("°"))
    radius = R_OUT if fibre == "outer" else R_IN
    for path, row in zip(sims.paths, damage.itertuples(), strict=True):
        riser = open_archive(path)["Riser"]
        units = {d.VarName: d.VarUnits for d in riser.varDetails()}
        assert units["Wall tension"] == "kN" and units["x bend moment"] == "kN.m"
        at = ofx.oeArcLength(50.0)
        tw = np.asarray(riser.TimeHistory("Wall tension", None, at)) * 1e3
        mx = np.asarray(riser.TimeHistory("x bend moment", None, at)) * 1e3
        my = np.asarray(riser.TimeHistory("y bend moment", None, at)) * 1e3
        theta = math.radians(angle)
        sigma = (tw / AREA + radius * (mx * math.sin(theta) - my * math.cos(theta)) / INERTIA) / 1e6
        want = sum(n / _n_air_d(s) for s, n in rainflow.count_cycles(sigma) if s > 0)
        assert row.damage == pytest.approx(want, rel=1e-9)
        assert row.units_read == ("Wall tension [kN]; x bend moment [kN.m]; y bend moment [kN.m]")
