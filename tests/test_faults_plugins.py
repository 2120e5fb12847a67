"""Plugin faults that once ended or hung a batch: ``BaseException`` s and exceptions
that cannot cross the process boundary. Each fails its file only."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ofxpost
from ofxpost._engine.orchestrator import Orchestrator, Parts
from ofxpost._pool.pool import ResilientProcessPool
from ofxpost.errors import RemoteError
from tests._cli import run_cli, start_cli
from tests.conftest import TOY_DIR, EventLog, ToyBatch

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

PLUGINS = ["ofxpost_toy", "ofxpost_toy_faults"]

BASE_FAULTS = {
    1: "sys_exit_extract",
    3: "sys_exit_open",
    4: "kbint_extract",
    6: "kbint_open",
    8: "base_extract",
    9: "sys_exit1_open",
}
"""File index -> fault, for the 11-file batch."""

EXPECTED_KIND = {1: "extractor", 3: "file", 4: "extractor", 6: "file", 8: "extractor", 9: "file"}


def _check_batch(result: ofxpost.BatchResult, events: EventLog, out: Path) -> None:
    assert not result.cancelled
    assert result.exit_code == 1
    assert result.total == 11
    assert result.succeeded == 11 - len(BASE_FAULTS)
    kinds = {f.index: f.kind for f in result.failures}
    assert kinds == EXPECTED_KIND
    # extractor faults leave the file partial (its loader worked), loader faults fail it
    assert {f.index for f in result.failures if f.partial} == {1, 4, 8}
    finished = events.named("batch_finished")[-1]
    assert finished["exit_code"] == 1 and finished["cancelled"] is False
    assert not events.named("internal_error")
    messages = {f.index: f.errors[0].message for f in result.failures}
    assert "SystemExit" in messages[1] and "KeyboardInterrupt" in messages[4]
    toy = pd.read_csv(out / "toy.csv")
    assert sorted(toy["index"]) == [i for i in range(11) if i not in (3, 6, 9)]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("sequential", [False, True], ids=["parallel", "sequential"])
def test_base_exceptions_fail_their_file_only(
    toy_batch: ToyBatch, events: EventLog, sequential: bool
) -> None:
    config = toy_batch(11, BASE_FAULTS, plugins=PLUGINS, folder=f"base{sequential}")
    result = ofxpost.run(config, sequential=sequential, on_event=events)
    assert result.mode == ("sequential" if sequential else "parallel")
    _check_batch(result, events, config.parent / "out")


@pytest.mark.timeout(240)
def test_cli_sys_exit_zero_plugin_exits_1(toy_batch: ToyBatch, tmp_path: Path) -> None:
    """The case from the field: sys.exit(0) in a plugin used to end the run with exit 0."""
    faults = {2: "sys_exit_extract", 5: "sys_exit_open", 7: "sys_exit_open"}
    config = toy_batch(11, faults, plugins=PLUGINS, folder="cli")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TOY_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    proc = run_cli("run", str(config), "--log-format", "json", env=env, timeout=200)
    assert proc.returncode == 1, proc.stderr
    import json

    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    failed = {e["index"]: e["kind"] for e in events if e["event"] == "file_failed"}
    assert failed == {5: "file", 7: "file"}
    partial = [e["index"] for e in events if e["event"] == "file_finished" and e["status"] != "ok"]
    assert partial == [2]
    ok = [e["index"] for e in events if e["event"] == "file_finished" and e["status"] == "ok"]
    assert sorted(ok) == [0, 1, 3, 4, 6, 8, 9, 10]
    manifest = json.loads((config.parent / "out" / "ofxpost-run.json").read_text())
    assert manifest["succeeded"] == 8 and manifest["failed"] == 2 and manifest["partial"] == 1


@pytest.mark.timeout(240)
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signal delivery to a child")
def test_real_sigint_still_cancels_sequential(toy_batch: ToyBatch, tmp_path: Path) -> None:
    """Catching KeyboardInterrupt from plugins must not swallow a real Ctrl-C."""
    marker = tmp_path / "started.txt"
    config = toy_batch(6, {i: "slow" for i in range(6)}, plugins=PLUGINS, folder="sig")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TOY_DIR), os.environ.get("PYTHONPATH", "")]),
        "OFXPOST_TOY_OPEN_LOG": str(marker),
    }
    proc = start_cli("run", str(config), "--sequential", "--log-format", "json", env=env)
    deadline = time.monotonic() + 120
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        threading.Event().wait(0.05)
    assert proc.poll() is None, "the batch ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130


# ---------------------------------------------------------------- item 2: pickling


@pytest.mark.timeout(240)
def test_unpicklable_exceptions_do_not_kill_a_slot(toy_batch: ToyBatch, events: EventLog) -> None:
    """No per-file timeout: before the fix the slot thread died and the batch hung."""
    faults = {0: "twoarg_open", 2: "locked_open", 3: "twoarg_extract", 5: "locked_extract"}
    config = toy_batch(8, faults, plugins=PLUGINS, folder="pickle", parallel={"max_workers": 1})
    result = ofxpost.run(config, on_event=events)
    assert result.mode == "parallel" and result.total == 8
    kinds = {f.index: (f.kind, f.partial) for f in result.failures}
    assert kinds == {
        0: ("file", False),
        2: ("file", False),
        3: ("extractor", True),
        5: ("extractor", True),
    }
    assert result.succeeded == 4
    two = next(f for f in result.failures if f.index == 0).errors[0]
    assert "cannot be rebuilt (7)" in two.message
    assert "TwoArgError" in two.exception_type and "Traceback" in two.traceback


def _raise_two_arg() -> None:
    sys.path.insert(0, str(TOY_DIR))
    from ofxpost_toy_faults import TwoArgError

    raise TwoArgError(3, "plain text only")


def _raise_locked() -> None:
    sys.path.insert(0, str(TOY_DIR))
    from ofxpost_toy_faults import LockedError

    raise LockedError("with a lock")


def _exit_zero() -> None:
    sys.exit(0)


def _double(x: int) -> int:
    return 2 * x


@pytest.mark.timeout(120)
def test_pool_sends_plain_errors_and_keeps_its_slot() -> None:
    pool = ResilientProcessPool(1)
    try:
        pool.start()
        (pid,) = pool.worker_pids()
        for fn, name in (
            (_raise_two_arg, "TwoArgError"),
            (_raise_locked, "LockedError"),
            (_exit_zero, "SystemExit"),
        ):
            with pytest.raises(RemoteError) as caught:
                pool.submit(fn).result(timeout=60)
            assert caught.value.type_name.endswith(name)
            assert "Traceback" in caught.value.traceback_text
        assert pool.submit(_double, 21).result(timeout=60) == 42
        assert pool.worker_pids() == [pid]  # the same worker served every task
    finally:
        pool.shutdown(cancel_futures=True)


class _Unreadable:
    """A result that pickles but cannot be rebuilt in the controller."""

    def __reduce__(self) -> Any:
        return (_Unreadable._rebuild, ())

    @staticmethod
    def _rebuild() -> Any:
        raise TypeError("cannot rebuild this here")


def _unreadable() -> _Unreadable:
    return _Unreadable()


@pytest.mark.timeout(120)
def test_pool_slot_survives_an_unreadable_reply() -> None:
    pool = ResilientProcessPool(1)
    try:
        with pytest.raises(RemoteError, match="could not be read"):
            pool.submit(_unreadable).result(timeout=60)
        assert pool.submit(_double, 4).result(timeout=60) == 8
    finally:
        pool.shutdown(cancel_futures=True)


# ---------------------------------------------------------------- invariant


def test_invariant_files_never_run_fail_the_batch(
    toy_batch: ToyBatch, events: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dispatcher bug that skips files must be loud: exit 1, never 0."""
    config = toy_batch(5, folder="inv")

    async def skip_two(self: Orchestrator, parts: Parts) -> None:
        for job in parts.plan.jobs[:3]:
            record = await parts.attempts.run(job)
            parts.tally.done(job, parts.tally.store_one(job, record))

    monkeypatch.setattr(Orchestrator, "_dispatch_all", skip_two)
    result = ofxpost.run(config, sequential=True, on_event=events)
    assert result.exit_code == 1
    assert result.succeeded == 3
    assert {f.index for f in result.failures} == {3, 4}
    (internal,) = events.named("internal_error")
    assert internal["level"] == "error" and internal["not_run"] == 2
    assert events.named("batch_finished")[-1]["exit_code"] == 1


