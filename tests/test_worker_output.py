"""Plugin output never mixes with the event stream: it goes to per-file logs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import ofxpost
from tests._cli import run_cli
from tests.conftest import TOY_DIR, EventLog, ToyBatch

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

PLUGINS = ["ofxpost_toy", "ofxpost_toy_faults"]
FLOODERS = (1, 4, 6)


def _check_log(log: Path) -> None:
    text = log.read_text(encoding="utf-8")
    assert len(text) > 2 * 1024**2  # the megabytes printed through print()
    for piece in ("tail of the flood", "raw fd1 noise", "raw fd2 noise", "to stderr"):
        assert piece in text


@pytest.mark.timeout(300)
def test_json_stdout_stays_clean_in_parallel(toy_batch: ToyBatch) -> None:
    config = toy_batch(8, dict.fromkeys(FLOODERS, "print_flood"), plugins=PLUGINS)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TOY_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    proc = run_cli("run", str(config), "--log-format", "json", env=env, timeout=280, text=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.decode("utf-8").splitlines()
    events = [json.loads(line) for line in lines]  # every line is one JSON event
    for event in events:
        ofxpost.validate_event(event)
    assert b"noise" not in proc.stdout and b"noise" not in proc.stderr
    finished = {e["index"]: e for e in events if e["event"] == "file_finished"}
    assert sorted(finished) == list(range(8))
    assert events[-1]["event"] == "batch_finished"
    out = config.parent / "out"
    for index, event in finished.items():
        if index in FLOODERS:
            log = Path(event["log"])
            assert log.parent == out / "logs"
            assert log.name == f"case{index:03d}.log"
            _check_log(log)
        else:
            assert event.get("log") is None
    assert sorted(p.name for p in (out / "logs").iterdir()) == [
        f"case{i:03d}.log" for i in FLOODERS
    ]


@pytest.mark.timeout(300)
def test_sequential_output_goes_to_the_log(
    toy_batch: ToyBatch, events: EventLog, capfd: pytest.CaptureFixture[str]
) -> None:
    """Sequential mode, through the Python API (the CLI's JSON sink writing to a
    duplicate of the original stdout is the CLI's side of this contract)."""
    config = toy_batch(4, {2: "print_flood"}, plugins=PLUGINS, folder="seq")
    result = ofxpost.run(config, sequential=True, on_event=events)
    assert result.exit_code == 0 and result.mode == "sequential"
    captured = capfd.readouterr()
    assert "noise" not in captured.out and "noise" not in captured.err
    assert "to stderr" not in captured.err
    finished = {e["index"]: e for e in events.named("file_finished")}
    _check_log(Path(finished[2]["log"]))
    assert all(finished[i].get("log") is None for i in (0, 1, 3))
    # and this process's own streams work as before once the file is done
    print("after the batch")
    assert capfd.readouterr().out == "after the batch\n"


def test_no_logs_folder_when_nothing_is_printed(toy_batch: ToyBatch) -> None:
    config = toy_batch(3, folder="quiet")
    assert ofxpost.run(config).exit_code == 0
    assert not (config.parent / "out" / "logs").exists()


def test_a_crashed_file_keeps_its_log(toy_batch: ToyBatch, events: EventLog) -> None:
    config = toy_batch(
        3, {1: "last_words"}, plugins=PLUGINS, folder="crash", parallel={"crash_retries": 0}
    )
    result = ofxpost.run(config, on_event=events)
    assert [(f.index, f.kind) for f in result.failures] == [(1, "crash")]
    (failed,) = events.named("file_failed")
    log = Path(failed["log"])
    assert log.name == "case001.log"
    assert "last words before the crash" in log.read_text(encoding="utf-8")


@pytest.mark.timeout(300)
def test_logs_are_listed_as_ofxposts_and_stale_ones_removed(toy_batch: ToyBatch) -> None:
    """A log is an output like any other: listed in the manifest, so a later run that
    no longer writes it removes it, while a user's own file in ``logs/`` stays."""
    config = toy_batch(3, {1: "print_flood"}, plugins=PLUGINS, folder="own")
    first = ofxpost.run(config, sequential=True)
    assert first.exit_code == 0
    out = config.parent / "out"
    log = out / "logs" / "case001.log"
    manifest = json.loads((out / "ofxpost-run.json").read_text(encoding="utf-8"))
    assert "logs/case001.log" in manifest["written"]
    (out / "logs" / "my_notes.txt").write_text("mine", encoding="utf-8")
    toy_batch(3, {}, plugins=PLUGINS, folder="own")  # the same files, now quiet
    second = ofxpost.run(config, sequential=True)
    assert second.exit_code == 0
    assert not log.exists()
    assert (out / "logs" / "my_notes.txt").read_text(encoding="utf-8") == "mine"
    manifest = json.loads((out / "ofxpost-run.json").read_text(encoding="utf-8"))
    assert not any(p.startswith("logs/") for p in manifest["written"])
