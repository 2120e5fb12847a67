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

import contextlib
import importlib
import math
import multiprocessing
import multiprocessing.connection
import os
import pickle
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Executor, Future, InvalidStateError
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any

import psutil

from ofxpost._pool.lifeline import (
    Lifeline,
    kill_group,
    lead_process_group,
    lifeline,
    set_parent_death_signal,
)
from ofxpost.errors import MemoryLimitExceeded, PoolStartError, RemoteError, TaskKilled, WorkerDied

TaskStartCallback = Callable[[tuple[Any, ...], int], None]
"""Called (in a slot thread) with a task's arguments and the worker pid when it starts."""

PREFETCH_MAX_BYTES = 4096
"""A task is queued in a worker's pipe only if it pickles to at most this many bytes:
well within the pipe's buffer (8 KiB on Windows), so sending it never blocks the slot
while the worker, busy with the running task, cannot read it."""

MemoryLimit = Callable[[tuple[Any, ...]], int | None]
"""Returns the memory growth (bytes) a task's arguments allow, or ``None``."""


def _sendable(exc: BaseException) -> BaseException:
    """``exc`` itself if it can cross the pipe intact, else a :class:`RemoteError`."""
    if not isinstance(exc, Exception):
        return RemoteError.from_exception(exc)
    try:
        pickle.loads(pickle.dumps(exc))
    except BaseException:
        return RemoteError.from_exception(exc)
    return exc


@dataclass
class _Task:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: _TaskFuture


class _TaskFuture(Future[Any]):
    """A future whose ``cancel()`` terminates the worker if the task is running."""

    def __init__(self) -> None:
        super().__init__()
        self.kill: Callable[[], None] | None = None
        self.worker_pid: int | None = None
        self.peak_rss: int | None = None

    def cancel(self) -> bool:
        if super().cancel():
            return True
        kill = self.kill
        if kill is not None and self.running():
            kill()
        return False


def kill_process_tree(pid: int, timeout: float = 5.0) -> None:
    """Terminate process ``pid`` and all its descendants (portable, via psutil).

    On POSIX a worker leads its own process group, so the group is killed too: that
    reaches descendants that left the tree (a double fork) but not the group.
    """
    try:
        parent = psutil.Process(pid)
        procs = [*parent.children(recursive=True), parent]
    except psutil.Error:
        kill_group(pid)
        return
    if os.name == "posix" and _leads_group(pid):
        kill_group(pid)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(procs, timeout=timeout)


def _leads_group(pid: int) -> bool:
    """Whether ``pid`` leads its own process group (a worker of this pool does)."""
    try:
        return os.getpgid(pid) == pid
    except OSError:
        return False


