"""Careless aggregators and writers lose only their own outputs (issue 13.3)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import ofxpost
from ofxpost._finish.blame import plugin_distribution
from ofxpost._plugins.manager import PluginSpec, build_plugin_manager
from tests._finish_helpers import files_under, manifest, plugin_module, toy_config
from tests.conftest import EventLog

CORE_CSV = {"files.csv", "failures.csv", "run_log.csv", "toy.csv"}


def _run(config: Path, events: EventLog) -> ofxpost.BatchResult:
    return ofxpost.run(config, sequential=True, on_event=events)


def _careless(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str
) -> tuple[Path, Path]:
    module = plugin_module(tmp_path / "plugins", monkeypatch, name, body)
    config = toy_config(tmp_path / "batch", monkeypatch, plugins=(module,))
    return config, config.parent / "out"


def _assert_rest_written(out: Path, events: EventLog, result: ofxpost.BatchResult) -> None:
    assert files_under(out) >= CORE_CSV
    assert result.exit_code == 1
    finished = events.named("batch_finished")
    assert len(finished) == 1 and events[-1]["event"] == "batch_finished"
    assert finished[0]["exit_code"] == 1 and finished[0]["output_errors"] >= 1
    assert manifest(out)["status"] == "complete"
    assert manifest(out)["output_errors"]


@pytest.mark.integration
def test_bare_dataframe_is_the_aggregators_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    config, out = _careless(
        tmp_path,
        monkeypatch,
        "careless_bare_frame",
        """
        @ofxpost.hookimpl
        def ofxpost_aggregate(records):
            return pd.DataFrame({"a": [1, 2]})
        """,
    )
    result = _run(config, events)
    _assert_rest_written(out, events, result)
    [failure] = result.output_failures
    assert failure.stage == "aggregator" and failure.plugin == "careless_bare_frame"
    assert "returned a pandas.DataFrame, not a mapping" in failure.message
    assert result.output_errors == (failure.message,)
    [event] = events.named("output_failed")
    assert event["plugin"] == "careless_bare_frame" and event["stage"] == "aggregator"


@pytest.mark.integration
def test_list_table_is_blamed_on_the_aggregator_not_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    config, out = _careless(
        tmp_path,
        monkeypatch,
        "careless_list_table",
        """
        @ofxpost.hookimpl
        def ofxpost_aggregate(records):
            return {"t": [1, 2, 3], "good": pd.DataFrame({"x": [1.5]})}
        """,
    )
    result = _run(config, events)
    _assert_rest_written(out, events, result)
    assert "good.csv" in files_under(out) and "t.csv" not in files_under(out)
    assert [f.stage for f in result.output_failures] == ["aggregator"]
    failure = result.output_failures[0]
    assert failure.plugin == "careless_list_table" and failure.target == "t"
    assert "'t' is a list, not a pandas.DataFrame" in failure.message
    assert "good" in result.tables and "t" not in result.tables


@pytest.mark.integration
def test_raising_aggregator_keeps_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    config, out = _careless(
        tmp_path,
        monkeypatch,
        "careless_raising_aggregator",
        """
        def _inner_helper():
            return 1 / 0

        @ofxpost.hookimpl
        def ofxpost_aggregate(records):
            return {"never": _inner_helper()}
        """,
    )
    result = _run(config, events)
    _assert_rest_written(out, events, result)
    [failure] = result.output_failures
    assert failure.stage == "aggregator" and "ZeroDivisionError" in failure.message
    assert failure.traceback is not None
    assert "_inner_helper" in failure.traceback and "careless_raising_aggregator.py" in (
        failure.traceback
    )
    [event] = events.named("output_failed")
    assert event["traceback"] == failure.traceback
    assert manifest(out)["output_errors"][0]["traceback"] == failure.traceback


@pytest.mark.integration
def test_raising_writer_loses_only_its_own_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    config, out = _careless(
        tmp_path,
        monkeypatch,
        "careless_raising_writer",
        """
        @ofxpost.hookimpl
        def ofxpost_write_outputs(tables, output_dir):
            (output_dir / "half_done.txt").write_text("torn")
            raise OSError("disk on fire")
        """,
    )
    result = _run(config, events)
    _assert_rest_written(out, events, result)
    assert "half_done.txt" not in files_under(out)
    [failure] = result.output_failures
    assert failure.stage == "writer" and failure.plugin == "careless_raising_writer"
    assert "OSError: disk on fire" in failure.message
    assert failure.traceback is not None and "disk on fire" in failure.traceback
    assert (out / "parquet" / "files.parquet").is_file()


@pytest.mark.integration
def test_duplicate_table_never_displaces_a_builtin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    # "aaa_..." sorts before "ofxpost.builtin.tables": the built-in still wins
    config, out = _careless(
        tmp_path,
        monkeypatch,
        "aaa_duplicate_files",
        """
        @ofxpost.hookimpl
        def ofxpost_aggregate(records):
            return {"files": pd.DataFrame({"mine": [1]}), "Toy": pd.DataFrame({"x": [1]})}
        """,
    )
    result = _run(config, events)
    _assert_rest_written(out, events, result)
    files = pd.read_csv(out / "files.csv")
    assert "status" in files.columns and "mine" not in files.columns
    toy = pd.read_csv(out / "toy.csv")
    assert "cumsum_last" in toy.columns  # the toy plugin's table, not the newcomer's "Toy"
    blamed = sorted((f.plugin, f.target) for f in result.output_failures)
    assert blamed == [("aaa_duplicate_files", "Toy"), ("aaa_duplicate_files", "files")]
    assert all("already produced by plugin" in f.message for f in result.output_failures)


def test_failure_names_the_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    pm = build_plugin_manager(PluginSpec(entry_points=False))
    plugin = pm.get_plugin("ofxpost.builtin.tables")
    assert plugin_distribution(pm, "ofxpost.builtin.tables") == f"ofxpost {ofxpost.__version__}"
    fake = SimpleNamespace(project_name="acme-checks", version="1.2.0")
    monkeypatch.setattr(pm, "list_plugin_distinfo", lambda: [(plugin, fake)])
    assert plugin_distribution(pm, "ofxpost.builtin.tables") == "acme-checks 1.2.0"


@pytest.mark.integration
def test_a_table_parquet_cannot_hold_costs_only_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    config, out = _careless(
        tmp_path,
        monkeypatch,
        "careless_mixed_column",
        """
        @ofxpost.hookimpl
        def ofxpost_aggregate(records):
            return {"mixed": pd.DataFrame({"a": [{"x": 1}, "text", 3.5]})}
        """,
    )
    result = _run(config, events)
    _assert_rest_written(out, events, result)
    written = files_under(out)
    assert "mixed.csv" in written and "parquet/mixed.parquet" not in written
    assert {"parquet/files.parquet", "parquet/run_log.parquet"} <= written
    [failure] = result.output_failures
    assert failure.plugin == "careless_mixed_column" and failure.target == "mixed"
    assert "mixed (parquet)" in failure.message and "ofxpost.builtin.outputs" in failure.message
