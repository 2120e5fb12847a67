"""One pool slot: a controller thread that owns one worker process.

The slot talks to its worker over a pipe, waiting on the pipe and the process
sentinel together (:func:`multiprocessing.connection.wait`), restarts a worker that
died, kills a cancelled task's process tree and samples its memory.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing.connection
import os
import queue
import threading
import time
import traceback
from concurrent.futures import InvalidStateError
from multiprocessing.reduction import ForkingPickler
from typing import Any

from ofxpost._pool.reimport import REIMPORT_EXIT, reimport_reason
from ofxpost._pool.task import (
    PREFETCH_MAX_BYTES,
    SlotOwner,
    _Task,
    _TaskFuture,
)
from ofxpost._pool.worker_process import WARM, _worker_main, kill_process_tree, tree_rss
from ofxpost.errors import (
    MemoryLimitExceeded,
    PoolStartError,
    RemoteError,
    TaskKilled,
    WorkerDied,
)


class _Slot(threading.Thread):
    """One worker process and the controller thread that feeds it."""

    def __init__(self, pool: SlotOwner, number: int) -> None:
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

    def send_warm(self, modules: tuple[str, ...]) -> None:
        """Tell a pre-started worker to import ``modules`` while it waits."""
        conn = self.conn
        assert conn is not None
        with contextlib.suppress(OSError, ValueError):  # it died: finish_spawn reports it
            conn.send((WARM, modules))

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
            if status != "died":
                self._discard()
                raise PoolStartError(f"worker failed to initialise:\n{detail}")
        if ready:
            proc.join(timeout=5)  # its sentinel fired: the exit code follows at once
            code = proc.exitcode
            self._discard()
            if code == REIMPORT_EXIT:
                raise PoolStartError(reimport_reason())
            raise PoolStartError(f"worker exited with code {code} while starting")
        self._discard()
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
                known = self.pool.warm_modules
                self.begin_spawn(known)
                more = self.pool.wait_configured(len(known))
                while more:  # the batch's own imports, named while its workers wait
                    self.send_warm(more)
                    known = (*known, *more)
                    more = self.pool.wait_configured(len(known))
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


