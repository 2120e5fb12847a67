"""Budgets and resilience: fault matrix, timeouts that kill, licences, cancel and resume."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path

import anyio
import pandas as pd
import psutil
import pytest
import yaml

import ofxpost
from tests._cli import start_cli
from tests.conftest import TOY_DIR, EventLog, ToyBatch, live_children, table_bytes, write_toy

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def _wait_gone(pids: set[int], deadline_s: float = 10.0) -> set[int]:
    """Pids still alive after waiting up to ``deadline_s`` for them to exit."""
    procs = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            procs.append(psutil.Process(pid))
    _, alive = psutil.wait_procs(procs, timeout=deadline_s)
    return {p.pid for p in alive if p.status() != psutil.STATUS_ZOMBIE}


def _toy_rows(output_dir: Path) -> pd.DataFrame:
    return pd.read_csv(output_dir / "toy.csv")


def test_fault_matrix(toy_batch: ToyBatch, events: EventLog, tmp_path: Path) -> None:
    faults = {
        1: "raise_open",
        3: "segfault",
        5: "exit",
        7: "hang",
        9: "alloc",
        11: "licence_transient",
        13: "licence_always",
        15: "raise_extract",
    }
    n = 20
    clean = toy_batch(n, folder="clean")
    assert ofxpost.run(clean, sequential=True).exit_code == 0
    clean_rows = _toy_rows(clean.parent / "out")

    controller = psutil.Process().memory_info().rss
    config = toy_batch(
        n,
        faults,
        folder="faults",
        plugins=["ofxpost_toy", "ofxpost_toy_deleter"],
        parallel={
            "timeout_per_file": 4,
            "licence_wait": 1.0,
            "licence_backoff": 0.05,
            "crash_retries": 1,
            "memory_budget": controller * 3 + 300 * 1024**2,
            "memory_per_file": "64MiB",
        },
    )
    data = config.parent / "data"
    (data / "case016.toy").write_bytes(b"")  # empty
    (data / "case017.toy").write_bytes(b"\x00\x9f\x92\x96 not json")  # corrupt / unreadable
    (data / "case018.toy").rename(data / "case018_vanish.toy")  # missing when its turn comes
    (data / "case019.toy").write_text('{"values": [1, 2,', encoding="utf-8")  # truncated

    result = ofxpost.run(config, on_event=events, workers=2)
    kinds = {f.path.name: f.kind for f in result.failures}
    assert kinds == {
        "case001.toy": "file",
        "case003.toy": "crash",
        "case005.toy": "crash",
        "case007.toy": "timeout",
        "case009.toy": "memory",
        "case013.toy": "licence",
        "case015.toy": "extractor",
        "case016.toy": "file",
        "case017.toy": "file",
        "case018_vanish.toy": "file",
        "case019.toy": "file",
    }
    assert result.exit_code == 1
    good = sorted(set(range(16)) - {1, 3, 5, 7, 9, 13, 15})
    rows = _toy_rows(config.parent / "out")
    expected = clean_rows[clean_rows["index"].isin(good)].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, expected)

    crashed = {e["file"].rsplit("/", 1)[-1] for e in events.named("worker_crashed")}
    assert crashed == {"case003.toy", "case005.toy"}
    assert all(e["worker_pid"] for e in events.named("worker_crashed"))
    (timeout,) = events.named("file_timeout")
    assert timeout["file"].endswith("case007.toy")
    retries = [e for e in events.named("file_retry") if e["file"].endswith("case011.toy")]
    assert [e["attempt"] for e in retries] == [2, 3] and retries[0]["kind"] == "licence"
    finished = {e["file"].rsplit("/", 1)[-1]: e for e in events.named("file_finished")}
    assert finished["case011.toy"]["attempts"] == 3
    assert all(e["peak_rss"] and e["peak_rss"] > 0 for e in finished.values())
    report = json.loads((config.parent / "out" / "errors" / "case003.json").read_text())
    assert report["errors"][0]["kind"] == "crash" and "case003.toy" in report["file"]
    assert live_children() == []


def test_timeout_kills_process_tree(toy_batch: ToyBatch, events: EventLog) -> None:
    config = toy_batch(3, {1: "hang_with_child"}, parallel={"timeout_per_file": 3})
    result = ofxpost.run(config, on_event=events, workers=2)
    assert [f.kind for f in result.failures] == ["timeout"]
    child_pid = int((config.parent / "data" / "case001.toy.child").read_text())
    assert not psutil.pid_exists(child_pid) or psutil.Process(child_pid).status() == "zombie"
    assert result.succeeded == 2
    assert live_children() == []


def test_licence_semaphore_caps_holders(
    toy_batch: ToyBatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "opens.log"
    monkeypatch.setenv("OFXPOST_TOY_OPEN_LOG", str(log))
    n = 12
    suffix = {i: ".sim" for i in range(0, n, 2)}
    config = toy_batch(
        n,
        dict.fromkeys(range(n), "slow"),
        suffix=suffix,
        parallel={"licences": 2, "max_workers": 4},
    )
    result = ofxpost.run(config, workers=4)
    assert result.exit_code == 0 and result.workers == 4

    def max_overlap(lines: list[list[str]]) -> int:
        points = sorted((float(t), 1 if phase == "open" else -1) for t, _pid, phase, _ in lines)
        level = peak = 0
        for _, step in points:
            level += step
            peak = max(peak, level)
        return peak

    entries = [line.split() for line in log.read_text().splitlines()]
    licensed = [e for e in entries if e[3].endswith(".sim")]
    assert len(licensed) == 2 * (n // 2)  # an open and a close per licensed file
    assert max_overlap(licensed) == 2
    assert max_overlap(entries) > 2  # the other files kept the 4 workers busy


def test_max_tasks_per_child_recycles_workers(toy_batch: ToyBatch, events: EventLog) -> None:
    config = toy_batch(4, parallel={"max_tasks_per_child": 1, "max_workers": 2})
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 0
    assert len({e["worker_pid"] for e in events.named("file_started")}) == 4


def _opens(data: Path) -> dict[str, int]:
    return {p.name.removesuffix(".attempts"): int(p.read_text()) for p in data.glob("*.attempts")}


def test_cancel_then_resume_recomputes_nothing_finished(toy_batch: ToyBatch) -> None:
    n = 10
    faults = dict.fromkeys(range(n), "slow+count_opens")
    reference = toy_batch(n, faults, folder="reference")
    assert ofxpost.run(reference).exit_code == 0
    expected = table_bytes(reference.parent / "out")

    # files 4.. wait at a closed gate: the batch cannot finish before the consumer
    # cancels it, however loaded the machine (the gate opens before the resume)
    gated = {i: "slow+count_opens" if i < 4 else "count_opens+gate" for i in range(n)}
    config = toy_batch(n, gated, folder="interrupted")
    finished: list[str] = []
    seen = EventLog()

    async def cancel_after_four() -> ofxpost.BatchResult | None:
        async with ofxpost.open_batch(config, workers=2, on_event=seen) as batch:
            async for event in batch:
                if event["event"] == "file_finished":
                    finished.append(Path(event["file"]).name)
                    if len(finished) == 4:
                        break
        return batch.result

    assert anyio.run(cancel_after_four, backend="asyncio") is None
    out = config.parent / "out"
    assert (out / "PARTIAL").exists()
    assert json.loads((out / "ofxpost-run.json").read_text())["status"] == "partial"
    assert len(seen.named("batch_cancelled")) == 1
    partial_rows = _toy_rows(out)
    done = {Path(e["file"]).name for e in seen.named("file_finished")}
    assert done == set(finished) and len(finished) == 4
    assert len(partial_rows) == len(done) == seen.named("batch_cancelled")[0]["done"]
    assert live_children() == []

    (config.parent / "data" / "GATE").touch()
    events = EventLog()
    result = ofxpost.run(config, resume=True, on_event=events)
    assert result.exit_code == 0 and result.reused >= 4
    opens = _opens(config.parent / "data")
    for name in set(finished):
        assert opens[name] == 1, f"{name} was recomputed"
    assert not (out / "PARTIAL").exists()
    assert table_bytes(out) == expected


def test_resume_after_sigkill_of_controller(toy_batch: ToyBatch, tmp_path: Path) -> None:
    n = 10
    faults = dict.fromkeys(range(n), "slow+count_opens")
    reference = toy_batch(n, faults, folder="reference")
    assert ofxpost.run(reference).exit_code == 0
    expected = table_bytes(reference.parent / "out")

    config = toy_batch(n, faults, folder="killed")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TOY_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    proc = start_cli(
        "run", str(config), "--workers", "2", "--log-format", "json",
        stderr=subprocess.DEVNULL, env=env, text=True,
    )  # fmt: skip
    finished: list[str] = []
    workers: set[int] = set()
    assert proc.stdout is not None
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "file_started":
            workers.add(event["worker_pid"])
        if event["event"] == "file_finished":
            finished.append(Path(event["file"]).name)
            if len(finished) == 3:
                proc.kill()
                break
    proc.wait()
    assert proc.returncode == -9 or proc.returncode != 0
    assert _wait_gone(workers) == set(), "workers outlived their killed controller"

    result = ofxpost.run(config, resume=True)
    assert result.exit_code == 0 and result.reused >= 3
    opens = _opens(config.parent / "data")
    for name in finished:
        assert opens[name] == 1, f"{name} was recomputed"
    assert table_bytes(config.parent / "out") == expected


def test_cli_sigint_exits_130_with_partial_outputs(toy_batch: ToyBatch) -> None:
    if os.name == "nt":  # pragma: no cover - POSIX signal delivery
        pytest.skip("SIGINT delivery to a child differs on Windows")
    config = toy_batch(8, dict.fromkeys(range(8), "slow"))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TOY_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    proc = start_cli(
        "run", str(config), "--workers", "2", "--log-format", "json", env=env, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line)["event"] == "file_finished":
            proc.send_signal(2)
            break
    rest = proc.stdout.read()
    assert proc.wait(timeout=60) == 130
    names = [json.loads(line)["event"] for line in rest.splitlines() if line.startswith("{")]
    assert "batch_cancelled" in names and names[-1] == "batch_finished"
    assert (config.parent / "out" / "PARTIAL").exists()


def test_changed_input_is_recomputed_on_resume(toy_batch: ToyBatch) -> None:
    config = toy_batch(3, dict.fromkeys(range(3), "count_opens"))
    assert ofxpost.run(config).exit_code == 0
    data = config.parent / "data"
    target = data / "case001.toy"
    write_toy(target, 99, "count_opens")
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    result = ofxpost.run(config, resume=True)
    assert result.reused == 2
    assert _opens(data) == {"case000.toy": 1, "case001.toy": 2, "case002.toy": 1}
    # a changed config invalidates everything
    raw = yaml.safe_load(config.read_text())
    raw["outputs"]["csv_significant_digits"] = 11
    config.write_text(yaml.safe_dump(raw))
    assert ofxpost.run(config, resume=True).reused == 0
