"""A batch runner bound to one test's folder."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from ofxpost.testing._runner import BatchRun, Mode, PluginRef, assert_same_tables, run_plugin_batch


class BatchRunner:
    """Runs batches whose relative paths resolve against one folder (``tmp_path``).

    The ``ofxpost_batch`` fixture is one of these::

        def test_it(ofxpost_archives, ofxpost_batch):
            ofxpost_archives(cases=2)
            config = {"inputs": ["sims/*.ofx.parquet"], "output_dir": "out"}
            run = ofxpost_batch.run(config, plugins=[Path(__file__).parent / "my_plugin.py"])
            seq, par = ofxpost_batch.assert_same_tables(config, plugins=["my_plugin"])
    """

    def __init__(self, base_dir: str | os.PathLike[str]) -> None:
        self.base_dir = Path(base_dir)
        """Folder of relative paths in the configs run."""

    def run(
        self,
        config: Mapping[str, Any],
        *,
        plugins: Sequence[PluginRef] = (),
        mode: Mode = "sequential",
        workers: int = 2,
        output_dir: str | None = None,
    ) -> BatchRun:
        """:func:`~ofxpost.testing.run_plugin_batch` with ``base_dir`` filled in."""
        return run_plugin_batch(
            config,
            base_dir=self.base_dir,
            plugins=plugins,
            mode=mode,
            workers=workers,
            output_dir=output_dir,
        )

    def assert_same_tables(
        self,
        config: Mapping[str, Any],
        *,
        plugins: Sequence[PluginRef] = (),
        tables: Collection[str] | None = None,
        workers: int = 2,
    ) -> tuple[BatchRun, BatchRun]:
        """:func:`~ofxpost.testing.assert_same_tables` with ``base_dir`` filled in."""
        return assert_same_tables(
            config, base_dir=self.base_dir, plugins=plugins, tables=tables, workers=workers
        )
