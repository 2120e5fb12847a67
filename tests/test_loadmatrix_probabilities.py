"""The load matrix's probabilities sum to 1 (or to 100 with ``probability_units:
percent``), checked when the batch is planned: a percent matrix read as fractions
would scale every per-year number (rainflow ``cycles_per_year``, exceedance
probabilities) by 100 with exit 0."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

import ofxpost
from ofxpost._config.plan import make_plan
from ofxpost.errors import ConfigError
from tests._pp_helpers import make_sims, write_yaml

RAINFLOW = {
    "bins": 4,
    "range": [0, 400],
    "columns": [
        {"object": "Riser", "variable": "Wall tension", "object_extra": "end_a", "label": "top"}
    ],
}


def _matrix(folder: Path, name: str, scale: float = 1.0, first: Any = None) -> Path:
    """A copy of the generated matrix with its probabilities times ``scale`` (and the
    first row's replaced by ``first`` when given)."""
    with open(folder / "load_matrix.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["probability"] = repr(float(row["probability"]) * scale)
    if first is not None:
        rows[0]["probability"] = str(first)
    path = folder / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lm") / "sims"
    make_sims(folder, cases=3, seed=5, duration=120.0)
    return folder


def _config(
    root: Path, sims: Path, matrix: dict[str, Any] | str, out: str = "out"
) -> Path:
    data = {
        "inputs": f"{sims.as_posix()}/*.parquet",
        "output_dir": out,
        "load_matrix": matrix,
        "rainflow": RAINFLOW,
    }
    return write_yaml(root / f"{out}.yml", data)


def _plan_error(config: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        make_plan(ofxpost.load_config(config))
    return str(caught.value)


def test_a_percent_matrix_read_as_fractions_is_refused_naming_the_sum(
    sims: Path, tmp_path: Path
) -> None:
    matrix = _matrix(sims, "percent.csv", 100.0)
    message = _plan_error(_config(tmp_path, sims, str(matrix)))
    assert "'load_matrix'" in message and str(matrix) in message
    assert "sum to 100" in message and "probability_units: percent" in message


def test_fractions_declared_as_percent_are_refused(sims: Path, tmp_path: Path) -> None:
    matrix = _matrix(sims, "fractions.csv")
    config = _config(tmp_path, sims, {"path": str(matrix), "probability_units": "percent"})
    message = _plan_error(config)
    assert "sum to 1," in message and "look like fractions" in message


@pytest.mark.parametrize("bad", ["-0.1", "often"])
def test_a_probability_that_is_not_a_number_at_least_zero_is_refused(
    sims: Path, tmp_path: Path, bad: str
) -> None:
    matrix = _matrix(sims, f"bad{bad}.csv", first=bad)
    message = _plan_error(_config(tmp_path, sims, str(matrix)))
    assert f"'probability' is {bad}" in message or f"'probability' is {bad!r}" in message
    assert "row 'case_001'" in message


def test_a_matrix_not_summing_to_one_is_refused(sims: Path, tmp_path: Path) -> None:
    matrix = _matrix(sims, "half.csv", 0.5)
    message = _plan_error(_config(tmp_path, sims, str(matrix)))
    assert "sum to 0.5" in message and "look like" not in message


@pytest.mark.integration
def test_a_declared_percent_matrix_gives_the_tables_of_its_fractions(
    sims: Path, tmp_path: Path
) -> None:
    fractions = _config(tmp_path, sims, str(sims / "load_matrix.csv"), out="frac")
    percent_matrix = _matrix(sims, "percent_ok.csv", 100.0)
    percent = _config(
        tmp_path, sims, {"path": str(percent_matrix), "probability_units": "percent"}, out="pct"
    )
    first = ofxpost.run(fractions)
    second = ofxpost.run(percent)
    assert first.exit_code == 0 and second.exit_code == 0
    a = (tmp_path / "frac" / "rainflow_top.csv").read_text(encoding="utf-8")
    b = (tmp_path / "pct" / "rainflow_top.csv").read_text(encoding="utf-8")
    assert "cycles_per_year" in a.splitlines()[0]
    per_year = [float(line.split(",")[3]) for line in a.splitlines()[1:]]
    assert sum(per_year) > 0
    # the same numbers to rounding (p·100·0.01 need not be bit-identical to p)
    for left, right in zip(a.splitlines()[1:], b.splitlines()[1:], strict=True):
        for x, y in zip(left.split(","), right.split(","), strict=True):
            assert float(x) == pytest.approx(float(y), rel=1e-12)
