"""The built-in loaders: archives, OrcaFlex files through OrcFxAPI (the test fake here)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pluggy
import pytest

import ofxpost
from ofxpost import hookspecs, load_config, ofx
from ofxpost._archive import ArchiveError
from ofxpost._builtin import loaders
from ofxpost._core.markers import PROJECT_NAME
from ofxpost._core.records import Job
from ofxpost._tools.synth import make_bad_file
from ofxpost.errors import OrcaFlexUnavailableError, SimulationStateError
from tests._archive_helpers import FAKE_ORCFXAPI_DIR, small_archive
from tests._cli import run_python

__all__ = ["small_archive"]


def _job(path: Path) -> Job:
    return Job(index=0, path=path, size=path.stat().st_size, mtime_ns=0, needs_licence=False)


@pytest.fixture
def config() -> Any:
    return load_config({"inputs": ["*.sim"]})


@pytest.fixture
def manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(loaders)
    return pm


@pytest.fixture
def fake_orcfxapi(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The test OrcFxAPI on ``sys.path`` (and out of ``sys.modules`` afterwards)."""
    monkeypatch.delitem(sys.modules, "OrcFxAPI", raising=False)
    monkeypatch.syspath_prepend(str(FAKE_ORCFXAPI_DIR))
    import OrcFxAPI

    assert getattr(OrcFxAPI, "OFXPOST_FAKE", False)
    yield OrcFxAPI
    sys.modules.pop("OrcFxAPI", None)


def _open(pm: pluggy.PluginManager, path: Path, config: Any) -> Any:
    return pm.hook.ofxpost_open_simulation(path=path, job=_job(path), config=config)


# -------------------------------------------------------------------------- archives


def test_archive_loader(manager: pluggy.PluginManager, small_archive: Path, config: Any) -> None:
    model = _open(manager, small_archive, config)
    assert model is not None and model.state == ofx.ModelState.SimulationStopped
    assert "Riser" in model
    model.close()


def test_other_files_are_left_to_other_loaders(
    manager: pluggy.PluginManager, tmp_path: Path, config: Any
) -> None:
    toy = tmp_path / "case.toy"
    toy.write_text("{}", encoding="utf-8")
    assert _open(manager, toy, config) is None


@pytest.mark.parametrize(
    ("kind", "state", "complete"),
    [("incomplete", "RunningSimulation", False), ("unstable", "SimulationStoppedUnstable", False)],
)
def test_state_checks(
    manager: pluggy.PluginManager,
    tmp_path: Path,
    config: Any,
    kind: str,
    state: str,
    complete: bool,
) -> None:
    path = make_bad_file(tmp_path / f"{kind}.ofx.parquet", kind)
    with pytest.raises(SimulationStateError) as excinfo:
        _open(manager, path, config)
    message = str(excinfo.value)
    assert str(path) in message and state in message
    assert f"simulationComplete {complete}" in message
    assert excinfo.value.state == state


def test_allow_incomplete(manager: pluggy.PluginManager, tmp_path: Path) -> None:
    path = make_bad_file(tmp_path / "inc.ofx.parquet", "incomplete")
    allowed = ofxpost.load_config(
        {"inputs": [str(path)], "loader": {"allow_incomplete": True}}, base_dir=tmp_path
    )
    model = _open(manager, path, allowed)
    assert model.simulationComplete is False
    model.close()
    strict = ofxpost.load_config({"inputs": [str(path)]}, base_dir=tmp_path)
    with pytest.raises(SimulationStateError):
        _open(manager, path, strict)


def test_static_only_state_fails() -> None:
    model = SimpleNamespace(state=ofx.ModelState.InStaticState, simulationComplete=False)
    with pytest.raises(SimulationStateError, match="static state only"):
        loaders.check_state(model, Path("s.sim"), None)
    finished = SimpleNamespace(state=ofx.ModelState.SimulationStopped, simulationComplete=False)
    with pytest.raises(SimulationStateError, match="did not run to its end"):
        loaders.check_state(finished, Path("s.sim"), None)


def test_corrupt_archive_names_the_file(
    manager: pluggy.PluginManager, tmp_path: Path, config: Any
) -> None:
    path = make_bad_file(tmp_path / "cut.ofx.parquet", "truncated")
    with pytest.raises(ArchiveError, match=r"cut\.ofx\.parquet"):
        _open(manager, path, config)


# ----------------------------------------------------------------------- OrcaFlex files


