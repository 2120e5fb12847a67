"""Scheduling: the largest files start first."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import ofxpost
from ofxpost.admission import dispatch_order
from ofxpost.records import Job
from tests._finish_helpers import toy_config
from tests.conftest import write_toy


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
    started: list[str] = []

    def on_event(event: Any) -> None:
        if event["event"] == "file_started":
            started.append(Path(event["file"]).name)

    result = ofxpost.run(config, workers=2, on_event=on_event)
    assert result.exit_code == 0 and result.total == 5
    assert big.name in started[:2]  # two workers pick up the first two at once
    # the tables still follow the input order
    files = (tmp_path / "out" / "files.csv").read_text().splitlines()
    assert "zz_big.toy" in files[-1]