def tree_rss(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants, in bytes (0 if gone)."""
    try:
        parent = psutil.Process(pid)
        total = int(parent.memory_info().rss)
        for child in parent.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += int(child.memory_info().rss)
        return total
    except psutil.Error:
        return 0


def _watch_parent(parent_pid: int) -> None:
    """Exit the worker when the controller is gone (no orphans after a SIGKILL)."""
    while True:
        threading.Event().wait(1.0)
        if not psutil.pid_exists(parent_pid) or os.getppid() != parent_pid:
            with contextlib.suppress(psutil.Error):
                for child in psutil.Process().children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        child.kill()
            os._exit(3)


def _worker_main(
    conn: multiprocessing.connection.Connection,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
    parent_pid: int,
    warm_modules: tuple[str, ...] | None = None,
) -> None:
    """Main loop of a worker process.

    With ``warm_modules`` (a pre-started worker) the process imports those modules,
    then waits for its ``(initializer, initargs)`` on the pipe before initialising.
    """
    set_parent_death_signal(parent_pid)  # Linux: the kernel kills us with the controller
    lead_process_group()  # POSIX: what plugins start can be killed with us
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the controller handles Ctrl-C
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    if warm_modules is not None:
        for name in warm_modules:
            with contextlib.suppress(Exception):  # a failure shows in the initializer
                importlib.import_module(name)
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:  # not needed after all
            return
        initializer, initargs = message
    try:
        if initializer is not None:
            initializer(*initargs)
    except BaseException:
        conn.send(("init_error", traceback.format_exc()))
        return
    conn.send(("ready", os.getpid()))
    me = psutil.Process()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, args, kwargs = message
        try:
            reply: tuple[Any, ...] = ("ok", fn(*args, **kwargs))
        except BaseException as exc:  # SystemExit, KeyboardInterrupt: this task only
            reply = ("error", _sendable(exc))
        rss = int(me.memory_info().rss)
        try:
            conn.send((*reply, rss))
        except BaseException as exc:  # the result itself could not be pickled
            error = RemoteError.from_exception(exc, "(the task's result could not be sent back)")
            conn.send(("error", error, rss))


class _Slot(threading.Thread):
    """One worker process and the controller thread that feeds it."""

    def __init__(self, pool: ResilientProcessPool, number: int) -> None:
        super().__init__(name=f"ofxpost-slot-{number}", daemon=True)
        self.pool = pool
        self.number = number
        self.proc: Any = None
        self.conn: multiprocessing.connection.Connection | None = None
        self.tasks_done = 0
        self._kill_requested = threading.Event()
        self.started = threading.Event()
        """Set once the first worker is ready or failed to start (see ``start_error``)."""
        self.start_error: BaseException | None = None
        self.prestarted = False
        """Its first worker was started before the pool knew its initializer."""
        self.retired = False
        """Not needed after all (see :meth:`ResilientProcessPool.configure`)."""
        self._queued: _Task | None = None
        """A task sent to the worker's pipe behind the running one (prefetch)."""
        self._carried: _Task | None = None
        """A queued task whose worker was lost before it started: sent to the next one."""
        self._stopping = False
        """The pool's stop sign was taken while prefetching: stop once idle."""
        self._current: _Task | None = None
        """The task running on the worker."""
        self._recent_s = math.inf
        """Recent task durations (seconds, a running mean) on this slot, for prefetch."""

    # -- process life cycle --------------------------------------------------------

    def begin_spawn(self, warm_modules: tuple[str, ...] | None = None) -> None:
        """Start the worker process (without waiting for it to be ready).

        With ``warm_modules`` the worker imports them and then waits for its
        initializer (see :meth:`send_initializer`).
        """
        ctx = self.pool.mp_context
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        proc = ctx.Process(
            target=_worker_main,
            args=(
                child_conn,
                None if warm_modules is not None else self.pool.initializer,
                () if warm_modules is not None else self.pool.initargs,
                os.getpid(),
                warm_modules,
            ),
            name=f"ofxpost-worker-{self.number}",
            daemon=True,
        )
        proc.start()
        child_conn.close()
        self.proc, self.conn = proc, parent_conn
        self.tasks_done = 0
        if proc.pid is not None:
            self.pool.job.assign(int(proc.pid))

    def send_initializer(self) -> None:
        """Hand a pre-started worker the pool's initializer once it is known."""
        conn = self.conn
        assert conn is not None
        with contextlib.suppress(OSError, ValueError):  # it died: finish_spawn reports it
            conn.send((self.pool.initializer, self.pool.initargs))

    def finish_spawn(self) -> None:
        """Wait until the worker reports ready. :raises PoolStartError: if it does not."""
        proc, conn = self.proc, self.conn
        assert proc is not None and conn is not None
        ready = multiprocessing.connection.wait(
            [conn, proc.sentinel], timeout=self.pool.start_timeout
        )
        if conn in ready:
            try:
                status, detail = conn.recv()
            except (EOFError, OSError):
                status, detail = "died", None
            if status == "ready":
                return
            self._discard()
            raise PoolStartError(f"worker failed to initialise:\n{detail}")
        self._discard()
        if ready:
            raise PoolStartError(f"worker exited with code {proc.exitcode} while starting")
        raise PoolStartError(f"worker did not start within {self.pool.start_timeout} s")

    def ensure_process(self) -> None:
        """Start a fresh worker if there is none alive."""
        if self.proc is None or not self.proc.is_alive():
            self._discard()
            self.begin_spawn()
            self.finish_spawn()

    def _discard(self) -> None:
        """Kill and forget the current process, if any."""
        proc, conn = self.proc, self.conn
        self.proc = self.conn = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
        if proc is not None:
            if proc.is_alive():
                kill_process_tree(proc.pid)
            proc.join(timeout=5)

    def stop_process(self) -> None:
        """Ask the worker to exit; kill it if it does not."""
        proc, conn = self.proc, self.conn
        if proc is not None and conn is not None and proc.is_alive():
            with contextlib.suppress(OSError, ValueError):
                conn.send(None)
            proc.join(timeout=5)
        self._discard()

    def cancel_queued(self) -> None:
        """Cancel the tasks waiting on this slot (queued in its pipe, or carried)."""
        for task in (self._queued, self._carried):
            if task is not None:
                task.future.cancel()

    def kill_now(self) -> None:
        """Terminate the worker's process tree immediately (any thread may call it)."""
        self._kill_requested.set()
        proc = self.proc
        if proc is not None and proc.pid is not None:
            kill_process_tree(proc.pid)

    # -- task loop -----------------------------------------------------------------

    def run(self) -> None:
        # The first worker is started from this long-lived thread: on Linux the
        # kernel's parent-death signal follows the *thread* that started a process.
        try:
            if self.prestarted:
                self.begin_spawn(self.pool.warm_modules)
                self.pool.wait_configured()
                if self.retired or self.pool.is_shut_down:
                    self._discard()
                    return
                self.send_initializer()
            else:
                self.begin_spawn()
            self.finish_spawn()
        except BaseException as exc:
            self.start_error = exc
            self._discard()
        finally:
            self.started.set()
        if self.start_error is not None or self.retired or not self.pool.wait_started():
            self._discard()
            return
        while True:
            task = self._carried
            self._carried = None
            if task is None:
                if self._stopping:
                    break
                task = self.pool.next_task()
            if task is None:
                break
            self._current = task
            try:
                self._take(task)
            except BaseException as exc:  # never let one task end the slot
                self._fail((self._current or task).future, exc)
                queued, self._queued = self._queued, None
                if queued is not None:
                    self._carried = queued
                with contextlib.suppress(Exception):
                    self._discard()  # its state is unknown: the next task gets a fresh one
            finally:
                task.future.kill = None
                self._current = None
        self.stop_process()

    def _take(self, task: _Task) -> None:
        future = task.future
        # Clear an old kill request *before* the future can be seen running: a
        # cancel() from now on must reach this task (it used to be lost when it came
        # between set_running_or_notify_cancel() and the clear).
        self._kill_requested.clear()
        future.kill = self.kill_now
        if not future.set_running_or_notify_cancel():
            return
        try:
            if not self._kill_requested.is_set():
                self.ensure_process()
        except PoolStartError as exc:
            future.set_exception(exc)
            return
        if self._kill_requested.is_set():
            self._discard()
            future.set_exception(TaskKilled("task cancelled; its worker was terminated"))
            return
        self._run_task(task)

    @staticmethod
    def _fail(future: _TaskFuture, exc: BaseException) -> None:
        """Fail ``future`` with ``exc`` unless it is already resolved."""
        if future.done():
            return
        error = exc if isinstance(exc, Exception) else RemoteError.from_exception(exc)
        with contextlib.suppress(InvalidStateError):
            if not future.running():
                future.set_running_or_notify_cancel()
            future.set_exception(error)

    def _run_task(self, task: _Task) -> None:
        """Run ``task`` -- and, with prefetch, the tasks queued behind it -- on the worker."""
        proc, conn = self.proc, self.conn
        assert proc is not None and conn is not None
        pid = int(proc.pid)
        try:
            conn.send((task.fn, task.args, task.kwargs))
        except Exception as exc:
            task.future.set_exception(exc)
            return
        current: _Task | None = task
        while current is not None:
            self._current = current
            self._announce(current, pid)
            began = time.perf_counter()
            if not self._await_reply(current, proc, conn, pid):
                self._carry_queued()
                return
            took = time.perf_counter() - began
            self._recent_s = took if self._recent_s == math.inf else (self._recent_s + took) / 2
            current = self._promote_queued()
        max_tasks = self.pool.max_tasks_per_child
        if max_tasks is not None and self.tasks_done >= max_tasks:
            self.stop_process()

    def _announce(self, task: _Task, pid: int) -> None:
        task.future.worker_pid = pid
        if self.pool.on_task_start is not None:
            try:
                self.pool.on_task_start(task.args, pid)
            except Exception:
                traceback.print_exc()

    def _prefetch(self, conn: multiprocessing.connection.Connection) -> None:
        """Send the next queued task to the worker's pipe, behind the running one.

        The worker runs its pipe's tasks one after another, so the queued task starts
        the moment the running one's reply is read -- which is when it is announced
        (``on_task_start``) and its clock starts. Only while this slot's recent tasks
        took under ``prefetch_below`` seconds and no other slot is waiting for work
        (a task queued behind a long one would wait while a worker idles); never with
        a memory limit (a queued task would be measured against the running one's
        baseline) nor past ``max_tasks_per_child``.
        """
        pool = self.pool
        if self._queued is not None or self._carried is not None or self._stopping:
            return
        if pool.idle_slots:
            return  # a slot waiting for work gets the next task, not this pipe
        if not self._recent_s < pool.prefetch_below:
            return  # long tasks: a file queued behind one could wait while others idle
        if pool.max_tasks_per_child is not None and self.tasks_done + 2 > pool.max_tasks_per_child:
            return
        try:
            task = pool.queue.get_nowait()
        except queue.Empty:
            return
        if task is None:
            self._stopping = True  # the pool's stop sign: no more tasks after these
            return
        if task.future.cancelled():
            return
        try:
            message = ForkingPickler.dumps((task.fn, task.args, task.kwargs))
        except Exception:
            self._carried = task  # it fails when it is sent the ordinary way
            return
        if len(message) > PREFETCH_MAX_BYTES:
            self._carried = task  # sent when the worker is free (see PREFETCH_MAX_BYTES)
            return
        try:
            conn.send_bytes(message)
        except Exception:
            self._carried = task  # the worker is going: the task goes to the next one
            return
        self._queued = task

    def _promote_queued(self) -> _Task | None:
        """The queued task, now running on the worker (``None`` if there is none)."""
        task, self._queued = self._queued, None
        if task is None:
            return None
        self._kill_requested.clear()
        task.future.kill = self.kill_now
        if not task.future.set_running_or_notify_cancel():
            # cancelled while queued, but the worker has already begun it: its worker
            # goes, and the next task gets a fresh one
            self._discard()
            return None
        return task

    def _carry_queued(self) -> None:
        """The worker was lost: its queued (not started) task goes to the next worker."""
        task, self._queued = self._queued, None
        if task is not None and self._carried is None:
            self._carried = task

    def _await_reply(
        self,
        task: _Task,
        proc: Any,
        conn: multiprocessing.connection.Connection,
        pid: int,
    ) -> bool:
        """Wait for ``task``'s reply and resolve its future; ``False`` if the worker is gone."""
        future = task.future
        limit = self.pool.memory_limit(task.args) if self.pool.memory_limit else None
        baseline = tree_rss(pid) if limit is not None else 0
        # Without a limit the samples only feed ``peak_rss``: take them ten times less
        # often (each walks the process table; on a busy machine the workers feel it).
        interval = self.pool.poll_interval * (1 if limit is not None else 10)
        peak = 0
        try:
            while True:
                self._prefetch(conn)
                ready = multiprocessing.connection.wait([conn, proc.sentinel], timeout=interval)
                if self._kill_requested.is_set():
                    self._discard()
                    future.set_exception(TaskKilled("task cancelled; its worker was terminated"))
                    return False
                if conn in ready:
                    try:
                        status, value, rss = conn.recv()
                    except (EOFError, OSError):
                        self._died(future, pid)
                        return False
                    except Exception as exc:  # the reply was read but cannot be rebuilt here
                        future.set_exception(
                            RemoteError.from_exception(
                                exc, "(the worker's reply could not be read)"
                            )
                        )
                        break
                    future.peak_rss = max(peak, int(rss))
                    if status == "ok":
                        if getattr(value, "peak_rss", 0) is None:
                            value.peak_rss = future.peak_rss
                        future.set_result(value)
                    else:
                        future.set_exception(value)
                    break
                if ready:  # only the sentinel: the worker died
                    self._died(future, pid)
                    return False
                rss = tree_rss(pid)
                peak = max(peak, rss)
                if limit is not None and rss - baseline > limit:
                    self._discard()
                    future.set_exception(MemoryLimitExceeded(pid, rss - baseline, limit))
                    return False
        finally:
            future.kill = None
        self.tasks_done += 1
        return True

    def _died(self, future: _TaskFuture, pid: int) -> None:
        proc = self.proc
        if proc is not None:
            proc.join(timeout=5)
        exitcode = proc.exitcode if proc is not None else None
        self._discard()
        if self._kill_requested.is_set():
            future.set_exception(TaskKilled("task cancelled; its worker was terminated"))
        else:
            future.set_exception(WorkerDied(pid, exitcode))


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

    def wait_configured(self) -> None:
        """Block a pre-started slot until :meth:`configure` (or :meth:`shutdown`)."""
        self._configured.wait()

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
            self._configured.set()

    def start(self) -> None:
        """Start every worker and wait until all are ready.

        :raises PoolStartError: if any worker cannot start (the others are stopped).
        """
        with self._lock:
            if self._started:
                return
            self._started = True
            self._configured.set()  # a pre-started pool keeps its first initializer
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
        self._configured.set()  # pre-started workers that were never needed stop
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
