"""The Dask executor: same tables as the local pool, crashes and hangs per file, licences.

A local cluster is started by the executor itself (no address); the loopback cluster
is ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, started and
stopped by a module fixture with bounded timeouts.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import ofxpost
from ofxpost._core.records import FileRecord
from ofxpost._executors.dask import DaskExecutor
from ofxpost._executors.dask_task import run_on_worker
from ofxpost.testing import EventLog, table_bytes
from tests.conftest import TOY_DIR, ToyBatch, write_toy

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

distributed = pytest.importorskip("distributed")
dask_config = pytest.importorskip("dask.config")

START_TIMEOUT = 60.0


def _dask_config(address: str | None = None, **parallel: Any) -> dict[str, Any]:
    return {"executor": "dask", "dask": {"address": address}, **parallel}


def _tables(config: Path) -> dict[str, bytes]:
    tables = table_bytes(config.parent / "out")
    assert tables, "no tables written"
    return tables


def _local_tables(toy_batch: ToyBatch, n: int, folder: str) -> dict[str, bytes]:
    config = toy_batch(n, folder=folder)
    result = ofxpost.run(config)
    assert result.exit_code == 0 and result.mode == "parallel"
    assert result.executor == "parallel"  # the local process pool
    return _tables(config)


# ------------------------------------------------------------------ local cluster


def test_local_cluster_tables_identical_to_local_pool(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    expected = _local_tables(toy_batch, 8, "local")
    config = toy_batch(8, folder="dask_local", parallel=_dask_config())
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 0 and result.succeeded == 8
    assert (result.mode, result.executor) == ("dask", "dask")  # not "parallel"
    assert _tables(config) == expected
    (mode,) = events.named("mode_selected")
    assert mode["mode"] == "dask" and mode["address"].startswith("tcp://")
    assert mode["executor"] == "dask"
    started = events.named("file_started")
    assert len(started) == 8
    assert all(e["worker"].startswith("tcp://") and e["worker_pid"] is None for e in started)


# ------------------------------------------------------------------ loopback cluster


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
    for proc in reversed(procs):
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A scheduler and two workers as separate processes on 127.0.0.1."""
    root = tmp_path_factory.mktemp("loopback")
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    assert dask is not None, "the dask command is not installed"
    open_log = root / "opens.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TOY_DIR), os.environ.get("PYTHONPATH", "")]),
        "OFXPOST_TOY_OPEN_LOG": str(open_log),
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
    }
    with socket.socket() as probe:  # a free port for the scheduler
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        log = (root / "scheduler.log").open("wb")
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        for i in range(2):
            log = (root / f"worker{i}.log").open("wb")
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    [
                        dask,
                        "worker",
                        address,
                        "--host",
                        "127.0.0.1",
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--name",
                        f"w{i}",
                    ],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        with distributed.Client(address, timeout=START_TIMEOUT) as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT)
        yield {"address": address, "open_log": open_log}
    finally:
        _stop(procs)
        for log in logs:
            log.close()


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)


LOST_AFTER_S = 1.0
"""``scheduler_timeout`` of the scheduler-loss test (the default is 30 s): the loss
is declared 1 s after the connection drops."""

RECONNECT_S = 5
"""How long the scheduler-loss test lets one call of the controller's client wait for
the dead scheduler (Dask's ``distributed.comm.timeouts.connect``, 30 s by default)."""


