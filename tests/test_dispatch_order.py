"""Scheduling: the largest files start first."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import ofxpost
from ofxpost._config.plan import Plan
from ofxpost._core.records import FileRecord, Job
from ofxpost._engine.admission import dispatch_order
from ofxpost._executors.local import create_local_pool
from ofxpost._executors.protocol import FileExecutor, JobStarted
from tests._finish_helpers import toy_config
from tests.conftest import write_toy

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def _plan(sizes: list[int], mode: str = "parallel", workers: int = 2, **budgets: Any) -> Any:
    jobs = tuple(
        Job(index=i, path=Path(f"f{i}.toy"), size=s, mtime_ns=0, needs_licence=False)
        for i, s in enumerate(sizes)
    )
    limits = {"licences": None, "file_capacity": None, **budgets}
    return SimpleNamespace(jobs=jobs, mode=mode, workers=workers, budgets=SimpleNamespace(**limits))


def test_big_files_first_largest_first_ties_in_input_order() -> None:
    order = [job.index for job in dispatch_order(_plan([10, 500, 10, 900, 500, 10, 10]))]
    assert order == [3, 1, 4, 0, 2, 5, 6]


def test_files_of_similar_size_keep_the_input_order() -> None:
    order = [job.index for job in dispatch_order(_plan([100, 300, 120, 90, 350, 200]))]
    assert order == [0, 1, 2, 3, 4, 5]


def test_sequential_keeps_input_order() -> None:
    assert [j.index for j in dispatch_order(_plan([1, 9, 5], mode="sequential"))] == [0, 1, 2]
    assert [j.index for j in dispatch_order(_plan([1, 9, 5], workers=1))] == [0, 1, 2]


def test_a_big_file_listed_last_starts_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = toy_config(tmp_path, monkeypatch, n=4)
    big = write_toy(tmp_path / "data" / "zz_big.toy", 9, n=5000)  # last in input order
    submitted: list[str] = []

    def recording(plan: Plan, on_started: JobStarted) -> FileExecutor:
        executor = create_local_pool(plan, on_started)
        submit = executor.submit

        def record(job: Job) -> Future[FileRecord]:
            submitted.append(job.path.name)
            return submit(job)

        executor.submit = record  # type: ignore[method-assign]
        return executor

    result = ofxpost.run(config, workers=2, pool_factory=recording)
    assert result.exit_code == 0 and result.total == 5
    # the pool hands its queue out first in, first out: the first free worker takes it
    # (which file_started is *announced* first among files that start together depends
    # on thread scheduling, now that a second file waits for each worker)
    assert submitted[0] == big.name
    # the tables still follow the input order
    files = (tmp_path / "out" / "files.csv").read_text().splitlines()
    assert "zz_big.toy" in files[-1]
