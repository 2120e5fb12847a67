"""``ofxpost_prepare_finish``: called once, on a thread, while the last files still run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import ofxpost
from tests._finish_helpers import plugin_module, toy_config

pytestmark = pytest.mark.integration  # whole batches

PLUGIN = """
import json
import threading
import time
from pathlib import Path

MARKER = "prepared.marker"


@ofxpost.hookimpl
def ofxpost_prepare_finish(plan):
    root = Path(plan.config.base_dir)
    calls = root / "prepare_calls.jsonl"
    with calls.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"thread": threading.current_thread().name}) + "\\n")
    (root / MARKER).write_text("ready", encoding="utf-8")


@ofxpost.hookimpl
def ofxpost_extract(job):
    # the last input waits until the finish was prepared: it can only end if the
    # hook is called while it runs (a worker is free once the others are done)
    if job.index != 2:
        return {"waited": False}
    marker = job.path.parent.parent / MARKER
    deadline = time.monotonic() + 120.0
    while not marker.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("ofxpost_prepare_finish was not called while this file ran")
        time.sleep(0.01)
    return {"waited": True}
"""


def _calls(root: Path) -> list[dict[str, str]]:
    path = root / "prepare_calls.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("cpus", [2, 16], ids=["at-the-tail", "cpu-spare"])
def test_prepare_finish_runs_once_on_a_thread_while_the_last_file_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpus: int
) -> None:
    """2 workers on 2 CPUs: called once one worker has no file left; on 16 CPUs a
    CPU is spare, and it is called after the first file."""
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    plugin = plugin_module(tmp_path / "plugins", monkeypatch, "ofxpost_prepare_probe", PLUGIN)
    config = toy_config(tmp_path, monkeypatch, n=3, plugins=(plugin,), formats=("csv",))
    result = ofxpost.run(config, workers=2)
    assert result.exit_code == 0, (result.failures, result.output_errors)
    assert result.mode == "parallel"
    assert _calls(tmp_path) == [{"thread": "ofxpost-ofxpost_prepare_finish"}]


@pytest.mark.parametrize("cpus", [1, 2])
def test_a_sequential_batch_prepares_after_its_first_file_when_a_cpu_is_spare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpus: int
) -> None:
    """One worker: no worker is ever left without a file before the end, but on two
    CPUs the controller's CPU is free while the worker runs; on one CPU nothing is."""
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    body = PLUGIN.replace("if job.index != 2:", f"if {cpus} == 1 or job.index != 2:")
    plugin = plugin_module(tmp_path / "plugins", monkeypatch, f"ofxpost_prepare_seq{cpus}", body)
    config = toy_config(tmp_path, monkeypatch, n=3, plugins=(plugin,), formats=("csv",))
    result = ofxpost.run(config, sequential=True)
    assert result.exit_code == 0, (result.failures, result.output_errors)
    expected = [{"thread": "ofxpost-ofxpost_prepare_finish"}] if cpus > 1 else []
    assert _calls(tmp_path) == expected


def test_a_one_file_batch_is_never_told_to_prepare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = PLUGIN.replace("if job.index != 2:", "if True:")  # nothing waits here
    plugin = plugin_module(tmp_path / "plugins", monkeypatch, "ofxpost_prepare_never", body)
    config = toy_config(tmp_path, monkeypatch, n=1, plugins=(plugin,), formats=("csv",))
    result = ofxpost.run(config, workers=2)
    assert result.exit_code == 0, (result.failures, result.output_errors)
    assert _calls(tmp_path) == []


def test_a_failing_prepare_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = (
        "@ofxpost.hookimpl\n"
        "def ofxpost_prepare_finish(plan):\n"
        "    raise RuntimeError('cannot warm up')\n"
    )
    plugin = plugin_module(tmp_path / "plugins", monkeypatch, "ofxpost_prepare_fails", body)
    config = toy_config(tmp_path, monkeypatch, n=4, plugins=(plugin,), formats=("csv",))
    events: list[dict[str, object]] = []
    result = ofxpost.run(config, workers=2, on_event=events.append)
    assert result.exit_code == 0, (result.failures, result.output_errors)
    warnings = [e for e in events if e["event"] == "warning"]
    assert any(
        "ofxpost_prepare_finish" in str(e["message"]) and "cannot warm up" in str(e["message"])
        for e in warnings
    ), warnings
