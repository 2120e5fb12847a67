"""``--log-format ecs``: complete ECS records, checked against the ECS field reference."""

from __future__ import annotations

import json
import os
from typing import Any

import ofxpost
from ofxpost._events.ecs import render_ecs, to_ecs
from tests.conftest import ToyBatch

# From the ECS 8.11 field reference ("ECS Categorization Fields" and the field sets
# used here): the allowed values and the fields a record may carry.
ALLOWED = {
    "event.kind": {"alert", "asset", "enrichment", "event", "metric", "state",
                   "pipeline_error", "signal"},
    "event.category": {"api", "authentication", "configuration", "database", "driver",
                       "email", "file", "host", "iam", "intrusion_detection", "library",
                       "malware", "network", "package", "process", "registry", "session",
                       "threat", "vulnerability", "web"},
    "event.type": {"access", "admin", "allowed", "change", "connection", "creation",
                   "deletion", "denied", "end", "error", "group", "indicator", "info",
                   "installation", "protocol", "start", "user"},
    "event.outcome": {"failure", "success", "unknown"},
    "host.os.type": {"linux", "macos", "unix", "windows", "ios", "android"},
}  # fmt: skip
ECS_FIELDS = {
    "@timestamp", "message", "labels", "log.level", "ecs.version",
    "event.action", "event.dataset", "event.kind", "event.category", "event.type",
    "event.outcome", "event.duration",
    "error.message", "error.type", "error.code", "error.stack_trace",
    "service.name", "service.version", "host.name", "host.hostname", "host.os.type",
    "process.pid", "file.path",
}  # fmt: skip


def _check(record: dict[str, Any]) -> None:
    for key, value in record.items():
        if key == "ofxpost":
            continue  # the custom field set
        assert key in ECS_FIELDS, f"{key} is not an ECS field"
        if key in ALLOWED:
            values = value if isinstance(value, list) else [value]
            assert set(values) <= ALLOWED[key], (key, value)
    assert isinstance(record["event.duration"], int) if "event.duration" in record else True


def test_every_event_of_a_batch_is_a_complete_ecs_record(
    toy_batch: ToyBatch, events: Any
) -> None:
    config = toy_batch(4, {1: "raise_open", 2: "raise_extract"})
    ofxpost.run(config, on_event=events)
    records = [json.loads(render_ecs(e)) for e in events]
    assert records
    for record in records:
        _check(record)
        assert record["process.pid"] == os.getpid()  # the controller, not a worker
        assert record["service.version"] == ofxpost.__version__
        assert record["host.name"] and record["message"]
    by_action = {r["event.action"]: r for r in records}
    failed = by_action["file_failed"]
    assert failed["event.outcome"] == "failure" and failed["event.type"] == ["error"]
    assert failed["error.code"] == "file" and "cannot parse header" in failed["error.message"]
    assert failed["file.path"].endswith("case001.toy") and "case001.toy" in failed["message"]
    assert isinstance(failed["event.duration"], int) and failed["event.duration"] >= 0
    partial = by_action["extractor_failed"]
    assert partial["error.message"] and partial["event.category"] == ["file"]
    finished = by_action["batch_finished"]
    assert finished["event.outcome"] == "failure" and finished["event.type"] == ["end"]
    assert "exit code 1" in finished["message"]
    assert by_action["batch_started"]["event.type"] == ["start"]
    ended = [r for r in records if r["event.action"] == "file_finished"]
    outcomes = {r["ofxpost"]["status"]: r["event.outcome"] for r in ended}
    assert outcomes == {"ok": "success", "partial": "failure"}
    assert all("worker_pid" in r["ofxpost"] for r in ended)


def test_a_traceback_becomes_the_stack_trace() -> None:
    record = to_ecs(
        {
            "event": "output_failed",
            "timestamp": "2026-12-05T00:00:00Z",
            "level": "error",
            "batch_id": "b",
            "schema_version": 1,
            "stage": "writer",
            "plugin": "p",
            "message": "p: boom",
            "traceback": "Traceback ...\nValueError: boom",
        }
    )
    _check(record)
    assert record["error.stack_trace"].endswith("ValueError: boom")
    assert record["error.type"] == "output_failed"
