"""OpenTelemetry metrics from a batch's events (``ofxpost.OtelMetricsSink``), read
back through the SDK's InMemoryMetricReader."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import ofxpost
from tests.conftest import ToyBatch

sdk_metrics = pytest.importorskip("opentelemetry.sdk.metrics")
export = pytest.importorskip("opentelemetry.sdk.metrics.export")


def _points(reader: Any) -> dict[tuple[str, tuple[tuple[str, Any], ...]], Any]:
    """Every data point the reader collects, by instrument name and attributes."""
    found: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            assert scope.scope.name == "ofxpost"
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    key = (metric.name, tuple(sorted((point.attributes or {}).items())))
                    found[key] = point
    return found


@pytest.mark.integration
@pytest.mark.timeout(240)
def test_the_same_figures_reach_an_otel_reader(toy_batch: ToyBatch) -> None:
    reader = export.InMemoryMetricReader()
    provider = sdk_metrics.MeterProvider(metric_readers=[reader])
    sink = ofxpost.OtelMetricsSink(provider)
    config = toy_batch(
        4,
        {0: "slow", 2: "raise_open"},
        suffix={0: ".sim"},
        plugins=["ofxpost_toy", "ofxpost_toy_faults"],
        parallel={"max_workers": 2, "licences": 1},
        extra={"inputs": ["data/case000.sim", *(f"data/case00{i}.toy" for i in (1, 2, 3))]},
    )
    during: list[dict[Any, Any]] = []

    def collect(event: dict[str, Any]) -> None:
        if event["event"] == "file_started" and event["index"] == 0:
            during.append(_points(reader))

    events: list[dict[str, Any]] = []
    result = ofxpost.run(config, sinks=[sink, collect, events.append])
    assert result.exit_code == 1 and result.failed == 1
    (now,) = during
    assert now[("ofxpost.licences", ())].value == 1
    assert now[("ofxpost.licences.in_use", ())].value == 1
    assert now[("ofxpost.batch.running", ())].value == 1
    after = _points(reader)
    assert after[("ofxpost.files", ())].value == 4
    assert after[("ofxpost.licences.in_use", ())].value == 0
    assert after[("ofxpost.batch.running", ())].value == 0
    assert after[("ofxpost.batch.exit_code", ())].value == 1
    assert after[("ofxpost.controller.rss", ())].value > 0
    ok = after[("ofxpost.files.done", (("kind", ""), ("status", "ok")))]
    failed = after[("ofxpost.files.done", (("kind", "file"), ("status", "failed")))]
    assert (ok.value, failed.value) == (3, 1)
    assert after[("ofxpost.file.duration", ())].count == 4
    opened = (("hook", "ofxpost_open_simulation"), ("plugin", "ofxpost_toy"))
    # the slow file's loader slept 0.3 s; the failing one's loader was timed too
    by_hand = sum(
        t["seconds"]
        for e in events
        if e["event"] in ("file_finished", "file_failed")
        for t in e.get("hook_s", ())
        if (t["hook"], t["plugin"]) == ("ofxpost_open_simulation", "ofxpost_toy")
    )
    assert by_hand >= 0.3
    assert after[("ofxpost.hook.duration", opened)].value == pytest.approx(by_hand, rel=1e-6)
    assert after[("ofxpost.hook.calls", opened)].value == 4


def test_without_a_provider_the_global_one_is_used() -> None:
    # OpenTelemetry's default global provider records nothing, and raises nothing
    sink = ofxpost.OtelMetricsSink()
    sink({"event": "batch_started", "total": 2, "licences": 3})
    assert sink.state.licences == 3 and sink.state.batch_running


@pytest.mark.integration
@pytest.mark.timeout(240)
def test_the_cli_reports_to_the_global_provider(
    toy_batch: ToyBatch, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reader = export.InMemoryMetricReader()
    provider = sdk_metrics.MeterProvider(metric_readers=[reader])
    # stands for the provider a launcher (opentelemetry-instrument) makes global
    monkeypatch.setattr("opentelemetry.metrics.get_meter_provider", lambda: provider)
    config = toy_batch(3)
    code = ofxpost.main(["run", str(config), "--log-format", "json", "--metrics-otel"])
    assert code == 0
    points = _points(reader)
    assert points[("ofxpost.files.done", (("kind", ""), ("status", "ok")))].value == 3
    assert points[("ofxpost.batch.exit_code", ())].value == 0


def test_without_opentelemetry_the_flag_is_exit_2_in_one_line(
    toy_batch: ToyBatch, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # import fails
    code = ofxpost.main(["run", str(toy_batch(2)), "--metrics-otel"])
    assert code == 2
    err = capsys.readouterr().err
    assert 'pip install "ofxpost[otel]"' in err and "Traceback" not in err