@pytest.mark.timeout(240)
def test_losing_the_scheduler_ends_the_batch_and_resume_runs_the_rest(
    toy_batch: ToyBatch, events: EventLog, tmp_path: Path
) -> None:
    """The scheduler dies mid-batch (killed by a file): every file is accounted for
    within the bound, exit 1, and --resume on a working cluster finishes the rest.
    (A hang here would end in the test's timeout, not in an assertion.)"""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    assert dask is not None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TOY_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    args = [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
    scheduler = _start(args, env, tmp_path / "scheduler.log")
    worker_env = {**env, "OFXPOST_TOY_SCHEDULER_PID": str(scheduler.pid)}
    worker = _start(
        [dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard"],
        worker_env,
        tmp_path / "worker.log",
    )
    try:
        with distributed.Client(address, timeout=START_TIMEOUT) as client:
            client.wait_for_workers(1, timeout=START_TIMEOUT)
        parallel = {
            "executor": "dask",
            "dask": {"address": address, "scheduler_timeout": LOST_AFTER_S},
            "crash_retries": 0,
        }
        config = toy_batch(6, {2: "kill_scheduler"}, folder="lost", parallel=parallel)
        # the controller's client gives up reconnecting to the dead scheduler within
        # this test's bound, not Dask's default 30 s per call (production keeps it)
        with dask_config.set({"distributed.comm.timeouts.connect": f"{RECONNECT_S}s"}):
            result = ofxpost.run(config, on_event=events)
        assert scheduler.wait(timeout=60) is not None  # the file did kill it
    finally:
        _stop([scheduler, worker])
    assert result.exit_code == 1
    assert result.succeeded + result.partial + result.failed == 6
    assert result.failed >= 4  # the killer and the files after it, at least
    messages = [e.message for f in result.failures for e in f.errors]
    lost = [m for m in messages if "Dask scheduler at" in m]
    assert lost and all(address in message for message in lost)
    (finished,) = events.named("batch_finished")
    assert finished["exit_code"] == 1 and finished["failed"] == result.failed
    # --resume on a local cluster (no address): the rest runs, nothing is lost
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["parallel_processing"]["dask"] = {"address": None}
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    resumed = ofxpost.run(config, resume=True)
    assert resumed.exit_code == 0 and resumed.succeeded == 6
    assert resumed.reused == result.succeeded + result.partial


def test_loopback_cluster_same_tables(toy_batch: ToyBatch, loopback: dict[str, Any]) -> None:
    expected = _local_tables(toy_batch, 6, "local")
    config = toy_batch(6, folder="loop", parallel=_dask_config(loopback["address"]))
    result = ofxpost.run(config)
    assert result.exit_code == 0 and result.succeeded == 6
    assert _tables(config) == expected


def test_loopback_crash_and_hang_fail_alone(
    toy_batch: ToyBatch, events: EventLog, loopback: dict[str, Any]
) -> None:
    """A file whose process dies, one that kills its Dask worker, one that hangs."""
    faults = {1: "exit", 3: "hang", 5: "kill_parent"}
    parallel = _dask_config(loopback["address"], timeout_per_file=4, crash_retries=0)
    config = toy_batch(10, faults, folder="faults", parallel=parallel)
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 1
    kinds = {f.index: f.kind for f in result.failures}
    assert kinds == {1: "crash", 3: "timeout", 5: "crash"}, [
        (f.index, f.errors[0].message) for f in result.failures
    ]
    assert result.succeeded == 7
    (timeout,) = events.named("file_timeout")
    hung_on = timeout["worker"]
    # the worker that ran the hanging file is usable again: it runs a file now
    plan = ofxpost.make_plan(ofxpost.load_config(config))
    options = DaskExecutor(plan, lambda job, worker: None).options
    with distributed.Client(loopback["address"], timeout=START_TIMEOUT) as client:
        task = client.submit(run_on_worker, plan.jobs[0], options, workers=[hung_on], pure=False)
        outcome = task.result(timeout=START_TIMEOUT)
    assert outcome.worker == hung_on
    assert isinstance(outcome.value, FileRecord) and outcome.value.ok
    crashed = {e["index"] for e in events.named("worker_crashed")}
    assert crashed == {1, 5}


def _licensed_batch(root: Path, prefix: str, n: int, address: str, semaphore: str) -> Path:
    data = root / "data"
    data.mkdir(parents=True)
    for i in range(n):
        write_toy(data / f"{prefix}{i:02d}.sim", i, "slow")
    config = {
        "inputs": ["data/*.sim"],
        "output_dir": "out",
        "plugins": ["ofxpost_toy"],
        "parallel_processing": {
            **_dask_config(address, max_workers=2, licences=1),
            "dask": {"address": address, "licence_semaphore": semaphore},
        },
        "outputs": {"formats": ["csv"]},
    }
    path = root / "batch.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_cluster_wide_licence_limit_holds_across_two_batches(
    tmp_path: Path, toy_on_path: Path, loopback: dict[str, Any]
) -> None:
    address = loopback["address"]
    shared = f"licences-{tmp_path.name}"  # both batches share one semaphore
    configs = [
        _licensed_batch(tmp_path / prefix, prefix, 3, address, shared)
        for prefix in ("lica", "licb")
    ]

    async def both() -> list[ofxpost.BatchResult]:
        return list(await asyncio.gather(*(ofxpost.run_batch(c) for c in configs)))

    results = asyncio.run(both())
    assert [r.exit_code for r in results] == [0, 0]
    edges: list[tuple[float, int]] = []
    for line in loopback["open_log"].read_text().splitlines():
        stamp, _pid, phase, name = line.split()
        if name.startswith(("lica", "licb")):
            # a close sorts before an open at the same instant
            edges.append((float(stamp), 1 if phase == "open" else -1))
    assert len(edges) == 12, "every file opened and closed once"
    edges.sort()
    open_now = peak = 0
    for _, step in edges:
        open_now += step
        peak = max(peak, open_now)
    assert peak == 1, f"{peak} licensed files were open at once"


def test_resource_no_worker_offers_is_refused_not_waited_for(
    toy_batch: ToyBatch, events: EventLog, loopback: dict[str, Any]
) -> None:
    """A task asking for a resource no worker has would wait forever: refused at start."""
    parallel = _dask_config(loopback["address"])
    parallel["dask"]["resources"] = {"ORCAFLEX": 1}
    config = toy_batch(3, folder="resources", parallel=parallel)
    result = ofxpost.run(config, on_event=events)
    assert result.mode == "sequential" and result.succeeded == 3
    (mode,) = events.named("mode_selected")
    assert "Dask executor could not be started" in mode["reason"]
    assert "ORCAFLEX" in mode["reason"]


def test_dask_settings_validated(toy_batch: ToyBatch) -> None:
    parallel = _dask_config(None)
    parallel["dask"]["n_workers"] = 0
    config = toy_batch(2, folder="badcfg", parallel=parallel)
    with pytest.raises(ofxpost.ConfigError, match="n_workers"):
        ofxpost.run(config)
