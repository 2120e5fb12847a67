"""Settling a batch's plan: start its executor and fix its mode, once, before anything runs.

:class:`ExecutorStart` starts the executor of a :class:`~ofxpost._config.plan.Plan` on
a worker thread and returns a :class:`Settled` plan: the plan the batch runs with
(switched to sequential, in-process mode when the pool could not start and
``on_pool_failure`` is ``sequential``; see :mod:`ofxpost._engine.pool_failure`) and
its started executor. Admission, execution and the finish phase are built from the
settled plan only, so the plan never changes while files run.

A cancellation can interrupt the wait while the thread goes on starting workers;
:meth:`ExecutorStart.close` then waits for the start-up to end and shuts the
executor down, so no worker is left behind.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import pluggy

from ofxpost._config.plan import Plan, with_mode
from ofxpost._core.records import Job
from ofxpost._engine.pool_failure import (
    announce_fallback,
    announce_refusal,
    start_refusal,
)
from ofxpost._events.emitter import EventEmitter
from ofxpost._events.fields import ModeExtras, mode_name
from ofxpost._executors.local import create_local_pool, create_sequential_executor
from ofxpost._executors.prestart import release as release_prestarted
from ofxpost._executors.protocol import ExecutorFactory, FileExecutor
from ofxpost._worker.capture import LOGS_DIR
from ofxpost.errors import PoolStartFailed, WorkerId

OnStarted = Callable[[Job, WorkerId], None]
"""The executor's ``on_started`` callback (called from any thread)."""


@dataclass(frozen=True)
class Settled:
    """The plan a batch runs with, and its started executor (``None``: none started)."""

    plan: Plan
    executor: FileExecutor | None
    fell_back: bool = False
    """The pool could not start and the files run in-process instead."""

    def announce(self, emitter: EventEmitter) -> None:
        """Emit the ``mode_selected`` event (a ``warning`` after a fall-back)."""
        plan, executor = self.plan, self.executor
        mode: str = plan.mode
        reason = plan.mode_reason
        fields: ModeExtras = {}
        if plan.mode == "parallel" and executor is not None and executor.name != plan.mode:
            mode = executor.name
            reason = f"{plan.workers} files at a time on {executor.name} at {executor.address}"
        if executor is not None:
            fields["executor"] = executor.name
        if executor is not None and executor.address is not None:
            fields["address"] = executor.address
        if self.fell_back:
            fields["fallback"] = True
        emitter.emit(
            "mode_selected",
            level="warning" if self.fell_back else "info",
            mode=mode_name(mode),
            reason=reason,
            workers=plan.workers,
            **fields,
        )


class ExecutorStart:
    """Starts (and finally shuts down) the executor of one batch."""

    def __init__(
        self,
        plan: Plan,
        emitter: EventEmitter,
        pm: pluggy.PluginManager,
        factory: ExecutorFactory,
        on_started: OnStarted,
    ) -> None:
        self.plan = plan
        self.emitter = emitter
        self.pm = pm
        self.factory = factory
        self.on_started = on_started
        self._executor: FileExecutor | None = None
        self._lock = threading.Lock()
        self._begun = False
        self._closing = False
        self._ended = threading.Event()

    async def settle(self) -> Settled:
        """Start the executor and return the settled plan.

        :raises PoolStartFailed: the pool could not start and ``on_pool_failure`` is
            ``error`` (announced by a ``warning`` event).
        """
        plan = self.plan
        fell_back = False
        if not plan.in_process:
            try:
                await anyio.to_thread.run_sync(self._start_pool)
            except Exception as exc:
                pp = plan.config.parallel_processing
                dask = plan.mode == "parallel" and pp.executor == "dask"
                what = (
                    "the Dask executor could not be started"
                    if dask
                    else "the process pool could not be started"
                )
                reason = f"{what} ({type(exc).__name__}: {exc})"
                never_around = start_refusal(exc)
                reason = never_around or reason
                if pp.on_pool_failure == "error" or never_around:
                    release_prestarted(plan.config)
                    announce_refusal(self.emitter, reason)
                    raise PoolStartFailed(reason) from exc
                reason += "; files run in-process"
                announce_fallback(self.emitter, reason)
                fell_back = True
                plan = with_mode(plan, "sequential", reason, in_process=True)
        if self._executor is None:
            release_prestarted(plan.config)  # workers started early, not needed
            executor = create_sequential_executor(self.pm, plan.config, self.on_started)
            executor.start()
            self._executor = executor
        return Settled(plan, self._executor, fell_back)

    def _start_pool(self) -> None:
        with self._lock:
            if self._closing:  # cancelled before this thread got to run
                return
            self._begun = True
        try:
            # A sequential batch runs in one local worker process (never in this
            # one: the controller runs no plugin code), whatever the executor.
            factory = self.factory if self.plan.mode == "parallel" else create_local_pool
            executor = factory(self.plan, self.on_started)
            executor.start()
            self._executor = executor
        finally:
            self._ended.set()

    def close(self) -> None:
        """Shut the executor down (blocking; waits for a start-up still running)."""
        with self._lock:
            self._closing = True
            begun = self._begun
        if begun:
            self._ended.wait()  # a start-up still running, after a cancellation
        executor = self._executor
        if executor is not None:
            executor.shutdown(cancel=True)
        with contextlib.suppress(OSError):  # an empty logs/ folder: no plugin wrote a word
            (self.plan.output_dir / LOGS_DIR).rmdir()


__all__ = ["ExecutorStart", "OnStarted", "Settled"]
