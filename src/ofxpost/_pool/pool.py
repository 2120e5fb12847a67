"""A process pool that survives dead workers and can kill a running task.

:class:`ResilientProcessPool` is a :class:`concurrent.futures.Executor`, so the
engine submits files to it (``executor.submit(job)``, awaited with
``asyncio.wrap_future`` or resolved through done-callbacks). Unlike
:class:`~concurrent.futures.ProcessPoolExecutor`:

* a worker that dies (segfault, ``os._exit``, killed by the OS) fails only the task
  it was running, with :class:`WorkerDied`; its slot starts a fresh process and the
  pool goes on (no ``BrokenProcessPool``);
* cancelling the future of a *running* task -- which is what asyncio does when the
  awaiting task is cancelled or times out -- terminates that worker's whole process
  tree; the future then fails with :class:`TaskKilled`;
* a task whose process tree grows past its memory limit is terminated with
  :class:`MemoryLimitExceeded`;
* workers can be recycled after ``max_tasks_per_child`` tasks.

Each worker slot is a controller thread that owns one worker process and talks to it
over a pipe, waiting on the pipe and the process sentinel together
(:func:`multiprocessing.connection.wait`), which works on Windows and POSIX alike.
Workers are started with the ``spawn`` method by default, as on Windows.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from ofxpost._pool.lifeline import Lifeline, lifeline
from ofxpost._pool.slot import _Slot
from ofxpost._pool.task import (
    MemoryLimit,
    TaskStartCallback,
    _Task,
    _TaskFuture,
)


class ResilientProcessPool(Executor):
    """A process pool that isolates crashes, kills cancelled tasks and enforces memory.

    :param max_workers: number of worker processes (one per slot).
    :param mp_context: multiprocessing context (default: ``spawn``, as on Windows).
    :param initializer: called once in each new worker with ``initargs``.
    :param max_tasks_per_child: replace a worker after this many tasks.
    :param memory_limit: per-task memory growth limit from the task's arguments.
    :param on_task_start: told when a task starts and on which worker pid.
    :param poll_interval: seconds between memory samples of a running task with a
        memory limit (ten times that without one: the samples then only give
        ``peak_rss``).
    :param start_timeout: seconds a new worker may take to become ready.
    :param prefetch_below: while a slot's recent tasks take under this many seconds,
        keep one more task in its worker's pipe behind the running one, so the
        worker never waits for its slot thread between tasks (0 disables it; ignored
        with a ``memory_limit``). The queued task is announced, and counts as
        running, only when the worker begins it; if its worker is lost first it is
        sent to the fresh worker, never failed.
    """

    def __init__(
        self,
        max_workers: int,
        *,
        mp_context: Any = None,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
        max_tasks_per_child: int | None = None,
        memory_limit: MemoryLimit | None = None,
        on_task_start: TaskStartCallback | None = None,
        poll_interval: float = 0.05,
        start_timeout: float = 120.0,
        prefetch_below: float = 0.0,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.mp_context = mp_context or multiprocessing.get_context("spawn")
        self.initializer = initializer
        self.initargs = initargs
        self.max_tasks_per_child = max_tasks_per_child
        self.memory_limit = memory_limit
        self.on_task_start = on_task_start
        self.poll_interval = poll_interval
        self.start_timeout = start_timeout
        self.prefetch_below = prefetch_below if memory_limit is None else 0.0
        self.idle_slots = 0
        """Slots waiting for a task (a slot prefetches only while none is)."""
        self.queue: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._slots = [_Slot(self, i) for i in range(max_workers)]
        self._lock = threading.Lock()
        self._started = False
        self._shutdown = False
        self._go = threading.Event()
        self._start_ok = False
        self._configured = threading.Event()
        self._configured.set()
        self._warm_changed = threading.Condition()
        """Notified when :attr:`warm_modules` grows or the pool is configured."""
        self._retired: list[_Slot] = []
        self.warm_modules: tuple[str, ...] = ()
        self.job: Lifeline = lifeline()
        """Kills the workers' process trees with the controller: the job object on
        Windows, the process-group reaper on POSIX (:mod:`ofxpost._pool.lifeline`)."""

    @property
    def max_workers(self) -> int:
        """Number of worker slots."""
        return len(self._slots)

    @property
    def is_shut_down(self) -> bool:
        """Whether :meth:`shutdown` was called."""
        return self._shutdown

    def prestart(self, warm_modules: tuple[str, ...] = ()) -> None:
        """Start every worker process now, before the initializer is known.

        Each worker imports ``warm_modules`` and then waits; :meth:`configure` hands
        them the initializer (and may retire some), :meth:`start` waits until they are
        ready. The processes are started by the slots' own long-lived threads, as
        always, so this may be called from any thread.
        """
        with self._lock:
            if self._started or self._shutdown:
                return
            self.warm_modules = tuple(warm_modules)
            self._configured.clear()
            for slot in self._slots:
                slot.prestarted = True
                slot.start()

    def warm(self, modules: tuple[str, ...]) -> None:
        """Have the pre-started workers import ``modules`` too while they wait.

        Only before :meth:`configure`; each slot's thread passes them on to its worker
        ahead of the initializer (a worker not spawned yet imports them with the first
        ones). A module that fails to import is left for the file that needs it.
        """
        with self._lock:
            if self._started or self._shutdown or self._configured.is_set():
                return
            with self._warm_changed:
                new = tuple(m for m in dict.fromkeys(modules) if m not in self.warm_modules)
                if not new:
                    return
                self.warm_modules = (*self.warm_modules, *new)
                self._warm_changed.notify_all()

    def wait_configured(self, known: int = 0) -> tuple[str, ...]:
        """Block a pre-started slot until :meth:`configure` (or :meth:`shutdown`), or
        until more than ``known`` :attr:`warm_modules` are listed; return the new ones."""
        with self._warm_changed:
            self._warm_changed.wait_for(
                lambda: self._configured.is_set() or len(self.warm_modules) > known
            )
            return self.warm_modules[known:]

    def _release_prestarted(self) -> None:
        """Wake the pre-started slots waiting in :meth:`wait_configured`."""
        self._configured.set()
        with self._warm_changed:
            self._warm_changed.notify_all()

    def configure(
        self,
        initializer: Callable[..., None] | None,
        initargs: tuple[Any, ...],
        workers: int | None = None,
    ) -> None:
        """Set the initializer of a pre-started pool and keep ``workers`` slots.

        Pre-started workers beyond ``workers`` are stopped at once; slots beyond the
        pre-started ones are added (their workers start in :meth:`start`).
        """
        with self._lock:
            if self._started:
                raise RuntimeError("configure() must come before start()")
            self.initializer, self.initargs = initializer, initargs
            if workers is not None:
                if workers < 1:
                    raise ValueError("workers must be at least 1")
                surplus = self._slots[workers:]
                self._slots = self._slots[:workers]
                self._slots += [_Slot(self, i) for i in range(len(self._slots), workers)]
                for slot in surplus:
                    slot.retired = True
                    slot.kill_now()
                self._retired += surplus
            self._release_prestarted()

    def start(self) -> None:
        """Start every worker and wait until all are ready.

        :raises PoolStartError: if any worker cannot start (the others are stopped).
        """
        with self._lock:
            if self._started:
                return
            self._started = True
            self._release_prestarted()  # a pre-started pool keeps its first initializer
        ok = False
        try:
            for slot in self._slots:
                if not slot.prestarted:
                    slot.start()
            for slot in self._slots:
                slot.started.wait()
            errors = [slot.start_error for slot in self._slots if slot.start_error is not None]
            if errors:
                raise errors[0]
            ok = True
        finally:
            # Runs on a cancellation or KeyboardInterrupt too: slots that did start
            # either go on to take tasks or stop their worker -- none is left behind.
            self._start_ok = ok
            if not ok:
                self._shutdown = True
            self._go.set()
            if not ok:
                for slot in self._slots:
                    if slot.ident is not None:
                        slot.join()
                # the pool is over: its lifeline too (a POSIX reaper process would
                # otherwise live until the controller does -- a Dask worker's child
                # pool that failed to start is never shut down)
                self.job.close()

    def wait_started(self) -> bool:
        """Block a slot until :meth:`start` has decided; ``True`` if the pool runs."""
        self._go.wait()
        return self._start_ok

    def next_task(self) -> _Task | None:
        """Block a slot until the next task (``None``: stop), counting it idle meanwhile."""
        try:
            return self.queue.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            self.idle_slots += 1
        try:
            return self.queue.get()
        finally:
            with self._lock:
                self.idle_slots -= 1

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Schedule ``fn(*args, **kwargs)`` on the next free worker (starts the pool)."""
        if not self._started:
            self.start()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit to a pool that is shut down")
            future = _TaskFuture()
            self.queue.put(_Task(fn, args, kwargs, future))
            return future

    def worker_pids(self) -> list[int]:
        """Pids of the live worker processes."""
        return [
            int(slot.proc.pid)
            for slot in self._slots
            if slot.proc is not None and slot.proc.is_alive()
        ]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the pool.

        With ``cancel_futures`` queued tasks are cancelled and running tasks' workers
        are terminated at once; otherwise running tasks finish first.
        """
        with self._lock:
            self._shutdown = True
        self._release_prestarted()  # pre-started workers that were never needed stop
        self._go.set()  # ... and so do those that got ready before start() was called
        if cancel_futures:
            while True:
                try:
                    task = self.queue.get_nowait()
                except queue.Empty:
                    break
                if task is not None:
                    task.future.cancel()
            for slot in self._slots:
                slot.cancel_queued()
                slot.kill_now()
        for _ in self._slots:
            self.queue.put(None)
        if wait:
            self.join()

    def join(self, timeout: float | None = None) -> None:
        """Wait for every slot thread (and its worker) to end."""
        slots = [*self._slots, *self._retired]
        for slot in slots:
            if slot.is_alive():
                slot.join(timeout)
            else:
                slot.stop_process()
        if all(not slot.is_alive() for slot in slots):
            self.job.close()

    def __repr__(self) -> str:
        return f"<ResilientProcessPool workers={self.max_workers} pids={self.worker_pids()}>"
