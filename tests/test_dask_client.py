"""A caller's Dask ``Client``: ``executor=ofxpost.dask_executor(client)`` runs the
batch on that client's cluster, reports mode ``dask`` and leaves the client open."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

import ofxpost
from ofxpost._cli.run import summary_line
from ofxpost.testing import EventLog, table_bytes
from tests.conftest import ToyBatch, live_children

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

distributed = pytest.importorskip("distributed")


@contextlib.contextmanager
def _local_client() -> Iterator[Any]:
    """A client of an in-process LocalCluster; on leaving, the child pools its worker
    threads kept are shut down (they lived in this process)."""
    import dask

    # worker threads in this process; each file still runs in a child process
    with dask.config.set({"distributed.worker.daemon": False}):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        )
    with cluster, distributed.Client(cluster) as client:
        yield client
    # the worker threads lived in this process: so do the child pools they kept
    from ofxpost._executors import dask_task

    with dask_task._POOLS_LOCK:
        pools = list(dask_task._POOLS.values())
        dask_task._POOLS.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def client() -> Iterator[Any]:
    with _local_client() as client:
        yield client


def test_dask_executor_refuses_what_is_not_a_client() -> None:
    with pytest.raises(ofxpost.ConfigError, match=r"distributed\.Client"):
        ofxpost.dask_executor("tcp://127.0.0.1:8786")


@pytest.mark.timeout(300)
def test_a_callers_client_runs_the_batch_and_stays_open(
    toy_batch: ToyBatch, events: EventLog, client: Any
) -> None:
    local = toy_batch(4, folder="local")
    assert ofxpost.run(local).exit_code == 0
    config = toy_batch(4, folder="given")
    executor = ofxpost.dask_executor(client)
    result = ofxpost.run(config, on_event=events, executor=executor)
    assert result.exit_code == 0 and result.succeeded == 4
    assert (result.mode, result.executor) == ("dask", "dask")
    (mode,) = events.named("mode_selected")
    assert (mode["mode"], mode["executor"]) == ("dask", "dask")
    assert mode["address"] == client.scheduler.address
    assert all(
        e["worker"] in client.scheduler_info()["workers"] for e in events.named("file_started")
    )
    assert table_bytes(config.parent / "out") == table_bytes(local.parent / "out")
    # the manifest, batch_finished and the CLI's summary name the executor used
    manifest = json.loads((result.output_dir / "ofxpost-run.json").read_text("utf-8"))
    assert manifest["mode"] == "dask"
    (finished,) = events.named("batch_finished")
    assert finished["mode"] == "dask"
    assert "s (dask); outputs in" in summary_line(finished, result.output_dir)
    # each loader's and extractor's time is measured on the Dask worker too
    for done in events.named("file_finished"):
        timed = {(t["hook"], t["plugin"]) for t in done["hook_s"]}
        assert ("ofxpost_open_simulation", "ofxpost_toy") in timed
        assert ("ofxpost_extract", "ofxpost_toy") in timed
    assert client.status == "running"  # not closed by ofxpost
    again = ofxpost.run(config, executor=executor)  # the same client serves a second batch
    assert again.exit_code == 0 and again.mode == "dask"
    assert client.status == "running"


@pytest.mark.timeout(300)
def test_no_child_process_outlives_the_callers_client(toy_batch: ToyBatch) -> None:
    before = {p.pid for p in live_children()}
    config = toy_batch(2, folder="children")
    with _local_client() as client:
        result = ofxpost.run(config, executor=ofxpost.dask_executor(client))
        assert result.exit_code == 0
    left = [p for p in live_children() if p.pid not in before]
    _, alive = psutil.wait_procs(left, timeout=10)
    assert alive == []


@pytest.mark.timeout(300)
def test_a_plugin_failing_only_in_workers_fails_the_batch_on_dask(
    toy_batch: ToyBatch, events: EventLog, client: Any
) -> None:
    # as on the local pool (tests/test_worker_only_plugin_failure.py): the plugin file
    # imports in this process but raises in the file's child process on the Dask worker
    from ofxpost._engine.pool_failure import PLUGIN_IN_WORKERS
    from tests.test_worker_only_plugin_failure import WORKER_ONLY_FAILURE

    config = toy_batch(3, folder="worker-only")
    (config.parent / "ofxpost_plugins.py").write_text(WORKER_ONLY_FAILURE, encoding="utf-8")
    result = ofxpost.run(config, on_event=events, executor=ofxpost.dask_executor(client))
    assert result.exit_code == 1
    assert result.failed == 3 and result.succeeded == 0
    assert not events.named("mode_selected")  # no quiet fall-back to sequential
    assert not events.named("file_started")  # nothing ran in this process instead
    (warning,) = [e for e in events.named("warning") if PLUGIN_IN_WORKERS in e["message"]]
    assert "ofxpost_plugins.py" in warning["message"]
    assert "the licence client is missing on the workers" in warning["message"]
    for failed in events.named("file_failed"):
        assert failed["attempts"] == 0 and PLUGIN_IN_WORKERS in failed["message"]
    assert client.status == "running"  # the caller's client is left open
