"""The core engine: discovery routes, parallel = sequential, fallbacks, errors, events."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import pytest
import yaml

import ofxpost
from ofxpost.errors import PoolStartError
from tests.conftest import EventLog, ToyBatch, table_bytes

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def _run(config: Path, events: EventLog | None = None, **options: object) -> ofxpost.BatchResult:
    return ofxpost.run(config, on_event=events, **options)


def _switch_output(config: Path, name: str) -> None:
    data = yaml.safe_load(config.read_text())
    data["output_dir"] = name
    config.write_text(yaml.safe_dump(data))


@pytest.mark.parametrize("route", ["config", "local_file", "entry_point"])
def test_parallel_tables_equal_sequential_for_each_discovery_route(
    route: str,
    toy_batch: ToyBatch,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    events: EventLog,
) -> None:
    plugins: list[str] = ["ofxpost_toy"]
    if route == "local_file":
        plugins = []
    elif route == "entry_point":
        plugins = []
        site = tmp_path / "site"
        dist = site / "ofxpost_toy_dist-1.0.dist-info"
        dist.mkdir(parents=True)
        (dist / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: ofxpost-toy-dist\nVersion: 1.0\n"
        )
        (dist / "entry_points.txt").write_text("[ofxpost]\ntoy = ofxpost_toy\n")
        monkeypatch.syspath_prepend(str(site))
    config = toy_batch(12, plugins=plugins)
    if route == "local_file":
        (config.parent / "ofxpost_plugins.py").write_text(
            "from ofxpost_toy import ofxpost_aggregate, ofxpost_extract, ofxpost_open_simulation\n"
        )

    parallel = _run(config, events, workers=2)
    assert parallel.mode == "parallel" and parallel.workers == 2
    assert parallel.exit_code == 0 and parallel.succeeded == 12
    pids = {e["worker_pid"] for e in events.named("file_started")}
    assert len(pids) >= 1 and all(pid is not None for pid in pids)
    parallel_tables = table_bytes(config.parent / "out")

    _switch_output(config, "out_seq")
    sequential = _run(config, sequential=True)
    assert sequential.mode == "sequential" and sequential.exit_code == 0
    sequential_tables = table_bytes(config.parent / "out_seq")

    assert "toy.csv" in parallel_tables and "parquet/toy.parquet" in parallel_tables
    assert parallel_tables == sequential_tables
    toy_csv = parallel_tables["toy.csv"].decode().splitlines()
    assert len(toy_csv) == 13  # header + 12 files, input order
    assert [line.split(",")[1] for line in toy_csv[1:]] == [f"case{i:03d}.toy" for i in range(12)]


def test_fallback_one_file(toy_batch: ToyBatch, events: EventLog) -> None:
    config = toy_batch(1)
    result = _run(config, events)
    assert result.mode == "sequential"
    (mode,) = events.named("mode_selected")
    assert mode["mode"] == "sequential" and "one input file" in mode["reason"]


def test_fallback_disabled(toy_batch: ToyBatch, events: EventLog) -> None:
    config = toy_batch(3, parallel={"enabled": False})
    result = _run(config, events)
    assert result.mode == "sequential" and result.succeeded == 3
    (mode,) = events.named("mode_selected")
    assert mode["mode"] == "sequential" and "enabled is false" in mode["reason"]


def test_fallback_when_pool_cannot_start(toy_batch: ToyBatch, events: EventLog) -> None:
    config = toy_batch(4)

    def broken_pool(plan: object, on_task_start: object) -> object:
        raise PoolStartError("no processes allowed here")

    result = _run(config, events, pool_factory=broken_pool)
    assert result.mode == "sequential" and result.succeeded == 4
    (mode,) = events.named("mode_selected")
    assert mode["mode"] == "sequential"
    assert "could not be started" in mode["reason"] and "no processes allowed" in mode["reason"]


def test_loader_and_extractor_failures_are_isolated(toy_batch: ToyBatch, events: EventLog) -> None:
    clean = toy_batch(12, folder="clean", plugins=["ofxpost_toy", "ofxpost_toy_second"])
    clean_result = _run(clean)
    assert clean_result.exit_code == 0
    clean_tables = table_bytes(clean.parent / "out")

    faulty = toy_batch(
        12,
        {3: "raise_open", 7: "raise_extract"},
        folder="faulty",
        plugins=["ofxpost_toy", "ofxpost_toy_second"],
    )
    result = _run(faulty, events, workers=2)
    assert result.exit_code == 1
    kinds = {f.index: (f.kind, f.partial) for f in result.failures}
    assert kinds == {3: ("file", False), 7: ("extractor", True)}
    (extractor_failure,) = [f for f in result.failures if f.index == 7]
    assert extractor_failure.errors[0].plugin == "ofxpost_toy"
    assert "toy extractor exploded" in extractor_failure.errors[0].message
    (failed,) = events.named("file_failed")
    assert failed["kind"] == "file" and "case003.toy" in failed["message"]
    (extractor_event,) = events.named("extractor_failed")
    assert extractor_event["plugin"] == "ofxpost_toy"

    import pandas as pd

    out = faulty.parent / "out"
    toy = pd.read_csv(out / "toy.csv")
    clean_toy = pd.read_csv(clean.parent / "out" / "toy.csv")
    expected = clean_toy[~clean_toy["index"].isin([3, 7])].reset_index(drop=True)
    pd.testing.assert_frame_equal(toy, expected)
    # the second extractor still ran on the file where the first one raised
    store_record = next(r for r in _records(faulty) if r.index == 7)
    assert "toy_second" in store_record.results and "toy_stats" not in store_record.results
    failures = pd.read_csv(out / "failures.csv")
    assert list(failures["kind"]) == ["file", "extractor"]
    reports = sorted(p.name for p in (out / "errors").glob("*.json"))
    assert reports == ["case003.json", "case007.json"]
    assert clean_tables.keys() == table_bytes(out).keys()


def _records(config: Path) -> list[ofxpost.FileRecord]:
    from ofxpost._config.plan import make_plan
    from ofxpost._store.store import ResultStore

    plan = make_plan(ofxpost.load_config(config))
    store = ResultStore(plan.store_dir)
    store.prepare(resume=True)
    try:
        return list(store.records(plan.jobs))
    finally:
        store.close()


def test_run_batch_inside_running_loop_with_event_iterator(toy_batch: ToyBatch) -> None:
    config = toy_batch(5)
    seen = EventLog()

    async def main() -> ofxpost.BatchResult | None:
        async with ofxpost.open_batch(config, workers=2) as batch:
            async for event in batch:
                seen(event)
        return batch.result

    result = anyio.run(main, backend="asyncio")
    assert result is not None and result.succeeded == 5
    names = [e["event"] for e in seen]
    assert names[0] == "batch_started" and names[-1] == "batch_finished"
    assert names.count("file_finished") == 5
    # a progress after each file, or one after several handled together, counting
    # every file finished before it
    ended = 0
    counts = []
    for event in seen:
        if event["event"] in ("file_finished", "file_failed"):
            ended += 1
        elif event["event"] == "progress":
            assert event["done"] == ended
            counts.append(event["done"])
    assert counts == sorted(set(counts)) and counts[-1] == 5
    assert len({e["batch_id"] for e in seen}) == 1


def test_run_batch_awaited_directly(toy_batch: ToyBatch, events: EventLog) -> None:
    config = toy_batch(3)

    async def main() -> ofxpost.BatchResult:
        return await ofxpost.run_batch(config, on_event=events)

    result = anyio.run(main, backend="asyncio")
    assert result.exit_code == 0
    assert events.named("batch_finished")[0]["succeeded"] == 3


def test_output_is_identical_when_rerun_into_same_folder(toy_batch: ToyBatch) -> None:
    config = toy_batch(6)
    _run(config)
    first = table_bytes(config.parent / "out")
    shutil.rmtree(config.parent / "out" / "parquet")
    _run(config, workers=1)
    assert table_bytes(config.parent / "out") == first


class _InlineExecutor:
    """Finishes every file inside ``submit`` (an already-done future): every file of
    the first refill ends before the event loop looks at any of them."""

    name = "inline"
    address = None
    enforces_timeout = False
    queue_depth = 8

    def __init__(self, plan: object, on_started: object) -> None:
        self.on_started = on_started

    def start(self) -> None:
        pass

    def submit(self, job: object) -> object:
        from concurrent.futures import Future

        from ofxpost._core.records import FileRecord, FileStatus, Job

        assert isinstance(job, Job)
        self.on_started(job, "inline")  # type: ignore[operator]
        future: Future[FileRecord] = Future()
        future.set_result(
            FileRecord(
                index=job.index,
                path=job.path,
                status=FileStatus.OK,
                errors=[],
                duration_s=0.0,
                worker_pid=None,
                attempts=job.attempt,
            )
        )
        return future

    def kill(self, future: object) -> None:
        pass

    def shutdown(self, *, cancel: bool) -> None:
        pass


def test_files_finished_together_are_counted_by_one_progress_event(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    """Several files handled in one pass of the loop: each has its ``file_finished``,
    then one ``progress`` counts them all (one per file made the controller's events
    a third more costly for tiny files)."""
    config = toy_batch(6, parallel={"max_workers": 2})
    result = ofxpost.run(config, on_event=events, executor=_InlineExecutor)
    assert result.exit_code == 0 and result.succeeded == 6
    names = [e["event"] for e in events]
    assert names.count("file_finished") == 6
    assert [e["done"] for e in events.named("progress")] == [6]
    assert names.index("progress") > max(i for i, n in enumerate(names) if n == "file_finished")
