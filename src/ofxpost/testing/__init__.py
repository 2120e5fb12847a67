"""ofxpost's test kit for plugin authors.

Installed with ofxpost and registered as a pytest plugin (entry point
``pytest11``: ``ofxpost``), so its fixtures are available in every test with no
import and no ``conftest.py``; disable it with ``pytest -p no:ofxpost``.

Fixtures (see :mod:`ofxpost.testing.pytest_plugin`):

* ``ofxpost_archives`` -- writes synthetic archives into ``tmp_path``
  (:func:`write_archives`);
* ``ofxpost_batch`` -- runs batches with chosen plugins under ``tmp_path``
  (:class:`BatchRunner`: :func:`run_plugin_batch`, :func:`assert_same_tables`);
* ``ofxpost_events`` -- a schema-checking event sink (:class:`EventLog`).

A complete plugin test::

    def test_peaks_table(ofxpost_archives, ofxpost_batch):
        ofxpost_archives(cases=3)                       # tmp_path/sims/*.ofx.parquet
        run = ofxpost_batch.run(
            {"inputs": ["sims/*.ofx.parquet"], "output_dir": "out"},
            plugins=["ofxpost_peaks"],
        )
        assert run.result.exit_code == 0
        assert len(run.table("peaks")) == 3

The same functions work without pytest (plain imports from ``ofxpost.testing``).
"""

from ofxpost.testing.archives import ALWAYS_KEPT, SYNTH_OBJECTS, Archives, write_archives
from ofxpost.testing.events import EventLog
from ofxpost.testing.runner import (
    BatchRun,
    PluginNotImportable,
    PluginRef,
    assert_same_tables,
    run_plugin_batch,
)
from ofxpost.testing.session import BatchRunner
from ofxpost.testing.tables import NONDETERMINISTIC_TABLES, table_bytes

__all__ = [
    "ALWAYS_KEPT",
    "NONDETERMINISTIC_TABLES",
    "SYNTH_OBJECTS",
    "Archives",
    "BatchRun",
    "BatchRunner",
    "EventLog",
    "PluginNotImportable",
    "PluginRef",
    "assert_same_tables",
    "run_plugin_batch",
    "table_bytes",
    "write_archives",
]
