"""ofxpost's test kit for plugin authors.

Installed with ofxpost and registered as a pytest plugin (entry point
``pytest11``: ``ofxpost``), so its fixtures are available in every test with no
import and no ``conftest.py``; disable it with ``pytest -p no:ofxpost``.

Fixtures (see :mod:`ofxpost.testing._pytest_plugin`):

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

from ofxpost.errors import PluginNotImportable
from ofxpost.testing._archives import ALWAYS_KEPT, SYNTH_OBJECTS, Archives, write_archives
from ofxpost.testing._events import EventLog
from ofxpost.testing._runner import BatchRun, PluginRef, assert_same_tables, run_plugin_batch
from ofxpost.testing._session import BatchRunner
from ofxpost.testing._tables import NONDETERMINISTIC_TABLES, table_bytes

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
