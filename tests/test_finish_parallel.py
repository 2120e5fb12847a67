"""The finish phase writes independent outputs at the same time (issue 11.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ofxpost
from tests._cli import run_python
from tests._finish_helpers import manifest, plugin_module, toy_config

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

# Two writers that can only both finish if they run at the same time: each waits
# (bounded) at a barrier for the other. Run one after the other, the first one's
# wait times out and it raises, which costs its output.
WRITERS = """
import threading
from pathlib import Path

BARRIER = threading.Barrier(2)

def _meet(output_dir, name):
    BARRIER.wait(timeout=60)
    (Path(output_dir) / name).write_text(name, encoding="utf-8")
    return [Path(output_dir) / name]
"""


def _writer(name: str) -> str:
    return f"""
from ofxpost_meet_common import _meet

@ofxpost.hookimpl
def ofxpost_write_outputs(output_dir):
    return _meet(output_dir, "{name}.txt")
"""


def test_writers_run_concurrently(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = tmp_path / "plugins"
    plugin_module(plugins, monkeypatch, "ofxpost_meet_common", WRITERS)
    first = plugin_module(plugins, monkeypatch, "ofxpost_meet_a", _writer("a"))
    second = plugin_module(plugins, monkeypatch, "ofxpost_meet_b", _writer("b"))
    config = toy_config(tmp_path, monkeypatch, n=2, plugins=(first, second))
    result = ofxpost.run(config, sequential=True)
    assert result.exit_code == 0, result.output_errors
    out = tmp_path / "out"
    assert (out / "a.txt").read_text() == "a.txt" and (out / "b.txt").read_text() == "b.txt"
    assert {"a.txt", "b.txt"} <= set(manifest(out)["written"])


def test_plots_import_matplotlib_while_files_run(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from types import SimpleNamespace\n"
        "import ofxpost\n"
        "from ofxpost._builtin import rangegraph\n"
        "config = ofxpost.load_config({'inputs': ['x/*'], 'range_graph': {'graphs': "
        "[{'object': 'Riser', 'variable': 'Effective tension'}]}}, base_dir=sys.argv[1])\n"
        "assert 'matplotlib.figure' not in sys.modules\n"
        "rangegraph.ofxpost_batch_started(plan=SimpleNamespace(config=config))\n"
        "import threading\n"
        "[t.join(120) for t in threading.enumerate() if t.name == 'ofxpost-plots-warm-up']\n"
        "assert 'matplotlib.figure' in sys.modules\n"
    )
    run_python("-c", script, str(tmp_path), check=True, timeout=180, stdout=None, stderr=None)
