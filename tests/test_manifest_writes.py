"""Item 8 (part): the manifest is not rewritten once per failing file.

Each error report is listed in the manifest before it is written; doing that one
report at a time rewrote the whole manifest once per failing file, which made
20,000 failing files take 137 s against 22 s for good ones (timed by
``benchmarks/failing_files.py``, not here).
"""

from __future__ import annotations

import json

import pytest

import ofxpost
from ofxpost._finish import per_file
from ofxpost._store.manifest import OutputLedger
from tests.conftest import EventLog, ToyBatch


@pytest.mark.timeout(240)
def test_error_reports_are_claimed_in_batches(
    toy_batch: ToyBatch, events: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = 40
    config = toy_batch(files, dict.fromkeys(range(files), "raise_extract"), folder="reports")
    saves: list[int] = []
    real_save = OutputLedger.save

    def save(self: OutputLedger, *args: object, **kwargs: object) -> None:
        saves.append(len(self.written))
        real_save(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(OutputLedger, "save", save)
    monkeypatch.setattr(per_file, "REPORT_BATCH_S", 3600.0)
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 1 and result.partial == files
    # start (2), the reports (1), writing + complete (2): never one per report
    assert len(saves) <= 6, saves
    out = config.parent / "out"
    manifest = json.loads((out / "ofxpost-run.json").read_text(encoding="utf-8"))
    reports = sorted(p.relative_to(out).as_posix() for p in (out / "errors").iterdir())
    assert len(reports) == files
    assert set(reports) <= set(manifest["written"])


@pytest.mark.timeout(240)
def test_the_memory_estimate_never_kills_a_file_that_fits(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    """Item 8: with ``memory_budget`` set, a file growing past its *estimate* but
    well within the budget used to be killed (kind ``memory``) and rerun alone."""
    import psutil

    controller = psutil.Process().memory_info().rss
    config = toy_batch(
        4,
        dict.fromkeys(range(4), "alloc120"),
        folder="fits",
        parallel={
            "memory_budget": controller * 3 + 600 * 1024**2,
            "memory_per_file": "16MiB",
        },
    )
    result = ofxpost.run(config, on_event=events, workers=2)
    assert result.exit_code == 0
    assert not events.named("file_retry")
    assert [e["attempts"] for e in events.named("file_finished")] == [1, 1, 1, 1]
    # its reservation is the estimate; the peak it reached is above it
    assert max(e["peak_rss"] or 0 for e in events.named("file_finished")) > 16 * 1024**2
