"""The test kit for plugin authors (``ofxpost.testing``) and its pytest plugin."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest

import ofxpost
from ofxpost._archive import open_archive
from ofxpost.testing import (
    Archives,
    BatchRunner,
    EventLog,
    PluginNotImportable,
    assert_same_tables,
    run_plugin_batch,
    write_archives,
)

PEAK_PLUGIN = '''
"""A kit-test plugin: the maximum top tension of each file, and a table of them."""
import os

import pandas as pd

import ofxpost
from ofxpost import ofx


@ofxpost.hookimpl
def ofxpost_extract(model):
    values = model["Riser"].TimeHistory("Effective tension", None, ofx.oeEndA)
    return {"kitpeak_max": float(values.max()), "kitpeak_pid": os.getpid()}


@ofxpost.hookimpl
def ofxpost_aggregate(records):
    rows = [{"index": r.index, "max": r.results["kitpeak_max"]}
            for r in records if "kitpeak_max" in r.results]
    table = {"kitpeak": pd.DataFrame(rows, columns=["index", "max"])}
    if os.environ.get("KITPEAK_PIDS"):  # a table that depends on the worker processes
        pids = [{"index": r.index, "pid": r.results["kitpeak_pid"]}
                for r in records if "kitpeak_pid" in r.results]
        table["kitpeak_pids"] = pd.DataFrame(pids, columns=["index", "pid"])
    return table
'''

CONFIG = {"inputs": ["sims/*.ofx.parquet"], "output_dir": "out"}


@pytest.fixture
def peak_file(tmp_path: Path) -> Path:
    path = tmp_path / "plugins" / "kitpeak_plugin.py"
    path.parent.mkdir()
    path.write_text(PEAK_PLUGIN, encoding="utf-8")
    return path


def _top_tension_max(path: Path) -> float:
    from ofxpost import ofx

    model = open_archive(path)
    try:
        return float(np.max(model["Riser"].TimeHistory("Effective tension", None, ofx.oeEndA)))
    finally:
        model.close()


# ------------------------------------------------------------------------- archives


def test_archives_have_the_chosen_objects_variables_durations_and_faults(
    ofxpost_archives: object,
) -> None:
    make = ofxpost_archives
    assert callable(make)
    sims: Archives = make(
        cases=3,
        objects=["Riser"],
        variables=["Effective tension", "Bend moment"],
        duration=[10.0, 20.0, 30.0],
        faults={2: "not_parquet"},
    )
    assert [p.name for p in sims.paths] == [f"case_00{i}.ofx.parquet" for i in (1, 2, 3)]
    assert sims.good == sims.paths[:2]
    assert sims.load_matrix.read_text().splitlines()[0].startswith("case_id,file,")
    for path, duration in zip(sims.good, (10.0, 20.0), strict=True):
        model = open_archive(path)
        try:
            assert sorted(model) == ["Environment", "General", "Riser"]
            assert model.simulationStopTime == duration
            assert set(model["Riser"]._info.results) == {"Effective tension", "Bend moment"}
        finally:
            model.close()
    with pytest.raises(Exception, match="not"):
        open_archive(sims.paths[2])


def test_archive_arguments_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2 values given for 3 cases"):
        write_archives(tmp_path, 3, duration=[1.0, 2.0])
    with pytest.raises(ValueError, match="unknown fault 'melted'"):
        write_archives(tmp_path, 3, faults={0: "melted"})
    with pytest.raises(ValueError, match="unknown \\['Buoy'\\]"):
        write_archives(tmp_path, 3, objects=["Buoy"])


# --------------------------------------------------------------------------- runner


@pytest.mark.integration
def test_runner_with_a_plugin_file_in_parallel(
    ofxpost_archives: object, ofxpost_batch: BatchRunner, peak_file: Path
) -> None:
    sims = ofxpost_archives(cases=3, faults={1: "truncated"})  # type: ignore[operator]
    run = ofxpost_batch.run(CONFIG, plugins=[peak_file], mode="parallel")
    assert run.result.mode == "parallel"
    assert run.result.exit_code == 1  # the truncated file failed
    table = run.table("kitpeak")
    assert list(table["index"]) == [0, 2]
    assert list(table["max"]) == [_top_tension_max(sims.paths[0]), _top_tension_max(sims.paths[2])]
    assert len(run.events.named("batch_finished")) == 1
    assert run.events.named("mode_selected")[0]["mode"] == "parallel"
    assert str(peak_file.parent) not in sys.path  # the runner cleaned up
    with pytest.raises(AssertionError, match=r"no table 'nope'.*kitpeak"):
        run.table("nope")


@pytest.mark.integration
def test_runner_with_an_in_memory_module_sequential_only(
    ofxpost_archives: object, tmp_path: Path, peak_file: Path
) -> None:
    ofxpost_archives(cases=2)  # type: ignore[operator]
    module = types.ModuleType("kit_inline_plugin")
    exec(compile(PEAK_PLUGIN, "<inline>", "exec"), module.__dict__)
    run = run_plugin_batch(CONFIG, base_dir=tmp_path, plugins=[module])
    assert run.result.exit_code == 0 and run.result.mode == "sequential"
    assert len(run.table("kitpeak")) == 2
    assert "kit_inline_plugin" not in sys.modules
    with pytest.raises(PluginNotImportable, match="mode='sequential'"):
        run_plugin_batch(CONFIG, base_dir=tmp_path, plugins=[module], mode="parallel")


@pytest.mark.integration
def test_runner_with_an_importable_module_object_in_parallel(
    ofxpost_archives: object,
    tmp_path: Path,
    peak_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ofxpost_archives(cases=2)  # type: ignore[operator]
    monkeypatch.syspath_prepend(str(peak_file.parent))
    import kitpeak_plugin  # type: ignore[import-not-found]

    run = run_plugin_batch(CONFIG, base_dir=tmp_path, plugins=[kitpeak_plugin], mode="parallel")
    assert run.result.mode == "parallel" and len(run.table("kitpeak")) == 2


def test_runner_checks_plugin_paths(tmp_path: Path) -> None:
    with pytest.raises(PluginNotImportable, match="does not exist"):
        run_plugin_batch(CONFIG, base_dir=tmp_path, plugins=[tmp_path / "missing.py"])


@pytest.mark.integration
def test_runner_refuses_a_false_parallel_run(
    ofxpost_archives: object, tmp_path: Path, peak_file: Path
) -> None:
    ofxpost_archives(cases=2)  # type: ignore[operator]
    config = {**CONFIG, "parallel_processing": {"executor": "sequential"}}
    with pytest.raises(AssertionError, match="parallel mode was asked but the batch ran"):
        run_plugin_batch(config, base_dir=tmp_path, plugins=[peak_file], mode="parallel")


@pytest.mark.integration
def test_runner_schema_checks_events(
    ofxpost_archives: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ofxpost_archives(cases=1)  # type: ignore[operator]
    import ofxpost._events.emitter

    real = ofxpost._events.emitter.event_schema()
    broken = {**real, "required": [*real.get("required", []), "no_such_field"]}
    monkeypatch.setattr(ofxpost._events.emitter, "event_schema", lambda: broken)
    with pytest.raises(AssertionError, match="does not match the schema"):
        run_plugin_batch(CONFIG, base_dir=tmp_path)


# ------------------------------------------------------------- sequential vs parallel


@pytest.mark.integration
def test_same_tables_passes_for_a_deterministic_plugin(
    ofxpost_archives: object, ofxpost_batch: BatchRunner, peak_file: Path
) -> None:
    ofxpost_archives(cases=3)  # type: ignore[operator]
    seq, par = ofxpost_batch.assert_same_tables(CONFIG, plugins=[peak_file], tables=["kitpeak"])
    assert seq.result.mode == "sequential" and par.result.mode == "parallel"


@pytest.mark.integration
def test_same_tables_fails_for_a_table_that_depends_on_workers(
    ofxpost_archives: object,
    tmp_path: Path,
    peak_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ofxpost_archives(cases=2)  # type: ignore[operator]
    monkeypatch.setenv("KITPEAK_PIDS", "1")
    with pytest.raises(AssertionError, match=r"kitpeak_pids|pid"):
        assert_same_tables(CONFIG, base_dir=tmp_path, plugins=[peak_file])


@pytest.mark.integration
def test_same_tables_fails_for_a_missing_table(
    ofxpost_archives: object, tmp_path: Path, peak_file: Path
) -> None:
    ofxpost_archives(cases=2)  # type: ignore[operator]
    with pytest.raises(AssertionError, match="no table 'absent'"):
        assert_same_tables(CONFIG, base_dir=tmp_path, plugins=[peak_file], tables=["absent"])


# --------------------------------------------------------------------- the plugin


def test_event_log_fixture_checks_events(ofxpost_events: EventLog) -> None:
    with pytest.raises(Exception, match="event"):
        ofxpost_events({"not": "an event"})
    assert ofxpost_events == []


def _pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A plugin author's ``python -m pytest -q`` in ``pytester.path``: a fresh process, so
    the kit comes from the installed entry point, as it does for them."""
    return pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", *args, timeout=240)


