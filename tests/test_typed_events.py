"""The TypedDict of every event agrees with the shipped JSON Schema; real events fit
their types; event-side fields: normalised paths, ETA, pool start."""

from __future__ import annotations

import os
import typing
from typing import Any

import ofxpost
from ofxpost._events.emitter import EVENT_NAMES, EventEmitter, RunClock, event_schema
from ofxpost.event_types import EVENT_TYPES, Envelope
from tests.conftest import EventLog, ToyBatch


def _schema_blocks() -> dict[str, dict[str, Any]]:
    schema = event_schema()
    return {block["if"]["properties"]["event"]["const"]: block["then"] for block in schema["allOf"]}


def test_one_typed_dict_per_event_name() -> None:
    enum = event_schema()["properties"]["event"]["enum"]
    assert list(EVENT_TYPES) == list(EVENT_NAMES) == enum
    assert set(_schema_blocks()) == set(enum)


def test_typed_dict_keys_match_the_schema() -> None:
    schema = event_schema()
    envelope_props = set(schema["properties"])
    envelope_required = set(schema["required"])
    assert set(Envelope.__annotations__) == envelope_props
    blocks = _schema_blocks()
    for name, typed in EVENT_TYPES.items():
        then = blocks[name]
        hints = typing.get_type_hints(typed)
        assert set(hints) == envelope_props | set(then["properties"]), name
        required = set(typed.__required_keys__)  # type: ignore[attr-defined]
        assert required == envelope_required | set(then.get("required", ())), name


def test_finish_phase_events_are_in_the_schema() -> None:
    blocks = _schema_blocks()
    assert set(blocks["aggregation_started"]["required"]) == {"files"}
    assert set(blocks["output_written"]["required"]) == {"path", "bytes", "plugin"}
    assert set(blocks["aggregation_finished"]["required"]) == {"tables", "seconds"}
    assert {"stage", "plugin", "message"} <= set(blocks["output_failed"]["required"])
    base = {
        "schema_version": 1,
        "batch_id": "b",
        "timestamp": "2026-11-29T09:00:00Z",
        "level": "info",
    }
    written = {"path": "/o/t.csv", "bytes": 3, "plugin": "outputs"}
    ofxpost.validate_event({**base, "event": "output_written", **written})
    ofxpost.validate_event({**base, "event": "aggregation_finished", "seconds": 1.2, "tables": 4})


def test_real_events_fit_their_types(toy_batch: ToyBatch) -> None:
    events = EventLog()
    ofxpost.run(toy_batch(4, {1: "raise_open", 2: "raise_extract"}), on_event=events)
    for event in events:
        hints = typing.get_type_hints(EVENT_TYPES[event["event"]])
        assert set(event) <= set(hints), event
        assert set(EVENT_TYPES[event["event"]].__required_keys__) <= set(event)  # type: ignore[attr-defined]


def test_event_paths_are_absolute_and_normalised(tmp_path: Any) -> None:
    got: list[dict[str, Any]] = []
    emitter = EventEmitter("b", [got.append])
    messy = f"{tmp_path}/extraise/../../{tmp_path.name}/sims/./x.toy"
    emitter.emit("file_started", file=messy, index=0, worker_pid=1, attempt=1)
    emitter.emit("output_written", path=f"{tmp_path}/out/../out/t.csv", bytes=1, plugin="p")
    assert got[0]["file"] == os.path.join(str(tmp_path), "sims", "x.toy")
    assert got[1]["path"] == os.path.join(str(tmp_path), "out", "t.csv")


def test_eta_leaves_out_the_pool_start() -> None:
    now = [0.0]
    clock = RunClock(lambda: now[0])

    def feed(name: str, **fields: Any) -> dict[str, Any]:
        return clock(None, "info", {"event": name, **fields})

    feed("batch_started")
    now[0] = 5.0  # a slow pool start
    assert feed("mode_selected")["pool_start_s"] == 5.0
    assert feed("progress", done=0, total=10)["eta_s"] is None
    now[0] = 7.0  # two files in 2 s after the pool was ready
    feed("file_finished", reused=False)
    feed("file_failed")
    feed("file_finished", reused=True)  # reused files are not work done
    assert feed("progress", done=3, total=10)["eta_s"] == 7.0  # 7 left x 1 s


def test_run_reports_pool_start_and_eta(toy_batch: ToyBatch) -> None:
    events = EventLog()
    ofxpost.run(toy_batch(4), on_event=events)
    (mode,) = events.named("mode_selected")
    assert mode["pool_start_s"] >= 0
    progress = events.named("progress")
    assert progress[-1]["eta_s"] == 0
    assert all(p["eta_s"] is None or p["eta_s"] >= 0 for p in progress)


def test_the_shipped_schema_is_generated_from_the_event_types() -> None:
    # the TypedDicts are the one definition; `python -m ofxpost._events.schema` rewrites
    from ofxpost._events.schema import SCHEMA_PATH, build_schema, schema_text

    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text()
    assert event_schema() == build_schema()
    blocks = {b["if"]["properties"]["event"]["const"]: b["then"] for b in build_schema()["allOf"]}
    assert blocks["progress"]["properties"]["done"] == {"type": "integer", "minimum": 0}
    assert blocks["progress"]["properties"]["eta_s"] == {"type": ["number", "null"], "minimum": 0}
