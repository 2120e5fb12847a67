"""``ofxpost watch``: a campaign followed while it runs (docs/campaigns.md).

No sleep is used to synchronise: the tests wait on events (the JSON lines of the
watch subprocess, or events of an in-process watch) with bounded timeouts. The
archives are *written* with pauses -- that is the simulated campaign.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from ofxpost._archive.reader import open_archive
from ofxpost._builtin import summary
from ofxpost._tools.synth import generate_case
from ofxpost._watch.completion import CompletionTracker, unreadable_reason

pytestmark = pytest.mark.integration

COLUMN = {
    "command": "time_history",
    "object": "Riser",
    "variable": "Effective tension",
    "object_extra": "end_a",
    "statistic": "max",
    "label": "top",
}
CASES = 10
BREACHING = 6
"""Index of the one case written with a high sea state (over the allowable)."""


def _stage(folder: Path, cases: int, breaching: int | None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        generate_case(
            folder / f"case_{i:02d}.ofx.parquet",
            hs=4.5 if i == breaching else 1.0 + 0.05 * i,
            tp=8.0,
            heading=15.0 * i,
            current=0.4,
            duration=30.0,
            dt=0.5,
            nodes=9,
            seed=i,
        )
        for i in range(cases)
    ]


def _top(path: Path) -> float:
    column = summary.SummaryColumn.model_validate(COLUMN)
    return float(summary.column_value(open_archive(path), column))


def _config(root: Path, allowable: float | None, **watch: Any) -> Path:
    column = dict(COLUMN)
    if allowable is not None:
        column["allowable"] = {"max": allowable}
    data = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "parallel_processing": {"max_workers": 2},
        "watch": {"settle_s": 0.5, "poll_s": 0.1, **watch},
        "summary": {"groups": [{"name": "g", "columns": [column]}]},
    }
    path = root / "campaign.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


class EventReader:
    """JSON event lines of a subprocess, each stamped with its arrival time."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: queue.Queue[tuple[float, dict[str, Any]] | None] = queue.Queue()
        self.seen: list[tuple[float, dict[str, Any]]] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            if raw.strip().startswith(b"{"):
                self.lines.put((time.monotonic(), json.loads(raw)))
        self.lines.put(None)

    def until(self, name: str, timeout: float) -> dict[str, Any]:
        """Read events until one named ``name`` arrives (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name!r} event within {timeout} s")
            item = self.lines.get(timeout=left)
            if item is None:
                raise AssertionError(f"the watch ended before a {name!r} event")
            self.seen.append(item)
            if item[1]["event"] == name:
                return item[1]

    def named(self, name: str) -> list[tuple[float, dict[str, Any]]]:
        return [item for item in self.seen if item[1]["event"] == name]


def _write_campaign(
    staged: list[Path], sims: Path, completed: dict[str, float], errors: list[BaseException]
) -> None:
    """The simulated campaign: one archive about every second, some written in chunks."""
    try:
        for i, source in enumerate(staged):
            data = source.read_bytes()
            target = sims / source.name
            if i % 3 == 0 or i == BREACHING:  # slowly, in four chunks
                quarter = len(data) // 4 + 1
                with open(target, "wb") as handle:
                    for start in range(0, len(data), quarter):
                        handle.write(data[start : start + quarter])
                        handle.flush()
                        time.sleep(0.15)  # input generation, not synchronisation
            else:
                target.write_bytes(data)
            completed[str(target)] = time.monotonic()
            time.sleep(0.5)
    except BaseException as exc:
        errors.append(exc)


def _tables(out: Path) -> dict[str, bytes]:
    """Every output file but the run's own log (durations, pids) and the manifest."""
    manifest = json.loads((out / "ofxpost-run.json").read_text(encoding="utf-8"))
    return {
        name: (out / name).read_bytes()
        for name in manifest["written"]
        if not Path(name).name.startswith("run_log") and name != "PARTIAL"
    }


