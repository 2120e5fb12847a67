"""Workers pre-started before the plan (`_executors.prestart`, `ResilientProcessPool.prestart`)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

import ofxpost
import ofxpost._worker.worker
from ofxpost._cli import main as cli
from ofxpost._executors import prestart
from ofxpost._plugins.loading import load_config
from ofxpost._pool.pool import ResilientProcessPool
from tests.conftest import EventLog, ToyBatch, live_children

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

_LABEL = "not initialised"


def _set_label(label: str) -> None:
    global _LABEL
    _LABEL = label


def _label_and_pid() -> tuple[str, int, bool]:
    return _LABEL, os.getpid(), "json" in sys.modules


def _new_children(before: set[int]) -> list[psutil.Process]:
    return [p for p in live_children() if p.pid not in before]


def _wait_for_children(before: set[int], count: int) -> list[psutil.Process]:
    """The new child processes, once there are ``count`` (or after 60 s)."""
    deadline = time.monotonic() + 60
    found = _new_children(before)
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.01)  # polls a condition; not a synchronisation by time
        found = _new_children(before)
    return found


def _gone(procs: list[psutil.Process]) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(procs, timeout=10)
    return alive


@pytest.mark.timeout(120)
def test_a_prestarted_pool_gets_its_initializer_later_and_keeps_only_the_workers_needed() -> None:
    before = {p.pid for p in live_children()}
    pool = ResilientProcessPool(3)
    try:
        pool.prestart(("json",))
        # the slots' threads spawn at once, before anything is known
        spawned = _wait_for_children(before, 3)
        assert len(spawned) == 3
        pool.configure(_set_label, ("configured later",), workers=1)
        pool.start()
        assert len(pool.worker_pids()) == 1
        results = [pool.submit(_label_and_pid).result(timeout=60) for _ in range(3)]
        # the initializer given to configure() ran; the warm module was imported
        assert {label for label, _, _ in results} == {"configured later"}
        assert all(warm for _, _, warm in results)
        assert len({pid for _, pid, _ in results}) == 1
        surplus = [p for p in spawned if p.pid != results[0][1]]
        assert len(surplus) == 2 and not _gone(surplus)
    finally:
        pool.shutdown(wait=True)
    assert not _gone(_new_children(before))


@pytest.mark.timeout(120)
def test_a_prestarted_pool_can_grow_when_the_plan_wants_more_workers() -> None:
    pool = ResilientProcessPool(1)
    pool.prestart()
    pool.configure(_set_label, ("grown",), workers=2)
    try:
        pool.start()
        assert len(pool.worker_pids()) == 2
        assert pool.submit(_label_and_pid).result(timeout=60)[0] == "grown"
    finally:
        pool.shutdown(wait=True)


@pytest.mark.timeout(120)
def test_a_prestarted_pool_never_used_shuts_down_without_hanging() -> None:
    before = {p.pid for p in live_children()}
    for configure_first in (False, True):
        pool = ResilientProcessPool(2)
        pool.prestart(("json",))
        if configure_first:  # the workers get ready, but start() never comes
            pool.configure(_set_label, ("unused",), workers=2)
        pool.shutdown(wait=True, cancel_futures=True)
        assert not _gone(_new_children(before))


def test_wanted_workers_follows_the_config_and_options(toy_batch: ToyBatch) -> None:
    config = load_config(toy_batch(2, parallel={"max_workers": 3}))
    assert prestart.wanted_workers(config, workers=None, sequential=False) == 3
    assert prestart.wanted_workers(config, workers=5, sequential=False) == 5
    # a sequential batch runs in one worker process; only --in-process in none
    assert prestart.wanted_workers(config, workers=None, sequential=True) == 1
    assert prestart.wanted_workers(config, workers=None, sequential=True, in_process=True) == 0
    expected = {"enabled": 1, "executor": 1}
    for parallel in ({"enabled": False}, {"executor": "sequential"}, {"executor": "dask"}):
        other = load_config(toy_batch(2, folder=f"x{len(parallel)}{parallel}", parallel=parallel))
        want = 0 if parallel.get("executor") == "dask" else expected[next(iter(parallel))]
        assert prestart.wanted_workers(other, workers=None, sequential=False) == want


@pytest.mark.timeout(180)
def test_run_batch_takes_over_the_workers_started_before_planning(
    toy_batch: ToyBatch, events: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[prestart.Prestart] = []
    original = prestart.Prestart.begin

    def spy(count: int) -> prestart.Prestart:
        early = original(count)
        started.append(early)
        return early

    monkeypatch.setattr(prestart.Prestart, "begin", spy)
    config = toy_batch(6, parallel={"max_workers": 2})
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 0 and result.mode == "parallel"
    assert len(started) == 1 and started[0].claimed
    assert started[0].pool.initializer is ofxpost._worker.worker.init_worker
    assert len({e["worker_pid"] for e in events.named("file_finished")}) == 2


@pytest.mark.timeout(180)
def test_ofxpost_run_discards_its_early_workers_when_the_batch_cannot_use_them(
    toy_batch: ToyBatch, tmp_path: Path
) -> None:
    before = {p.pid for p in live_children()}
    # one input file: the plan runs it in one worker process (never in this one),
    # taken from the early workers; the surplus is stopped before it starts
    one = toy_batch(1, folder="one")
    children_during: list[int] = []
    pids: list[object] = []

    def count_children(event: dict[str, object]) -> None:
        if event["event"] == "file_started":
            children_during.append(len(_new_children(before)))
            pids.append(event["worker_pid"])

    early = prestart.Prestart.begin(2)
    config = load_config(one)
    early.bind(config, workers=2, sequential=False)
    assert ofxpost.run(config, workers=2, on_event=count_children).mode == "sequential"
    assert len(children_during) == 1 and children_during[0] >= 1
    assert pids[0] != os.getpid()
    early.discard()
    assert cli.main(["run", str(one), "--quiet", "--workers", "2"]) == 0
    assert not _gone(_new_children(before))
    # an unusable config: exit 2, and no worker is left behind
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump({"inputs": ["nothing/*.toy"], "output_dir": "out"}))
    assert cli.main(["run", str(bad), "--quiet", "--workers", "2"]) == 2
    assert not _gone(_new_children(before))


def test_ofxpost_run_sizes_its_early_workers_from_a_quick_look_at_the_config(
    tmp_path: Path,
) -> None:
    cpus = os.cpu_count() or 1
    cases = {
        "four.yml": ({"parallel_processing": {"max_workers": 4}}, None, 4),
        "option.yml": ({"parallel_processing": {"max_workers": 4}}, 3, 3),
        "auto.yml": ({"parallel_processing": {"max_workers": "auto"}}, None, cpus),
        "none.yml": ({"inputs": ["*.toy"]}, None, cpus),
        "off.yml": ({"parallel_processing": {"enabled": False}}, 2, 1),
        "dask.yml": ({"parallel_processing": {"executor": "dask"}}, None, 0),
        "inline.yml": ({"parallel_processing": {"executor": "sequential"}}, None, 1),
        "odd.yml": ({"parallel_processing": {"max_workers": True}}, None, cpus),
    }
    for name, (raw, workers, expected) in cases.items():
        path = tmp_path / name
        path.write_text(yaml.safe_dump(raw))
        assert prestart.early_count(path, workers) == expected, name
    broken = tmp_path / "broken.yml"
    broken.write_text("parallel_processing: [unclosed\n")
    assert prestart.early_count(broken, None) == cpus  # the real load reports it
    assert prestart.early_count(tmp_path / "missing.yml", 2) == 2
    assert prestart.early_count(None, None) == cpus  # ofxpost demo: no config yet


@pytest.mark.timeout(300)
def test_ofxpost_demo_hands_its_early_workers_to_the_batch(tmp_path: Path) -> None:
    before = {p.pid for p in live_children()}
    started: list[prestart.Prestart] = []
    original = prestart.Prestart.begin

    def spy(count: int, modules: tuple[str, ...] = ()) -> prestart.Prestart:
        started.append(original(count, modules))
        return started[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(prestart.Prestart, "begin", spy)
        code = cli.main(["demo", "--out", str(tmp_path / "demo"), "--cases", "3", "--quiet"])
    assert code == 0
    assert len(started) == 1 and started[0].claimed  # spawned before the archives
    assert not _gone(_new_children(before))


def _imported(names: tuple[str, ...]) -> list[bool]:
    return [name in sys.modules for name in names]


@pytest.mark.timeout(120)
def test_prestarted_workers_import_the_batchs_modules_while_they_wait() -> None:
    # modules no worker imports by itself: only the warm message can have loaded them
    extra = ("colorsys", "wave")
    pool = ResilientProcessPool(2)
    try:
        pool.prestart(("json",))
        pool.warm(extra)
        pool.configure(_set_label, ("warmed",), workers=2)
        pool.start()
        pids = set()
        for _ in range(6):
            label, pid, _ = pool.submit(_label_and_pid).result(timeout=60)
            assert label == "warmed"
            pids.add(pid)
        flags = [pool.submit(_imported, extra).result(timeout=60) for _ in range(6)]
        assert all(all(f) for f in flags)
        assert len(pool.worker_pids()) == 2
    finally:
        pool.shutdown(wait=True)


@pytest.mark.timeout(120)
def test_warm_after_configure_is_ignored_and_a_bad_module_does_not_break_the_worker() -> None:
    pool = ResilientProcessPool(1)
    try:
        pool.prestart()
        pool.warm(("no_such_module_for_ofxpost_tests",))
        pool.configure(_set_label, ("fine",), workers=1)
        pool.warm(("wave",))  # too late: the initializer is on its way
        pool.start()
        assert pool.submit(_label_and_pid).result(timeout=60)[0] == "fine"
    finally:
        pool.shutdown(wait=True)


def test_worker_modules_are_the_archive_readers_unless_every_input_is_another_kind(
    tmp_path: Path,
) -> None:
    def modules(inputs: list[str], **sections: object) -> tuple[str, ...]:
        raw = {"inputs": inputs, "output_dir": "out", **sections}
        return prestart.worker_modules(load_config(raw, base_dir=tmp_path))

    assert "pyarrow.parquet" in prestart.ARCHIVE_MODULES
    assert "pandas" not in prestart.ARCHIVE_MODULES and "pandas" in prestart.TABLE_MODULES
    assert modules(["sims/*.ofx.parquet"]) == prestart.ARCHIVE_MODULES
    assert modules(["sims/*.PARQUET"]) == prestart.ARCHIVE_MODULES
    assert modules(["sims/*"]) == prestart.ARCHIVE_MODULES  # could be archives
    assert modules(["a/*.noop", "b/*.parquet"]) == prestart.ARCHIVE_MODULES
    assert modules(["a/*.noop", "b/*.sim"]) == ()
    # workers write the time-series tables themselves, with pandas
    series = {"groups": [{"name": "g", "columns": [{"object": "Riser", "variable": "X"}]}]}
    both = (*prestart.ARCHIVE_MODULES, *prestart.TABLE_MODULES)
    assert modules(["sims/*.ofx.parquet"], time_series=series) == both
    assert modules(["a/*.noop"], time_series=series) == prestart.TABLE_MODULES
    assert modules(["sims/*.ofx.parquet"], time_series={"groups": []}) == prestart.ARCHIVE_MODULES


def test_early_modules_look_at_the_yamls_inputs_before_the_config_is_read(
    tmp_path: Path,
) -> None:
    def early(raw: object) -> tuple[str, ...]:
        path = tmp_path / "batch.yml"
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        return prestart.early_modules(path)

    assert early({"inputs": ["sims/*.ofx.parquet"]}) == prestart.ARCHIVE_MODULES
    assert early({"inputs": "sims/*.ofx.parquet"}) == prestart.ARCHIVE_MODULES
    assert early({"inputs": ["data/*.toy"]}) == ()
    series = {"groups": [{"name": "g", "columns": []}]}
    assert early({"inputs": ["sims/*.ofx.parquet"], "time_series": series}) == (
        *prestart.ARCHIVE_MODULES,
        *prestart.TABLE_MODULES,
    )
    assert early({"inputs": ["data/*.toy"], "time_series": series}) == prestart.TABLE_MODULES
    assert early({"inputs": ["data/*.toy"], "time_series": "junk"}) == ()
    assert early({"output_dir": "out"}) == ()  # no inputs yet: the bind decides
    assert early("not a mapping") == ()
    assert prestart.early_modules(None) == ()
    assert prestart.early_modules(tmp_path / "missing.yml") == ()
