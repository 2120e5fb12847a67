"""Per-file names are unique by input, not by stem (``a/case_000`` and ``b/case_000``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests._pp_helpers import RISER, TENSION, RawArchive, read_table, run_config, write_yaml

CASES = 2


def _trees(root: Path) -> dict[str, list[Path]]:
    """Two folders holding archives of the same names but different data."""
    from ofxpost.synth import generate_batch

    return {
        folder: list(
            generate_batch(
                root / folder, cases=CASES, seed=seed, duration=10.0, dt=0.5, nodes=5
            ).paths
        )
        for folder, seed in (("a", 1), ("b", 7))
    }


def _config(inputs: list[str], out: str, **extra: Any) -> dict[str, Any]:
    return {
        "inputs": inputs,
        "output_dir": out,
        "outputs": {"formats": ["csv"], "csv_decimals": 12},
        "time_series": {
            "groups": [
                {
                    "name": "top",
                    "columns": [
                        {
                            "object": RISER,
                            "variable": TENSION,
                            "object_extra": "end_a",
                            "label": "tension",
                        }
                    ],
                }
            ]
        },
        **extra,
    }


@pytest.fixture(scope="module")
def twin_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("twins")
    trees = _trees(root)
    inputs = ["a/*.ofx.parquet", "b/*.ofx.parquet"]
    results = {
        "seq": run_config(write_yaml(root / "seq.yml", _config(inputs, "seq")), sequential=True),
        "par": run_config(write_yaml(root / "par.yml", _config(inputs, "par")), workers=2),
    }
    return {"root": root, "trees": trees, "results": results}


def test_input_keys_are_relative_to_the_common_root() -> None:
    from ofxpost.input_names import input_keys

    root = Path("/data/lc").absolute()
    paths = [
        root / "a" / "case_001.sim",
        root / "b" / "case_001.sim",
        root / "b" / "case 001.ofx.parquet",
        root / "b" / "case_001.ofx.parquet",
        root / "B" / "case_001.sim",
        root / "c" / "nul.sim",
    ]
    keys = input_keys(paths)
    assert keys == [
        "a~case_001",
        "b~case_001",
        "b~case_001~2",  # "case 001" made portable
        "b~case_001~3",  # the archive of b/case_001.sim
        "B~case_001~4",  # Windows folds case
        "c~nul_",  # a device name
    ]
    assert len({k.lower() for k in keys}) == len(keys)
    assert input_keys([root / "x" / "case_001.ofx.parquet"]) == ["case_001"]


@pytest.mark.parametrize("mode", ["seq", "par"])
def test_same_names_in_two_folders_keep_both_time_series(
    twin_runs: dict[str, Any], mode: str
) -> None:
    """Before: the two ``time_series_top_case_000`` collided; one was refused (exit 1)
    although the summary said every file was ok, and which one won depended on timing."""
    result = twin_runs["results"][mode]
    assert result.exit_code == 0, result.output_errors
    out = twin_runs["root"] / mode
    for folder, paths in twin_runs["trees"].items():
        for path in paths:
            stem = path.name.removesuffix(".ofx.parquet")
            table = read_table(out, f"time_series_top_{folder}~{stem}")
            raw = RawArchive(path)
            assert table["tension"].to_numpy() == pytest.approx(
                raw.column(RISER, TENSION, "end_a")[raw.mask()], rel=1e-10
            )


def test_twin_tables_are_identical_sequential_and_parallel(twin_runs: dict[str, Any]) -> None:
    root = twin_runs["root"]
    names = sorted(p.name for p in (root / "seq").glob("time_series_*.csv"))
    assert len(names) == 2 * CASES + 1  # + time_series_errors
    for name in names:
        assert (root / "seq" / name).read_bytes() == (root / "par" / name).read_bytes(), name


def test_error_reports_and_logs_are_named_by_key(tmp_path: Path) -> None:
    from ofxpost.synth import make_bad_file

    trees = _trees(tmp_path)
    make_bad_file(trees["b"][0], "truncated")
    config = write_yaml(
        tmp_path / "c.yml", _config(["a/*.ofx.parquet", "b/*.ofx.parquet"], "out")
    )
    result = run_config(config, sequential=True)
    assert result.exit_code == 1
    stem = trees["b"][0].name.removesuffix(".ofx.parquet")
    report = tmp_path / "out" / "errors" / f"b~{stem}.json"
    assert json.loads(report.read_text(encoding="utf-8"))["file"] == str(trees["b"][0])
    assert not (tmp_path / "out" / "errors" / f"a~{stem}.json").exists()