def test_invariant_escaping_system_exit_is_not_success(
    toy_batch: ToyBatch, events: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SystemExit that reaches the engine's own flow ends with exit 1, never exit 0."""
    config = toy_batch(4, folder="sysexit")

    async def exit_after_two(self: Orchestrator, parts: Parts) -> None:
        for job in parts.plan.jobs[:2]:
            record = await parts.attempts.run(job)
            parts.tally.done(job, parts.tally.store_one(job, record))
        sys.exit(0)

    monkeypatch.setattr(Orchestrator, "_dispatch_all", exit_after_two)
    result = ofxpost.run(config, sequential=True, on_event=events)
    assert result.exit_code == 1
    assert {f.index for f in result.failures} == {2, 3}
    (internal,) = events.named("internal_error")
    assert internal["exception_type"] == "SystemExit"
    manifest = (config.parent / "out" / "ofxpost-run.json").read_text()
    assert '"failed": 2' in manifest


def test_observer_sys_exit_is_a_warning(toy_batch: ToyBatch, events: EventLog) -> None:
    """An observer hook (run in the controller) calling sys.exit() cannot end the batch."""
    config = toy_batch(3, plugins=["ofxpost_toy", "ofxpost_toy_faults"], folder="observer")
    faults = sys.modules.get("ofxpost_toy_faults")
    assert faults is None or hasattr(faults, "ofxpost_file_finished")
    result = ofxpost.run(config, sequential=True, on_event=events)
    assert result.exit_code == 0 and result.succeeded == 3
    warnings = [e["message"] for e in events.named("warning")]
    assert sum("SystemExit" in m for m in warnings) == 3
