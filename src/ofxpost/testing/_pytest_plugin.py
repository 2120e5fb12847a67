"""The pytest plugin of the test kit (entry point ``pytest11``: ``ofxpost``).

Loaded automatically by pytest wherever ofxpost is installed; ``-p no:ofxpost``
disables it. Its fixtures:

``ofxpost_archives``
    A function ``(cases=3, *, folder="sims", objects=None, variables=None,
    duration=30.0, dt=0.5, nodes=9, seed=1, faults=None) -> Archives`` that writes
    synthetic archives and ``load_matrix.csv`` into ``tmp_path / folder``
    (:func:`ofxpost.testing.write_archives`)::

        def test_two_files(ofxpost_archives):
            sims = ofxpost_archives(cases=2, variables=["Effective tension"])
            assert [p.name for p in sims.paths] == ["case_001.ofx.parquet",
                                                     "case_002.ofx.parquet"]

``ofxpost_batch``
    A :class:`~ofxpost.testing.BatchRunner` whose ``base_dir`` is ``tmp_path``::

        def test_runs(ofxpost_archives, ofxpost_batch):
            ofxpost_archives(cases=2)
            run = ofxpost_batch.run({"inputs": ["sims/*.ofx.parquet"]}, mode="parallel")
            assert run.result.exit_code == 0 and "files" in run.tables

``ofxpost_events``
    An empty :class:`~ofxpost.testing.EventLog` (pass it as ``on_event``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ofxpost.testing._archives import Archives, write_archives
from ofxpost.testing._events import EventLog
from ofxpost.testing._session import BatchRunner

ArchiveFactory = Callable[..., Archives]
"""The type of the ``ofxpost_archives`` fixture."""


@pytest.fixture
def ofxpost_archives(tmp_path: Path) -> ArchiveFactory:
    """Write synthetic archives into ``tmp_path / folder`` (default ``sims``)."""

    def make(cases: int = 3, *, folder: str = "sims", **options: Any) -> Archives:
        return write_archives(tmp_path / folder, cases, **options)

    return make


@pytest.fixture
def ofxpost_batch(tmp_path: Path) -> BatchRunner:
    """Run batches whose relative paths resolve against ``tmp_path``."""
    return BatchRunner(tmp_path)


@pytest.fixture
def ofxpost_events() -> EventLog:
    """An empty, schema-checking event sink."""
    return EventLog()
