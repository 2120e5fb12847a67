"""Outputs are never torn: SIGKILL at any point of the write phase (issue 9.6).

Each kill timing is deterministic: the killed ``ofxpost run`` counts the finish
phase's steps (every :func:`os.replace` before and after it, and every
:func:`ofxpost._finish.checkpoints.checkpoint`) from the end of aggregation on, and kills
itself with SIGKILL at the N-th one. After each kill the folder must hold either
a complete set under a complete manifest, or a manifest that says it is not
complete; a normal run afterwards must then give the complete new set.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

import ofxpost
from ofxpost._core import atomic
from tests._cli import run_python
from tests._finish_helpers import files_under, manifest, toy_config
from tests.conftest import TOY_DIR, write_toy

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

KILLER = r"""
import os, signal, sys
from pathlib import Path

import ofxpost._finish.checkpoints as checkpoints

target = int(os.environ["OFXPOST_TEST_KILL_AT"])
state = {"n": 0, "armed": False}


def point():
    if not state["armed"]:
        return
    state["n"] += 1
    if state["n"] == target:
        if hasattr(signal, "SIGKILL"):
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(137)  # Windows: as abrupt as a kill, no clean-up runs


def checkpoint(step):
    if step == "aggregated":
        state["armed"] = True
    point()


real_replace = os.replace


def replace(src, dst):
    point()
    real_replace(src, dst)
    point()


checkpoints.checkpoint = checkpoint
os.replace = replace

from ofxpost._cli.main import main

code = main(["run", sys.argv[1], "--sequential", "--log-format", "json"])
Path(sys.argv[2]).write_text(str(state["n"]))
sys.exit(code)
"""

USER_FILES = {"my_notes.txt": "mine", "errors/keep.txt": "also mine"}
RUN_SPECIFIC = ("run_log.csv", "parquet/run_log.parquet", "errors/")


def _set(out: Path) -> dict[str, bytes]:
    """The deterministic outputs a manifest lists, as bytes."""
    listed = manifest(out)["written"]
    return {rel: (out / rel).read_bytes() for rel in listed if not rel.startswith(RUN_SPECIFIC)}


def _check_invariant(out: Path, refs: dict[str, dict[str, bytes]], second: dict[str, bytes]) -> str:
    """The on-disk state after a kill; return the manifest's status."""
    info = manifest(out)
    status = info["status"]
    assert status in ("running", "writing", "complete", "partial")
    for rel, text in USER_FILES.items():
        assert (out / rel).read_text(encoding="utf-8") == text
    # ownership survives the kill: every file is the user's or listed as ofxpost's
    temporaries = {p for p in files_under(out) if p.endswith(atomic.TEMP_SUFFIX)}
    stray = files_under(out) - set(info["written"]) - set(USER_FILES) - {"ofxpost-run.json"}
    assert stray <= temporaries, stray
    if status in ("complete", "partial"):
        assert not temporaries
        for rel in info["written"]:
            assert (out / rel).is_file() and (out / rel).stat().st_size > 0, rel
        expected = refs.get(info["batch_id"], second)
        assert _set(out) == expected
    return str(status)


@pytest.fixture
def kill_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """A batch folder whose output_dir holds a complete first run and user files."""
    template = tmp_path / "template"
    first = toy_config(template, monkeypatch, n=3, formats=("csv", "parquet", "xlsx"))
    raw = yaml.safe_load(first.read_text(encoding="utf-8"))
    raw["inputs"] = ["data/case*.toy", "data/extra*.toy"]
    second = template / "second.yml"
    second.write_text(yaml.safe_dump(raw), encoding="utf-8")
    out = template / "out"
    for rel, text in USER_FILES.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    assert ofxpost.run(first, sequential=True).exit_code == 0
    write_toy(template / "data" / "extra0.toy", 7)
    write_toy(template / "data" / "extra1.toy", 8, "raise_extract")
    return template, first, second


def _copy(template: Path, to: Path) -> Path:
    shutil.copytree(template, to)
    return to


def _kill_run(folder: Path, config_name: str, at: int) -> tuple[int, int]:
    env = {**os.environ, "OFXPOST_TEST_KILL_AT": str(at)}
    env["PYTHONPATH"] = os.pathsep.join([str(TOY_DIR), *sys.path])
    count = folder / "steps.txt"
    done = run_python(
        "-c",
        KILLER,
        str(folder / config_name),
        str(count),
        env=env,
        timeout=300,
        cwd=folder,
        text=False,
    )
    steps = int(count.read_text()) if count.exists() else -1
    return done.returncode, steps


def test_sigkill_at_any_write_step_never_tears_outputs(
    tmp_path: Path, kill_setup: tuple[Path, Path, Path]
) -> None:
    template, _, second = kill_setup
    baseline = {manifest(template / "out")["batch_id"]: _set(template / "out")}

    reference = _copy(template, tmp_path / "reference")
    code, total = _kill_run(reference, second.name, 0)  # counts, kills nothing
    assert code == 1 and total >= 20  # extra1 is partial
    second_set = _set(reference / "out")
    assert second_set != next(iter(baseline.values()))

    # 22 timings spread over every step of the write phase, first and last included
    timings = sorted({1 + round(i * (total - 1) / 21) for i in range(22)})
    assert len(timings) >= 20
    seen: set[str] = set()
    for at in timings:
        folder = _copy(template, tmp_path / f"kill{at:03d}")
        code, _ = _kill_run(folder, second.name, at)
        assert code in (-9, 137), f"step {at}: not killed (exit {code})"
        seen.add(_check_invariant(folder / "out", baseline, second_set))
        # recovery: a normal run gives the complete second set, nothing stray
        assert ofxpost.run(folder / second.name, sequential=True).exit_code == 1
        assert _check_invariant(folder / "out", {}, second_set) == "complete"
        shutil.rmtree(folder)
    assert "writing" in seen  # the kills did land inside the write phase


def test_atomic_write_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic.atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("writer died")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
    atomic.write_text(target, "new\n", fsync=True)
    assert target.read_text(encoding="utf-8") == "new\n"
