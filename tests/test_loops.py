"""Event loops: run_batch/open_batch under trio (local and sequential; Dask refused),
nested loops get UnsupportedLoopError with the way out; load_config_async.
(That run_batch's set-up never stalls the caller's loop is measured by
``benchmarks/loop_stall.py``.)"""

from __future__ import annotations

import asyncio

import pytest

import ofxpost
from tests.conftest import ToyBatch, table_bytes

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

trio = pytest.importorskip("trio")


def test_run_batch_under_trio_runs_the_local_pool_with_the_same_tables(
    toy_batch: ToyBatch,
) -> None:
    reference = toy_batch(4, folder="reference")
    assert ofxpost.run(reference, workers=2).exit_code == 0  # asyncio
    config = toy_batch(4, folder="trio", parallel={"timeout_per_file": 60})

    async def main_() -> ofxpost.BatchResult:
        return await ofxpost.run_batch(config, workers=2)

    result = trio.run(main_)
    assert result.exit_code == 0 and result.succeeded == 4 and result.mode == "parallel"
    assert table_bytes(config.parent / "out") == table_bytes(reference.parent / "out")


def test_open_batch_under_trio_streams_a_sequential_batch(toy_batch: ToyBatch) -> None:
    config = toy_batch(3)

    async def main_() -> tuple[list[str], ofxpost.BatchResult | None]:
        names: list[str] = []
        async with ofxpost.open_batch(config, sequential=True) as batch:
            async for event in batch:
                names.append(event["event"])
        return names, batch.result

    names, result = trio.run(main_)
    assert result is not None and result.exit_code == 0 and result.mode == "sequential"
    assert names[0] == "batch_started" and names[-1] == "batch_finished"
    assert names.count("file_finished") == 3


def test_cancelling_run_batch_under_trio_writes_partial_outputs(toy_batch: ToyBatch) -> None:
    config = toy_batch(6, dict.fromkeys(range(6), "slow"))
    seen: list[str] = []

    async def main_() -> None:
        with trio.CancelScope() as scope:

            def on_event(event: dict[str, object]) -> None:
                seen.append(str(event["event"]))
                if event["event"] == "file_finished":
                    scope.cancel()

            await ofxpost.run_batch(config, workers=2, on_event=on_event)

    trio.run(main_)
    assert "batch_cancelled" in seen and seen[-1] == "batch_finished"
    assert (config.parent / "out" / "PARTIAL").exists()


def test_dask_under_trio_is_refused_with_the_reason(toy_batch: ToyBatch) -> None:
    config = toy_batch(3, parallel={"executor": "dask"})

    async def main_() -> None:
        await ofxpost.run_batch(config, workers=2)

    with pytest.raises(ofxpost.UnsupportedLoopError, match=r"'dask'.*asyncio.*trio") as info:
        trio.run(main_)
    assert isinstance(info.value, ofxpost.OfxpostError)
    # nothing ran, and output_dir is not left locked: a local run goes ahead
    assert not (config.parent / "out" / "ofxpost-run.json").exists()
    assert ofxpost.run(config, workers=2, sequential=True).exit_code == 0


def test_the_documented_trio_bridge_works(toy_batch: ToyBatch) -> None:
    config = toy_batch(3)

    async def main_() -> ofxpost.BatchResult:
        result: ofxpost.BatchResult = await trio.to_thread.run_sync(ofxpost.run, config)
        return result

    result = trio.run(main_)
    assert result.exit_code == 0 and result.succeeded == 3


def test_run_inside_a_running_loop_says_to_await_run_batch(toy_batch: ToyBatch) -> None:
    config = toy_batch(2)

    async def main_() -> None:
        ofxpost.run(config)

    with pytest.raises(ofxpost.UnsupportedLoopError, match=r"await ofxpost\.run_batch"):
        asyncio.run(main_())

    async def under_trio() -> None:
        ofxpost.run(config)

    with pytest.raises(ofxpost.UnsupportedLoopError, match=r"trio.*await ofxpost\.run_batch"):
        trio.run(under_trio)


def test_load_config_async(toy_batch: ToyBatch) -> None:
    path = toy_batch(2)
    config = asyncio.run(ofxpost.load_config_async(path))
    assert isinstance(config, ofxpost.Config) and config.source == path
    with pytest.raises(ofxpost.ConfigError, match="not found"):
        asyncio.run(ofxpost.load_config_async(path.parent / "missing.yml"))


# The loop-stall measure (the caller's loop is never kept busy by a batch's set-up,
# planning and lock) asserted wall-clock limits; it is a benchmark now:
# ``python benchmarks/loop_stall.py`` prints the figures and the limits.
