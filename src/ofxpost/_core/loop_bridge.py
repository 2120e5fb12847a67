"""The one bridge between threads and the event loop (asyncio or trio, through anyio).

Worker threads, executor callbacks and signal handlers never touch the loop
directly; they go through a :class:`LoopBridge` made on the loop's thread:

* :meth:`LoopBridge.post` runs a call on the loop, after every call posted before
  it, with one wake-up of the loop per *batch* of calls (calls posted while a batch
  is scheduled join it); after each batch the bridge calls its ``after`` hooks once;
* :meth:`LoopBridge.call_soon` schedules one call without batching (it takes no
  lock, so a signal handler may use it);
* :meth:`LoopBridge.wait_future` awaits a :class:`concurrent.futures.Future` on the
  loop; cancelling the await cancels the future.

:func:`run_to_end` runs blocking work on a thread and waits for its end whatever
cancellation arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import anyio

T = TypeVar("T")


def current_library() -> str | None:
    """``"asyncio"`` or ``"trio"`` when called on that library's loop, else ``None``."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return "asyncio"
    trio: Any = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_task()
        except RuntimeError:
            pass
        else:
            return "trio"
    return None


def loop_clock() -> Callable[[], float]:
    """The running loop's clock (the time anyio's cancel-scope deadlines use).

    The function it returns may be called on the loop's thread outside any task
    (in a callback), where anyio cannot tell which library runs.
    """
    if current_library() == "trio":
        trio: Any = sys.modules["trio"]
        clock: Callable[[], float] = trio.current_time
        return clock
    return asyncio.get_running_loop().time


class LoopBridge:
    """Runs calls from any thread on one event loop (see the module docstring)."""

    def __init__(
        self,
        schedule: Callable[[Callable[[], object]], object],
        report: Callable[[Callable[..., None], Exception], None] | None = None,
    ) -> None:
        self._schedule = schedule
        self._report = report or _print_failure
        self.thread = threading.get_ident()
        """The loop's thread."""
        self.after: list[Callable[[], None]] = []
        """Called (on the loop) once after every batch of posted calls."""
        self._lock = threading.Lock()
        self._items: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
        self._scheduled = False

    @classmethod
    def current(cls) -> LoopBridge:
        """A bridge to the running event loop (asyncio or trio)."""
        if current_library() == "trio":
            trio: Any = sys.modules["trio"]
            return cls(trio.lowlevel.current_trio_token().run_sync_soon)
        loop = asyncio.get_running_loop()

        def report(fn: Callable[..., None], exc: Exception) -> None:
            message = f"ofxpost: {fn!r} failed on the event loop"
            loop.call_exception_handler({"message": message, "exception": exc})

        return cls(loop.call_soon_threadsafe, report)

    def on_loop(self) -> bool:
        """Whether the caller runs on the loop's thread."""
        return threading.get_ident() == self.thread

    def call_soon(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` on the loop soon (from any thread, a signal handler included)."""
        self._schedule(fn)

    def post(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop, after every call posted before it."""
        with self._lock:
            self._items.append((fn, args))
            if self._scheduled:
                return
            self._scheduled = True
        self._schedule(self._drain)

    def _drain(self) -> None:
        with self._lock:
            items, self._items = self._items, []
            self._scheduled = False
        for fn, args in (*items, *((hook, ()) for hook in self.after)):
            try:
                fn(*args)
            except Exception as exc:  # one failing call must not lose the others
                self._report(fn, exc)

    async def wait_future(self, future: Future[T]) -> T:
        """The result of ``future``, awaited on the loop; a cancellation cancels it."""
        done = anyio.Event()

        def wake(_: Future[T]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                self.call_soon(done.set)

        future.add_done_callback(wake)
        try:
            await done.wait()
        except BaseException:
            future.cancel()
            raise
        return future.result()


def _print_failure(fn: Callable[..., None], exc: Exception) -> None:
    if sys.stderr is not None:
        print(f"ofxpost: {fn!r} failed on the event loop: {exc!r}", file=sys.stderr)


async def run_to_end(fn: Callable[[], T], *, restore: bool = True) -> T:
    """Run ``fn`` on a worker thread and wait for its end, whatever cancellation comes.

    A cancellation that arrives meanwhile is absorbed while ``fn`` runs. On asyncio
    a native ``task.cancel()`` passes anyio's shield; it is absorbed here too, and
    with ``restore`` the task's cancel count is restored (``uncancel``): the
    cancellation came too late to matter.
    """
    if current_library() != "asyncio":
        with anyio.CancelScope(shield=True):
            return await anyio.to_thread.run_sync(fn)
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, fn)
    absorbed = 0
    while True:
        try:
            with anyio.CancelScope(shield=True):
                result = await asyncio.shield(future)
            break
        except asyncio.CancelledError:
            if future.done():
                result = future.result()
                break
            absorbed += 1  # a native cancellation passes anyio's shield
    task = asyncio.current_task()
    if absorbed and restore and task is not None:
        for _ in range(absorbed):
            task.uncancel()
    return result


__all__ = ["LoopBridge", "current_library", "loop_clock", "run_to_end"]
