"""The finish as its steps (issue 18.3): the Finisher's plan is bound at construction,
its ledger exists only after ``begin()``, and each step is a small module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ofxpost
from ofxpost._config.plan import Plan, make_plan
from ofxpost._core.records import FileRecord, FileStatus
from ofxpost._events.emitter import EventEmitter
from ofxpost._finish.finishing import Finisher
from ofxpost._plugins.manager import get_plugin_manager
from ofxpost._store.store import ResultStore
from tests._finish_helpers import manifest, toy_config
from tests.conftest import EventLog

FINISH = Path(ofxpost.__file__).parent / "_finish"


def _finisher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, log: EventLog) -> Finisher:
    plan = make_plan(ofxpost.load_config(toy_config(tmp_path, monkeypatch, n=2)))
    pm = get_plugin_manager(plan.plugin_spec)
    emitter = EventEmitter(plan.batch_id, [log])

    def observe(*args: Any, **kwargs: Any) -> None:
        pass

    return Finisher(pm, ResultStore(plan.store_dir), emitter, observe, plan)


def _failed(plan: Plan) -> FileRecord:
    job = plan.jobs[0]
    log = plan.output_dir / "logs" / "case000.log"
    return FileRecord(job.index, job.path, FileStatus.FAILED, log=str(log))


def test_the_ledger_before_begin_is_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    finisher = _finisher(tmp_path, monkeypatch, events)
    plan = finisher.plan
    record = _failed(plan)
    assert finisher.ledger is None
    for call in (
        lambda: finisher.record_done(plan.jobs[0], record),
        lambda: finisher.claim_log(record),
        lambda: finisher.write_error_report(plan.jobs[0], record),
    ):
        with pytest.raises(RuntimeError, match=r"internal error.*before Finisher\.begin\(\)"):
            call()
    # never started silently: no manifest was written
    assert not (plan.output_dir / "ofxpost-run.json").exists()
    # what needs no ledger still works: a claim is dropped, a failure is reported
    finisher.claim_output("logs/controller.log")
    finisher.fail_output("disk full", target="x")
    (failed,) = events.named("output_failed")
    assert failed["message"] == "disk full" and failed["target"] == "x"


def test_begin_takes_the_bound_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    finisher = _finisher(tmp_path, monkeypatch, events)
    finisher.plan.output_dir.mkdir(parents=True)
    finisher.begin()
    assert finisher.ledger is not None
    written = manifest(finisher.plan.output_dir)
    assert written["status"] == "running"
    assert written["batch_id"] == finisher.plan.batch_id


def test_each_step_of_the_finish_is_a_small_module() -> None:
    sizes = {
        path.name: len(path.read_text(encoding="utf-8").splitlines())
        for path in FINISH.glob("*.py")
    }
    assert {"aggregate.py", "write.py", "publish.py", "manifest.py", "per_file.py"} <= set(sizes)
    assert max(sizes.values()) <= 250, sizes
