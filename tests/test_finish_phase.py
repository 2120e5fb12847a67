"""The finish phase is visible and exact (issues 14.2 and 14.5)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

import ofxpost
from tests._clock import WORK_CLOCK
from tests._finish_helpers import manifest, plugin_module, toy_config
from tests.conftest import EventLog

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

SLOW_AGGREGATOR = """
from tests._clock import WORK_CLOCK

@ofxpost.hookimpl
def ofxpost_aggregate(records):
    WORK_CLOCK.work(0.4)  # stands for a long aggregation (no sleep: see tests/_clock.py)
    return {"slow": pd.DataFrame({"n": [len(list(records))]})}
"""

# Triggers, from the aggregator's thread, whatever the test put in TRIGGER (a
# cancellation of the batch task, or an expiring timeout) and waits until the
# event loop has delivered it: deterministic "a cancel arrives during aggregation".
TRIGGERING_AGGREGATOR = """
import threading

TRIGGER = None      # set by the test: a callable run on the loop thread
DELIVERED = threading.Event()

@ofxpost.hookimpl
def ofxpost_aggregate(records):
    TRIGGER()
    assert DELIVERED.wait(30), "the cancellation was never delivered"
    return {"late": pd.DataFrame({"n": [len(list(records))]})}
"""


def test_finish_phase_events_and_wall_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    # The aggregator's 0.4 s are simulated on ofxpost's clock (time.perf_counter): the
    # durations below are at least 0.4 s by construction, not by the machine's speed.
    monkeypatch.setattr(WORK_CLOCK, "worked", 0.0)
    monkeypatch.setattr(time, "perf_counter", WORK_CLOCK)
    module = plugin_module(tmp_path / "plugins", monkeypatch, "slow_agg", SLOW_AGGREGATOR)
    config = toy_config(tmp_path / "batch", monkeypatch, plugins=(module,))
    result = ofxpost.run(config, sequential=True, on_event=events)
    assert result.exit_code == 0
    names = [e["event"] for e in events]
    last_file = max(i for i, n in enumerate(names) if n == "file_finished")
    start = names.index("aggregation_started")
    finish = names.index("aggregation_finished")
    written = [i for i, n in enumerate(names) if n == "output_written"]
    assert last_file < start < finish < min(written) and max(written) < len(names) - 1
    assert names[-1] == "batch_finished"
    assert events.named("aggregation_started")[0]["files"] == 3
    agg = events.named("aggregation_finished")[0]
    assert agg["tables"] == len(result.tables) and agg["seconds"] >= 0.4
    outputs = {Path(e["path"]): e for e in events.named("output_written")}
    assert set(outputs) == set(result.outputs)
    for path, event in outputs.items():
        assert event["bytes"] == path.stat().st_size > 0
    batch = events.named("batch_finished")[0]
    assert batch["wall_s"] >= agg["seconds"]
    assert result.wall_s >= 0.4
    assert manifest(config.parent / "out")["wall_s"] >= 0.4


def _late_cancel_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> tuple[Path, object]:
    module_name = plugin_module(tmp_path / "plugins", monkeypatch, name, TRIGGERING_AGGREGATOR)
    config = toy_config(tmp_path / "batch", monkeypatch, plugins=(module_name,))
    __import__(module_name)
    return config, sys.modules[module_name]


def test_timeout_during_aggregation_returns_the_complete_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    config, module = _late_cancel_batch(tmp_path, monkeypatch, "late_timeout")

    async def main() -> ofxpost.BatchResult:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(None) as deadline:

            def expire() -> None:
                def now() -> None:
                    deadline.reschedule(loop.time())
                    # runs after the timeout's own callback has cancelled the task
                    loop.call_later(0.01, module.DELIVERED.set)  # type: ignore[attr-defined]

                loop.call_soon_threadsafe(now)

            module.TRIGGER = expire  # type: ignore[attr-defined]
            return await ofxpost.run_batch(config, sequential=True, on_event=events)

    result = asyncio.run(main())  # no TimeoutError although the deadline expired
    out = config.parent / "out"
    assert result.exit_code == 0 and not result.cancelled
    assert "late" in result.tables and (out / "late.csv").is_file()
    assert manifest(out)["status"] == "complete"
    assert not (out / "PARTIAL").exists()
    assert events[-1]["event"] == "batch_finished" and not events[-1]["cancelled"]


def test_cancel_during_aggregation_returns_the_complete_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    config, module = _late_cancel_batch(tmp_path, monkeypatch, "late_cancel")

    async def main() -> tuple[ofxpost.BatchResult, int]:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def cancel() -> None:
            def now() -> None:
                task.cancel()
                loop.call_later(0.01, module.DELIVERED.set)  # type: ignore[attr-defined]

            loop.call_soon_threadsafe(now)

        module.TRIGGER = cancel  # type: ignore[attr-defined]
        result = await ofxpost.run_batch(config, sequential=True, on_event=events)
        await asyncio.sleep(0)  # the task is usable afterwards: no cancel is pending
        return result, task.cancelling()

    result, pending = asyncio.run(main())
    assert pending == 0
    assert result.exit_code == 0 and manifest(config.parent / "out")["status"] == "complete"


def test_cancel_before_the_last_file_still_marks_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the other half of the rule: a cancel while files run gives partial outputs
    config = toy_config(tmp_path, monkeypatch, n=3, faults={2: "hang"})

    async def main() -> None:
        async def run() -> None:
            await ofxpost.run_batch(config, workers=2, on_event=on_event)

        started = asyncio.Event()

        def on_event(event: dict[str, object]) -> None:
            if event["event"] == "file_finished":
                started.set()

        task = asyncio.create_task(run())
        await asyncio.wait_for(started.wait(), 120)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    out = tmp_path / "out"
    assert manifest(out)["status"] == "partial" and (out / "PARTIAL").is_file()


def test_a_manifest_that_cannot_be_written_is_an_output_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    import errno

    from ofxpost._store.manifest import OutputLedger

    config = toy_config(tmp_path, monkeypatch)
    real_save = OutputLedger.save

    def save(self: OutputLedger, summary: object = None) -> None:
        if self.status == "complete":
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(self, summary)  # type: ignore[arg-type]

    monkeypatch.setattr(OutputLedger, "save", save)
    result = ofxpost.run(config, sequential=True, on_event=events)
    assert result.exit_code == 1
    assert [f.target for f in result.output_failures] == ["ofxpost-run.json"]
    assert "No space left" in result.output_errors[0]
    assert manifest(tmp_path / "out")["status"] == "writing"  # marked incomplete
    assert events[-1]["event"] == "batch_finished" and events[-1]["exit_code"] == 1


def test_an_error_report_that_cannot_be_written_costs_only_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    import errno

    from ofxpost._core import atomic

    config = toy_config(tmp_path, monkeypatch, faults={1: "raise_extract"})
    real_write = atomic.write_text

    def write_text(target: Path, text: str, **kwargs: object) -> Path:
        if target.parent.name == "errors":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(target, text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic, "write_text", write_text)
    result = ofxpost.run(config, sequential=True, on_event=events)
    assert result.exit_code == 1 and result.partial == 1
    [failure] = result.output_failures
    assert failure.target == "errors/case001.json" and "No space" in failure.message
    info = manifest(tmp_path / "out")
    assert info["status"] == "complete" and failure.target not in info["written"]
    assert (tmp_path / "out" / "toy.csv").is_file()
