"""OpenTelemetry metrics of a batch, computed from its events.

:class:`OtelMetricsSink` is an event sink (give it to ``sinks=`` of
:func:`ofxpost.run`, or use ``ofxpost run --metrics-otel``) that reports the same
figures as the Prometheus sink (:mod:`ofxpost._events.metrics`) through an
OpenTelemetry ``Meter`` named ``ofxpost``. It takes the meter from the global
``MeterProvider`` (or the one given): the application configures the provider and
its exporter (OTLP, console, Prometheus...); ofxpost never does. It needs the
``opentelemetry-api`` library (``pip install "ofxpost[otel]"``, which brings the SDK
too), imported only when the sink is made.

=================================  ==================  ====================================
instrument                         kind                attributes / meaning
=================================  ==================  ====================================
``ofxpost.files``                  observable gauge    files in the batch
``ofxpost.files.done``             counter             ``status``, ``kind``
``ofxpost.files.running``          observable gauge    files a worker runs now
``ofxpost.files.waiting``          observable gauge    files waiting for a budget
``ofxpost.budget.waits``           counter             ``budget``: licence, memory
``ofxpost.file.retries``           counter             ``kind``
``ofxpost.file.duration``          histogram (s)       each finished or failed file
``ofxpost.hook.duration``          counter (s)         ``hook``, ``plugin``: seconds in it
``ofxpost.hook.calls``             counter             ``hook``, ``plugin``
``ofxpost.extractor.failures``     counter             ``plugin``
``ofxpost.outputs.failed``         counter             ``stage``
``ofxpost.warnings``               counter             warnings emitted
``ofxpost.licences``               observable gauge    licence tokens (0: unlimited)
``ofxpost.licences.in_use``        observable gauge    tokens held by running files
``ofxpost.memory.budget``          observable gauge    memory budget for file data (By)
``ofxpost.memory.reserved``        observable gauge    of it, held by running files (By)
``ofxpost.batch.running``          observable gauge    1 while the batch runs
``ofxpost.batch.exit_code``        observable gauge    the exit code, once finished
``ofxpost.controller.rss``         observable gauge    the controller's resident memory (By)
=================================  ==================  ====================================
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from ofxpost._events.batch_state import BatchState, controller_rss, hook_samples
from ofxpost.errors import ConfigError

METER_NAME = "ofxpost"
"""The name of the meter the instruments belong to."""


def _metrics_api() -> Any:
    try:
        from opentelemetry import metrics
    except ImportError:
        raise ConfigError(
            'OpenTelemetry metrics need the opentelemetry-sdk library: pip install "ofxpost[otel]"'
        ) from None
    return metrics


class OtelMetricsSink:
    """An event sink reporting a batch's metrics through OpenTelemetry (see the module).

    :param meter_provider: the provider to take the ``ofxpost`` meter from
        (default: the global one, ``opentelemetry.metrics.get_meter_provider()``;
        with none configured, OpenTelemetry's no-op provider records nothing).
    :raises ConfigError: if opentelemetry is not installed.
    """

    def __init__(self, meter_provider: Any = None) -> None:
        api = _metrics_api()
        from ofxpost._version import __version__

        provider = meter_provider if meter_provider is not None else api.get_meter_provider()
        meter = provider.get_meter(METER_NAME, __version__)
        self.meter = meter
        """The ``ofxpost`` meter."""
        self.state = BatchState()
        """The batch's state as its events tell it."""
        self._lock = threading.Lock()
        self.done = meter.create_counter("ofxpost.files.done", description="Files ended.")
        self.budget_waits = meter.create_counter(
            "ofxpost.budget.waits", description="Waits for a budget."
        )
        self.retries = meter.create_counter("ofxpost.file.retries", description="Retries.")
        self.duration = meter.create_histogram(
            "ofxpost.file.duration", unit="s", description="Seconds each file took."
        )
        self.hook_seconds = meter.create_counter(
            "ofxpost.hook.duration", unit="s", description="Seconds each plugin's hook ran."
        )
        self.hook_calls = meter.create_counter(
            "ofxpost.hook.calls", description="Calls of each plugin's hook."
        )
        self.extractor_failures = meter.create_counter(
            "ofxpost.extractor.failures", description="Extractors that failed on a file."
        )
        self.outputs_failed = meter.create_counter(
            "ofxpost.outputs.failed", description="Aggregators, writers or outputs that failed."
        )
        self.warnings = meter.create_counter("ofxpost.warnings", description="Warnings.")
        state = self.state
        gauges: list[tuple[str, str, Callable[[], float]]] = [
            ("ofxpost.files", "", lambda: state.total),
            ("ofxpost.files.running", "", lambda: len(state.running)),
            ("ofxpost.files.waiting", "", lambda: len(state.waiting)),
            ("ofxpost.licences", "", lambda: state.licences),
            ("ofxpost.licences.in_use", "", lambda: state.licences_in_use),
            ("ofxpost.memory.budget", "By", lambda: state.memory_budget),
            ("ofxpost.memory.reserved", "By", lambda: state.memory_reserved),
            ("ofxpost.batch.running", "", lambda: 1 if state.batch_running else 0),
            ("ofxpost.controller.rss", "By", controller_rss),
        ]
        for name, unit, read in gauges:
            meter.create_observable_gauge(name, [self._observer(api, read)], unit=unit)
        meter.create_observable_gauge("ofxpost.batch.exit_code", [self._exit_code(api)])

    def _observer(self, api: Any, read: Callable[[], float]) -> Callable[[Any], Iterable[Any]]:
        def observe(options: Any) -> Iterable[Any]:
            with self._lock:
                value = read()
            return [api.Observation(value)]

        return observe

    def _exit_code(self, api: Any) -> Callable[[Any], Iterable[Any]]:
        def observe(options: Any) -> Iterable[Any]:
            code = self.state.exit_code
            return [] if code is None else [api.Observation(code)]

        return observe

    def __call__(self, event: dict[str, Any]) -> None:
        """Update the metrics from one event."""
        name = event.get("event")
        with self._lock:
            self.state.update(event)
        if name == "file_waiting":
            self.budget_waits.add(1, {"budget": str(event.get("budget"))})
        elif name == "file_retry":
            self.retries.add(1, {"kind": str(event.get("kind"))})
        elif name in ("file_finished", "file_failed"):
            status = str(event.get("status", "failed"))
            self.done.add(1, {"status": status, "kind": str(event.get("kind", ""))})
            if isinstance(event.get("duration_s"), int | float):
                self.duration.record(float(event["duration_s"]))
            for sample in hook_samples(event):
                labels = {"hook": sample.hook, "plugin": sample.plugin}
                self.hook_seconds.add(sample.seconds, labels)
                self.hook_calls.add(1, labels)
        elif name == "extractor_failed":
            self.extractor_failures.add(1, {"plugin": str(event.get("plugin"))})
        elif name == "output_failed":
            self.outputs_failed.add(1, {"stage": str(event.get("stage"))})
        elif name == "warning":
            self.warnings.add(1)


__all__ = ["METER_NAME", "OtelMetricsSink"]
