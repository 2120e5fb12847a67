"""``ofxpost.run(..., cancel=handle)``: ``handle.cancel()`` from another thread stops
the batch as Ctrl-C does, and the result comes back with exit status 130."""

from __future__ import annotations

import threading

import pytest

import ofxpost
from ofxpost._engine.batch import check_options
from tests.conftest import EventLog, ToyBatch


def test_cancel_must_be_a_handle() -> None:
    with pytest.raises(ofxpost.ConfigError, match="option 'cancel'"):
        check_options({"cancel": threading.Event()})
    check_options({"cancel": ofxpost.CancelHandle()})
    check_options({"cancel": None})


def test_a_handle_remembers_it_was_cancelled() -> None:
    handle = ofxpost.CancelHandle()
    assert not handle.cancelled
    handle.cancel()
    handle.cancel()  # twice is harmless
    assert handle.cancelled
    assert "cancelled=True" in repr(handle)


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_cancel_from_another_thread_keeps_finished_results(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    # files 2..5 wait for a gate that never opens: only a cancel ends the batch
    config = toy_batch(6, dict.fromkeys(range(2, 6), "gate"), folder="cancel")
    handle = ofxpost.CancelHandle()
    finished = threading.Event()
    outcome: dict[str, object] = {}

    def on_event(event: ofxpost.Event) -> None:
        events(event)
        if event["event"] == "file_finished":
            finished.set()

    def batch() -> None:
        try:
            outcome["result"] = ofxpost.run(config, on_event=on_event, cancel=handle)
        except BaseException as exc:  # reported by the assertions below
            outcome["error"] = exc

    runner = threading.Thread(target=batch)
    runner.start()
    assert finished.wait(60), "no file finished"
    handle.cancel()  # from this thread, not the batch's
    runner.join(60)
    assert not runner.is_alive()
    assert "error" not in outcome, outcome.get("error")
    result = outcome["result"]
    assert isinstance(result, ofxpost.BatchResult)
    assert result.cancelled and result.exit_code == 130
    done = {e["index"] for e in events.named("file_finished")}
    assert done and done <= {0, 1}  # the gated files never finished
    assert result.succeeded == len(done)
    (cancelled,) = events.named("batch_cancelled")
    assert cancelled["done"] == len(done)
    (last,) = events.named("batch_finished")
    assert last["cancelled"] is True and last["exit_code"] == 130
    assert events[-1]["event"] == "batch_finished"


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_a_handle_cancelled_before_the_start_cancels_at_once(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    config = toy_batch(3, folder="early")
    handle = ofxpost.CancelHandle()
    handle.cancel()
    result = ofxpost.run(config, on_event=events, cancel=handle)
    assert result.cancelled and result.exit_code == 130
    assert result.succeeded == 0
    assert events.named("batch_cancelled")
