"""Must hold 1: the controller never runs plugin code.

A one-file batch and ``--sequential`` run their files in one worker process, so a
plugin's ``os._exit(0)`` or a non-daemon thread it leaves behind is a classified
failure of that file (or nothing at all), exactly as in a parallel batch. Only the
explicit ``--in-process`` (debugging) runs plugin code in the controller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ofxpost
from ofxpost._config.plan import make_plan
from tests.conftest import TOY_DIR, EventLog, ToyBatch

PLUGINS = ["ofxpost_toy", "ofxpost_toy_faults"]


def _cli(config: Path, *extra: str, timeout: float = 120) -> tuple[int, list[dict[str, Any]]]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TOY_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "ofxpost", "run", str(config), "--log-format", "json", *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, events


def _manifest(config: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (config.parent / "out" / "ofxpost-run.json").read_text(encoding="utf-8")
    )
    return data


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    ("files", "extra"),
    [(1, ()), (3, ("--sequential",))],
    ids=["one-file", "sequential"],
)
def test_os_exit_zero_in_a_plugin_is_a_crash_of_that_file(
    toy_batch: ToyBatch, files: int, extra: tuple[str, ...]
) -> None:
    """``os._exit(0)`` in an extractor used to end the whole run with exit 0, nothing
    written and the manifest left ``running``."""
    config = toy_batch(files, {0: "os_exit0_extract"}, plugins=PLUGINS, folder=f"exit{files}")
    code, events = _cli(config, *extra)
    assert code == 1
    failed = [e for e in events if e["event"] == "file_failed"]
    assert [(e["index"], e["kind"]) for e in failed] == [(0, "crash")]
    finished = [e for e in events if e["event"] == "batch_finished"]
    assert len(finished) == 1 and finished[0]["exit_code"] == 1
    mode = [e for e in events if e["event"] == "mode_selected"]
    assert mode[0]["mode"] == "sequential"
    # the file ran in a worker process, never in the controller
    started = [e for e in events if e["event"] == "file_started"]
    assert started and all(e["worker_pid"] is not None for e in started)
    manifest = _manifest(config)
    assert manifest["status"] == "complete"  # the set of outputs; not "running"
    assert manifest["failed"] == 1 and manifest["succeeded"] == files - 1


@pytest.mark.timeout(240)
@pytest.mark.parametrize("extra", [(), ("--sequential",)], ids=["one-file", "sequential"])
def test_a_plugins_stray_thread_does_not_keep_the_run_alive(
    toy_batch: ToyBatch, extra: tuple[str, ...]
) -> None:
    """A non-daemon thread started by a plugin used to keep the process from exiting
    after a successful batch (the ``timeout`` below was hit)."""
    config = toy_batch(1, {0: "stray_thread"}, plugins=PLUGINS, folder=f"thread{len(extra)}")
    code, events = _cli(config, *extra, timeout=90)
    assert code == 0
    assert events[-1]["event"] == "batch_finished" and events[-1]["exit_code"] == 0
    assert _manifest(config)["status"] == "complete"


def test_in_process_is_explicit_and_sequential_is_not_in_process(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    """``--sequential`` and one-file plans run in a worker; only ``in_process`` does not."""
    config = ofxpost.load_config(toy_batch(1, folder="flags"))
    assert not make_plan(config).in_process
    assert not make_plan(config, sequential=True).in_process
    debug = make_plan(config, in_process=True)
    assert debug.in_process and debug.mode == "sequential" and "--in-process" in debug.mode_reason
    result = ofxpost.run(config, in_process=True, on_event=events)
    assert result.exit_code == 0
    started = events.named("file_started")
    assert [e["worker_pid"] for e in started] == [os.getpid()]


def test_sequential_enforces_timeout_per_file(toy_batch: ToyBatch, events: EventLog) -> None:
    """With a worker process, a sequential file past its timeout can be killed."""
    config = toy_batch(2, {0: "hang"}, folder="hang", parallel={"timeout_per_file": 1})
    result = ofxpost.run(config, sequential=True, on_event=events)
    assert result.exit_code == 1
    assert [(f.index, f.kind) for f in result.failures] == [(0, "timeout")]
    assert result.succeeded == 1
