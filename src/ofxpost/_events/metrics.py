"""Prometheus metrics of a batch, computed from its events.

:class:`MetricsSink` is an event sink (give it to ``sinks=`` of :func:`ofxpost.run`,
or use ``ofxpost run --metrics-port PORT`` / ``--metrics-textfile PATH``). It keeps
its metrics in a registry of its own (never the process-wide default one, so an
embedder's metrics are untouched) and can serve them over HTTP or write them to a
node-exporter textfile. It needs the ``prometheus-client`` library
(``pip install "ofxpost[metrics]"``).

=========================================  =========  ======================================
metric                                     type       labels / meaning
=========================================  =========  ======================================
``ofxpost_files``                          gauge      files in the batch (``total``)
``ofxpost_files_done_total``               counter    ``status``: ok, partial, failed;
                                                      ``kind``: the first error's kind
``ofxpost_files_running``                  gauge      files a worker is running now
``ofxpost_files_waiting``                  gauge      files waiting for a budget
``ofxpost_budget_waits_total``             counter    ``budget``: licence, memory
``ofxpost_file_retries_total``             counter    ``kind``: why it was retried
``ofxpost_file_duration_seconds``          histogram  each finished or failed file
``ofxpost_extractor_failures_total``       counter    ``plugin``
``ofxpost_outputs_failed_total``           counter    ``stage``: aggregator, writer, output
``ofxpost_warnings_total``                 counter    warnings emitted
``ofxpost_batch_running``                  gauge      1 while the batch runs
``ofxpost_batch_exit_code``                gauge      the exit code, once finished
``ofxpost_controller_rss_bytes``           gauge      the controller's resident memory
``ofxpost_hook_seconds_total``             counter    ``hook``, ``plugin``: seconds each
                                                      loader / extractor ran in workers
``ofxpost_hook_calls_total``               counter    ``hook``, ``plugin``: its calls
``ofxpost_licences``                       gauge      licence tokens (0: unlimited)
``ofxpost_licences_in_use``                gauge      tokens held by running files
``ofxpost_memory_budget_bytes``            gauge      memory budget for file data (0: none)
``ofxpost_memory_reserved_bytes``          gauge      of it, reserved by running files
=========================================  =========  ======================================

Hook times come with each file's ``file_finished`` / ``file_failed`` event
(``hook_s``, measured by the worker around each call); the budget figures from
``batch_started`` (totals) and ``file_started`` (what each attempt holds, given back
when it ends). A file whose worker died reports no hook times.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from ofxpost._events.batch_state import BatchState, controller_rss, hook_samples
from ofxpost.errors import ConfigError

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
"""Histogram buckets of ``ofxpost_file_duration_seconds`` (seconds)."""


def _client() -> Any:
    try:
        import prometheus_client
    except ImportError:
        raise ConfigError(
            "metrics need the prometheus-client library: pip install \"ofxpost[metrics]\""
        ) from None
    return prometheus_client


class MetricsSink:
    """An event sink that keeps a batch's Prometheus metrics (see the module docs).

    :param port: serve ``/metrics`` on this TCP port (``0``: any free port, see
        :attr:`port`); ``None``: no server.
    :param addr: the address to listen on (default loopback only).
    :param textfile: write the metrics to this file (atomically) after every
        finished file and at the end of the batch, for node-exporter's textfile
        collector; ``None``: no file.
    :raises ConfigError: if prometheus-client is not installed or the port is taken.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        addr: str = "127.0.0.1",
        textfile: str | os.PathLike[str] | None = None,
    ) -> None:
        prom = _client()
        self._prom = prom
        self.registry = prom.CollectorRegistry(auto_describe=True)
        """The registry holding this sink's metrics (none of the process's others)."""
        self.textfile = Path(textfile) if textfile is not None else None
        r = self.registry
        self.files = prom.Gauge("ofxpost_files", "Files in the batch.", registry=r)
        self.done = prom.Counter(
            "ofxpost_files_done", "Files ended, by status and error kind.",
            ["status", "kind"], registry=r,
        )  # fmt: skip
        self.running = prom.Gauge("ofxpost_files_running", "Files running now.", registry=r)
        self.waiting = prom.Gauge(
            "ofxpost_files_waiting", "Files waiting for a budget.", registry=r
        )
        self.budget_waits = prom.Counter(
            "ofxpost_budget_waits", "Waits for a budget.", ["budget"], registry=r
        )
        self.retries = prom.Counter(
            "ofxpost_file_retries", "Attempts retried.", ["kind"], registry=r
        )
        self.duration = prom.Histogram(
            "ofxpost_file_duration_seconds", "Seconds each file took.",
            buckets=DURATION_BUCKETS, registry=r,
        )  # fmt: skip
        self.extractor_failures = prom.Counter(
            "ofxpost_extractor_failures", "Extractors that failed on a file.",
            ["plugin"], registry=r,
        )  # fmt: skip
        self.outputs_failed = prom.Counter(
            "ofxpost_outputs_failed", "Aggregators, writers or outputs that failed.",
            ["stage"], registry=r,
        )  # fmt: skip
        self.warnings = prom.Counter("ofxpost_warnings", "Warnings emitted.", registry=r)
        self.batch_running = prom.Gauge(
            "ofxpost_batch_running", "1 while the batch runs.", registry=r
        )
        self.exit_code = prom.Gauge(
            "ofxpost_batch_exit_code", "The batch's exit code, once finished.", registry=r
        )
        rss = prom.Gauge(
            "ofxpost_controller_rss_bytes", "The controller's resident memory.", registry=r
        )
        rss.set_function(controller_rss)
        self.hook_seconds = prom.Counter(
            "ofxpost_hook_seconds", "Seconds each plugin's hook ran in workers.",
            ["hook", "plugin"], registry=r,
        )  # fmt: skip
        self.hook_calls = prom.Counter(
            "ofxpost_hook_calls", "Calls of each plugin's hook in workers.",
            ["hook", "plugin"], registry=r,
        )  # fmt: skip
        self.licences = prom.Gauge("ofxpost_licences", "Licence tokens.", registry=r)
        self.licences_in_use = prom.Gauge(
            "ofxpost_licences_in_use", "Licence tokens held by running files.", registry=r
        )
        self.memory_budget = prom.Gauge(
            "ofxpost_memory_budget_bytes", "Memory budget for file data.", registry=r
        )
        self.memory_reserved = prom.Gauge(
            "ofxpost_memory_reserved_bytes", "Memory budget held by running files.",
            registry=r,
        )  # fmt: skip
        self.state = BatchState()
        """The batch's state as its events tell it."""
        self._lock = threading.Lock()
        self._server: Any = None
        self.port: int | None = None
        """The port ``/metrics`` is served on (``None``: no server)."""
        if port is not None:
            try:
                self._server, _ = prom.start_http_server(port, addr=addr, registry=r)
            except OSError as exc:
                raise ConfigError(f"metrics port {port} on {addr}: {exc}") from None
            self.port = int(self._server.server_port)

    def __call__(self, event: dict[str, Any]) -> None:
        """Update the metrics from one event."""
        name = event.get("event")
        with self._lock:
            state = self.state
            state.update(event)
            if name == "batch_started":
                self.files.set(state.total)
                self.licences.set(state.licences)
                self.memory_budget.set(state.memory_budget)
            elif name == "file_waiting":
                self.budget_waits.labels(str(event.get("budget"))).inc()
            elif name == "file_retry":
                self.retries.labels(str(event.get("kind"))).inc()
            elif name in ("file_finished", "file_failed"):
                status = event.get("status", "failed")
                self.done.labels(str(status), str(event.get("kind", ""))).inc()
                if isinstance(event.get("duration_s"), int | float):
                    self.duration.observe(float(event["duration_s"]))
                for sample in hook_samples(event):
                    self.hook_seconds.labels(sample.hook, sample.plugin).inc(sample.seconds)
                    self.hook_calls.labels(sample.hook, sample.plugin).inc()
            elif name == "extractor_failed":
                self.extractor_failures.labels(str(event.get("plugin"))).inc()
            elif name == "output_failed":
                self.outputs_failed.labels(str(event.get("stage"))).inc()
            elif name == "warning":
                self.warnings.inc()
            elif name == "batch_finished" and state.exit_code is not None:
                self.exit_code.set(state.exit_code)
            self.batch_running.set(1 if state.batch_running else 0)
            self.running.set(len(state.running))
            self.waiting.set(len(state.waiting))
            self.licences_in_use.set(state.licences_in_use)
            self.memory_reserved.set(state.memory_reserved)
        if self.textfile is not None and name in ("file_finished", "file_failed", "batch_finished"):
            self.write_textfile()

    def text(self) -> str:
        """The metrics in the Prometheus text format."""
        return bytes(self._prom.generate_latest(self.registry)).decode("utf-8")

    def write_textfile(self) -> None:
        """Write the metrics to :attr:`textfile` (temporary file, then a rename)."""
        if self.textfile is not None:
            self._prom.write_to_textfile(str(self.textfile), self.registry)

    def close(self) -> None:
        """Stop the HTTP server (the registry keeps its last values)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()


__all__ = ["DURATION_BUCKETS", "MetricsSink"]
