"""A handle that cancels a running batch from another thread.

::

    handle = ofxpost.CancelHandle()
    threading.Thread(target=lambda: ofxpost.run("batch.yml", cancel=handle)).start()
    ...
    handle.cancel()  # from any thread: the batch stops as on Ctrl-C

The batch then stops admitting files, terminates its workers, keeps every finished
result and writes the outputs marked partial; :func:`ofxpost.run` (and
:func:`ofxpost.run_batch`) *return* its :class:`~ofxpost.BatchResult` with
``cancelled=True`` and ``exit_code`` 130, rather than raising. A handle cancelled
before the batch starts cancels it as soon as it starts. One handle may serve
several batches; it stays cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable

import anyio


class CancelHandle:
    """Cancels the batches it is passed to (``cancel=``), from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._scopes: list[tuple[asyncio.AbstractEventLoop, anyio.CancelScope]] = []

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled

    def cancel(self) -> None:
        """Stop every batch run with this handle (thread-safe; returns at once)."""
        with self._lock:
            self._cancelled = True
            scopes = list(self._scopes)
        for loop, scope in scopes:
            with contextlib.suppress(RuntimeError):  # that loop has closed: its batch ended
                loop.call_soon_threadsafe(scope.cancel)

    def attach(self, scope: anyio.CancelScope) -> Callable[[], None]:
        """Cancel ``scope`` (on the running loop) when the handle is cancelled; return
        the function that detaches it. Cancels it at once if already cancelled."""
        entry = (asyncio.get_running_loop(), scope)
        with self._lock:
            if self._cancelled:
                scope.cancel()
            else:
                self._scopes.append(entry)

        def detach() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._scopes.remove(entry)

        return detach

    def __repr__(self) -> str:
        return f"CancelHandle(cancelled={self._cancelled})"
