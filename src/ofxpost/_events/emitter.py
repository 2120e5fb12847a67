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

import contextlib
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from typing import Any

import structlog

from ofxpost._core.codec import json_default
from ofxpost._core.loop_bridge import LoopBridge
from ofxpost._events.emit_types import TypedEmit
from ofxpost.errors import InvalidEventError
from ofxpost.event_types import EVENT_TYPES

SCHEMA_VERSION = 1
"""Version of the event schema; bumped when a field changes meaning or is removed."""

Event = dict[str, Any]
"""One event: a JSON-ready dictionary."""

Sink = Callable[[Event], None]
"""Something that receives events."""

EVENT_NAMES: tuple[str, ...] = tuple(EVENT_TYPES)
"""Every event name the controller emits (the keys of :data:`ofxpost.event_types.EVENT_TYPES`)."""


class _Fanout:
    """The structlog "logger" at the end of the pipeline: hands events to sinks.

    Once bound to an event loop, events emitted from another thread are handed to
    the sinks on the loop's thread (in order), so sinks never run concurrently.
    """

    def __init__(self, sinks: Iterable[Sink]) -> None:
        self.sinks = list(sinks)
        self.bridge: LoopBridge | None = None
        self._failed: set[int] = set()

    def _deliver(self, **event: Any) -> None:
        bridge = self.bridge
        if bridge is not None and not bridge.on_loop():
            bridge.post(self._hand_out, event)
        else:
            self._hand_out(event)

    def _hand_out(self, event: Event) -> None:
        for sink in self.sinks:
            try:
                sink(event)
            except Exception as exc:  # a broken observer must not cost the batch
                if id(sink) in self._failed:
                    continue  # reported once; the batch goes on
                self._failed.add(id(sink))
                if sys.stderr is None:  # print(file=None) would write into stdout
                    continue
                with contextlib.suppress(Exception):
                    print(
                        f"ofxpost: event sink {_in_words(sink)} failed: {exc!r} "
                        "(further failures of this sink are not reported)",
                        file=sys.stderr,
                    )

    info = warning = error = msg = _deliver


def _in_words(sink: Sink) -> str:
    text = getattr(sink, "description", None) or getattr(sink, "__qualname__", None)
    return str(text or type(sink).__name__)


def _envelope(batch_id: str) -> structlog.types.Processor:
    def add_envelope(
        logger: Any, method_name: str, event_dict: structlog.types.EventDict
    ) -> structlog.types.EventDict:
        event_dict["schema_version"] = SCHEMA_VERSION
        event_dict["batch_id"] = batch_id
        return event_dict

    return add_envelope


_PATH_KEYS = ("file", "output_dir", "config")
"""Fields holding absolute paths, normalised by :func:`_normalise_paths`."""


