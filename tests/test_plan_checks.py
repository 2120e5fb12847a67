"""Plan-time checks: a memory budget too small to run anything is a config error;
outputs never become inputs; duplicates by resolved path are dropped, with events."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest
import yaml

import ofxpost
from ofxpost._cli.main import main
from ofxpost._config.plan import MIN_FILE_ESTIMATE, make_plan
from tests.conftest import EventLog, ToyBatch, write_toy


@pytest.mark.integration
def test_memory_budget_too_small_is_a_config_error_naming_the_minimum(
    toy_batch: ToyBatch,
) -> None:
    path = toy_batch(3, parallel={"memory_budget": "64MiB"})
    with pytest.raises(ofxpost.ConfigError) as info:
        make_plan(ofxpost.load_config(path))
    message = str(info.value)
    assert "key 'parallel_processing.memory_budget'" in message
    assert "too small to run any file" in message
    minimum_mib = int(message.split("use at least ")[1].split("MiB")[0])
    # the minimum it names covers the controller, one worker and one file ...
    rss = psutil.Process().memory_info().rss
    assert minimum_mib * 1024**2 >= 2 * rss + MIN_FILE_ESTIMATE
    # ... and does work
    raw = yaml.safe_load(path.read_text())
    raw["parallel_processing"]["memory_budget"] = f"{minimum_mib + 64}MiB"
    path.write_text(yaml.safe_dump(raw))
    plan = make_plan(ofxpost.load_config(path))
    assert plan.budgets.file_capacity is not None
    assert plan.budgets.file_capacity >= MIN_FILE_ESTIMATE


@pytest.mark.integration
def test_memory_budget_too_small_exits_2_before_anything_is_written(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = toy_batch(2, parallel={"memory_budget": 1000})
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "memory_budget" in err and "use at least" in err
    assert not (path.parent / "out").exists()


@pytest.mark.integration
def test_tiny_fixed_memory_per_file_is_refused(toy_batch: ToyBatch) -> None:
    path = toy_batch(2, parallel={"memory_budget": "8GiB", "memory_per_file": 1})
    with pytest.raises(ofxpost.ConfigError, match="memory_per_file': 1 bytes is too small"):
        make_plan(ofxpost.load_config(path))


def _config(root: Path, inputs: list[str], output_dir: str = "out") -> Path:
    path = root / "batch.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "inputs": inputs,
                "output_dir": output_dir,
                "plugins": ["ofxpost_toy"],
                "parallel_processing": {"max_workers": 2},
                "outputs": {"formats": ["csv"]},
            }
        )
    )
    return path


@pytest.mark.integration
def test_outputs_never_become_inputs(tmp_path: Path, toy_on_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "data").mkdir(parents=True)
    for i in range(3):
        write_toy(root / "data" / f"c{i}.toy", i)
    (root / "out").mkdir()
    write_toy(root / "out" / "left_over.toy", 9)  # something in output_dir
    (root / "out" / "sub").mkdir()
    write_toy(root / "out" / "sub" / "deeper.toy", 8)
    path = _config(root, ["**/*.toy"])
    events = EventLog()
    result = ofxpost.run(path, on_event=events, sequential=True)
    assert result.total == 3 and result.exit_code == 0
    started = {Path(e["file"]).name for e in events.named("file_started")}
    assert started == {"c0.toy", "c1.toy", "c2.toy"}
    notes = [e["message"] for e in events.named("warning")]
    assert any("2 file(s) under output_dir" in n and "left out" in n for n in notes)


@pytest.mark.integration
def test_output_dir_dot_keeps_inputs_but_not_what_ofxpost_wrote(
    tmp_path: Path, toy_on_path: Path
) -> None:
    root = tmp_path / "dot"
    (root / "data").mkdir(parents=True)
    for i in range(2):
        write_toy(root / "data" / f"c{i}.toy", i)
    path = _config(root, ["data/*.toy", "*.csv"], output_dir=".")
    (root / "notes.csv").write_text("a,b\n1,2\n")  # a user's file: an input here
    first = ofxpost.run(path, sequential=True)
    assert first.total == 3
    # the second run must not take the first run's tables (files.csv ...) as inputs
    events = EventLog()
    second = ofxpost.run(path, on_event=events, sequential=True)
    assert second.total == 3
    assert sorted(Path(e["file"]).name for e in events.named("file_started")) == [
        "c0.toy",
        "c1.toy",
        "notes.csv",
    ]
    assert any("under output_dir" in e["message"] for e in events.named("warning"))


def test_pattern_matching_only_outputs_is_a_config_error(tmp_path: Path, toy_on_path: Path) -> None:
    root = tmp_path / "only"
    (root / "out").mkdir(parents=True)
    write_toy(root / "out" / "a.toy", 0)
    path = _config(root, ["**/*.toy"])
    with pytest.raises(ofxpost.ConfigError, match="matched no files outside output_dir"):
        make_plan(ofxpost.load_config(path))


@pytest.mark.integration
def test_duplicates_by_resolved_path_are_dropped_with_an_event(
    tmp_path: Path, toy_on_path: Path
) -> None:
    root = tmp_path / "dups"
    (root / "sims").mkdir(parents=True)
    for i in range(2):
        write_toy(root / "sims" / f"x{i}.toy", i)
    inputs = ["sims/x0.toy", "sims/../sims/x0.toy", "sims/*.toy"]
    if hasattr(os, "symlink"):
        try:
            os.symlink(root / "sims" / "x1.toy", root / "link.toy")
            inputs.append("link.toy")
        except OSError:  # Windows without the privilege: the .. case still counts
            pass
    path = _config(root, inputs)
    plan = make_plan(ofxpost.load_config(path))
    assert [job.path for job in plan.jobs] == [
        root / "sims" / "x0.toy",
        root / "sims" / "x1.toy",
    ]
    dropped = len(inputs) - 1  # the glob matches both files
    assert any(f"{dropped} input(s) named a file already" in w for w in plan.warnings)
    events = EventLog()
    ofxpost.run(path, on_event=events, sequential=True)
    assert any("already in the inputs" in e["message"] for e in events.named("warning"))
    # event paths are absolute and normalised
    assert all(".." not in e["file"] for e in events if "file" in e)
