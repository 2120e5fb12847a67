"""Typed pieces of event fields, for the typed :meth:`EventEmitter.emit`.

Optional field groups shared by several call sites (a :class:`~typing.TypedDict`
each, so ``**fields`` stays checked), and the conversions from run-time values
(enums, plain strings) to the :class:`~typing.Literal` types an event declares:
each checks its value and raises ``ValueError`` on one the event does not allow, so
a typo never reaches the stream.
"""

from __future__ import annotations

import typing
from typing import Any, Literal, Protocol, TypedDict

from ofxpost._core.records import ErrorKind, FileStatus
from ofxpost.event_types import ErrorKindName


class WorkerFields(TypedDict, total=False):
    """``worker_pid`` (a local worker) or ``worker`` (a cluster worker's address)."""

    worker_pid: int | None
    worker: str


class WhereFields(TypedDict, total=False):
    """``plugin`` and ``hook``: where a worker was when it died or was killed."""

    plugin: str | None
    hook: str | None


class _Where(Protocol):
    @property
    def hook(self) -> str: ...
    @property
    def plugin(self) -> str | None: ...


def where_fields(where: _Where | None) -> WhereFields:
    """``plugin`` and ``hook`` of a worker's last mark (none when unknown; see
    :mod:`ofxpost._worker.whereabouts`)."""
    if where is None:
        return {}
    return {"plugin": where.plugin, "hook": where.hook}


class ModeExtras(TypedDict, total=False):
    """The optional fields of ``mode_selected``."""

    address: str
    fallback: bool
    executor: str


def _one_of(value: str, literal: Any) -> Any:
    allowed = typing.get_args(literal)
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {allowed}")
    return value


def kind_name(kind: ErrorKind) -> ErrorKindName:
    """An error kind as events write it."""
    result: ErrorKindName = _one_of(str(kind), ErrorKindName)
    return result


FinishedStatus = Literal["ok", "partial"]


def finished_status(status: FileStatus) -> FinishedStatus:
    """The ``status`` of ``file_finished`` (``ok`` or ``partial``)."""
    result: FinishedStatus = _one_of(str(status), FinishedStatus)
    return result


ModeName = Literal["parallel", "sequential", "dask"]


def mode_name(mode: str) -> ModeName:
    """The ``mode`` of ``mode_selected`` for an executor's name: a custom executor
    (named otherwise) runs files in parallel; its name is the ``executor`` field."""
    result: ModeName = _one_of(mode, ModeName) if mode in typing.get_args(ModeName) else "parallel"
    return result


StageName = Literal["aggregator", "writer", "output"]


def stage_name(stage: str) -> StageName:
    """The ``stage`` of ``output_failed``."""
    result: StageName = _one_of(stage, StageName)
    return result


WatchReason = Literal["idle", "max_files", "breach", "cancelled", "error"]


def watch_reason(reason: str) -> WatchReason:
    """The ``reason`` of ``watch_finished``."""
    result: WatchReason = _one_of(reason, WatchReason)
    return result