def _normalise_paths(
    logger: Any, method_name: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Make ``file``, ``output_dir`` and ``config`` absolute and normalised
    (``/a/x/../b`` becomes ``/a/b``; symbolic links are kept), and ``path`` normalised
    when it is absolute."""
    for key in _PATH_KEYS:
        value = event_dict.get(key)
        if isinstance(value, str | os.PathLike) and str(value):
            path = os.fspath(value)
            # only absolute paths are cached: a relative one depends on the cwd
            event_dict[key] = _normalised(path) if os.path.isabs(path) else _absolute(path)
    path = event_dict.get("path")
    if isinstance(path, str | os.PathLike) and os.path.isabs(path):
        event_dict["path"] = os.path.normpath(path)
    return event_dict


def _absolute(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


@functools.lru_cache(maxsize=1024)
def _normalised(path: str) -> str:
    """An absolute ``path`` normalised (a file's events name it several times)."""
    return os.path.normpath(path)


class RunClock:
    """A processor that times the run: ``pool_start_s`` in ``mode_selected`` and the
    ``eta_s`` estimate in ``progress``.

    ``pool_start_s`` is the time from ``batch_started`` to ``mode_selected`` (starting
    the workers, or failing to). The estimate leaves that one-off cost out:
    ``eta_s = remaining files x (seconds since mode_selected / files processed since
    then)``, where files reused by ``--resume`` do not count as processed. It is
    ``null`` until the first file has been processed.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started: float | None = None
        self._ready: float | None = None
        self._processed = 0

    def __call__(
        self, logger: Any, method_name: str, event_dict: structlog.types.EventDict
    ) -> structlog.types.EventDict:
        name = event_dict.get("event")
        now = self._clock()
        if name == "batch_started":
            self._started = now
        elif name == "mode_selected":
            self._ready = now
            if self._started is not None:
                event_dict.setdefault("pool_start_s", round(now - self._started, 3))
        elif name == "file_failed" or (name == "file_finished" and not event_dict.get("reused")):
            self._processed += 1
        elif name == "progress":
            event_dict.setdefault("eta_s", self.eta(event_dict, now))
        return event_dict

    def eta(self, progress: Mapping[str, Any], now: float) -> float | None:
        """Seconds until the last file is expected to finish (``None``: no estimate)."""
        if self._ready is None or self._processed == 0:
            return None
        remaining = max(0, int(progress.get("total", 0)) - int(progress.get("done", 0)))
        return round(remaining * (now - self._ready) / self._processed, 3)


def _plain_values(
    logger: Any, method_name: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Turn numpy scalars and paths into plain JSON values."""
    for key, value in event_dict.items():
        if type(value) not in _PLAIN_TYPES and not isinstance(value, _PLAIN_BASES):
            event_dict[key] = json_default(value)
    return event_dict


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), list, dict})
_PLAIN_BASES = (str, int, float, bool, type(None), list, dict)


class EventEmitter(TypedEmit):
    """Builds events through a structlog processor chain and hands them to sinks.

    :meth:`emit` is typed per event (:mod:`ofxpost._events.emit_types`, generated from
    :mod:`ofxpost.event_types`): a type checker rejects an unknown field, a missing
    required field or a value of the wrong type at the call site.
    """

    def __init__(self, batch_id: str, sinks: Iterable[Sink] = ()) -> None:
        self.batch_id = batch_id
        self._fanout = _Fanout(sinks)
        self._log = structlog.wrap_logger(
            self._fanout,
            processors=[
                _normalise_paths,
                RunClock(),
                _envelope(batch_id),
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
                _plain_values,
            ],
            wrapper_class=structlog.BoundLogger,
            context_class=dict,
        ).bind()  # a concrete logger: the lazy proxy would build one per event

    def bind_loop(self, bridge: LoopBridge | None = None) -> None:
        """Deliver events on the running event loop's thread from now on (through
        ``bridge``, by default a new bridge to the running loop)."""
        self._fanout.bridge = bridge or LoopBridge.current()

    def add_sink(self, sink: Sink) -> None:
        """Send every later event to ``sink`` too."""
        self._fanout.sinks.append(sink)

    def _emit(self, event: str, level: str, fields: dict[str, Any]) -> None:
        """Emit ``event`` with ``fields`` (see :meth:`emit`)."""
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


_VALIDATORS: dict[int, tuple[dict[str, Any], Any]] = {}
"""id(schema) -> (schema, its validator): a schema is checked once, not per event."""


def _schema_validator() -> Any:
    """A validator of the current :func:`event_schema`, built once per schema object
    (checking the schema itself costs about a tenth of a second)."""
    import jsonschema

    schema = event_schema()
    cached = _VALIDATORS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def validate_event(event: Event) -> None:
    """Validate ``event`` against :func:`event_schema` (fast enough to call on every
    event of a stream: the schema is checked once).

    :raises InvalidEventError: if it does not conform (``__cause__`` is the
        ``jsonschema.ValidationError``, with the path and the schema rule).
    """
    import jsonschema

    error = jsonschema.exceptions.best_match(_schema_validator().iter_errors(event))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(the event)"
        raise InvalidEventError(
            f"event {event.get('event')!r} does not match the schema at {where}: {error.message}"
        ) from error
