"""``ofxpost.orcaflex.post_calculation``: the OrcaFlex post-calculation action.

OrcaFlex calls an in-process Python action's ``Execute(info)`` with the model still
in memory. These tests use the OrcFxAPI stand-in (``ofxpost.ofx.Model``, a model
loaded from an archive) and a fake ``info`` whose attributes are checked against
the interface Orcina documents and OrcaFlex action scripts use.
"""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ofxpost import ofx
from ofxpost._archive.reader import open_archive
from ofxpost._tools.synth import generate_case
from ofxpost.orcaflex import INFO_ATTRIBUTES, archive_path, post_calculation

pytestmark = pytest.mark.integration

ORCINA_INFO = frozenset({"model", "modelFileName", "modelDirectory"})
"""The post-calculation ``info`` attributes documented by Orcina (General data: Post
calculation actions) and used by published action scripts: the model in memory, the
model's file name and its folder."""


class FakeInfo:
    """OrcaFlex's post-calculation ``info``: these attributes and no others."""

    __slots__ = ("model", "modelDirectory", "modelFileName")

    def __init__(self, model: Any, model_file: Path) -> None:
        self.model = model
        self.modelFileName = str(model_file)
        self.modelDirectory = str(model_file.parent)


def test_the_fake_info_has_the_documented_shape() -> None:
    assert set(FakeInfo.__slots__) == ORCINA_INFO
    assert set(INFO_ATTRIBUTES) <= ORCINA_INFO  # ofxpost reads nothing undocumented


def _in_memory_model(source: Path) -> Any:
    """An OrcFxAPI-like model in memory, as in the action (the stand-in on Linux)."""
    model = ofx.Model()
    model.LoadSimulation(str(source))
    return model


def _act(job: tuple[str, str]) -> str:
    """One OrcaFlex process running the action for one model (a worker process)."""
    source, model_file = map(Path, job)
    info = FakeInfo(_in_memory_model(source), model_file)
    return str(post_calculation(info))


def _same_results(a: Path, b: Path) -> None:
    left, right = open_archive(a), open_archive(b)
    assert sorted(left.keys()) == sorted(right.keys())
    for name in ("Riser", "Vessel"):
        for variable in left[name].vars()[:3]:
            extra = {"objectExtra": ofx.oeEndA} if name == "Riser" else {}
            np.testing.assert_array_equal(
                left[name].TimeHistory(variable, **extra),
                right[name].TimeHistory(variable, **extra),
            )


def test_concurrent_actions_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    sources = [
        generate_case(tmp_path / "src" / f"s{i}.ofx.parquet", hs=1.0 + i, tp=8.0, heading=0.0,
                      current=0.3, duration=20.0, dt=0.5, nodes=5, seed=i)
        for i in range(4)
    ]  # fmt: skip
    runs = tmp_path / "runs"
    runs.mkdir()
    # 8 OrcaFlex processes at once; case_00 and case_01 are each run twice (a
    # Distributed OrcaFlex job reallocated after its client was lost)
    jobs = [(str(sources[i % 4]), str(runs / f"case_{i % 4:02d}.dat")) for i in range(8)]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        written = pool.map(_act, jobs, chunksize=1)
    assert sorted(set(written)) == [str(runs / f"case_{i:02d}.ofx.parquet") for i in range(4)]
    assert sorted(p.name for p in runs.iterdir()) == [f"case_{i:02d}.ofx.parquet" for i in range(4)]
    for i, source in enumerate(sources):
        archive = runs / f"case_{i:02d}.ofx.parquet"
        _same_results(archive, source)
        assert open_archive(archive).archiveInfo.source_file == f"case_{i:02d}.dat"


def test_threads_in_one_process_write_one_archive_each(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    source = generate_case(tmp_path / "s.ofx.parquet", hs=2.0, tp=8.0, heading=0.0,
                           current=0.3, duration=20.0, dt=0.5, nodes=5, seed=3)  # fmt: skip
    runs = tmp_path / "runs"
    runs.mkdir()
    infos = [FakeInfo(_in_memory_model(source), runs / f"c{i % 3}.yml") for i in range(9)]
    with ThreadPoolExecutor(6) as threads:
        list(threads.map(post_calculation, infos))
    assert sorted(p.name for p in runs.iterdir()) == [f"c{i}.ofx.parquet" for i in range(3)]
    for archive in runs.iterdir():
        _same_results(archive, source)


def test_out_dir_and_the_environment_choose_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = FakeInfo(None, tmp_path / "case_7.dat")
    assert archive_path(info) == tmp_path / "case_7.ofx.parquet"
    monkeypatch.setenv("OFXPOST_ARCHIVE_DIR", str(tmp_path / "shared"))
    assert archive_path(info) == tmp_path / "shared" / "case_7.ofx.parquet"
    assert archive_path(info, tmp_path / "x") == tmp_path / "x" / "case_7.ofx.parquet"


def test_a_wrong_info_is_one_clear_error(tmp_path: Path) -> None:
    class NoDirectory:
        model = None
        modelFileName = "case.dat"

    with pytest.raises(TypeError, match="'modelDirectory'"):
        post_calculation(NoDirectory())


def test_a_failing_export_leaves_no_temporary_file(tmp_path: Path) -> None:
    source = generate_case(tmp_path / "s.ofx.parquet", hs=2.0, tp=8.0, heading=0.0,
                           current=0.3, duration=20.0, dt=0.5, nodes=5, seed=3)  # fmt: skip
    runs = tmp_path / "runs"
    runs.mkdir()
    info = FakeInfo(_in_memory_model(source), runs / "case.dat")
    from ofxpost.errors import SelectionError

    with pytest.raises(SelectionError):
        post_calculation(info, select={"objects": {"NoSuchObject": {}}})
    assert list(runs.iterdir()) == []
    shutil.rmtree(runs)
