"""Incremental aggregation (ofxpost._finish.folding): folded tables equal batch-aggregated ones."""

from __future__ import annotations

import copy
import os
import random
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import ofxpost
from ofxpost._builtin import linked, loadmatrix, rangegraph, summary, tables, timeseries
from ofxpost._builtin.outputs import write_csv
from ofxpost._builtin.support import envelope
from ofxpost._config.plan import make_plan
from ofxpost._core.records import FileRecord, Job
from ofxpost._finish.folding import Folds
from ofxpost._plugins.manager import get_plugin_manager
from ofxpost._store.store import ResultStore

FOLDED = (tables, summary, linked, rangegraph, timeseries, loadmatrix)
CASES = 6


def _config(folder: Path) -> Path:
    """The demo config, plus a column and a graph that fail (partial files)."""
    from ofxpost._tools.demo import prepare_demo

    path = prepare_demo(folder, cases=CASES, seed=3)
    config = yaml.safe_load(path.read_text("utf-8"))
    config["parallel_processing"] = {"max_workers": 2}
    config["outputs"] = {"formats": ["csv", "parquet"]}
    config["summary"]["groups"][0]["columns"].append(
        {"object": "Nowhere", "command": "static_result", "variable": "X", "label": "missing"}
    )
    config["range_graph"]["graphs"].append(
        {"object": "Nowhere", "variable": "Effective tension", "label": "missing_graph"}
    )
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    # one file that cannot be read: a failed file in every table
    broken = sorted((folder / "sims").glob("*.ofx.parquet"))[2]
    broken.write_bytes(b"not an archive")
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("folds")
    path = _config(folder)
    result = ofxpost.run(path, sequential=True)
    assert result.total == CASES and result.failed == 1 and result.partial == CASES - 1
    plan = make_plan(ofxpost.load_config(path))
    store = ResultStore(plan.store_dir)
    store.prepare(resume=True)
    records = list(store.records(list(plan.jobs)))
    store.close()
    return {"folder": folder, "config": path, "plan": plan, "records": records}


def _csv_bytes(frame: pd.DataFrame, folder: Path, name: str) -> bytes:
    return write_csv(frame, folder / f"{name}.csv", 6).read_bytes()


def _assert_same(got: Any, want: Any, folder: Path) -> None:
    assert want is not None and got is not None
    assert list(got) == list(want)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], check_exact=True)
        assert got[name].attrs == want[name].attrs, name
        assert _csv_bytes(got[name], folder, f"a_{name}") == _csv_bytes(
            want[name], folder, f"b_{name}"
        )


def _batch_tables(plan: Any, records: list[FileRecord]) -> dict[str, Any]:
    pm = get_plugin_manager(plan.plugin_spec)
    out: dict[str, Any] = {}
    for impl in pm.hook.ofxpost_aggregate.get_hookimpls():
        module = pm.get_plugin(impl.plugin_name)
        if module in FOLDED:
            args = {"records": records, "config": plan.config, "plan": plan}
            out[impl.plugin_name] = impl.function(*[args[a] for a in impl.argnames])
    return out


def _job(plan: Any, record: FileRecord) -> Job:
    return plan.jobs[record.index]


@pytest.mark.integration
@pytest.mark.parametrize(("seed", "part"), [(0, "all"), (1, "all"), (2, "all"), (3, "some")])
def test_folds_in_any_order_give_the_batch_tables(
    batch: dict[str, Any], seed: int, part: str, tmp_path: Path
) -> None:
    """Any completion order, reused records, a cancelled batch (some records)."""
    plan, records = batch["plan"], batch["records"]
    if part == "some":  # a cancelled batch: the other files are "not_run"
        records = records[1::2]
    want = _batch_tables(plan, records)
    assert set(want) == {"ofxpost.builtin." + m.__name__.rpartition(".")[2] for m in FOLDED}
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    assert shuffled != records
    folds = Folds(get_plugin_manager(plan.plugin_spec), plan.config, plan)
    for record in shuffled:
        live = copy.copy(record)
        live.reused = seed == 1  # a resumed file: the store gives it back as not reused
        folds.add(_job(plan, record), live)
    outcomes = folds.outcomes(r.index for r in records)
    assert set(outcomes) == set(want)
    for name, outcome in outcomes.items():
        assert outcome.error is None
        _assert_same(outcome.value, want[name], tmp_path)


@pytest.mark.integration
def test_folds_that_missed_a_record_are_not_used(batch: dict[str, Any]) -> None:
    plan, records = batch["plan"], batch["records"]
    folds = Folds(get_plugin_manager(plan.plugin_spec), plan.config, plan)
    for record in records[1:]:
        folds.add(_job(plan, record), record)
    assert folds.outcomes(r.index for r in records) == {}
    assert folds.outcomes(r.index for r in records[1:])  # exactly what they saw


@pytest.mark.integration
def test_a_file_seen_twice_drops_every_fold(batch: dict[str, Any]) -> None:
    plan, records = batch["plan"], batch["records"]
    folds = Folds(get_plugin_manager(plan.plugin_spec), plan.config, plan)
    for record in [*records, records[0]]:
        folds.add(_job(plan, record), record)
    assert folds.outcomes(r.index for r in records) == {}


