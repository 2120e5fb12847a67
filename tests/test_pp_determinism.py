"""Byte-identical tables for any worker count and completion order."""

from __future__ import annotations

import inspect
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

import ofxpost
from tests._pp_helpers import feature_config, make_sims, run_config, write_yaml
from tests.conftest import table_bytes

PERTURB_PLUGIN = '''
"""Test-only plugin: file 0 finishes last; logs completion and aggregation order."""
import time
from pathlib import Path

import ofxpost

HERE = Path(__file__).parent


@ofxpost.hookimpl
def ofxpost_extract(job):
    if job.index == 0:
        time.sleep(0.6)  # not synchronisation: it makes file 0 complete after the others
    return None


@ofxpost.hookimpl
def ofxpost_file_finished(record):
    with open(HERE / "completed.txt", "a", encoding="utf-8") as handle:
        handle.write(f"{record.index}\\n")


@ofxpost.hookimpl
def ofxpost_aggregate(records):
    (HERE / "aggregated.txt").write_text(" ".join(str(r.index) for r in records))
    return None
'''


def _outputs(out: Path) -> dict[str, bytes]:
    found = table_bytes(out)
    for extra in [*out.glob("*.xlsx"), *(out / "plots").glob("*.png")]:
        found[str(extra.relative_to(out))] = extra.read_bytes()
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from ofxpost._tools.synth import make_bad_file

    root = tmp_path_factory.mktemp("determinism")
    sims = root / "sims"
    make_sims(sims, cases=4, seed=3)
    make_bad_file(sims / "case_002x.ofx.parquet", "truncated")
    outputs: dict[str, dict[str, bytes]] = {}
    for name, options in (
        ("w1", {"workers": 1}),
        ("w2", {"workers": 2}),
        ("seq", {"sequential": True}),
    ):
        config = feature_config(out=f"out_{name}")
        result = run_config(write_yaml(root / f"{name}.yml", config), **options)
        assert result.exit_code == 1 and result.failed == 1
        outputs[name] = _outputs(root / f"out_{name}")
    plugin_dir = root / "plugin"
    plugin_dir.mkdir()
    (plugin_dir / "ofxpost_pp_perturb.py").write_text(PERTURB_PLUGIN, encoding="utf-8")
    config = {**feature_config(out="out_perturbed"), "plugins": ["ofxpost_pp_perturb"]}
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(plugin_dir))  # spawned workers inherit it
        run_config(write_yaml(root / "perturbed.yml", config), workers=2)
    outputs["perturbed"] = _outputs(root / "out_perturbed")
    completed = [int(v) for v in (plugin_dir / "completed.txt").read_text().split()]
    aggregated = [int(v) for v in (plugin_dir / "aggregated.txt").read_text().split()]
    return {"outputs": outputs, "completed": completed, "aggregated": aggregated, "root": root}


@pytest.mark.integration
def test_every_feature_output_is_written(runs: dict[str, Any]) -> None:
    names = set(runs["outputs"]["seq"])
    expected = {
        "summary_main.csv",
        "summary_main_statistics.csv",
        "summary_errors.csv",
        "linked_statistics.csv",
        "linked_statistics_statistics.csv",
        "range_graph.csv",
        "range_graph_envelope.csv",
        "range_graph_errors.csv",
        "load_matrix.csv",
        "time_series_errors.csv",
        "time_series_top_case_001.csv",
        "files.csv",
        "failures.csv",
        "ofxpost-results.xlsx",
        "plots/range_graph_tension.png",
        "parquet/summary_main.parquet",
    }
    assert expected <= names
    assert "run_log.csv" not in names  # it describes one run


@pytest.mark.integration
@pytest.mark.parametrize("name", ["w2", "seq", "perturbed"])
def test_outputs_are_byte_identical(runs: dict[str, Any], name: str) -> None:
    reference = runs["outputs"]["w1"]
    other = runs["outputs"][name]
    assert sorted(other) == sorted(reference)
    different = [key for key in reference if reference[key] != other[key]]
    assert not different


@pytest.mark.integration
def test_completion_order_really_differed_and_aggregation_got_input_order(
    runs: dict[str, Any],
) -> None:
    assert sorted(runs["completed"]) == [0, 1, 2, 3, 4]
    assert runs["completed"] != sorted(runs["completed"])
    assert runs["aggregated"] == [0, 1, 2, 3, 4]


def test_aggregators_ignore_record_order(tmp_path: Path) -> None:
    """Records handed over in any order give the same tables (rows in input order)."""
    from ofxpost._archive import open_archive
    from ofxpost._builtin import linked, loadmatrix, modelinfo, rangegraph, summary, timeseries
    from ofxpost._core import codec
    from ofxpost._core.records import ErrorKind, ErrorRecord, FileRecord, FileStatus

    paths = make_sims(tmp_path / "sims", cases=3, seed=9)
    config = ofxpost.load_config(feature_config(), base_dir=tmp_path)
    records = []
    for index, path in enumerate(paths):
        model = open_archive(path)
        results: dict[str, Any] = {}
        for module in (modelinfo, summary, linked, rangegraph, timeseries):
            hook = module.ofxpost_extract
            extra = {"job": None} if module is timeseries else {}  # frames kept in the result
            out = hook(model) if module is modelinfo else hook(model=model, config=config, **extra)
            if isinstance(out, ofxpost.Partial):  # the missing_object column failed
                out = out.results
            results.update(out or {})
        records.append(FileRecord(index, path, FileStatus.OK, payload=codec.dumps(results)))
    bad = tmp_path / "sims" / "zz_missing.ofx.parquet"
    records.append(
        FileRecord(3, bad, FileStatus.FAILED, errors=[ErrorRecord(ErrorKind.FILE, "gone")])
    )
    plan = SimpleNamespace(jobs=[SimpleNamespace(index=r.index, path=r.path) for r in records])

    def tables(order: list[FileRecord]) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for module in (summary, linked, rangegraph, timeseries, loadmatrix):
            hook = module.ofxpost_aggregate
            offered = {"records": order, "config": config, "plan": plan}
            wanted = inspect.signature(hook).parameters
            out.update(hook(**{k: v for k, v in offered.items() if k in wanted}) or {})
        return out

    reference = tables(records)
    assert list(reference["summary_main"]["stem"]) == [
        "case_001",
        "case_002",
        "case_003",
        "zz_missing",
    ]
    shuffled = list(records)
    random.Random(4).shuffle(shuffled)
    for order in (list(reversed(records)), shuffled):
        assert [r.index for r in order] != [0, 1, 2, 3]
        got = tables(order)
        assert list(got) == list(reference)
        for name, frame in reference.items():
            pd.testing.assert_frame_equal(got[name], frame, obj=name)
