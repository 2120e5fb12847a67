"""An ``open_batch`` consumer that leaves early still gets the final event: a
``break`` loses nothing (the next ``async for`` goes on), and leaving the block
cancels the batch, whose ``batch_finished`` is then in ``batch.final``."""

from __future__ import annotations

import asyncio

import pytest

import ofxpost
from tests.conftest import EventLog, ToyBatch

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


@pytest.mark.timeout(120)
def test_break_then_iterate_again_loses_nothing(toy_batch: ToyBatch, events: EventLog) -> None:
    config = toy_batch(4, folder="again")

    async def main() -> tuple[list[str], ofxpost.BatchStream]:
        seen: list[str] = []
        async with ofxpost.open_batch(config, on_event=events) as batch:
            async for event in batch:
                seen.append(event["event"])
                if event["event"] == "file_started":
                    break  # leave the loop, stay in the block
            async for event in batch:
                seen.append(event["event"])
        return seen, batch

    seen, batch = asyncio.run(main())
    assert seen == [e["event"] for e in events]  # every event, once, in order
    assert seen[-1] == "batch_finished"
    assert batch.result is not None and batch.result.exit_code == 0
    assert batch.final is not None and batch.final["exit_code"] == 0


@pytest.mark.timeout(120)
def test_leaving_the_block_early_still_gives_batch_finished(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    # files 1.. wait for a gate that never opens: the batch cannot end by itself
    config = toy_batch(4, dict.fromkeys(range(1, 4), "gate"), folder="leave")

    async def main() -> ofxpost.BatchStream:
        async with ofxpost.open_batch(config, on_event=events) as batch:
            async for event in batch:
                if event["event"] == "file_finished":
                    break
        return batch  # the block's exit waited for the cancelled batch to conclude

    batch = asyncio.run(main())
    assert batch.result is None  # cancelled: no result, as documented
    final = batch.final
    assert final is not None and final["event"] == "batch_finished"
    assert final["cancelled"] is True and final["exit_code"] == 130
    assert final == events[-1]
    assert events.named("batch_cancelled")
