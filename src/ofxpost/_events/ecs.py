"""Events as Elastic Common Schema (ECS) log records (``--log-format ecs``).

:func:`to_ecs` maps one event to an ECS 8.11 record with dotted top-level keys, as
ECS loggers write them:

* ``@timestamp``, ``log.level``, a human ``message`` (the event, the file's name and
  what happened), ``ecs.version``;
* ``event.action`` (the event name), ``event.dataset`` (``ofxpost.events``),
  ``event.kind`` (``event``), ``event.category``, ``event.type``, and where the event
  has them ``event.outcome`` (``success``/``failure``) and ``event.duration``
  (nanoseconds);
* ``error.message``, ``error.type``, ``error.code`` (the error kind) and
  ``error.stack_trace`` on failure events;
* ``service.name``/``service.version``, ``host.name``/``host.hostname``/``host.os.type``,
  ``process.pid`` (the controller, which writes the record; a worker's pid is
  ``ofxpost.worker_pid``), ``file.path``, ``labels.batch_id``;
* every other field of the event under ``ofxpost``.

The allowed values of ``event.kind``, ``event.category``, ``event.type`` and
``event.outcome`` follow the ECS categorisation field reference; a test checks them.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from functools import cache
from typing import Any

from ofxpost._core.codec import json_default
from ofxpost._version import __version__

ECS_VERSION = "8.11.0"
"""Version of the Elastic Common Schema that :func:`to_ecs` follows."""

_CONSUMED = {"event", "timestamp", "level", "batch_id", "file"}
"""Event fields mapped to ECS fields and not repeated under ``ofxpost``."""

_FAILURES = {
    "file_failed",
    "extractor_failed",
    "output_failed",
    "worker_crashed",
    "file_timeout",
    "internal_error",
}
_STARTS = {"batch_started", "file_started", "aggregation_started"}
_ENDS = {"batch_finished", "file_finished", "aggregation_finished", "batch_cancelled"}
_FILE_EVENTS = {
    "file_waiting",
    "file_started",
    "file_retry",
    "file_timeout",
    "file_finished",
    "file_failed",
    "extractor_failed",
    "output_written",
    "output_failed",
    "inputs_paired",
}


@cache
def _host() -> dict[str, str]:
    name = socket.gethostname()
    kinds = {"win32": "windows", "darwin": "macos", "linux": "linux"}
    kind = kinds.get(sys.platform, "linux" if sys.platform.startswith("linux") else "unix")
    return {"host.name": name, "host.hostname": name, "host.os.type": kind}


def _type(name: str) -> list[str]:
    if name in _FAILURES:
        return ["error"]
    if name in _STARTS:
        return ["start"]
    if name in _ENDS:
        return ["end"]
    if name == "output_written":
        return ["creation"]
    return ["info"]


def _outcome(event: dict[str, Any]) -> str | None:
    name = event.get("event")
    if name in _FAILURES:
        return "failure"
    if name == "file_finished":
        return "success" if event.get("status") == "ok" else "failure"
    if name == "batch_finished":
        return "success" if event.get("exit_code") == 0 else "failure"
    if name == "output_written":
        return "success"
    return None


def _duration_ns(event: dict[str, Any]) -> int | None:
    for key in ("duration_s", "wall_s", "seconds"):
        value = event.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return round(value * 1e9)
    return None


def _message(event: dict[str, Any]) -> str:
    name = str(event.get("event"))
    file = event.get("file")
    subject = f"{name} {os.path.basename(str(file))}" if file else name
    detail = event.get("message")
    if detail:
        return f"{subject}: {detail}"
    if name == "batch_finished":
        return (
            f"{subject}: {event.get('succeeded')} ok, {event.get('partial')} partial, "
            f"{event.get('failed')} failed of {event.get('total')}; "
            f"exit code {event.get('exit_code')}"
        )
    if name == "progress":
        return f"{subject}: {event.get('done')} of {event.get('total')} files done"
    return subject


def to_ecs(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` as an ECS log record (see the module docs)."""
    name = str(event.get("event"))
    record: dict[str, Any] = {
        "@timestamp": event.get("timestamp"),
        "log.level": event.get("level"),
        "message": _message(event),
        "ecs.version": ECS_VERSION,
        "event.action": name,
        "event.dataset": "ofxpost.events",
        "event.kind": "event",
        "event.category": ["file"] if name in _FILE_EVENTS else ["process"],
        "event.type": _type(name),
        "service.name": "ofxpost",
        "service.version": __version__,
        **_host(),
        "process.pid": os.getpid(),
        "labels": {"batch_id": event.get("batch_id")},
    }
    outcome = _outcome(event)
    if outcome is not None:
        record["event.outcome"] = outcome
    duration = _duration_ns(event)
    if duration is not None:
        record["event.duration"] = duration
    if event.get("file"):
        record["file.path"] = event["file"]
    if name in _FAILURES:
        record["error.message"] = str(event.get("message") or name)
        record["error.type"] = str(event.get("exception_type") or event.get("kind") or name)
        if event.get("kind"):
            record["error.code"] = str(event["kind"])
        if event.get("traceback"):
            record["error.stack_trace"] = str(event["traceback"])
    record["ofxpost"] = {k: v for k, v in event.items() if k not in _CONSUMED}
    return record


def render_ecs(event: dict[str, Any]) -> str:
    """Render one event as an ECS JSON line (without the newline)."""
    return json.dumps(to_ecs(event), default=json_default, allow_nan=False)


__all__ = ["ECS_VERSION", "render_ecs", "to_ecs"]
