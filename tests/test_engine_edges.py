"""Edge cases of the engine: concurrent batches, early cancellation, plugin errors."""

from __future__ import annotations

from pathlib import Path

import anyio
import pandas as pd
import pytest
import yaml

import ofxpost
from ofxpost._cli.main import main
from tests.conftest import EventLog, ToyBatch, live_children

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def test_two_sequential_batches_at_once_keep_their_own_plugins(toy_batch: ToyBatch) -> None:
    first = toy_batch(4, folder="one", plugins=["ofxpost_toy"], parallel={"enabled": False})
    second = toy_batch(
        4,
        folder="two",
        plugins=["ofxpost_toy", "ofxpost_toy_second"],
        parallel={"enabled": False},
    )

    async def both() -> list[ofxpost.BatchResult]:
        results: list[ofxpost.BatchResult] = []

        async def one(config: Path) -> None:
            results.append(await ofxpost.run_batch(config))

        async with anyio.create_task_group() as tg:
            tg.start_soon(one, first)
            tg.start_soon(one, second)
        return results

    results = anyio.run(both, backend="asyncio")
    assert all(r.exit_code == 0 and r.mode == "sequential" for r in results)
    from tests.test_engine import _records

    assert all("toy_second" not in r.results for r in _records(first))
    assert all("toy_second" in r.results for r in _records(second))


def test_cancel_during_pool_start_leaves_no_workers(toy_batch: ToyBatch, events: EventLog) -> None:
    config = toy_batch(4)
    # processes left by earlier tests of the session are not this batch's
    before = {p.pid for p in live_children()}

    async def main_() -> None:
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: ofxpost.run_batch(config, on_event=events))
                while not events.named("batch_started"):
                    await anyio.sleep(0)
                scope.cancel()

    anyio.run(main_, backend="asyncio")
    assert (config.parent / "out" / "PARTIAL").exists()
    names = [e["event"] for e in events]
    assert "batch_cancelled" in names and names[-1] == "batch_finished"
    alive = [p for p in live_children() if p.pid not in before]
    assert alive == [], [(p.pid, p.cmdline()) for p in alive]


def test_failing_observers_become_warnings(toy_batch: ToyBatch, events: EventLog) -> None:
    config = toy_batch(3, plugins=["ofxpost_toy", "ofxpost_toy_observer"])
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 0 and result.succeeded == 3
    warnings = [e["message"] for e in events.named("warning")]
    assert sum("observer failed at start" in w for w in warnings) == 1
    assert sum("observer failed on a file" in w for w in warnings) == 3


def test_invalid_hookimpl_is_a_config_error(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = toy_batch(2, plugins=["ofxpost_toy", "ofxpost_toy_badhook"])
    assert main(["validate", str(config)]) == 2
    err = capsys.readouterr().err
    assert "ofxpost_toy_badhook" in err and "not_an_argument" in err


def test_plugin_listed_twice_is_registered_once(
    toy_batch: ToyBatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    dist = site / "ofxpost_toy_dist-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ofxpost-toy-dist\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[ofxpost]\ntoy = ofxpost_toy\n")
    monkeypatch.syspath_prepend(str(site))
    config = toy_batch(3, plugins=["ofxpost_toy"])
    result = ofxpost.run(config)
    assert result.exit_code == 0
    assert len(pd.read_csv(config.parent / "out" / "toy.csv")) == 3


def test_open_batch_reports_missing_inputs_before_starting(tmp_path: Path) -> None:
    config = tmp_path / "b.yml"
    config.write_text(yaml.safe_dump({"inputs": ["nothing/*.toy"]}))

    async def main_() -> None:
        async with ofxpost.open_batch(config):
            raise AssertionError("the batch must not start")

    with pytest.raises(ofxpost.ConfigError, match="matched no files"):
        anyio.run(main_, backend="asyncio")
    assert not (tmp_path / "results").exists()
