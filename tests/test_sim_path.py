"""The ``.sim`` path end to end: the real loader code in spawned workers, with the
test stand-in ``OrcFxAPI`` (archives under a ``.sim`` name) injected into them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import ofxpost
from tests.conftest import EventLog

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

FAKE_DIR = Path(__file__).parent / "fakes" / "orcfxapi"


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from ofxpost._tools.synth import generate_batch

    out = tmp_path_factory.mktemp("archives")
    batch = generate_batch(cases=6, out_dir=out, seed=3, duration=20.0, dt=0.5, nodes=11)
    return list(batch.paths)


def _sim_batch(root: Path, archives: list[Path]) -> Path:
    data = root / "sims"
    data.mkdir(parents=True)
    for i, archive in enumerate(archives):
        shutil.copy(archive, data / f"run{i}.sim")
    config = {
        "inputs": ["sims/*.sim"],
        "output_dir": "out",
        "parallel_processing": {
            "max_workers": 2,
            "licences": 2,
            "licence_wait": 5,
            "licence_backoff": 0.05,
            "crash_retries": 1,
        },
        "outputs": {"formats": ["csv"]},
    }
    path = root / "batch.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_sim_files_run_through_orcfxapi_in_workers(
    archives: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    monkeypatch.syspath_prepend(str(FAKE_DIR))  # inherited by spawned workers
    log = tmp_path / "fake.log"
    faults = tmp_path / "faults.json"
    faults.write_text(
        json.dumps(
            {
                "run1": {"status": 25, "times": 2},  # licence clears after two tries
                "run2": {"status": 25, "times": None},  # licence never available
                "run3": {"crash": True},
                "run4": {"status": 7, "times": None},  # FileReadError: the file's fault
            }
        )
    )
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("OFXPOST_FAKE_LOG", str(log))
    monkeypatch.setenv("OFXPOST_FAKE_FAULTS", str(faults))
    monkeypatch.setenv("OFXPOST_FAKE_STATE", str(state))
    config = _sim_batch(tmp_path / "b", archives)

    result = ofxpost.run(config, on_event=events)
    kinds = {f.path.name: f.kind for f in result.failures}
    assert kinds == {"run2.sim": "licence", "run3.sim": "crash", "run4.sim": "file"}
    finished = {Path(e["file"]).name: e for e in events.named("file_finished")}
    assert finished["run1.sim"]["attempts"] == 3
    assert set(finished) == {"run0.sim", "run1.sim", "run5.sim"}

    opens = [json.loads(line) for line in log.read_text().splitlines()]
    assert opens and all(o["threadCount"] == 1 for o in opens)
    worker_pids = {e["worker_pid"] for e in events.named("file_started")}
    assert {o["pid"] for o in opens} <= worker_pids
    import os

    assert os.getpid() not in {o["pid"] for o in opens}
    files = pd.read_csv(config.parent / "out" / "files.csv")
    ok = files[files["status"] == "ok"]
    assert list(ok["state"]) == ["SimulationStopped"] * 3
    assert set(ok["simulation_complete"]) == {True}


def test_sim_without_orcfxapi_fails_that_file_only(
    archives: list[Path], tmp_path: Path, events: EventLog
) -> None:
    root = tmp_path / "b"
    config = _sim_batch(root, archives[:2])
    shutil.copy(archives[2], root / "sims" / "portable.ofx.parquet")
    raw = yaml.safe_load(config.read_text())
    raw["inputs"] = ["sims/*.sim", "sims/*.ofx.parquet"]
    config.write_text(yaml.safe_dump(raw))

    result = ofxpost.run(config, on_event=events)
    assert result.succeeded == 1 and result.exit_code == 1
    assert {f.path.name: f.kind for f in result.failures} == {
        "run0.sim": "file",
        "run1.sim": "file",
    }
    message = result.failures[0].errors[0].message
    assert "OrcFxAPI" in message and "ofxpost export" in message