def test_sim_without_orcfxapi_points_to_export(
    manager: pluggy.PluginManager,
    small_archive: Path,
    tmp_path: Path,
    config: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "OrcFxAPI", raising=False)
    assert str(FAKE_ORCFXAPI_DIR) not in sys.path
    sim = tmp_path / "case.sim"
    shutil.copy(small_archive, sim)
    with pytest.raises(OrcaFlexUnavailableError) as excinfo:
        _open(manager, sim, config)
    message = str(excinfo.value)
    assert "ofxpost export" in message and "case.sim" in message
    assert "OrcFxAPI" not in sys.modules


def test_sim_through_the_fake_orcfxapi(
    manager: pluggy.PluginManager,
    small_archive: Path,
    tmp_path: Path,
    config: Any,
    fake_orcfxapi: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = tmp_path / "fake.log"
    monkeypatch.setenv("OFXPOST_FAKE_LOG", str(log))
    sim = tmp_path / "case.sim"
    shutil.copy(small_archive, sim)
    model = _open(manager, sim, config)
    assert fake_orcfxapi.Model.last_thread_count == 1 and model.threadCount == 1
    assert model["Riser"].TimeHistory("Effective tension", None, ofx.oeEndA).size > 0
    threaded = SimpleNamespace(parallel_processing=SimpleNamespace(orcfxapi_threads=3))
    _open(manager, sim, threaded)
    assert fake_orcfxapi.Model.last_thread_count == 3
    _open(manager, sim, SimpleNamespace())
    assert fake_orcfxapi.Model.last_thread_count == 1
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [line["threadCount"] for line in lines] == [1, 3, 1]
    assert {line["file"] for line in lines} == {str(sim)}


def test_state_check_applies_to_sim(
    manager: pluggy.PluginManager, tmp_path: Path, config: Any, fake_orcfxapi: Any
) -> None:
    sim = tmp_path / "running.sim"
    shutil.copy(make_bad_file(tmp_path / "running.ofx.parquet", "incomplete"), sim)
    with pytest.raises(SimulationStateError, match=r"running\.sim"):
        _open(manager, sim, config)


def test_licence_error_surfaces_with_status_25(
    manager: pluggy.PluginManager,
    small_archive: Path,
    tmp_path: Path,
    config: Any,
    fake_orcfxapi: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"case": {"status": 25, "times": 2}}), encoding="utf-8")
    monkeypatch.setenv("OFXPOST_FAKE_FAULTS", str(faults))
    monkeypatch.setenv("OFXPOST_FAKE_STATE", str(tmp_path / "state"))
    sim = tmp_path / "case.sim"
    shutil.copy(small_archive, sim)
    for _attempt in range(2):
        with pytest.raises(fake_orcfxapi.DLLError) as excinfo:
            _open(manager, sim, config)
        assert int(excinfo.value.status) == ofx.StatusCode.LicensingError
        assert ofx.is_licence_error(excinfo.value)
        assert excinfo.value.__class__ is ofx.DLLError  # one class, whichever module
    assert _open(manager, sim, config) is not None  # the third open succeeds


def test_fault_without_a_limit_and_missing_files(
    small_archive: Path, tmp_path: Path, fake_orcfxapi: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"always": {"status": 7, "times": None}}), encoding="utf-8")
    monkeypatch.setenv("OFXPOST_FAKE_FAULTS", str(faults))
    monkeypatch.setenv("OFXPOST_FAKE_STATE", str(tmp_path / "state"))
    sim = tmp_path / "always.sim"
    shutil.copy(small_archive, sim)
    for _attempt in range(3):
        with pytest.raises(ofx.DLLError) as excinfo:
            fake_orcfxapi.Model(str(sim), threadCount=1)
        assert int(excinfo.value.status) == 7
    with pytest.raises(ofx.DLLError) as excinfo:
        fake_orcfxapi.Model(str(tmp_path / "nope.sim"))
    assert int(excinfo.value.status) == ofx.StatusCode.FileNotFound


@pytest.mark.integration
def test_crash_fault_ends_the_process(small_archive: Path, tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"boom": {"crash": True}}), encoding="utf-8")
    sim = tmp_path / "boom.sim"
    shutil.copy(small_archive, sim)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(FAKE_ORCFXAPI_DIR), os.environ.get("PYTHONPATH", "")]),
        "OFXPOST_FAKE_FAULTS": str(faults),
    }
    code = f"import OrcFxAPI; OrcFxAPI.Model({str(sim)!r}, threadCount=1); print('survived')"
    result = run_python("-c", code, env=env, timeout=120)
    assert result.returncode == 70 and "survived" not in result.stdout
