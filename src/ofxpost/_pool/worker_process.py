"""The worker process of a pool slot, and killing a process tree.

:func:`_worker_main` is the loop that runs in each worker process (spawned, so it
works on Windows); :func:`kill_process_tree` and :func:`tree_rss` act on a worker and
everything it started.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing.connection
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Callable
from typing import Any

import psutil

from ofxpost._pool.lifeline import kill_group, lead_process_group, set_parent_death_signal
from ofxpost.errors import RemoteError


def _sendable(exc: BaseException) -> BaseException:
    """``exc`` itself if it can cross the pipe intact, else a :class:`RemoteError`."""
    if not isinstance(exc, Exception):
        return RemoteError.from_exception(exc)
    try:
        pickle.loads(pickle.dumps(exc))
    except BaseException:
        return RemoteError.from_exception(exc)
    return exc


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


WARM = "warm"
"""Tag of a message to a pre-started worker: ``(WARM, modules)``, more modules to import
while it waits for its initializer (:meth:`ResilientProcessPool.warm`)."""


def _import_all(names: tuple[str, ...]) -> None:
    for name in names:
        with contextlib.suppress(Exception):  # a failure shows in the initializer or a file
            importlib.import_module(name)


def _worker_main(
    conn: multiprocessing.connection.Connection,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
    parent_pid: int,
    warm_modules: tuple[str, ...] | None = None,
) -> None:
    """Main loop of a worker process.

    With ``warm_modules`` (a pre-started worker) the process imports those modules,
    then waits for its ``(initializer, initargs)`` on the pipe before initialising;
    ``(WARM, modules)`` messages before it name more modules to import meanwhile.
    """
    set_parent_death_signal(parent_pid)  # Linux: the kernel kills us with the controller
    lead_process_group()  # POSIX: what plugins start can be killed with us
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the controller handles Ctrl-C
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    if warm_modules is not None:
        _import_all(warm_modules)
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            if message is None:  # not needed after all
                return
            if message[0] == WARM:  # the batch's own heavy imports, while it plans
                _import_all(message[1])
                continue
            initializer, initargs = message
            break
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


