"""Every failure is attributed: the plugin and hook of a crash or a timeout (the
worker's marker), and the exception type, traceback, distribution and error report
of a plugin that raised; a local plugin is labelled by its file name."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import ofxpost
from ofxpost._core.records import Job
from ofxpost._events.attribution import TRACEBACK_LIMIT, bounded_traceback
from ofxpost._worker.whereabouts import WIDTH, HookMarker, marker_path, read_marker
from ofxpost.event_types import FileFailed
from tests.conftest import EventLog, ToyBatch


def _job(tmp_path: Path, attempt: int = 1) -> Job:
    return Job(
        index=7,
        path=tmp_path / "case007.toy",
        size=1,
        mtime_ns=0,
        needs_licence=False,
        attempt=attempt,
    )


def test_a_marker_keeps_the_last_mark_until_read(tmp_path: Path) -> None:
    marker = HookMarker(tmp_path, _job(tmp_path))
    marker.mark("ofxpost_open_simulation", "a-loader-with-a-long-name" * 3)
    marker.mark("ofxpost_extract", "peaks")  # shorter: must overwrite the longer in full
    where = read_marker(tmp_path, _job(tmp_path))
    assert where is not None
    assert (where.hook, where.plugin) == ("ofxpost_extract", "peaks")
    assert not marker_path(tmp_path, _job(tmp_path)).exists()  # read once, removed
    assert read_marker(tmp_path, _job(tmp_path)) is None
    marker.close()


def test_a_finished_attempt_removes_its_marker(tmp_path: Path) -> None:
    with HookMarker(tmp_path, _job(tmp_path, attempt=2)) as marker:
        marker.mark("ofxpost_extract", "x" * (2 * WIDTH))  # cut, never spills over
        assert marker_path(tmp_path, _job(tmp_path, 2)).stat().st_size == WIDTH
    assert not marker_path(tmp_path, _job(tmp_path, 2)).exists()
    assert read_marker(tmp_path, _job(tmp_path, 2)) is None


def test_a_traceback_is_bounded_keeping_its_end() -> None:
    text = "".join(f"line {i}\n" for i in range(2000))
    cut = bounded_traceback(text)
    assert cut is not None and cut.endswith("line 1999\n")
    assert len(cut) <= TRACEBACK_LIMIT + len("...(cut)\n")
    assert bounded_traceback("short") == "short"
    assert bounded_traceback("") is None


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_crash_and_timeout_name_the_plugin_and_hook(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    config = toy_batch(
        4,
        {1: "exit", 2: "hang"},
        folder="where",
        parallel={"crash_retries": 0, "timeout_per_file": 3},
    )
    result = ofxpost.run(config, on_event=events)
    assert sorted((f.index, f.kind) for f in result.failures) == [(1, "crash"), (2, "timeout")]
    failed: dict[int, FileFailed] = {e["index"]: e for e in events.named("file_failed")}  # type: ignore[misc]
    for index in (1, 2):
        assert failed[index]["plugin"] == "ofxpost_toy"
        assert failed[index]["hook"] == "ofxpost_open_simulation"
        assert "in plugin 'ofxpost_toy', hook ofxpost_open_simulation" in failed[index]["message"]
        report = Path(str(failed[index]["error_report"]))
        assert report.parent.name == "errors"
        saved = json.loads(report.read_text(encoding="utf-8"))
        assert saved["errors"][0]["plugin"] == "ofxpost_toy"
        assert saved["errors"][0]["hook"] == "ofxpost_open_simulation"
    (crashed,) = events.named("worker_crashed")
    (timed_out,) = events.named("file_timeout")
    assert (crashed["plugin"], crashed["hook"]) == ("ofxpost_toy", "ofxpost_open_simulation")
    assert (timed_out["plugin"], timed_out["hook"]) == ("ofxpost_toy", "ofxpost_open_simulation")
    hooks = config.parent / "out" / ".ofxpost" / "hooks"
    assert not hooks.exists() or not list(hooks.iterdir())  # no marker left behind


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_a_raising_local_plugin_is_attributed_by_a_short_name(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    config = toy_batch(2, folder="local")
    (config.parent / "ofxpost_plugins.py").write_text(
        textwrap.dedent(
            """
            import ofxpost

            @ofxpost.hookimpl
            def ofxpost_extract(model):
                raise KeyError("no such column")
            """
        ),
        encoding="utf-8",
    )
    result = ofxpost.run(config, on_event=events)
    assert result.partial == 2
    raised = events.named("extractor_failed")
    assert len(raised) == 2
    for event in raised:
        assert event["plugin"] == "ofxpost_plugins.py"  # not its full path
        assert event["hook"] == "ofxpost_extract"
        assert event["exception_type"] == "builtins.KeyError"
        assert "no such column" in event["traceback"]
        assert Path(event["error_report"]).is_file()
    for event in events.named("file_finished"):
        assert event["status"] == "partial"
