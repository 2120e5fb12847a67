"""Calls from any thread, run on the event loop in order, a batch per wake-up.

:class:`LoopInbox` replaces one ``loop.call_soon_threadsafe`` per call -- a wake-up
of the event loop each -- with one per *batch*: calls posted while a batch is
already scheduled join it. Calls run in the order they were posted, so a file's
"started" always runs before its "finished" when both go through the same inbox.
After each batch the inbox calls its ``after`` hooks once (the orchestrator flushes
the result store there).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any


class LoopInbox:
    """Posts calls from any thread to one event loop (see the module docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.after: list[Callable[[], None]] = []
        """Called (on the loop) once after every batch of posted calls."""
        self._lock = threading.Lock()
        self._items: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        self._scheduled = False

    def post(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop, after every call posted before it."""
        with self._lock:
            self._items.append((fn, args))
            if self._scheduled:
                return
            self._scheduled = True
        self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            items, self._items = self._items, []
            self._scheduled = False
        for fn, args in (*items, *((hook, ()) for hook in self.after)):
            try:
                fn(*args)
            except Exception as exc:  # one failing call must not lose the others
                self.loop.call_exception_handler(
                    {"message": f"ofxpost: {fn!r} failed on the event loop", "exception": exc}
                )


__all__ = ["LoopInbox"]
