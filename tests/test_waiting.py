"""Waiting never blocks unrelated work: a file waiting for a licence (or backing off
after a licence failure) holds no worker slot, so files that need none run meanwhile.
Ordering is asserted from events; the waiting plugins wait for the other files'
completion markers, never for time."""

from __future__ import annotations

from typing import Any

import pytest

import ofxpost
from tests.conftest import EventLog, ToyBatch

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

PLUGINS = ["ofxpost_toy", "ofxpost_toy_faults"]


def _order(events: EventLog) -> list[tuple[str, int]]:
    return [
        (e["event"], e["index"])
        for e in events
        if e["event"] in ("file_waiting", "file_started", "file_finished", "file_failed")
    ]


def _pos(order: list[tuple[str, int]], event: str, index: int) -> int:
    return order.index((event, index))


@pytest.mark.timeout(240)
def test_licence_waiter_holds_no_slot(toy_batch: ToyBatch, events: EventLog) -> None:
    # 0: a licensed file that runs until the two archive files are done;
    # 1: a licensed file that must wait for the only licence;
    # 2, 3: files that need no licence and must run meanwhile.
    faults = {0: "wait_done2+mark_done", 1: "mark_done", 2: "mark_done", 3: "mark_done"}
    inputs = ["data/case000.sim", "data/case001.sim", "data/case002.toy", "data/case003.toy"]
    config = toy_batch(
        4,
        faults,
        plugins=PLUGINS,
        suffix={0: ".sim", 1: ".sim"},
        parallel={"max_workers": 2, "licences": 1},
        extra={"inputs": inputs},
    )
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 0, result.failures
    assert result.workers == 2 and result.mode == "parallel"
    order = _order(events)
    waiting = events.named("file_waiting")
    assert [(e["index"], e["budget"]) for e in waiting] == [(1, "licence")]
    finished_0 = _pos(order, "file_finished", 0)
    # 2 and 3 ran while 0 held the licence and 1 waited for it (0 cannot finish
    # before both have run; their own records may come back after 0's)
    assert _pos(order, "file_started", 2) < finished_0
    assert _pos(order, "file_started", 3) < finished_0
    assert _pos(order, "file_started", 1) > finished_0  # it waited for the licence


@pytest.mark.timeout(240)
def test_licence_backoff_holds_no_slot(toy_batch: ToyBatch, events: EventLog) -> None:
    # 0 fails with a licence error until file 1 is done; with one worker, file 1 can
    # only run while file 0 backs off between its retries.
    faults = {0: "licence_until_done1", 1: "mark_done"}
    config = toy_batch(
        2,
        faults,
        plugins=PLUGINS,
        parallel={"max_workers": 1, "licence_wait": 20, "licence_backoff": 0.05},
    )
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 0, result.failures
    order = _order(events)
    retries: list[dict[str, Any]] = events.named("file_retry")
    assert retries and all(e["index"] == 0 and e["kind"] == "licence" for e in retries)
    assert _pos(order, "file_finished", 1) < _pos(order, "file_finished", 0)
