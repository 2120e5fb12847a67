"""Event output off the event loop: a queue and a writer thread per sink.

A sink that writes to a pipe, a terminal or a file can block: a log reader that
does not read (``ofxpost run b.yml | (sleep 12; cat)``), a slow disk, a stopped
terminal. Called on the event loop, such a sink would stall the dispatch of files
and their timeouts. :class:`ThreadedSink` takes an event in constant time on the
emitting thread and hands it to the wrapped sink on its own thread, in order.

The queue is bounded for what can be lost without losing a fact: once it holds
``maxsize`` events, ``progress`` events are *coalesced* -- a new one replaces the
previous one still waiting, and is queued in its own place, so the reader still
sees every count it is shown in order and the newest one last -- and each progress
event never written is counted. The count is added to that sink's
``batch_finished`` as ``progress_dropped``. Every other event (the lifecycle of the
batch and of each file, failures, warnings) is always queued, so none is ever
dropped; they are a handful per file.

A sink with a ``many(events)`` method gets every event waiting when its thread wakes
in one call (the JSON-lines writer makes them one write), and its thread then rests
:data:`LINGER_S` before it looks again, so that a fast batch's events go out a few
dozen at a time: with a thousand files a second, waking the thread and writing once
per event cost the controller more than making the events. An event emitted after a
quiet spell still goes out at once.
"""

from __future__ import annotations

import collections
import contextlib
import sys
import threading
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from ofxpost._events.emitter import Event, Sink

COALESCED_EVENTS = frozenset({"progress"})
"""Events a full queue coalesces (keeps only the newest of)."""

DEFAULT_MAXSIZE = 1024
"""Events a :class:`ThreadedSink` queues before it coalesces ``progress`` events."""

MANY_AT_ONCE = 256
"""Events handed at most to one call of a sink's ``many`` method."""

LINGER_S = 0.02
"""Seconds the thread of a sink with ``many`` rests after each call (see above)."""


class ThreadedSink:
    """Hands events to ``sink`` on a writer thread of its own, in emission order.

    Calling it never blocks on ``sink`` (see the module's description). Call
    :meth:`close` once the batch is over: it waits until every queued event has
    been handed over. An exception raised by ``sink`` is reported once on stderr
    (``ofxpost: event sink ... failed``) and that sink receives nothing more.
    """

    def __init__(
        self,
        sink: Sink,
        *,
        maxsize: int = DEFAULT_MAXSIZE,
        name: str = "",
        notice: IO[str] | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1 (got {maxsize})")
        self.sink = sink
        self.maxsize = maxsize
        self.notice = notice
        """Where a failure of ``sink`` is reported (default: ``sys.__stderr__``)."""
        self.dropped = 0
        """``progress`` events coalesced away (never handed to ``sink``)."""
        # cells: a coalesced progress event's cell is emptied where it waits
        self._queue: collections.deque[list[Event | None]] = collections.deque()
        self._live = 0
        self._last_progress: list[Event | None] | None = None  # queued, not yet written
        self._cond = threading.Condition(threading.Lock())  # never re-entered
        self._closing = False
        self._stop = threading.Event()  # set by close(): ends a rest at once
        self._broken = False
        self._thread = threading.Thread(
            target=self._run, name=f"ofxpost-sink-{name or type(sink).__name__}", daemon=True
        )
        self._thread.start()

    def __call__(self, event: Event) -> None:
        """Queue ``event`` (constant time; never waits for the sink)."""
        with self._cond:
            if self._closing:
                return
            name = event.get("event")
            if name in COALESCED_EVENTS:
                waiting = self._last_progress
                if waiting is not None and self._live >= self.maxsize:
                    waiting[0] = None  # the newer count replaces it
                    self._live -= 1
                    self.dropped += 1
            elif name == "batch_finished":
                event = {**event, "progress_dropped": self.dropped}
            cell: list[Event | None] = [event]
            if name in COALESCED_EVENTS:
                self._last_progress = cell
            self._queue.append(cell)
            self._live += 1
            self._cond.notify()

    @property
    def pending(self) -> int:
        """Events queued and not yet handed to the sink."""
        with self._cond:
            return self._live

    def close(self, timeout: float | None = None) -> bool:
        """Stop taking events and wait until the queued ones are handed over.

        :param timeout: seconds to wait at most (``None``: until done).
        :returns: whether the writer thread finished.
        """
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._stop.set()
        if timeout is not None:
            self._thread.join(timeout)
        else:
            while self._thread.is_alive():  # in slices: Ctrl-C still interrupts the wait
                self._thread.join(0.5)
        return not self._thread.is_alive()

    def _next(self, most: int) -> list[Event]:
        """Up to ``most`` queued events, oldest first, waiting for one if none is
        queued (empty: the sink is closed and everything was handed over)."""
        events: list[Event] = []
        with self._cond:
            while True:
                while self._queue and len(events) < most:
                    cell = self._queue.popleft()
                    if cell is self._last_progress:
                        self._last_progress = None
                    event = cell[0]
                    if event is not None:
                        self._live -= 1
                        events.append(event)
                if events or self._closing:
                    return events
                self._cond.wait()

    def _run(self) -> None:
        many = getattr(self.sink, "many", None)
        most = MANY_AT_ONCE if callable(many) else 1
        while events := self._next(most):
            if self._broken:
                continue
            try:
                if callable(many):
                    many(events)
                    self._stop.wait(LINGER_S)  # let the next events gather
                else:
                    self.sink(events[0])
            except Exception as exc:  # a broken sink must not cost the batch
                self._broken = True
                stream = self.notice if self.notice is not None else sys.__stderr__
                if stream is None:  # no stderr at all: print(file=None) would go to stdout
                    continue
                with contextlib.suppress(Exception):
                    print(
                        f"ofxpost: event sink {describe_sink(self.sink)} failed: {exc!r} "
                        "(it receives no more events; the batch goes on)",
                        file=stream,
                        flush=True,
                    )


def describe_sink(sink: Sink) -> str:
    """A sink in words: its ``description`` attribute, else its name (never a repr)."""
    text = getattr(sink, "description", None) or getattr(sink, "__qualname__", None)
    return str(text or type(sink).__name__)
