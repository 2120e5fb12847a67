"""The plot process (``_builtin.support.plot_process``): same PNG bytes; failures cost the plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import ofxpost
from ofxpost._builtin.support import plot_process
from ofxpost._builtin.support.figures import Curve, FigureSpec, save_pngs
from tests.conftest import live_children

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def _specs() -> list[FigureSpec]:
    x = np.linspace(0.0, 100.0, 21)
    curves = tuple(
        Curve(x, np.sin(x / 10.0 + k), "0.65", 0.7, "per file" if k == 0 else None)
        for k in range(5)
    )
    envelope = Curve(x, np.full(x.shape, 1.0), "tab:blue", 2.2, "envelope max")
    return [
        FigureSpec("range_graph_a.png", "A", "Arc length (m)", "T (kN)", (*curves, envelope), 0.9),
        FigureSpec("range_graph_b.png", "PARTIAL: B", "x", "y", (), None, no_data=True),
    ]


def test_pngs_drawn_in_the_process_are_byte_identical(tmp_path: Path) -> None:
    here = save_pngs(_specs(), tmp_path / "here")
    process = plot_process.start()
    assert process is not None
    try:
        there = process.draw(_specs(), tmp_path / "there")
    finally:
        process.close()
    assert [p.name for p in there] == [p.name for p in here]
    for a, b in zip(here, there, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert process.pid not in {p.pid for p in live_children()}


def test_an_error_while_drawing_is_raised_in_the_controller(tmp_path: Path) -> None:
    bad = FigureSpec(
        "range_graph_bad.png", "bad", "x", "y", (Curve(np.zeros(3), np.zeros(4), "k", 1.0),)
    )
    process = plot_process.start()
    assert process is not None
    try:
        with pytest.raises(ValueError, match="same first dimension"):
            process.draw([bad], tmp_path)
        # the process lives on: the next drawing works
        assert len(process.draw(_specs(), tmp_path / "next")) == 2
    finally:
        process.close()


def test_a_process_that_cannot_start_draws_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plot_process, "_BOOT", "import sys; sys.exit(3)")
    process = plot_process.start()
    assert process is not None
    paths = process.draw(_specs(), tmp_path)  # never said ready: drawn in this process
    assert [p.name for p in paths] == ["range_graph_a.png", "range_graph_b.png"]
    assert paths[0].read_bytes() == save_pngs(_specs(), tmp_path / "ref")[0].read_bytes()


def test_a_process_that_dies_while_drawing_raises(tmp_path: Path) -> None:
    process = plot_process.start()
    assert process is not None
    assert process._await_ready()
    process._child.kill()
    process._child.wait()
    with pytest.raises(plot_process.PlotProcessDied, match="ended while drawing"):
        process.draw(_specs(), tmp_path)
    process.close()


# ----------------------------------------------------------------------------- batches


def _demo(folder: Path) -> Path:
    from ofxpost._tools.demo import prepare_demo

    path = prepare_demo(folder, cases=3, seed=5)
    config = yaml.safe_load(path.read_text("utf-8"))
    config["outputs"] = {"formats": ["csv"]}
    config["parallel_processing"] = {"max_workers": 2}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _pngs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "plots").glob("*.png"))}


@pytest.mark.parametrize("spare", [True, False], ids=["started-with-batch", "at-finish"])
def test_a_batch_draws_the_same_plots_in_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spare: bool
) -> None:
    config = _demo(tmp_path)
    here = ofxpost.run(config, sequential=True)  # 3 files: below MIN_FILES, drawn here
    assert here.exit_code == 0, here.output_errors
    want = _pngs(tmp_path / "results")
    assert len(want) == 2
    started: list[Any] = []
    real_start = plot_process.start

    def spy() -> Any:
        started.append(real_start())
        return started[-1]

    monkeypatch.setattr(plot_process, "MIN_FILES", 1)
    monkeypatch.setattr(plot_process, "spare_cpu", lambda plan: spare)  # any machine
    monkeypatch.setattr(plot_process.os, "cpu_count", lambda: 2)  # a 1-CPU runner too
    monkeypatch.setattr(plot_process, "start", spy)
    there = ofxpost.run(config, workers=2)
    assert there.exit_code == 0, there.output_errors
    assert len(started) == 1 and started[0] is not None
    assert _pngs(tmp_path / "results") == want
    assert live_children() == []


def test_a_plot_process_crash_costs_only_the_plots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _demo(tmp_path)
    monkeypatch.setattr(plot_process, "MIN_FILES", 1)
    monkeypatch.setattr(plot_process, "spare_cpu", lambda plan: True)  # any machine
    real_draw = plot_process.PlotProcess.draw

    def crash_first(self: plot_process.PlotProcess, specs: Any, folder: Path) -> Any:
        self._await_ready()
        self._child.kill()
        self._child.wait()
        return real_draw(self, specs, folder)

    monkeypatch.setattr(plot_process.PlotProcess, "draw", crash_first)
    result = ofxpost.run(config, sequential=True)
    out = tmp_path / "results"
    assert [(f.stage, f.plugin) for f in result.output_failures] == [
        ("writer", "ofxpost.builtin.rangegraph")
    ]
    assert "PlotProcessDied" in result.output_failures[0].message
    assert not (out / "plots").exists()
    assert (out / "range_graph_envelope.csv").is_file() and (out / "summary_extremes.csv").is_file()
    assert live_children() == []


def test_a_group_shares_the_plots_and_keeps_their_order(tmp_path: Path) -> None:
    specs = [
        FigureSpec(f"range_graph_{n}.png", f"G{n}", "x", "y", _specs()[0].curves, None)
        for n in range(5)
    ]
    processes = [p for p in (plot_process.start(), plot_process.start()) if p is not None]
    group = plot_process.PlotGroup(processes)
    try:
        paths = group.draw(specs, tmp_path / "group")
    finally:
        group.close()
    assert [p.name for p in paths] == [s.file_name for s in specs]
    here = save_pngs(specs, tmp_path / "here")
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in here]
    assert plot_process.group_size(1) == 1 and plot_process.group_size(0) == 1


def test_a_plot_process_only_uses_a_spare_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    class Plan:
        def __init__(self, mode: str, workers: int) -> None:
            self.mode, self.workers = mode, workers

    monkeypatch.setattr(plot_process.os, "cpu_count", lambda: 2)
    assert plot_process.spare_cpu(Plan("sequential", 1))  # the controller, and one free
    assert not plot_process.spare_cpu(Plan("parallel", 1))  # controller + worker
    assert not plot_process.spare_cpu(Plan("parallel", 2))
    monkeypatch.setattr(plot_process.os, "cpu_count", lambda: 16)
    assert plot_process.spare_cpu(Plan("parallel", 8))


@pytest.mark.parametrize("spare", [True, False])
def test_without_a_spare_cpu_the_plot_process_starts_at_the_finish(
    monkeypatch: pytest.MonkeyPatch, spare: bool
) -> None:
    """With a spare CPU the process starts with the batch (its imports overlap the
    files); without one it starts only when the writer takes it, at the finish, so
    that it never takes CPU from the files."""

    class Plan:
        total, mode, workers, batch_id = plot_process.MIN_FILES, "parallel", 2, "b-later"
        config = object()

    started: list[Any] = []
    real_start = plot_process.start

    def spy() -> Any:
        started.append(real_start())
        return started[-1]

    monkeypatch.setattr(plot_process, "spare_cpu", lambda plan: spare)
    monkeypatch.setattr(plot_process, "start", spy)
    monkeypatch.setattr(plot_process.os, "cpu_count", lambda: 2)
    plan = Plan()
    try:
        assert plot_process.start_for_batch(plan, 1)  # type: ignore[arg-type]
        assert len(started) == (1 if spare else 0)
        group = plot_process.take(plan.config)  # type: ignore[arg-type]
        assert group is not None and len(started) == 1
        assert plot_process.take(plan.config) is None  # type: ignore[arg-type]
        group.close()
    finally:
        plot_process.close_batch("b-later")
    assert live_children() == []


def test_a_deferred_plot_process_no_writer_takes_is_never_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Plan:
        total, mode, workers, batch_id = plot_process.MIN_FILES, "parallel", 2, "b-none"
        config = object()

    monkeypatch.setattr(plot_process, "spare_cpu", lambda plan: False)
    monkeypatch.setattr(plot_process.os, "cpu_count", lambda: 2)
    assert plot_process.start_for_batch(Plan(), 1)  # type: ignore[arg-type]
    plot_process.close_batch("b-none")
    assert plot_process.take(Plan.config) is None  # type: ignore[arg-type]
    assert live_children() == []