@pytest.mark.integration
def test_pytest_plugin_is_registered_and_can_be_disabled(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_uses_kit="""
        def test_kit(ofxpost_archives, ofxpost_batch):
            sims = ofxpost_archives(cases=1)
            run = ofxpost_batch.run({"inputs": ["sims/*.ofx.parquet"]})
            assert run.result.exit_code == 0
            assert list(run.table("files")["status"]) == ["ok"]
        """
    )
    enabled = _pytest(pytester)
    assert enabled.ret == 0, enabled.stdout.str() + enabled.stderr.str()
    enabled.assert_outcomes(passed=1)
    disabled = _pytest(pytester, "-p", "no:ofxpost")
    assert disabled.ret != 0
    assert "fixture 'ofxpost_archives' not found" in disabled.stdout.str()


def test_kit_is_public() -> None:
    assert ofxpost.testing.write_archives is write_archives  # type: ignore[attr-defined]


FOLD_PLUGIN = '''
"""A third-party aggregator with a fold: the public ofxpost_start_fold hook."""
import pandas as pd

import ofxpost

SEEN = []


class CountFold:
    def __init__(self):
        self.rows = {}

    def add(self, record):
        SEEN.append(record.index)
        self.rows[record.index] = {"index": record.index, "ok": not record.failed}

    def tables(self):
        rows = [self.rows[i] for i in sorted(self.rows)]
        return {"folded": pd.DataFrame(rows).assign(source="fold")}


@ofxpost.hookimpl
def ofxpost_start_fold(config, plan):
    return CountFold()


@ofxpost.hookimpl
def ofxpost_aggregate(records):
    fold = CountFold()
    for record in records:
        fold.add(record)
    table = fold.tables()["folded"]
    return {"folded": table.assign(source="store")}
'''


