"""Event loops: trio and nested loops get UnsupportedLoopError with the way out;
load_config_async. (That run_batch's set-up never stalls the caller's loop is measured by
``benchmarks/loop_stall.py``.)"""

from __future__ import annotations

import asyncio

import pytest

import ofxpost
from tests.conftest import ToyBatch

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

trio = pytest.importorskip("trio")


def test_run_batch_under_trio_says_asyncio_is_required_and_how_to_bridge(
    toy_batch: ToyBatch,
) -> None:
    config = toy_batch(2)

    async def main_() -> None:
        await ofxpost.run_batch(config)

    with pytest.raises(ofxpost.UnsupportedLoopError) as info:
        trio.run(main_)
    message = str(info.value)
    assert "asyncio" in message and "under trio" in message
    assert "trio.to_thread.run_sync(ofxpost.run, config)" in message
    assert not (config.parent / "out").exists()


def test_open_batch_under_trio_is_refused(toy_batch: ToyBatch) -> None:
    config = toy_batch(2)

    async def main_() -> None:
        async with ofxpost.open_batch(config) as batch:
            async for _ in batch:
                pass

    with pytest.raises(ofxpost.UnsupportedLoopError, match=r"open_batch.*asyncio"):
        trio.run(main_)


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

    with pytest.raises(ofxpost.UnsupportedLoopError, match="trio"):
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
