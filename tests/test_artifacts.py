"""Per-file artifacts: written by the worker, placed by the controller, owned, resumable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import ofxpost
from ofxpost._core.records import Job
from ofxpost._store.artifacts import artifact_path, collecting
from ofxpost._store.manifest import MANIFEST, OutputLedger
from tests._pp_helpers import make_sims, write_yaml

RISER = "Riser"
TENSION = "Effective tension"


def _config(out: str = "out") -> dict[str, Any]:
    return {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": out,
        "parallel_processing": {"max_workers": 2},
        "outputs": {"formats": ["csv", "parquet"]},
        "time_series": {
            "groups": [
                {
                    "name": "top",
                    "columns": [{"object": RISER, "variable": TENSION, "object_extra": "end_a"}],
                }
            ]
        },
    }


@pytest.fixture(scope="module")
def sims_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("artifacts")
    make_sims(root / "sims", cases=3, seed=5)
    return root


def _store_lines(out: Path) -> list[dict[str, Any]]:
    text = (out / ".ofxpost" / "store" / "records.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.integration
def test_time_series_never_reach_the_store_and_are_owned(sims_root: Path) -> None:
    config = write_yaml(sims_root / "a.yml", _config("out_a"))
    result = ofxpost.run(config, workers=2)
    out = sims_root / "out_a"
    assert result.exit_code == 0, result.output_errors
    lines = _store_lines(out)
    assert len(lines) == 3
    for line in lines:
        top = line["results"]["time_series"]["top"]
        assert "frame" not in top  # no Arrow table through the controller
        stem = Path(line["key"]["path"]).name.removesuffix(".ofx.parquet")
        names = [f"time_series_top_{stem}.csv", f"parquet/time_series_top_{stem}.parquet"]
        assert top["written"] == names
        assert line["artifacts"] == names
    written = set(json.loads((out / MANIFEST).read_text())["written"])
    for name in ("time_series_top_case_001.csv", "parquet/time_series_top_case_001.parquet"):
        assert name in written and (out / name).is_file()
        assert out / name in result.outputs
    assert not (out / ".ofxpost" / "artifacts").exists()  # staging is cleaned up
    text = (out / "time_series_top_case_001.csv").read_text()
    assert text.startswith("time [s],")


@pytest.mark.integration
def test_a_files_artifacts_are_claimed_together_with_one_manifest_write(
    sims_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    claims: list[list[str]] = []
    real = OutputLedger.claim

    def spy(self: OutputLedger, rels: Any, status: str | None = None) -> None:
        rels = list(rels)
        claims.append(rels)
        real(self, rels, status)

    monkeypatch.setattr(OutputLedger, "claim", spy)
    config = write_yaml(sims_root / "c.yml", _config("out_c"))
    result = ofxpost.run(config, workers=2)
    assert result.exit_code == 0, result.output_errors
    per_file = [c for c in claims if any("case_00" in name for name in c)]
    expected = [
        sorted([f"time_series_top_case_00{i}.csv", f"parquet/time_series_top_case_00{i}.parquet"])
        for i in (1, 2, 3)
    ]
    # each file's artifacts are in one claim (one manifest write), with other files'
    # when they finished together (see the batching test below), each file once
    claimed = sorted(name for claim in per_file for name in claim)
    assert claimed == sorted(name for names in expected for name in names)
    for names in expected:
        assert any(set(names) <= set(claim) for claim in per_file)
    assert 1 <= len(per_file) <= 3
    written = set(json.loads((sims_root / "out_c" / MANIFEST).read_text())["written"])
    for names in expected:
        assert set(names) <= written
        assert all((sims_root / "out_c" / name).is_file() for name in names)


@pytest.mark.integration
def test_a_users_file_is_never_overwritten(sims_root: Path) -> None:
    out = sims_root / "out_b"
    out.mkdir()
    mine = out / "time_series_top_case_002.csv"
    mine.write_text("my notes\n")
    result = ofxpost.run(write_yaml(sims_root / "b.yml", _config("out_b")), workers=2)
    assert mine.read_text() == "my notes\n"
    assert result.exit_code == 1
    assert any("time_series_top_case_002.csv" in e for e in result.output_errors)
    assert (out / "time_series_top_case_001.csv").is_file()  # the others are placed


@pytest.mark.integration
def test_resume_keeps_artifacts_and_reruns_a_file_whose_artifact_went(sims_root: Path) -> None:
    config = write_yaml(sims_root / "c.yml", _config("out_c"))
    out = sims_root / "out_c"
    first = ofxpost.run(config, workers=2)
    assert first.exit_code == 0
    before = (out / "time_series_top_case_001.csv").read_bytes()
    (out / "time_series_top_case_003.csv").unlink()
    again = ofxpost.run(config, workers=2, resume=True)
    assert again.exit_code == 0, again.output_errors
    assert again.reused == 2  # case_003 lost its artifact: it ran again
    assert (out / "time_series_top_case_001.csv").read_bytes() == before
    assert (out / "time_series_top_case_003.csv").is_file()
    written = set(json.loads((out / MANIFEST).read_text())["written"])
    assert {f"time_series_top_case_00{i}.csv" for i in (1, 2, 3)} <= written


def _job(tmp_path: Path) -> Job:
    return Job(index=7, path=tmp_path / "x.sim", size=0, mtime_ns=0, needs_licence=False)


@pytest.mark.parametrize(
    "name", ["../escape.csv", "/abs.csv", ".ofxpost/x.csv", "ofxpost-run.json", "a\\b.csv"]
)
def test_artifact_names_are_confined(tmp_path: Path, name: str) -> None:
    config = type("C", (), {"output_dir": tmp_path})()
    job = _job(tmp_path)
    with (
        collecting(tmp_path, job),
        pytest.raises(ValueError, match="artifact name"),
        artifact_path(job, config, name),
    ):
        pass


def test_artifact_path_outside_an_extraction_is_refused(tmp_path: Path) -> None:
    config = type("C", (), {"output_dir": tmp_path})()
    with (
        pytest.raises(RuntimeError, match="inside ofxpost_extract"),
        artifact_path(_job(tmp_path), config, "x.csv"),
    ):
        pass


def test_a_failed_write_registers_nothing(tmp_path: Path) -> None:
    config = type("C", (), {"output_dir": tmp_path})()
    job = _job(tmp_path)
    with collecting(tmp_path, job) as names:
        with pytest.raises(OSError), artifact_path(job, config, "sub/x.csv") as tmp:
            tmp.write_text("half")
            raise OSError("disk full")
        with artifact_path(job, config, "sub/y.csv") as tmp:
            tmp.write_text("whole")
    assert names == ["sub/y.csv"]
    staged = tmp_path / ".ofxpost" / "artifacts" / "00007" / "sub"
    assert sorted(p.name for p in staged.iterdir()) == ["y.csv"]


# ------------------------------------------------- batching the manifest writes


class _Failures:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def fail(self, failure: Any) -> None:
        self.messages.append(failure.message)

    def output(self, message: str, *, target: str | None = None) -> None:
        self.messages.append(message)


def _staged_record(root: Path, index: int) -> Any:
    from ofxpost._core.records import FileRecord, FileStatus
    from ofxpost._store.artifacts import staged_file

    names = [f"series/c{index:03d}.csv", f"series/parquet/c{index:03d}.parquet"]
    for name in names:
        staged = staged_file(root, index, name)
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_text(f"file {index}: {name}\n", encoding="utf-8")
    return FileRecord(index, root / f"c{index:03d}.sim", FileStatus.OK, artifacts=names)


def test_files_that_finish_together_share_one_manifest_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every artifact is listed in the manifest before it is moved into place, but a
    file that finishes under ``ARTIFACT_BATCH_S`` after the last claim waits for the
    next one: the manifest, which lists every artifact of the run, is no longer
    rewritten once per file (quadratic in the files)."""
    from ofxpost._finish import placement
    from ofxpost._finish.per_file import PerFileOutputs
    from ofxpost._finish.placement import ARTIFACT_BATCH_S

    now = [1000.0]
    monkeypatch.setattr(placement.time, "monotonic", lambda: now[0])
    ledger = OutputLedger(tmp_path, "b1")
    saves: list[int] = []
    real_save = OutputLedger.save
    monkeypatch.setattr(
        OutputLedger, "save", lambda self, summary=None: (saves.append(1), real_save(self, summary))
    )
    failures = _Failures()
    outputs = PerFileOutputs(tmp_path, "b1", lambda: ledger, failures)  # type: ignore[arg-type]

    def placed(index: int) -> bool:
        return (tmp_path / f"series/c{index:03d}.csv").is_file()

    outputs.place_artifacts(_staged_record(tmp_path, 0))  # the first: at once
    assert placed(0) and len(saves) == 1
    for index in range(1, 40):  # 39 more within the window: they wait
        now[0] += ARTIFACT_BATCH_S / 100
        outputs.place_artifacts(_staged_record(tmp_path, index))
    assert len(saves) == 1 and not any(placed(i) for i in range(1, 40))
    # a name another waiting file already took is refused at once, not placed twice
    twin = _staged_record(tmp_path, 39)
    twin.index = 40
    outputs.place_artifacts(twin)
    assert any("already written by another output" in m for m in failures.messages)
    # a plugin-output log (already in place) joins the same write
    log = tmp_path / "logs" / "c007.log"
    log.parent.mkdir()
    log.write_text("printed\n", encoding="utf-8")
    logged = _staged_record(tmp_path, 99)
    logged.artifacts, logged.log = [], str(log)
    outputs.claim_log(logged)
    assert len(saves) == 1
    now[0] += ARTIFACT_BATCH_S  # the engine's tick (or the finish) places the rest
    outputs.place_pending()
    assert len(saves) == 2 and all(placed(i) for i in range(40))
    manifest = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert len(manifest["written"]) == 81 and len(outputs.artifacts) == 80
    assert "logs/c007.log" in manifest["written"]
    outputs.place_pending()  # nothing waits: no write
    assert len(saves) == 2
    now[0] += ARTIFACT_BATCH_S  # a file that finishes alone is placed at once
    outputs.place_artifacts(_staged_record(tmp_path, 41))
    assert placed(41) and len(saves) == 3


