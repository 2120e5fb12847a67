"""Prometheus metrics from a batch's events (``ofxpost.MetricsSink``)."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest

import ofxpost
from tests.conftest import ToyBatch

pytest.importorskip("prometheus_client")


def _value(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {sample!r} in:\n{text}")


def test_the_endpoint_is_scraped_during_a_batch(toy_batch: ToyBatch, tmp_path: Path) -> None:
    config = toy_batch(6, {2: "raise_open"})
    textfile = tmp_path / "ofxpost.prom"
    sink = ofxpost.MetricsSink(0, textfile=textfile)
    assert sink.port is not None and sink.port > 0
    scraped: list[str] = []

    def scrape(event: dict[str, Any]) -> None:
        # the first time a file ends, read /metrics over HTTP as a Prometheus server would
        if event["event"] in ("file_finished", "file_failed") and not scraped:
            url = f"http://127.0.0.1:{sink.port}/metrics"
            with urllib.request.urlopen(url, timeout=10) as response:
                scraped.append(response.read().decode("utf-8"))

    try:
        result = ofxpost.run(config, sinks=[sink, scrape])
    finally:
        sink.close()
    assert result.exit_code == 1 and result.failed == 1
    (during,) = scraped
    assert _value(during, "ofxpost_files") == 6
    assert _value(during, "ofxpost_batch_running") == 1
    ended = sum(
        float(line.rsplit(" ", 1)[1])
        for line in during.splitlines()
        if line.startswith("ofxpost_files_done_total{")
    )
    assert ended == 1  # scraped as the first file ended
    assert 'ofxpost_controller_rss_bytes' in during
    after = sink.text()
    assert _value(after, 'ofxpost_files_done_total{kind="",status="ok"}') == 5
    assert _value(after, 'ofxpost_files_done_total{kind="file",status="failed"}') == 1
    assert _value(after, "ofxpost_files_running") == 0
    assert _value(after, "ofxpost_file_duration_seconds_count") == 6
    assert _value(after, "ofxpost_batch_exit_code") == 1
    def steady(text: str) -> list[str]:  # the RSS is read afresh at each scrape
        return [line for line in text.splitlines() if "controller_rss" not in line]

    assert steady(textfile.read_text(encoding="utf-8")) == steady(after)


def test_a_taken_port_is_a_config_error() -> None:
    first = ofxpost.MetricsSink(0)
    try:
        with pytest.raises(ofxpost.ConfigError, match=f"metrics port {first.port}"):
            ofxpost.MetricsSink(first.port)
    finally:
        first.close()


def test_the_cli_writes_the_metrics_textfile(
    toy_batch: ToyBatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = toy_batch(3)
    textfile = tmp_path / "batch.prom"
    code = ofxpost.main(
        ["run", str(config), "--log-format", "json", "--metrics-textfile", str(textfile)]
    )
    assert code == 0
    text = textfile.read_text(encoding="utf-8")
    assert _value(text, 'ofxpost_files_done_total{kind="",status="ok"}') == 3
    assert _value(text, "ofxpost_batch_exit_code") == 0
    assert _value(text, "ofxpost_batch_running") == 0


def test_a_taken_metrics_port_is_exit_2_in_one_line(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = toy_batch(2)
    first = ofxpost.MetricsSink(0)
    try:
        code = ofxpost.main(
            ["run", str(config), "--log-format", "json", "--metrics-port", str(first.port)]
        )
    finally:
        first.close()
    assert code == 2
    err = capsys.readouterr().err
    assert f"metrics port {first.port}" in err and "Traceback" not in err


@pytest.mark.integration
@pytest.mark.timeout(240)
def test_hook_seconds_and_budget_use_are_scraped(toy_batch: ToyBatch, tmp_path: Path) -> None:
    import psutil

    controller = psutil.Process().memory_info().rss
    # 0, 1: licensed files whose loader sleeps 0.3 s ("slow"); 2, 3: archive-like files
    config = toy_batch(
        4,
        {0: "slow", 1: "slow"},
        suffix={0: ".sim", 1: ".sim"},
        plugins=["ofxpost_toy", "ofxpost_toy_faults"],
        parallel={
            "max_workers": 2,
            "licences": 1,
            "memory_budget": controller * 3 + 600 * 1024**2,
            "memory_per_file": "16MiB",
        },
        extra={"inputs": [f"data/case00{i}{'.sim' if i < 2 else '.toy'}" for i in range(4)]},
    )
    sink = ofxpost.MetricsSink(textfile=tmp_path / "ofxpost.prom")
    during: list[str] = []

    def scrape(event: dict[str, Any]) -> None:
        # as a licensed file starts, it holds the only licence and 16 MiB of memory
        if event["event"] == "file_started" and event["index"] in (0, 1) and not during:
            during.append(sink.text())

    events: list[dict[str, Any]] = []
    result = ofxpost.run(config, sinks=[sink, scrape, events.append])
    assert result.exit_code == 0, result.failures
    (now,) = during
    assert _value(now, "ofxpost_licences") == 1  # the config's licences
    assert _value(now, "ofxpost_licences_in_use") == 1
    assert _value(now, "ofxpost_memory_reserved_bytes") >= 16 * 1024**2
    budget = _value(now, "ofxpost_memory_budget_bytes")
    assert 0 < budget <= controller * 3 + 600 * 1024**2
    after = (tmp_path / "ofxpost.prom").read_text("utf-8")  # written at batch_finished
    assert _value(after, "ofxpost_licences_in_use") == 0
    assert _value(after, "ofxpost_memory_reserved_bytes") == 0
    opened = 'ofxpost_hook_seconds_total{hook="ofxpost_open_simulation",plugin="ofxpost_toy"}'
    # two loads slept 0.3 s each; the four calls are counted one by one
    assert 0.6 <= _value(after, opened) < 30
    calls = 'ofxpost_hook_calls_total{hook="ofxpost_open_simulation",plugin="ofxpost_toy"}'
    assert _value(after, calls) == 4
    extracted = 'ofxpost_hook_seconds_total{hook="ofxpost_extract",plugin="ofxpost_toy"}'
    assert _value(after, extracted) > 0
    # the counter is the sum of the events' hook_s (independent of the sink's sum)
    by_hand = sum(
        t["seconds"]
        for e in events
        if e["event"] == "file_finished"
        for t in e["hook_s"]
        if (t["hook"], t["plugin"]) == ("ofxpost_open_simulation", "ofxpost_toy")
    )
    assert _value(after, opened) == pytest.approx(by_hand, rel=1e-6)
