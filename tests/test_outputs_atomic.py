"""Outputs are never torn: SIGKILL at any point of the write phase (issue 9.6).

Each kill timing is deterministic: the killed ``ofxpost run`` counts the finish
phase's steps (every :func:`os.replace` before and after it, and every
:func:`ofxpost._finish.checkpoints.checkpoint`) from the end of aggregation on, and kills
itself with SIGKILL at the N-th one. After each kill the folder must hold either
a complete set under a complete manifest, or a manifest that says it is not
complete; a normal run afterwards must then give the complete new set. Where
processes fork, the killed runs are forked copies of one interpreter that imported
ofxpost once, so each kill costs its batch and not an interpreter start.
"""

from __future__ import annotations

import json
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
import json, os, signal, sys, traceback
from pathlib import Path

import ofxpost._finish.checkpoints as checkpoints
from ofxpost._cli.main import main


def run_one(config, count, target):
    # `ofxpost run` of `config`, killed at its `target`-th write step (0: never);
    # the steps it went through are written to `count`
    state = {"steps": [], "armed": False}

    def point(label):
        if not state["armed"]:
            return
        state["steps"].append(label)
        if len(state["steps"]) == target:
            if hasattr(signal, "SIGKILL"):
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(137)  # Windows: as abrupt as a kill, no clean-up runs

    def checkpoint(step):
        if step == "aggregated":
            state["armed"] = True
        point(step)

    real_replace = os.replace

    def replace(src, dst):
        point("before replace " + os.fspath(dst))
        real_replace(src, dst)
        point("after replace " + os.fspath(dst))

    checkpoints.checkpoint = checkpoint
    os.replace = replace
    os.chdir(Path(config).parent)
    code = main(["run", config, "--sequential", "--log-format", "json"])
    Path(count).write_text(json.dumps(state["steps"]))
    return code


runs = json.loads(sys.argv[1])  # [[config, count file, target], ...]
if not hasattr(os, "fork"):  # Windows: one run per interpreter
    (run,) = runs
    sys.exit(run_one(*run))
# POSIX: each run is a forked copy of this process, which first runs a copy of the
# batch unkilled, so that every module a run imports is imported once, here
import threading

main(["run", sys.argv[2], "--sequential", "--log-format", "json"])
for thread in threading.enumerate():  # a fork copies no thread: none may hold a lock
    if thread is not threading.main_thread():
        thread.join(120)
codes = []
for run in runs:
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            code = run_one(*run)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    codes.append(-os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
print(json.dumps(codes))
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


def _kill_runs(runs: list[tuple[Path, str, int]], warm_from: Path) -> list[tuple[int, list[str]]]:
    """Run ``ofxpost run`` of each ``(folder, config name, step)``, killed at that step of
    its write phase (0: not killed); the exit code and the steps each went through.

    Where processes fork, one interpreter runs a copy of ``warm_from`` unkilled (so
    that it imports what a run imports) and forks a copy of itself per run: a run
    costs its batch, not an interpreter start and its imports. Elsewhere each run is
    an interpreter of its own.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TOY_DIR), *sys.path])}
    args = [[str(folder / name), str(folder / "steps.json"), at] for folder, name, at in runs]
    batches = [args] if hasattr(os, "fork") else [[one] for one in args]
    warm = _copy(warm_from, warm_from.parent / f"warm-{runs[0][0].name}") / runs[0][1]
    codes: list[int] = []
    for batch in batches:
        done = run_python(
            "-c", KILLER, json.dumps(batch), str(warm), env=env, timeout=300, text=True
        )
        if hasattr(os, "fork"):
            assert done.returncode == 0, done.stderr[-2000:]
            codes.extend(json.loads(done.stdout.strip().splitlines()[-1]))
        else:
            codes.append(done.returncode)
    results = []
    for (folder, _, _), code in zip(runs, codes, strict=True):
        count = folder / "steps.json"
        steps: list[str] = json.loads(count.read_text()) if count.exists() else []
        results.append((code, steps))
    return results


def _step_kind(step: str) -> str:
    """What a write step does: a checkpoint's name (``placed:toy.csv`` -> ``placed``), or
    which side of which rename (``before replace of the manifest``, ``after replace of
    a staged file``, ``... of an output``)."""
    side, found, target = step.partition(" replace ")
    if not found:
        return step.split(":")[0]
    path = Path(target)
    if path.name == "ofxpost-run.json":
        return f"{side} replace of the manifest"
    if ".ofxpost" in path.parts:
        return f"{side} replace of a staged file"
    return f"{side} replace of an output"


def test_sigkill_at_any_write_step_never_tears_outputs(
    tmp_path: Path, kill_setup: tuple[Path, Path, Path]
) -> None:
    template, _, second = kill_setup
    baseline = {manifest(template / "out")["batch_id"]: _set(template / "out")}

    reference = _copy(template, tmp_path / "reference")
    [(code, steps)] = _kill_runs([(reference, second.name, 0)], template)  # kills nothing
    total = len(steps)
    assert code == 1 and total >= 20  # extra1 is partial
    second_set = _set(reference / "out")
    assert second_set != next(iter(baseline.values()))

    # the first and the last step of each kind of write step (a checkpoint, the rename
    # of a staged file, of an output into place, of the manifest; see _step_kind): the
    # states a kill can leave, each manifest write before and after included
    kinds: dict[str, list[int]] = {}
    for at, step in enumerate(steps, start=1):
        kinds.setdefault(_step_kind(step), []).append(at)
    assert {"writing", "placed", "manifest", "before replace of the manifest"} <= set(kinds)
    assert {"after replace of an output", "after replace of a staged file"} <= set(kinds)
    timings = sorted({at for ats in kinds.values() for at in (ats[0], ats[-1])})
    assert timings[0] == 1 and timings[-1] == total
    folders = [_copy(template, tmp_path / f"kill{at:03d}") for at in timings]
    runs = [(folder, second.name, at) for folder, at in zip(folders, timings, strict=True)]
    killed = _kill_runs(runs, template)
    seen: set[str] = set()
    for at, folder, (code, _) in zip(timings, folders, killed, strict=True):
        assert code in (-9, 137), f"step {at} ({steps[at - 1]}): not killed (exit {code})"
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