_WAITER = """
import json, time
from pathlib import Path

import ofxpost


@ofxpost.hookimpl
def ofxpost_extract(model, config, job):
    if job is None or not str(job.path).endswith("case_003.ofx.parquet"):
        return None
    target = Path(config.output_dir) / "time_series_top_case_002.csv"
    deadline = time.monotonic() + 60.0
    while not target.exists() and time.monotonic() < deadline:  # a condition, not a pause
        time.sleep(0.01)
    seen = Path(config.output_dir).parent / "seen.json"
    seen.write_text(json.dumps({target.name: target.exists()}), encoding="utf-8")
    return None
"""


@pytest.mark.integration
def test_a_files_artifacts_appear_while_the_next_file_still_runs(
    sims_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Artifacts waiting for their batch's manifest write are placed by the engine's
    tick, not left until another file ends or the batch finishes: here the third
    file's extractor waits until the second file's time series is in ``output_dir``."""
    from ofxpost._finish import placement

    monkeypatch.setattr(placement, "ARTIFACT_BATCH_S", 1e9)  # only the tick places them
    folder = sims_root / "tick"
    folder.mkdir()
    (folder / "ofxpost_plugins.py").write_text(_WAITER, encoding="utf-8")
    config = _config("out")
    config["inputs"] = [(sims_root / "sims" / "*.ofx.parquet").as_posix()]
    config["parallel_processing"] = {"enabled": False}  # one file at a time, in order
    result = ofxpost.run(write_yaml(folder / "tick.yml", config))
    assert result.exit_code == 0, result.output_errors
    seen = json.loads((folder / "seen.json").read_text(encoding="utf-8"))
    assert seen == {"time_series_top_case_002.csv": True}
