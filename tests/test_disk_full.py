"""Must hold 6: disk full is a result, not a traceback.

The full disk is simulated portably by fault injection: the controller's write
functions raise ``OSError(ENOSPC)``. Every case must end with ``batch_finished``
(exit 1, an ``output_failed`` naming what was not written), and a ``--resume`` once
the space is back must complete the outputs and end ``complete`` with exit 0.
"""

from __future__ import annotations

import errno
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ofxpost
from ofxpost._cli import main as cli
from ofxpost._cli import run as cli_run
from ofxpost._core.records import FileRecord, Job
from ofxpost._store.manifest import WRITING, OutputLedger
from ofxpost._store.store import ResultStore
from tests.conftest import EventLog, ToyBatch

pytestmark = pytest.mark.timeout(240)


def _full(path: object = None) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", str(path) if path else None)


def _check_failed_run(result: ofxpost.BatchResult, events: EventLog) -> None:
    assert result.exit_code == 1
    assert events[-1]["event"] == "batch_finished"
    assert events[-1]["exit_code"] == 1
    assert events.named("output_failed")
    assert not events.named("internal_error")


def _check_resumed(config: Path, files: int) -> ofxpost.BatchResult:
    log = EventLog()
    result = ofxpost.run(config, resume=True, on_event=log)
    assert result.exit_code == 0, [e for e in log if e.get("level") == "error"]
    assert log[-1]["event"] == "batch_finished" and log[-1]["exit_code"] == 0
    out = config.parent / "out"
    manifest = json.loads((out / "ofxpost-run.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete" and not manifest.get("output_errors")
    assert sorted(pd.read_csv(out / "toy.csv")["index"]) == list(range(files))
    return result


def test_disk_full_at_start(
    toy_batch: ToyBatch, events: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = toy_batch(4, folder="start")

    def prepare(self: ResultStore, *, resume: bool) -> None:
        raise _full(self.log_path)

    with monkeypatch.context() as patch:
        patch.setattr(ResultStore, "prepare", prepare)
        result = ofxpost.run(config, on_event=events)
    _check_failed_run(result, events)
    assert result.succeeded == 0 and result.failed == 4
    assert "No space left" in events.named("output_failed")[0]["message"]
    _check_resumed(config, 4)


def test_disk_full_mid_run_fails_only_the_file_not_stored(
    toy_batch: ToyBatch, events: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = toy_batch(6, folder="mid")
    real_write = ResultStore.write

    def write(self: ResultStore, job: Job, record: FileRecord, *args: Any, **kw: Any) -> None:
        if job.index == 2:
            raise _full(self.log_path)
        real_write(self, job, record, *args, **kw)

    with monkeypatch.context() as patch:
        patch.setattr(ResultStore, "write", write)
        result = ofxpost.run(config, on_event=events)
    _check_failed_run(result, events)
    assert [f.index for f in result.failures] == [2]
    assert result.succeeded == 5
    failed = events.named("output_failed")
    assert len(failed) == 1 and "records.jsonl" in failed[0]["message"]
    resumed = _check_resumed(config, 6)
    assert resumed.reused == 5


def test_disk_full_before_placing_outputs(
    toy_batch: ToyBatch, events: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = toy_batch(3, folder="place")
    real_claim = OutputLedger.claim

    def claim(self: OutputLedger, rels: Any, status: str | None = None) -> None:
        if status == WRITING:
            raise _full(self.output_dir / "ofxpost-run.json")
        real_claim(self, rels, status)

    with monkeypatch.context() as patch:
        patch.setattr(OutputLedger, "claim", claim)
        result = ofxpost.run(config, on_event=events)
    _check_failed_run(result, events)
    assert result.succeeded == 3 and not result.failures
    failed = events.named("output_failed")
    targets = {e["target"] for e in failed}
    assert "toy.csv" in targets and len(failed) == len(targets)
    assert not (config.parent / "out" / "toy.csv").exists()
    _check_resumed(config, 3)


def test_a_file_left_partial_by_a_full_disk_is_rerun_by_resume(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    config = toy_batch(
        3, {1: "enospc_once_extract"}, plugins=["ofxpost_toy", "ofxpost_toy_faults"], folder="p"
    )
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 1 and [f.index for f in result.failures] == [1]
    assert result.failures[0].partial
    resumed = _check_resumed(config, 3)
    assert resumed.reused == 2 and resumed.succeeded == 3


def test_full_log_file_disk_never_disagrees_with_the_exit_code(
    toy_batch: ToyBatch, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Only the ``--log-file`` disk fills: the run goes on, and the exit code is the
    one the last event gives (it used to say 130 while the process exited 1)."""
    config = toy_batch(3, folder="log")

    class FullFile(io.StringIO):
        def write(self, text: str) -> int:
            raise _full("run.log")

    monkeypatch.setattr(cli_run, "open_log_file", lambda path: FullFile())
    code = cli.main(
        ["run", str(config), "--log-format", "json", "--log-file", str(config.parent / "l")]
    )
    out, err = capfd.readouterr()
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert events[-1]["event"] == "batch_finished"
    assert code == events[-1]["exit_code"] == 0
    assert "cannot write events to the log file" in err and "No space left" in err


def test_summary_line_names_output_failures() -> None:
    finished = {
        "total": 32,
        "succeeded": 32,
        "partial": 0,
        "failed": 0,
        "wall_s": 1.25,
        "output_errors": 16,
    }
    line = cli_run.summary_line(finished, Path("out"))
    assert "32 ok, 0 partial, 0 failed; 16 outputs failed (see " in line
    assert "ofxpost-run.json" in line
    finished["output_errors"] = 0
    assert "outputs failed" not in cli_run.summary_line(finished, Path("out"))


def test_the_summary_does_not_send_the_user_to_a_run_record_that_was_not_written(
    toy_batch: ToyBatch, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The disk fills just before ``ofxpost-run.json`` is written at the end: the
    summary used to say "see 'output_errors' in ofxpost-run.json", a file that still
    said the batch was running."""
    from ofxpost._finish import manifest as finish_manifest

    config = toy_batch(3, folder="record")

    def write_manifest(ledger: OutputLedger, result: object) -> None:
        raise _full(ledger.output_dir / "ofxpost-run.json")

    monkeypatch.setattr(finish_manifest, "write_manifest", write_manifest)
    code = cli.main(["run", str(config), "--log-format", "json"])
    out, err = capfd.readouterr()
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert code == events[-1]["exit_code"] == 1
    failed = [e for e in events if e["event"] == "output_failed"]
    assert [e["target"] for e in failed] == ["ofxpost-run.json"]
    summary = err.strip().splitlines()[-1]
    assert "1 output failed (see the output_failed events; " in summary
    assert "ofxpost-run.json could not be written either" in summary
    assert "'output_errors' in" not in summary
    written = json.loads((config.parent / "out" / "ofxpost-run.json").read_text("utf-8"))
    assert written["status"] != "complete"  # never a record that says all is well


def test_summary_line_without_a_run_record() -> None:
    finished = {"total": 2, "succeeded": 2, "partial": 0, "failed": 0, "wall_s": 0.5}
    finished |= {"output_errors": 1, cli_run._NO_MANIFEST: True}
    line = cli_run.summary_line(finished, Path("out"))
    assert "(see the output_failed events; " in line and "could not be written either" in line
