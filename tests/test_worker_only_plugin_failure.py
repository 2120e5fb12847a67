"""A plugin that loads in the controller but fails to import in the workers is a loud
failure: no file runs (not a quiet fall-back to one file at a time in-process), every
file fails naming the plugin, and the batch exits 1 -- whatever on_pool_failure says."""

from __future__ import annotations

import textwrap

import pytest

import ofxpost
from ofxpost._engine.pool_failure import PLUGIN_IN_WORKERS, worker_plugin_failure
from ofxpost.errors import PoolStartError
from tests.conftest import EventLog, ToyBatch

WORKER_ONLY_FAILURE = textwrap.dedent(
    """
    import multiprocessing

    if multiprocessing.parent_process() is not None:  # a worker process
        raise ImportError("the licence client is missing on the workers")

    import ofxpost

    @ofxpost.hookimpl
    def ofxpost_extract(model):
        return None
    """
)


def test_only_a_plugin_error_in_a_worker_counts() -> None:
    text = "worker failed to initialise:\nTraceback ...\nofxpost.errors.PluginError: bad 'x'\n"
    reason = worker_plugin_failure(PoolStartError(text))
    assert reason is not None and reason.startswith(PLUGIN_IN_WORKERS) and "bad 'x'" in reason
    assert worker_plugin_failure(PoolStartError("worker did not start within 60 s")) is None
    other = "worker failed to initialise:\nTraceback ...\nofxpost.errors.ConfigError: no\n"
    assert worker_plugin_failure(PoolStartError(other)) is None
    assert worker_plugin_failure(OSError(text)) is None


@pytest.mark.integration
@pytest.mark.timeout(120)
@pytest.mark.parametrize("on_pool_failure", ["sequential", "error"])
def test_a_plugin_failing_only_in_workers_fails_the_batch(
    toy_batch: ToyBatch, events: EventLog, on_pool_failure: str
) -> None:
    config = toy_batch(3, folder=on_pool_failure, parallel={"on_pool_failure": on_pool_failure})
    (config.parent / "ofxpost_plugins.py").write_text(WORKER_ONLY_FAILURE, encoding="utf-8")
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 1
    assert result.failed == 3 and result.succeeded == 0
    assert not events.named("mode_selected")  # no quiet fall-back to sequential
    assert not events.named("file_started")  # nothing ran in this process instead
    (warning,) = [e for e in events.named("warning") if PLUGIN_IN_WORKERS in e["message"]]
    assert "ofxpost_plugins.py" in warning["message"]
    assert "the licence client is missing on the workers" in warning["message"]
    for failed in events.named("file_failed"):
        assert failed["attempts"] == 0 and PLUGIN_IN_WORKERS in failed["message"]
