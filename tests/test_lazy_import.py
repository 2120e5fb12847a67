"""The package imports lazily: workers load only what a worker needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import ofxpost

WORKER = r"""
import json, sys
from pathlib import Path

import ofxpost.pool
import ofxpost.worker
from ofxpost.demo import demo_config
from ofxpost.plan import WorkerSetup
from ofxpost.plugins import PluginSpec

root = Path(sys.argv[1])
raw = demo_config(4)
raw["inputs"] = ["sims/*.ofx.parquet"]
raw["output_dir"] = "out"
report = open(root / "modules.json", "w")  # init_worker silences descriptors 1 and 2
ofxpost.worker.init_worker(WorkerSetup(PluginSpec(), raw, root, None))
json.dump(sorted(sys.modules), report)
report.close()
"""


def test_a_worker_imports_no_controller_module(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-c", WORKER, str(tmp_path)], check=True, timeout=120)
    loaded = set(json.loads((tmp_path / "modules.json").read_text()))
    assert "ofxpost.worker" in loaded and "ofxpost.builtin.timeseries" in loaded
    controller_only = {
        "anyio",
        "structlog",
        "rich",
        "matplotlib",
        "asyncio",
        "ofxpost.batch",
        "ofxpost.orchestrator",
        "ofxpost.events",
        "ofxpost.finishing",
    }
    assert not controller_only & loaded


@pytest.mark.parametrize("name", ofxpost.__all__)
def test_every_public_name_imports(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from ofxpost import {name}", namespace)
    assert namespace[name] is getattr(ofxpost, name)
    assert name in dir(ofxpost)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ofxpost.nope  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ImportError):
        exec("from ofxpost import nope", {})
