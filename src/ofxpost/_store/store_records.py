"""Field-by-field validation of a result-store record read back from disk.

A line of ``records.jsonl`` may be valid JSON and still not be a record ofxpost
wrote: an editor's slip, a disk error that kept the braces, a tampered file. Each
field is checked on load; a record that fails any check is dropped (counted with the
damaged lines, one ``warning`` event), every other record is kept, and its file runs
again on ``--resume``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ofxpost._core.records import ErrorKind, FileStatus
from ofxpost._store.artifacts import name_problem as artifact_problem

_KEY_FIELDS: dict[str, type | tuple[type, ...]] = {
    "path": str,
    "size": int,
    "mtime_ns": int,
    "config_hash": str,
    "name": str,
    "content": str,
}
_STATUSES = frozenset(str(s) for s in FileStatus)
_KINDS = frozenset(str(k) for k in ErrorKind)


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def _optional_int(value: Any) -> bool:
    return value is None or (_is(value, int) and value >= 0)


def record_problem(data: Any, store_format: int) -> str | None:
    """Why ``data`` is not a valid store record, or ``None`` when it is."""
    if not isinstance(data, Mapping):
        return "not an object"
    if data.get("format") != store_format:
        return f"format {data.get('format')!r} is not {store_format}"
    key = data.get("key")
    if not isinstance(key, Mapping) or set(key) != set(_KEY_FIELDS):
        return "key is not a resume key"
    for name, kind in _KEY_FIELDS.items():
        if not _is(key[name], kind):
            return f"key.{name} is {key[name]!r}"
    if data.get("status") not in _STATUSES:
        return f"status {data.get('status')!r}"
    errors = data.get("errors")
    if not isinstance(errors, list):
        return "errors is not a list"
    for error in errors:
        if not isinstance(error, Mapping) or error.get("kind") not in _KINDS:
            return f"error {error!r}"
        if not isinstance(error.get("message"), str):
            return f"error message {error.get('message')!r}"
        for optional in ("plugin", "traceback", "exception_type", "hook"):
            if error.get(optional) is not None and not isinstance(error[optional], str):
                return f"error {optional} {error[optional]!r}"
    duration = data.get("duration_s")
    if not isinstance(duration, int | float) or isinstance(duration, bool) or not duration >= 0:
        return f"duration_s {duration!r}"
    for name in ("worker_pid", "peak_rss"):
        if not _optional_int(data.get(name)):
            return f"{name} {data.get(name)!r}"
    attempts = data.get("attempts")
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        return f"attempts {attempts!r}"
    if data.get("log") is not None and not isinstance(data["log"], str):
        return f"log {data['log']!r}"
    artifacts = data.get("artifacts")
    if not isinstance(artifacts, list):
        return "artifacts is not a list"
    for name in artifacts:
        if not isinstance(name, str) or artifact_problem(name) is not None:
            return f"artifact {name!r}"
    if not isinstance(data.get("results"), Mapping):
        return "results is not an object"
    return None
