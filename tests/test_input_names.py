"""Per-file names are unique by input, not by stem (``a/case_000`` and ``b/case_000``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests._pp_helpers import RISER, TENSION, RawArchive, read_table, run_config, write_yaml

pytestmark = pytest.mark.integration

CASES = 2


def _trees(root: Path) -> dict[str, list[Path]]:
    """Two folders holding archives of the same names but different data."""
    from ofxpost._tools.synth import generate_batch

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
        "outputs": {"formats": ["csv"], "csv_significant_digits": 12},
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
    from ofxpost._config.input_names import input_keys

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
    from ofxpost._tools.synth import make_bad_file

    trees = _trees(tmp_path)
    make_bad_file(trees["b"][0], "truncated")
    config = write_yaml(tmp_path / "c.yml", _config(["a/*.ofx.parquet", "b/*.ofx.parquet"], "out"))
    result = run_config(config, sequential=True)
    assert result.exit_code == 1
    stem = trees["b"][0].name.removesuffix(".ofx.parquet")
    report = tmp_path / "out" / "errors" / f"b~{stem}.json"
    assert json.loads(report.read_text(encoding="utf-8"))["file"] == str(trees["b"][0])
    assert not (tmp_path / "out" / "errors" / f"a~{stem}.json").exists()


def test_resume_needs_the_same_content_not_only_size_and_time(toy_batch: Any) -> None:
    """Before: a file replaced by one of the same size with its time kept (``cp -p``)
    was reused on ``--resume``: the old file's results under the new file's name."""
    import os

    import ofxpost

    config = toy_batch(3)
    assert ofxpost.run(config).exit_code == 0
    target = config.parent / "data" / "case001.toy"
    before = target.stat()
    old = target.read_bytes()
    new = bytearray(old)
    new[old.index(b"[") + 1] = ord("9") if old[old.index(b"[") + 1] != ord("9") else ord("8")
    target.write_bytes(bytes(new))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size
    result = ofxpost.run(config, resume=True)
    assert result.exit_code == 0
    assert result.reused == 2


def test_resume_after_switching_folders_runs_the_other_folders_files(tmp_path: Path) -> None:
    """Before: inputs ``a/*`` + ``b/*``, then ``b/*`` alone with ``--resume`` exited 0 with
    a's time series in place of b's."""
    import yaml

    trees = _trees(tmp_path)
    config = write_yaml(tmp_path / "c.yml", _config(["a/*.ofx.parquet", "b/*.ofx.parquet"], "out"))
    assert run_config(config, workers=2).exit_code == 0
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["inputs"] = ["b/*.ofx.parquet"]
    write_yaml(config, raw)
    result = run_config(config, workers=2, resume=True)
    assert result.exit_code == 0
    for path in trees["b"]:
        stem = path.name.removesuffix(".ofx.parquet")
        table = read_table(tmp_path / "out", f"time_series_top_{stem}")
        raw_archive = RawArchive(path)
        assert table["tension"].to_numpy() == pytest.approx(
            raw_archive.column(RISER, TENSION, "end_a")[raw_archive.mask()], rel=1e-10
        )


def _matrix(path: Path, keys: list[str]) -> Path:
    rows = [f"{key},{0.25 * (i + 1):.2f},{1.0 / len(keys)}" for i, key in enumerate(keys)]
    path.write_text("file,hs,probability\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_matrix_row_matching_two_files_is_a_config_error(tmp_path: Path) -> None:
    """Before: ``case_001`` matched ``a/case_001`` and ``b/case_001``; both got its row
    and the probabilities summed to 2.0, exit 0."""
    import ofxpost
    from ofxpost.errors import ConfigError

    trees = _trees(tmp_path)
    _matrix(tmp_path / "lm.csv", ["case_001", "case_002"])
    config = write_yaml(
        tmp_path / "c.yml",
        _config(["a/*.ofx.parquet", "b/*.ofx.parquet"], "out", load_matrix="lm.csv"),
    )
    with pytest.raises(ConfigError) as caught:
        ofxpost.make_plan(ofxpost.load_config(config))
    message = str(caught.value)
    assert "row 2" in message and "'case_001'" in message
    assert str(trees["a"][0]) in message and str(trees["b"][0]) in message
    assert not (tmp_path / "out").exists()


def test_folder_qualified_matrix_keys_give_each_file_its_row(tmp_path: Path) -> None:
    _trees(tmp_path)
    keys = [f"{folder}/case_{i:03d}" for folder in "ab" for i in range(1, CASES + 1)]
    _matrix(tmp_path / "lm.csv", keys)
    config = write_yaml(
        tmp_path / "c.yml",
        _config(["a/*.ofx.parquet", "b/*.ofx.parquet"], "out", load_matrix="lm.csv"),
    )
    assert run_config(config, sequential=True).exit_code == 0
    table = read_table(tmp_path / "out", "load_matrix")
    assert table["matched"].all()
    assert table["probability"].sum() == pytest.approx(1.0)
    assert list(table["hs"]) == [0.25, 0.5, 0.75, 1.0]


def test_the_summary_line_counts_failed_outputs(
    toy_batch: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: an output refused (exit 1) under "2 ok, 0 partial, 0 failed" and
    nothing else on the line."""
    from ofxpost._cli.main import main

    config = toy_batch(2)
    (config.parent / "out").mkdir()
    (config.parent / "out" / "toy.csv").write_text("a user's file\n", encoding="utf-8")
    assert main(["run", str(config), "--log-format", "console"]) == 1
    (line,) = [x for x in capsys.readouterr().err.splitlines() if x.startswith("ofxpost: 2")]
    assert "2 ok, 0 partial, 0 failed; 1 output failed (see " in line
