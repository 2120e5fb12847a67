"""Numbers an engineer can sign: units read, probabilities checked, CSV = Parquet.

Every expected number here is computed independently from the raw samples written
to the archive (numpy and the S-N formula), never by the plugin's own functions.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import ofxpost
import pandas as pd
import pyarrow.parquet as pq
import pytest
from ofxpost.archive import ArchiveInfo, ObjectInfo, column_name, node_point, write_archive
from ofxpost.testing import BatchRunner

AREA = 0.01  # m2
MODULUS = 0.001  # m3
PERIOD_S, DT = 10.0, 0.25
YEAR = 365.25 * 24 * 3600.0


def _archive(
    path: Path,
    tension_range_kn: float,
    cycles: int,
    *,
    tension_unit: str = "kN",
    moment_unit: str = "kN.m",
    to_unit: float = 1.0,
    moment_amplitude_knm: float = 0.0,
) -> Path:
    """A line whose tension is a cosine of ``tension_range_kn`` kN and whose bend
    moment is a sine of ``moment_amplitude_knm``, stored in ``tension_unit`` (the
    kN values times ``to_unit``)."""
    times = np.arange(0.0, cycles * PERIOD_S + DT / 2, DT)
    tension = (1000.0 + tension_range_kn / 2 * np.cos(2 * np.pi * times / PERIOD_S)) * to_unit
    moment = moment_amplitude_knm * np.sin(2 * np.pi * times / PERIOD_S) * to_unit
    points = [node_point(1), node_point(2)]
    riser = ObjectInfo(
        "Riser", "Line", 6,
        results={"Effective tension": points, "Bend moment": points},
        static={"Effective tension": [1000.0 * to_unit] * 2, "Bend moment": [0.0, 0.0]},
        units={"Effective tension": tension_unit, "Bend moment": moment_unit},
        node_arclengths=[0.0, 100.0], section_ends=[100.0], data={"Length": [100.0]},
    )  # fmt: skip
    info = ArchiveInfo(
        state=4, simulation_complete=True, start_time=0.0, stop_time=float(times[-1]),
        current_time=float(times[-1]), stage_durations=[0.0, float(times[-1])],
        log_sample_interval=DT, objects=[ObjectInfo("General", "General", 1), riser],
    )  # fmt: skip
    data = {"time": times}
    for point in points:
        data[column_name("Riser", "Effective tension", point)] = tension
        data[column_name("Riser", "Bend moment", point)] = moment
    return write_archive(path, info, data)


def _config(**section: Any) -> dict[str, Any]:
    return {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "load_matrix": "sims/load_matrix.csv",
        "outputs": {"formats": ["csv", "parquet"]},
        "fatigue": {
            "sn_curve": {"environment": "air", "curve": "D"},
            "plot": False,
            "lines": [
                {
                    "label": "riser",
                    "object": "Riser",
                    "arc_lengths": [50.0],
                    "stress": {
                        "kind": "section",
                        "area": AREA,
                        "section_modulus": MODULUS,
                        "tension_variable": "Effective tension",
                        "moment_variable": "Bend moment",
                    },
                }
            ],
            **section,
        },
    }


def _n_air_d(stress_range: float) -> float:
    """Cycles to failure on DNV-RP-C203 D in air (log a1 = 12.164, m = 3 above the knee)."""
    return float(10 ** (12.164 - 3 * math.log10(stress_range)))


def _two_cases(sims: Path, matrix: str, **archive: Any) -> None:
    _archive(sims / "case_001.ofx.parquet", 800.0, 30, **archive)
    _archive(sims / "case_002.ofx.parquet", 600.0, 20, **archive)
    (sims / "load_matrix.csv").write_text(matrix, encoding="utf-8")


def _expected_life(p1: float, p2: float) -> float:
    annual = 0.0
    for p, tension_range, cycles in ((p1, 800.0, 30), (p2, 600.0, 20)):
        stress_range = tension_range * 1e3 / AREA / 1e6  # MPa
        annual += cycles / _n_air_d(stress_range) * p * YEAR / (cycles * PERIOD_S)
    return 1.0 / annual


# ---------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("tension_unit", "moment_unit", "to_unit"),
    [("kN", "kN.m", 1.0), ("N", "N.m", 1000.0), ("te", "te.m", 1.0 / 9.80665)],
)
def test_lives_are_the_same_whatever_unit_the_archive_is_in(
    tmp_path: Path,
    ofxpost_batch: BatchRunner,
    tension_unit: str,
    moment_unit: str,
    to_unit: float,
) -> None:
    _two_cases(
        tmp_path / "sims",
        "file,probability\ncase_001,0.6\ncase_002,0.4\n",
        tension_unit=tension_unit,
        moment_unit=moment_unit,
        to_unit=to_unit,
    )
    run = ofxpost_batch.run(_config())
    assert run.result.exit_code == 0, run.result.output_errors
    damage = run.table("fatigue_damage")
    assert list(damage["max_range"]) == pytest.approx([80.0, 60.0], rel=1e-9)  # MPa
    assert damage["units_read"].iloc[0] == (
        f"Effective tension [{tension_unit}]; Bend moment [{moment_unit}]"
    )
    life = run.table("fatigue_life")["life_years"].iloc[0]
    assert life == pytest.approx(_expected_life(0.6, 0.4), rel=1e-9)


@pytest.mark.parametrize(("unit", "shown"), [("", "has no unit"), ("kN.furlongz", "'kN.furlongz'")])
def test_missing_or_unknown_unit_fails_the_file_naming_variable_and_unit(
    tmp_path: Path, ofxpost_batch: BatchRunner, unit: str, shown: str
) -> None:
    sims = tmp_path / "sims"
    _archive(sims / "case_001.ofx.parquet", 800.0, 30, tension_unit=unit)
    (sims / "load_matrix.csv").write_text("file,probability\ncase_001,1\n", encoding="utf-8")
    run = ofxpost_batch.run(_config())
    assert run.result.exit_code == 1
    errors = [e for f in run.result.failures for e in f.errors]
    assert len(errors) == 1 and str(errors[0].kind) == "extractor"
    assert "'Effective tension'" in errors[0].message and shown in errors[0].message
    assert "case_001" in errors[0].message
    assert not run.table("fatigue_life")["complete"].any()


def test_a_variable_of_the_wrong_dimension_is_refused(
    tmp_path: Path, ofxpost_batch: BatchRunner
) -> None:
    sims = tmp_path / "sims"
    _archive(sims / "case_001.ofx.parquet", 800.0, 30, moment_unit="kN")  # a force, not N·m
    (sims / "load_matrix.csv").write_text("file,probability\ncase_001,1\n", encoding="utf-8")
    run = ofxpost_batch.run(_config())
    assert run.result.exit_code == 1
    message = run.result.failures[0].errors[0].message
    assert "'Bend moment'" in message and "'kN'" in message and "'N*m'" in message


def test_kind_variable_converts_the_variable_times_factor_unit(
    tmp_path: Path, ofxpost_batch: BatchRunner
) -> None:
    sims = tmp_path / "sims"
    _archive(sims / "case_001.ofx.parquet", 800.0, 30, tension_unit="N", to_unit=1000.0)
    (sims / "load_matrix.csv").write_text("file,probability\ncase_001,1\n", encoding="utf-8")
    config = _config()
    config["fatigue"]["lines"][0]["stress"] = {
        "kind": "variable", "variable": "Effective tension", "factor": 1 / AREA,
        "factor_unit": "1/m^2",
    }  # fmt: skip
    run = ofxpost_batch.run(config)
    assert run.result.exit_code == 0, run.result.output_errors
    row = run.table("fatigue_damage").iloc[0]
    assert row["max_range"] == pytest.approx(80.0, rel=1e-9)  # 800 kN / 0.01 m2
    assert row["damage"] == pytest.approx(30 / _n_air_d(80.0), rel=1e-9)


def test_the_removed_stress_unit_key_is_a_config_error(tmp_path: Path) -> None:
    import ofxpost

    config = _config()
    config["inputs"] = ["*.none"]
    config["fatigue"]["lines"][0]["stress"] = {"kind": "variable", "variable": "X", "unit": "MPa"}
    with pytest.raises(ofxpost.ConfigError, match=r"'unit'.*read from the file"):
        ofxpost.load_config(config, base_dir=tmp_path)


# -------------------------------------------------------------------- probabilities


def test_a_percent_load_matrix_is_refused_naming_the_sum(
    tmp_path: Path, ofxpost_batch: BatchRunner
) -> None:
    """Refused when the batch is planned (exit 2), before any file runs."""
    _two_cases(tmp_path / "sims", "file,probability\ncase_001,60\ncase_002,40\n")
    with pytest.raises(ofxpost.ConfigError) as caught:
        ofxpost_batch.run(_config())
    message = str(caught.value)
    assert "sum to 100" in message and "load_matrix.probability_units: percent" in message


@pytest.mark.parametrize("where", ["load_matrix", "both"])
def test_probability_units_percent_gives_the_fraction_lives(
    tmp_path: Path, ofxpost_batch: BatchRunner, where: str
) -> None:
    _two_cases(tmp_path / "sims", "file,probability\ncase_001,60\ncase_002,40\n")
    config = _config(probability_units="percent") if where == "both" else _config()
    config["load_matrix"] = {"path": "sims/load_matrix.csv", "probability_units": "percent"}
    run = ofxpost_batch.run(config)
    assert run.result.exit_code == 0, run.result.output_errors
    life = run.table("fatigue_life")["life_years"].iloc[0]
    assert life == pytest.approx(_expected_life(0.6, 0.4), rel=1e-9)


def test_fractions_that_do_not_sum_to_one_are_refused(
    tmp_path: Path, ofxpost_batch: BatchRunner
) -> None:
    _two_cases(tmp_path / "sims", "file,probability\ncase_001,0.6\ncase_002,0.3\n")
    with pytest.raises(ofxpost.ConfigError, match=r"sum to 0\.9,"):
        ofxpost_batch.run(_config())


# ------------------------------------------------------------------------------ DEL


def test_dels_both_conventions_and_lifetime(tmp_path: Path, ofxpost_batch: BatchRunner) -> None:
    _two_cases(tmp_path / "sims", "file,probability\ncase_001,0.6\ncase_002,0.4\n")
    run = ofxpost_batch.run(_config(del_n_eq=2e6))
    assert run.result.exit_code == 0, run.result.output_errors
    damage = run.table("fatigue_damage")
    m = 3.0
    nsm, weights, yearly = [], [0.6, 0.4], 0.0
    for row, (tension_range, cycles) in zip(
        damage.itertuples(), ((800.0, 30), (600.0, 20)), strict=True
    ):
        s = tension_range * 1e3 / AREA / 1e6
        duration = cycles * PERIOD_S
        assert row.duration_s == pytest.approx(duration)
        assert row.del_n_eq == 2e6
        per_file = damage["del"].iloc[row.Index]
        assert per_file == pytest.approx((cycles * s**m / 2e6) ** (1 / m), rel=1e-9)
        assert row.del_1hz == pytest.approx((cycles * s**m / duration) ** (1 / m), rel=1e-9)
        nsm.append(cycles * s**m / duration)
        yearly += cycles * s**m * weights[row.Index] * YEAR / duration
    life = run.table("fatigue_life").iloc[0]
    lifetime = (0.6 * nsm[0] + 0.4 * nsm[1]) ** (1 / m)
    assert life["del_lifetime_1hz"] == pytest.approx(lifetime, rel=1e-9)
    assert life["del_year"] == pytest.approx((yearly / 2e6) ** (1 / m), rel=1e-9)


# ------------------------------------------------------------------- CSV vs Parquet


def test_every_csv_number_equals_its_parquet_twin(
    ofxpost_archives: Any, ofxpost_batch: BatchRunner
) -> None:
    ofxpost_archives(cases=4)
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "load_matrix": "sims/load_matrix.csv",
        "outputs": {"formats": ["csv", "parquet"], "units": "none"},
        "fatigue": {
            "plot": False,
            "probability_tolerance": 1e-3,
            "lines": [
                {
                    "label": "riser",
                    "object": "Riser",
                    "arc_lengths": [0.0, 60.0, 120.0],
                    "stress": {
                        "kind": "section",
                        "area": AREA,
                        "section_modulus": MODULUS,
                        "tension_variable": "Effective tension",
                        "moment_variable": "Bend moment",
                    },
                }
            ],
        },
    }
    run = ofxpost_batch.run(config)
    assert run.result.exit_code == 0, run.result.output_errors
    checked = 0
    for name in ("fatigue_damage", "fatigue_life"):
        csv = pd.read_csv(run.output_dir / f"{name}.csv")
        twin = pq.read_table(run.output_dir / "parquet" / f"{name}.parquet").to_pandas()
        assert list(csv.columns) == list(twin.columns) and len(csv) == len(twin)
        for column in twin.columns:
            if not pd.api.types.is_numeric_dtype(twin[column]) or twin[column].dtype == bool:
                continue
            want = twin[column].to_numpy(dtype=float)
            got = csv[column].to_numpy(dtype=float)
            assert np.array_equal(np.isnan(want), np.isnan(got)), column
            finite = ~np.isnan(want)
            np.testing.assert_allclose(got[finite], want[finite], rtol=1e-9, atol=0, err_msg=column)
            checked += int(finite.sum())
    damage = pd.read_csv(run.output_dir / "fatigue_damage.csv")
    assert (damage["damage"] > 0).all()  # no damage cell rounded to zero
    assert checked > 100