@pytest.mark.integration
def test_a_fold_that_raises_leaves_its_plugin_to_the_batch_path(
    batch: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, records = batch["plan"], batch["records"]

    def broken(self: Any, record: FileRecord) -> None:
        raise RuntimeError("fold bug")

    monkeypatch.setattr(summary.SummaryFold, "add", broken)
    folds = Folds(get_plugin_manager(plan.plugin_spec), plan.config, plan)
    for record in records:
        folds.add(_job(plan, record), record)
    got = folds.outcomes(r.index for r in records)
    assert "ofxpost.builtin.summary" not in got and "ofxpost.builtin.rangegraph" in got


def _table_bytes(out: Path) -> dict[str, bytes]:
    files = sorted(out.glob("*.csv")) + sorted((out / "parquet").glob("*.parquet"))
    return {p.name: p.read_bytes() for p in files if not p.name.startswith("run_log")}


@pytest.mark.integration
def test_a_failing_fold_gives_the_same_outputs(
    batch: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fold that raised once (on one file as it arrived): its plugin is aggregated
    from the store at the end, as without folds."""
    folder = tmp_path / "copy"
    shutil.copytree(batch["folder"], folder, ignore=shutil.ignore_patterns("results"))
    real_add = rangegraph.GraphFold.add
    raised: list[int] = []

    def flaky(self: Any, record: FileRecord) -> None:
        if record.index == 4 and not raised:
            raised.append(record.index)
            raise RuntimeError("fold bug")
        real_add(self, record)

    config = folder / batch["config"].name
    ofxpost.run(config, sequential=True)
    want = _table_bytes(folder / "results")  # (error messages name the folder)
    monkeypatch.setattr(rangegraph.GraphFold, "add", flaky)
    result = ofxpost.run(config, sequential=True)
    assert raised == [4] and not result.output_failures
    assert _table_bytes(folder / "results") == want


@pytest.mark.integration
def test_resumed_and_parallel_batches_give_the_same_tables(
    batch: dict[str, Any], tmp_path: Path
) -> None:
    """Reused records (resume) and parallel completion fold to the same bytes."""
    folder = tmp_path / "copy"
    shutil.copytree(batch["folder"], folder, ignore=shutil.ignore_patterns("results"))
    config = folder / batch["config"].name
    ofxpost.run(config, sequential=True)
    want = _table_bytes(folder / "results")  # (error messages name the folder)
    ofxpost.run(config, workers=2)
    assert _table_bytes(folder / "results") == want
    for path in sorted((folder / "sims").glob("*.ofx.parquet"))[:2]:  # run these two again
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    resumed = ofxpost.run(config, workers=2, resume=True)
    assert resumed.reused == CASES - 3  # the failed file and the two touched ones ran again
    assert _table_bytes(folder / "results") == want


@pytest.mark.parametrize("seed", range(6))
def test_the_running_envelope_is_the_envelope_of_the_table(seed: int) -> None:
    """Ties, NaN values, NaN and signed-zero arc lengths, repeated arc lengths, any order."""
    import numpy as np

    rng = np.random.default_rng(seed)
    entry = rangegraph.RangeGraphEntry(object="R", variable="T", label="g", allowable=1.0)
    section = rangegraph.RangeGraphSection(graphs=[entry])
    parts = []
    for index in range(7):
        n = int(rng.integers(1, 6))
        x = rng.choice([-0.0, 0.0, 1.0, 2.0, 2.5, np.nan], size=n)
        top = rng.choice([1.0, 2.0, 3.0, np.nan, np.inf], size=n)
        bottom = rng.choice([-1.0, 0.0, 1.0, np.nan, -np.inf], size=n)
        stem = f"case{index}"
        frame = pd.DataFrame(
            {"file": stem, "stem": stem, "label": "g", "x": x, "min": bottom, "max": top}
        )
        parts.append((index, frame))
    table = pd.concat([p for _, p in parts], ignore_index=True)
    want = rangegraph.envelope(table, section)
    running = envelope.RunningEnvelope()
    for index, frame in random.Random(seed).sample(parts, len(parts)):
        running.add(
            index,
            frame["stem"].iloc[0],
            frame["x"].to_numpy(dtype=float),
            frame["max"].to_numpy(dtype=float),
            frame["min"].to_numpy(dtype=float),
        )
    got = envelope.envelope_frame(running.rows("g", 1.0))
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert np.signbit(got["x"].to_numpy()).tolist() == np.signbit(want["x"].to_numpy()).tolist()


@pytest.mark.parametrize(
    "answers",
    [
        [{"x": [0, 1], "max": [1, 2]}, {"x": [0, 1, 2], "max": [1, 2, 3], "min": [0, 0, 0]}],
        [{"x": [], "max": []}],
        [{"x": [], "max": []}, {"x": [], "min": []}],
        [{"x": [], "max": []}, {"x": [1.0], "max": [2.0]}],
        [{"x": 5.0, "max": [1, 2]}],
    ],
    ids=["rows", "no-rows", "no-rows-2", "some-rows", "scalar-x"],
)
def test_the_long_table_is_the_concat_of_per_file_frames(answers: list[dict[str, Any]]) -> None:
    """The fold joins arrays once; the table is what one frame per file concatenated
    gives (values, dtypes, index), also without any row."""
    import numpy as np

    from ofxpost._builtin.support import fileinfo, reading

    frames = []
    fold = rangegraph.GraphFold(rangegraph.RangeGraphSection())
    for index, answer in enumerate(answers):
        ident = {"file": f"f{index}", "stem": f"s{index}"}
        x = np.asarray(answer["x"], dtype=float)
        curves = {
            c: np.asarray(answer[c], dtype=float) if c in answer else np.full(x.shape, np.nan)
            for c in reading.CURVES
        }
        frame = pd.DataFrame(
            {**ident, "label": "g", "x": x, **curves}, columns=rangegraph.TABLE_COLUMNS
        )
        frames.append(frame)
        fold._parts.append((index, rangegraph._part(ident, "g", answer)))
    want = fileinfo.fix_dtypes(pd.concat(frames, ignore_index=True), ["x", *reading.CURVES])
    pd.testing.assert_frame_equal(fold.table(), want, check_exact=True)