def test_watch_alerts_within_2s_and_ends_identical_to_run(tmp_path: Path) -> None:
    staged = _stage(tmp_path / "stage", CASES, BREACHING)
    tops = sorted(_top(p) for p in staged)
    allowable = (tops[-1] + tops[-2]) / 2  # only the breaching case is above it
    assert _top(staged[BREACHING]) > allowable
    sims = tmp_path / "sims"
    sims.mkdir()
    config = _config(tmp_path, allowable)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "ofxpost", "watch", str(config), "--idle-exit", "3",
         "--log-format", "json", "--log-level", "debug"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )  # fmt: skip
    reader = EventReader(process)
    try:
        reader.until("watch_started", timeout=60)
        completed: dict[str, float] = {}
        errors: list[BaseException] = []
        writer = threading.Thread(target=_write_campaign, args=(staged, sims, completed, errors))
        writer.start()
        breach = reader.until("allowable_exceeded", timeout=90)
        arrived = reader.seen[-1][0]
        writer.join(timeout=60)
        assert not errors
        finished = reader.until("watch_finished", timeout=120)
        assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    breaching = str(sims / staged[BREACHING].name)
    latency = arrived - completed[breaching]
    print(f"breach latency {latency:.3f} s; watch ran {time.monotonic() - started:.1f} s")
    assert breach["file"].endswith(staged[BREACHING].name)
    assert breach["column"] == "top" and breach["limit"] == "max"
    assert breach["value"] > breach["allowable"] == pytest.approx(allowable)
    assert breach["utilisation"] == pytest.approx(breach["value"] / allowable)
    assert latency < 2.0
    assert finished["reason"] == "idle" and finished["exit_code"] == 0
    assert finished["done"] == CASES and finished["breaches"] == 1
    # a file written in chunks was seen incomplete, never failed as corrupt
    assert reader.named("input_incomplete")
    assert not reader.named("file_failed")
    assert len(reader.named("input_complete")) == CASES
    progress = reader.named("campaign_progress")[-1][1]
    assert progress["done"] == CASES and progress["breaches"] == 1
    # the alerts are in the report too
    alerts = (tmp_path / "out" / "summary_alerts.csv").read_text(encoding="utf-8")
    assert staged[BREACHING].stem.split(".")[0] in alerts

    # the campaign has ended: `ofxpost run` on the same folder writes the same outputs
    watched = _tables(tmp_path / "out")
    shutil.copytree(tmp_path / "out", tmp_path / "out_watch")
    run = subprocess.run(
        [sys.executable, "-m", "ofxpost", "run", str(config), "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr.decode()
    ran = _tables(tmp_path / "out")
    assert sorted(watched) == sorted(ran)
    different = [name for name in ran if ran[name] != watched[name]]
    assert not different, different


def test_restarted_watch_recomputes_nothing(tmp_path: Path) -> None:
    from ofxpost._watch.watcher import watch

    staged = _stage(tmp_path / "stage", 5, None)
    sims = tmp_path / "sims"
    sims.mkdir()
    for source in staged[:3]:
        shutil.copy(source, sims / source.name)
    config = _config(tmp_path, None)
    first: list[dict[str, Any]] = []
    result = watch(config, idle_exit_s=0.5, on_event=first.append)
    assert result.exit_code == 0 and result.done == 3 and result.reason == "idle"
    computed = [e for e in first if e["event"] == "file_finished" and not e["reused"]]
    assert len(computed) == 3
    for source in staged[3:]:  # the campaign went on while no watch ran
        shutil.copy(source, sims / source.name)
    second: list[dict[str, Any]] = []
    result = watch(config, idle_exit_s=0.5, max_files=5, on_event=second.append)
    assert result.exit_code == 0 and result.done == 5 and result.reason == "max_files"
    computed = [
        Path(e["file"]).name for e in second if e["event"] == "file_finished" and not e["reused"]
    ]
    assert sorted(computed) == [p.name for p in staged[3:]]
    reused = [e for e in second if e["event"] == "file_finished" and e["reused"]]
    assert sorted({Path(e["file"]).name for e in reused}) == [p.name for p in staged[:3]]


def test_breach_stops_the_watch_and_runs_the_command(tmp_path: Path) -> None:
    from ofxpost._watch.watcher import watch

    staged = _stage(tmp_path / "stage", 2, 1)
    sims = tmp_path / "sims"
    sims.mkdir()
    for source in staged:
        shutil.copy(source, sims / source.name)
    told = tmp_path / "told.json"
    script = f"import sys; open({str(told)!r}, 'w').write(sys.stdin.read())"
    allowable = (_top(staged[0]) + _top(staged[1])) / 2
    config = _config(
        tmp_path, allowable, on_breach={"stop": True, "command": [sys.executable, "-c", script]}
    )
    events: list[dict[str, Any]] = []
    result = watch(config, idle_exit_s=30, on_event=events.append)
    assert result.reason == "breach" and len(result.breaches) == 1
    assert result.exit_code == 0  # every file is ok: a breach is not a failure
    # the command ran with the event on stdin (the watch waits for it before ending)
    alert = json.loads(told.read_text(encoding="utf-8"))
    assert alert["event"] == "allowable_exceeded" and alert["file"].endswith(staged[1].name)
    names = [e["event"] for e in events]
    assert names.index("allowable_exceeded") < names.index("aggregation_started")
    assert names[-1] == "watch_finished"


def test_a_half_written_archive_is_incomplete_not_corrupt(tmp_path: Path) -> None:
    (source,) = _stage(tmp_path / "stage", 1, None)
    data = source.read_bytes()
    target = tmp_path / source.name
    target.write_bytes(data[: len(data) // 2])
    assert unreadable_reason(target) is not None
    clock = [100.0]
    told: list[tuple[str, str]] = []
    tracker = CompletionTracker(
        1.0,
        on_incomplete=lambda p, size, why: told.append((p.name, why)),
        clock=lambda: clock[0],
    )
    os.utime(target, (time.time() - 60, time.time() - 60))  # old enough to be settled
    assert tracker.observe([target]) == []  # settled but unreadable: no footer
    assert told and "footer" in told[-1][1]
    target.write_bytes(data)
    assert tracker.observe([target]) == []  # changed: must settle again
    clock[0] += 1.5
    assert tracker.observe([target]) == [target]
    assert tracker.observe([target]) == []  # reported once


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX-only")
def test_ctrl_c_ends_the_watch_with_130_and_complete_outputs(tmp_path: Path) -> None:
    import signal

    staged = _stage(tmp_path / "stage", 2, None)
    sims = tmp_path / "sims"
    sims.mkdir()
    for source in staged:
        shutil.copy(source, sims / source.name)
    config = _config(tmp_path, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "ofxpost", "watch", str(config), "--log-format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    reader = EventReader(process)
    try:
        # a change seen while the copies still settle gives a progress with less done
        # (a loaded machine shows it): wait for the one that counts both files
        deadline = time.monotonic() + 120
        progress = reader.until("campaign_progress", timeout=120)
        while progress["done"] < 2:
            progress = reader.until("campaign_progress", timeout=deadline - time.monotonic())
        assert progress["done"] == 2
        process.send_signal(signal.SIGINT)
        finished = reader.until("watch_finished", timeout=60)
        assert process.wait(timeout=60) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert finished["reason"] == "cancelled" and finished["exit_code"] == 130
    manifest = json.loads((tmp_path / "out" / "ofxpost-run.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"  # cancelled between refreshes


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (["--max-files", "0"], "--max-files must be at least 1"),
        (["--idle-exit", "-1"], "--idle-exit must be 0 or more"),
        (["--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_bad_watch_arguments_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argument: list[str], message: str
) -> None:
    from ofxpost._cli.main import main

    config = _config(tmp_path, None)
    assert main(["watch", str(config), *argument]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_bad_watch_key_is_a_config_error(tmp_path: Path) -> None:
    import ofxpost

    config = _config(tmp_path, None, settle_s=-1)
    with pytest.raises(ofxpost.ConfigError, match=r"watch\.settle_s"):
        ofxpost.load_config(config)


def test_files_completing_together_share_one_refresh(tmp_path: Path) -> None:
    from ofxpost._watch.watcher import watch

    staged = _stage(tmp_path / "stage", 4, None)
    sims = tmp_path / "sims"
    sims.mkdir()
    shutil.copy(staged[0], sims / staged[0].name)
    config = _config(tmp_path, None)
    events: list[dict[str, Any]] = []

    def on_event(event: dict[str, Any]) -> None:
        events.append(event)
        if event["event"] == "campaign_progress" and event["refreshes"] == 1:
            for source in staged[1:]:  # three more arrive during the spacing
                shutil.copy(source, sims / source.name)

    result = watch(config, idle_exit_s=0.5, refresh_s=1.5, on_event=on_event)
    assert result.exit_code == 0 and result.done == 4
    assert result.refreshes == 2  # the three later files went into one refresh
    batches = [e["total"] for e in events if e["event"] == "batch_started"]
    assert batches == [1, 4]
