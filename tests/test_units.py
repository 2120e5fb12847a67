"""Unit tests of small core pieces: codec, sizes, weighted semaphore, store, estimator."""

from __future__ import annotations

import math
from pathlib import Path

import anyio
import numpy as np
import pandas as pd
import pytest

from ofxpost._core import codec
from ofxpost._core.estimates import MemoryEstimator
from ofxpost._core.records import ErrorKind, ErrorRecord, FileRecord, FileStatus, Job
from ofxpost._core.sizes import format_size, parse_size
from ofxpost._engine.budgets import WeightedSemaphore
from ofxpost._store.store import ResultStore


def test_codec_round_trips_exactly() -> None:
    frame = pd.DataFrame({"x": [0.1, 1e-300, math.pi], "name": ["a", "b", None]})
    value = {
        "floats": [0.1 + 0.2, -0.0, float("nan"), float("inf")],
        "array": np.linspace(0, 1, 7).reshape(7, 1),
        "ints": np.arange(5, dtype=np.int32),
        "scalar": np.float64(2.5),
        "nested": {"frame": frame, "tuple": (1, "two")},
        "path": Path("a/b.sim"),
    }
    back = codec.loads(codec.dumps(value))
    assert back["floats"][0] == 0.1 + 0.2 and math.copysign(1, back["floats"][1]) == -1
    assert math.isnan(back["floats"][2]) and back["floats"][3] == math.inf
    np.testing.assert_array_equal(back["array"], value["array"])
    assert back["ints"].dtype == np.int32
    assert back["scalar"] == 2.5 and back["nested"]["tuple"] == [1, "two"]
    pd.testing.assert_frame_equal(back["nested"]["frame"], frame)
    assert back["path"] == str(Path("a/b.sim"))


@pytest.mark.parametrize("bad", [object(), {1: "x"}, np.array([object()]), {"__ndarray__": 1}])
def test_codec_refuses_unstorable_values_with_the_path(bad: object) -> None:
    with pytest.raises(codec.EncodeError, match="result"):
        codec.dumps({"result": bad}, where="plugin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("16GiB", 16 * 1024**3), ("500MB", 500 * 10**6), ("1.5 gib", int(1.5 * 1024**3)), (42, 42)],
)
def test_parse_size(text: str | int, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["lots", "12 parsecs", "-5", True])
def test_parse_size_rejects(text: object) -> None:
    with pytest.raises(ValueError):
        parse_size(text)  # type: ignore[arg-type]


def test_format_size() -> None:
    assert format_size(1536) == "1.5 KiB" and format_size(10) == "10 B"


def test_weighted_semaphore_fifo_and_capacity() -> None:
    order: list[str] = []

    async def main() -> None:
        sem = WeightedSemaphore(100)
        assert sem.try_acquire(60)
        assert not sem.try_acquire(50)
        assert sem.clamp(500) == 100

        async def take(name: str, weight: int) -> None:
            await sem.acquire(weight)
            order.append(name)

        async with anyio.create_task_group() as tg:
            tg.start_soon(take, "big", 90)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(take, "small", 10)  # fits now, but must queue behind "big"
            await anyio.wait_all_tasks_blocked()
            assert order == []
            sem.release(60)
        assert order == ["big", "small"]
        assert sem.available == 0

    anyio.run(main, backend="asyncio")


def test_weighted_semaphore_cancelled_waiter_lets_others_in() -> None:
    async def main() -> list[str]:
        sem = WeightedSemaphore(10)
        got: list[str] = []
        sem.try_acquire(10)
        async with anyio.create_task_group() as tg:
            with anyio.CancelScope() as scope:
                tg.start_soon(sem.acquire, 8)
                await anyio.wait_all_tasks_blocked()
                scope.cancel()
            tg.cancel_scope.cancel()
        sem.release(10)
        assert sem.available == 10
        return got

    anyio.run(main, backend="asyncio")


def test_memory_estimator_learns_from_measured_growth() -> None:
    job = Job(
        index=0, path=Path("a.ofx.parquet"), size=100 * 1024**2, mtime_ns=0, needs_licence=False
    )
    est = MemoryEstimator()
    first = est.estimate(job)
    assert first == 200 * 1024**2
    est.observe(job, 50 * 1024**2)
    assert est.estimate(job) == int(100 * 1024**2 * 0.5 * 1.25)
    fixed = MemoryEstimator(fixed=123)
    fixed.observe(job, 10**9)
    assert fixed.estimate(job) == 123


def test_store_write_read_reuse(tmp_path: Path) -> None:
    src = tmp_path / "a.toy"
    src.write_text("x")
    stat = src.stat()
    job = Job(0, src, stat.st_size, stat.st_mtime_ns, False)
    store = ResultStore(tmp_path / "store")
    store.prepare(resume=False)
    record = FileRecord(
        0,
        src,
        FileStatus.PARTIAL,
        errors=[ErrorRecord(ErrorKind.EXTRACTOR, "boom", plugin="p")],
        payload=codec.dumps({"v": np.arange(3)}),
    )
    store.write(job, record, "hash1")
    back = store.read(job)
    assert back is not None and back.status is FileStatus.PARTIAL
    assert back.errors[0].plugin == "p"
    np.testing.assert_array_equal(back.results["v"], np.arange(3))
    assert store.reusable(job, "hash1") is not None
    assert store.reusable(job, "hash2") is None
    moved = Job(0, src, stat.st_size + 1, stat.st_mtime_ns, False)
    assert store.reusable(moved, "hash1") is None
    # a torn last line (controller killed mid-write) is ignored and cut off
    store.close()
    with open(store.log_path, "ab") as handle:
        handle.write(b'{"format":2,"key":{"path":"x"')
    store.prepare(resume=True)
    assert store.reusable(job, "hash1") is not None
    assert store.log_path.read_bytes().endswith(b"}\n")
    store.prepare(resume=False)
    assert store.read(job) is None
    store.close()
