"""No orphans: workers die with their controller, and a cancelled start leaks none."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import anyio
import psutil
import pytest

import ofxpost
from ofxpost._pool.pool import ResilientProcessPool
from ofxpost._pool.task import _TaskFuture
from ofxpost.errors import TaskKilled
from tests._cli import start_cli
from tests.conftest import TOY_DIR, ToyBatch, live_children

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


HOLD_GIL_S = 60
"""How long the toy fault ``hold_gil`` blocks with the GIL held (``tests/toyplugin``)."""


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        threading.Event().wait(0.02)


@pytest.mark.timeout(240)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux")
def test_worker_holding_the_gil_dies_with_a_killed_controller(toy_batch: ToyBatch) -> None:
    config = toy_batch(2, {0: "hold_gil"}, plugins=["ofxpost_toy", "ofxpost_toy_faults"])
    pid_file = config.parent / "data" / "case000.toy.pid"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TOY_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    controller = start_cli(
        "run",
        str(config),
        "--log-format",
        "json",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        _wait_for(lambda: pid_file.exists() or controller.poll() is not None, 180, "the pid file")
        assert controller.poll() is None, "the controller ended before the worker held the GIL"
        worker = int(pid_file.read_text())
        assert psutil.Process(worker).ppid() == controller.pid
        controller.send_signal(signal.SIGKILL)
        controller.wait(timeout=30)
        # The worker holds the GIL for HOLD_GIL_S: gone before half of it means it was
        # killed with its controller, not that its hold ended (no wall-clock budget).
        gone_by = time.monotonic() + HOLD_GIL_S / 2
        while _alive(worker) and time.monotonic() < gone_by:
            threading.Event().wait(0.02)
        still_alive = _alive(worker)
    finally:
        if controller.poll() is None:
            controller.kill()
    if still_alive:  # clean up before failing
        with contextlib.suppress(psutil.Error):
            psutil.Process(worker).kill()
    assert not still_alive, "the worker outlived its SIGKILLed controller (it held the GIL on)"


@pytest.mark.timeout(240)
@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX (Windows: job object)")
def test_a_plugins_grandchild_dies_with_a_killed_controller(toy_batch: ToyBatch) -> None:
    """A process a plugin started (a grandchild of the controller) does not survive
    a SIGKILL of the controller: the worker's process group is reaped."""
    config = toy_batch(2, {0: "hang_with_child"})
    child_file = config.parent / "data" / "case000.toy.child"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TOY_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    controller = subprocess.Popen(
        [sys.executable, "-m", "ofxpost", "run", str(config), "--log-format", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    grandchild = None
    try:
        _wait_for(lambda: child_file.exists() or controller.poll() is not None, 180, "the child")
        assert controller.poll() is None, "the controller ended before the plugin's child ran"
        _wait_for(lambda: child_file.read_text().strip() != "", 30, "the child's pid")
        grandchild = int(child_file.read_text())
        assert _alive(grandchild)
        controller.send_signal(signal.SIGKILL)
        controller.wait(timeout=30)
        _, alive = psutil.wait_procs([psutil.Process(grandchild)], timeout=10)
    finally:
        if controller.poll() is None:
            controller.kill()
        if grandchild is not None and _alive(grandchild):
            with contextlib.suppress(psutil.Error):
                psutil.Process(grandchild).kill()
    assert not alive, "the plugin's child outlived the SIGKILLed controller by more than 10 s"


@pytest.mark.timeout(300)
def test_cancel_during_pool_start_leaks_no_worker(toy_batch: ToyBatch) -> None:
    config = toy_batch(4, folder="cancel_start", parallel={"max_workers": 2})
    before = {p.pid for p in live_children()}
    seen: list[str] = []

    async def main() -> None:
        with anyio.CancelScope() as scope:

            async def cancel_when_spawning() -> None:
                # cancel as soon as a worker process exists, before the pool is ready
                while not [p for p in live_children() if p.pid not in before]:
                    await anyio.sleep(0.005)
                assert "mode_selected" not in seen
                scope.cancel()

            async with anyio.create_task_group() as tg:
                tg.start_soon(cancel_when_spawning)
                await ofxpost.run_batch(config, on_event=lambda e: seen.append(e["event"]))

    for _ in range(2):
        seen.clear()
        anyio.run(main, backend="asyncio")
        leaked = [p for p in live_children() if p.pid not in before]
        _, alive = psutil.wait_procs(leaked, timeout=10)
        alive = [p for p in alive if _alive(p.pid)]
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        assert not alive, f"{len(alive)} worker(s) left behind by a cancelled start"


@pytest.mark.timeout(300)
def test_native_task_cancel_during_pool_start_leaks_no_worker(toy_batch: ToyBatch) -> None:
    """``task.cancel()`` (asyncio.timeout, an embedding app) interrupts the wait for the
    pool start-up at once; the workers that start afterwards must still be shut down."""
    config = toy_batch(4, folder="native_cancel", parallel={"max_workers": 2})
    before = {p.pid for p in live_children()}

    async def main() -> None:
        task = asyncio.ensure_future(ofxpost.run_batch(config))
        while not [p for p in live_children() if p.pid not in before]:
            await asyncio.sleep(0.005)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    for _ in range(2):
        asyncio.run(main())
        leaked = [p for p in live_children() if p.pid not in before]
        _, alive = psutil.wait_procs(leaked, timeout=10)
        alive = [p for p in alive if _alive(p.pid)]
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        assert not alive, f"{len(alive)} worker(s) left behind by a cancelled start"


def _sleep_long() -> None:
    time.sleep(3600)


@pytest.mark.timeout(120)
def test_cancel_right_after_a_task_is_marked_running_kills_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cancel that comes between set_running_or_notify_cancel() and the slot's
    clearing of its kill flag used to be lost: the task then ran unkilled."""
    original = _TaskFuture.set_running_or_notify_cancel

    def running_then_cancelled(self: _TaskFuture) -> bool:
        running = original(self)
        if running:
            self.cancel()  # lands in the window, deterministically
        return running

    pool = ResilientProcessPool(1)
    try:
        pool.start()
        monkeypatch.setattr(_TaskFuture, "set_running_or_notify_cancel", running_then_cancelled)
        future = pool.submit(_sleep_long)
        with pytest.raises(TaskKilled):
            future.result(timeout=60)
    finally:
        monkeypatch.undo()
        pool.shutdown(cancel_futures=True)


def test_windows_job_object_is_inert_elsewhere() -> None:
    """The job object exists on every platform and does nothing outside Windows."""
    from ofxpost._pool.lifeline import KillOnCloseJob

    job = KillOnCloseJob()
    job.assign(os.getpid())  # must not touch this process off Windows
    job.close()
    assert (job._handle is None) == (sys.platform != "win32")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux")
def test_parent_death_signal_is_set_in_workers() -> None:
    pool = ResilientProcessPool(1)
    try:
        pool.start()
        value = pool.submit(_pdeathsig).result(timeout=60)
    finally:
        pool.shutdown(cancel_futures=True)
    assert value == int(signal.SIGKILL)


def _pdeathsig() -> int:
    import ctypes

    out = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(2, ctypes.byref(out), 0, 0, 0)  # PR_GET_PDEATHSIG
    return out.value


def _reapers() -> set[int]:
    """Pids of this process's live process-group reapers (POSIX)."""
    found = set()
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "ofxpost-reaper" in " ".join(child.cmdline()):
                found.add(child.pid)
    return found


def _fail_to_initialise() -> None:
    raise RuntimeError("no licence client on this worker")


@pytest.mark.timeout(120)
@pytest.mark.skipif(os.name != "posix", reason="the reaper process is POSIX (Windows: job object)")
def test_a_pool_that_fails_to_start_leaves_no_reaper() -> None:
    """Before: a pool whose workers failed to initialise kept its process-group reaper
    until the controller ended (a Dask worker's child pool is never shut down after a
    failed start: two such processes outlived a test and failed a later one)."""
    from ofxpost.errors import PoolStartError

    before = _reapers()
    pool = ResilientProcessPool(1, initializer=_fail_to_initialise)
    with pytest.raises(PoolStartError, match="no licence client"):
        pool.start()
    left = _reapers() - before
    assert left == set(), [psutil.Process(pid).cmdline() for pid in left]
