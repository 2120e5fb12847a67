"""Progress events: names, the JSON Schema, and the emitter.

Events are emitted by the controller only (worker-side facts travel back with the
results). Each event is a flat dictionary with ``event``, ``schema_version``,
``batch_id``, ``timestamp`` (ISO-8601, UTC) and ``level``, plus the event's own
fields (see ``docs/events.md`` and the shipped JSON Schema,
:func:`event_schema`).

The emitter is a structlog pipeline built with :func:`structlog.wrap_logger`: it
never touches structlog's global configuration nor the host's logging, so importing
or embedding ofxpost changes nothing in the host application. Sinks (callables
taking an event dict) receive every event: the CLI's JSON-lines writer, its progress
bar, an embedder's callback or the async iterator of :func:`ofxpost.open_batch`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import threading
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

import structlog

from ofxpost.codec import json_default

SCHEMA_VERSION = 1
"""Version of the event schema; bumped when a field changes meaning or is removed."""

Event = dict[str, Any]
"""One event: a JSON-ready dictionary."""

Sink = Callable[[Event], None]
"""Something that receives events."""

EVENT_NAMES = (
    "batch_started",
    "mode_selected",
    "file_waiting",
    "file_started",
    "file_retry",
    "file_timeout",
    "worker_crashed",
    "extractor_failed",
    "file_finished",
    "file_failed",
    "progress",
    "warning",
    "batch_cancelled",
    "batch_finished",
    "internal_error",
)
"""Every event name the controller emits."""


class _Fanout:
    """The structlog "logger" at the end of the pipeline: hands events to sinks.

    Once bound to an event loop, events emitted from another thread are handed to
    the sinks on the loop's thread (in order), so sinks never run concurrently.
    """

    def __init__(self, sinks: Iterable[Sink]) -> None:
        self.sinks = list(sinks)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: int | None = None

    def _deliver(self, **event: Any) -> None:
        loop = self.loop
        if loop is not None and threading.get_ident() != self.loop_thread:
            loop.call_soon_threadsafe(self._hand_out, event)
        else:
            self._hand_out(event)

    def _hand_out(self, event: Event) -> None:
        for sink in self.sinks:
            try:
                sink(event)
            except Exception as exc:  # a broken observer must not cost the batch
                print(f"ofxpost: event sink {sink!r} failed: {exc!r}", file=sys.stderr)

    info = warning = error = msg = _deliver


def _envelope(batch_id: str) -> structlog.types.Processor:
    def add_envelope(
        logger: Any, method_name: str, event_dict: structlog.types.EventDict
    ) -> structlog.types.EventDict:
        event_dict["schema_version"] = SCHEMA_VERSION
        event_dict["batch_id"] = batch_id
        return event_dict

    return add_envelope


def _plain_values(
    logger: Any, method_name: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Turn numpy scalars and paths into plain JSON values."""
    for key, value in event_dict.items():
        if not isinstance(value, str | int | float | bool | type(None) | list | dict):
            event_dict[key] = json_default(value)
    return event_dict


class EventEmitter:
    """Builds events through a structlog processor chain and hands them to sinks."""

    def __init__(self, batch_id: str, sinks: Iterable[Sink] = ()) -> None:
        self.batch_id = batch_id
        self._fanout = _Fanout(sinks)
        self._log = structlog.wrap_logger(
            self._fanout,
            processors=[
                _envelope(batch_id),
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
                _plain_values,
            ],
            wrapper_class=structlog.BoundLogger,
            context_class=dict,
        )

    def bind_loop(self) -> None:
        """Deliver events on the running event loop's thread from now on."""
        self._fanout.loop = asyncio.get_running_loop()
        self._fanout.loop_thread = threading.get_ident()

    def add_sink(self, sink: Sink) -> None:
        """Send every later event to ``sink`` too."""
        self._fanout.sinks.append(sink)

    def emit(self, event: str, *, level: str = "info", **fields: Any) -> None:
        """Emit ``event`` with ``fields``."""
        if level == "warning":
            self._log.warning(event, **fields)
        elif level == "error":
            self._log.error(event, **fields)
        else:
            self._log.info(event, **fields)


_json_renderer = structlog.processors.JSONRenderer(
    serializer=functools.partial(json.dumps, default=json_default, allow_nan=False)
)


def render_json(event: Event) -> str:
    """Render one event as a JSON line (without the newline)."""
    return str(_json_renderer(None, "info", dict(event)))


@functools.cache
def event_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every event validates against."""
    text = resources.files("ofxpost").joinpath("schemas/events.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_event(event: Event) -> None:
    """Validate ``event`` against :func:`event_schema`.

    :raises jsonschema.ValidationError: if it does not conform.
    """
    import jsonschema

    jsonschema.validate(event, event_schema())
