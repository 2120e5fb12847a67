"""Batched completions: the loop inbox, batched store flushes and direct dispatch."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

import ofxpost
from ofxpost._config.plan import Plan
from ofxpost._core.loop_bridge import LoopBridge
from ofxpost._core.records import FileRecord, FileStatus, Job
from ofxpost._executors.local import create_local_pool
from ofxpost._executors.protocol import FileExecutor, JobStarted
from ofxpost._store.store import ResultStore
from tests.conftest import EventLog, ToyBatch

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def _job(folder: Path, i: int) -> Job:
    path = folder / f"case{i}.toy"
    path.write_text("x")
    return Job(index=i, path=path, size=1, mtime_ns=path.stat().st_mtime_ns, needs_licence=False)


def _record(job: Job) -> FileRecord:
    return FileRecord(index=job.index, path=job.path, status=FileStatus.OK, payload='{"v":1}')


def test_records_written_in_a_batch_are_read_back_by_resume(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "store")
    store.prepare(resume=False)
    jobs = [_job(tmp_path, i) for i in range(3)]
    for job in jobs:
        store.write(job, _record(job), "hash", flush=False)
    assert store.read(jobs[1]) is not None  # the writer reads its own unflushed records
    store.flush()  # the end of the batch: from here on the files count as done

    resumed = ResultStore(tmp_path / "store")
    resumed.prepare(resume=True)  # another process after a kill: only flushed data
    try:
        for job in jobs:
            record = resumed.reusable(job, "hash")
            assert record is not None and record.status is FileStatus.OK
        assert resumed.damaged_lines == 0
    finally:
        resumed.close()
        store.close()


def test_inbox_runs_posts_in_order_and_one_batch_per_wakeup() -> None:
    async def main() -> tuple[list[int], int]:
        inbox = LoopBridge.current()
        seen: list[int] = []
        batches = 0
        done = asyncio.Event()

        def after() -> None:
            nonlocal batches
            batches += 1
            if len(seen) == 200:
                done.set()

        inbox.after.append(after)
        # 100 posts from another thread, then 100 from the loop's own thread: the
        # loop does not run in between, so all 200 are one batch
        thread = threading.Thread(target=lambda: [inbox.post(seen.append, i) for i in range(100)])
        thread.start()
        thread.join()
        for i in range(100, 200):
            inbox.post(seen.append, i)
        await done.wait()
        return seen, batches

    seen, batches = asyncio.run(main())
    assert seen == list(range(200))
    assert batches == 1


def test_inbox_survives_a_failing_call() -> None:
    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        errors: list[object] = []
        loop.set_exception_handler(lambda _loop, context: errors.append(context["exception"]))
        inbox = LoopBridge.current()
        seen: list[int] = []
        done = asyncio.Event()
        inbox.after.append(done.set)
        inbox.post(seen.append, 1)
        inbox.post(lambda: 1 / 0)
        inbox.post(seen.append, 2)
        await done.wait()
        assert len(errors) == 1 and isinstance(errors[0], ZeroDivisionError)
        return seen

    assert asyncio.run(main()) == [1, 2]


@pytest.mark.timeout(240)
def test_direct_dispatch_crash_among_queued_files(toy_batch: ToyBatch, events: EventLog) -> None:
    """With one worker and files queued behind it, a crash fails its file only."""
    n = 8
    config = toy_batch(n, {3: "exit"}, parallel={"max_workers": 1, "crash_retries": 1})
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 1 and result.succeeded == n - 1
    assert [f.index for f in result.failures] == [3]
    finals = [e["index"] for e in events if e["event"] in ("file_finished", "file_failed")]
    assert sorted(finals) == list(range(n))  # exactly one final event per file
    finished = {e["index"]: e for e in events.named("file_finished")}
    assert all(finished[i]["attempts"] == 1 for i in finished)  # nobody else was retried
    assert len(events.named("file_retry")) == 1 and events.named("progress")[-1]["done"] == n
    starts = [e["index"] for e in events.named("file_started")]
    assert sorted(starts) == sorted([*range(n), 3])  # 3 started twice, every other once


@pytest.mark.timeout(240)
def test_direct_dispatch_a_refused_submit_fails_that_file_only(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    config = toy_batch(5, parallel={"retries": 0})

    def refusing(plan: Plan, on_started: JobStarted) -> FileExecutor:
        executor = create_local_pool(plan, on_started)
        submit = executor.submit

        def picky(job: Job) -> Future[FileRecord]:
            if job.index == 2:
                raise RuntimeError("no room for this one")
            return submit(job)

        executor.submit = picky  # type: ignore[method-assign]
        return executor

    result = ofxpost.run(config, on_event=events, pool_factory=refusing, workers=1)
    assert result.succeeded == 4 and [f.index for f in result.failures] == [2]
    (failed,) = events.named("file_failed")
    assert failed["kind"] == "unknown" and "no room for this one" in failed["message"]