@pytest.mark.integration
def test_a_third_party_fold_is_used_through_the_public_hook(
    ofxpost_archives: object, tmp_path: Path
) -> None:
    ofxpost_archives(cases=3)  # type: ignore[operator]
    module = types.ModuleType("kit_fold_plugin")
    exec(compile(FOLD_PLUGIN, "<inline>", "exec"), module.__dict__)
    run = run_plugin_batch(CONFIG, base_dir=tmp_path, plugins=[module])
    table = run.table("folded")
    assert list(table["index"]) == [0, 1, 2]
    # the fold's tables were written, not the aggregate hook's: each file added once
    assert set(table["source"]) == {"fold"}
    assert sorted(module.SEEN) == [0, 1, 2]


@pytest.mark.integration
def test_assert_ok_passes_a_clean_run_and_names_each_failure(
    ofxpost_archives: object, tmp_path: Path
) -> None:
    sims = ofxpost_archives(cases=2)  # type: ignore[operator]
    module = types.ModuleType("kit_ok_plugin")
    exec(compile(PEAK_PLUGIN, "<inline>", "exec"), module.__dict__)
    run = run_plugin_batch(CONFIG, base_dir=tmp_path, plugins=[module])
    assert run.assert_ok() is run
    sims.paths[1].write_bytes(b"not parquet")
    broken = run_plugin_batch(CONFIG, base_dir=tmp_path, plugins=[module], output_dir="out2")
    with pytest.raises(AssertionError, match=r"exited 1[\s\S]*case_002\.ofx\.parquet: failed"):
        broken.assert_ok()
