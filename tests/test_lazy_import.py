"""The package imports lazily: workers load only what a worker needs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import ofxpost
from tests._cli import run_python
from tests._finish_helpers import plugin_module, toy_config
from tests.conftest import TOY_DIR

PROBE = """
import sys

HEAVY = ("anyio", "structlog", "rich", "matplotlib", "ofxpost._engine.batch",
         "ofxpost._engine.orchestrator", "ofxpost._events.emitter", "ofxpost._finish.finishing")

@ofxpost.hookimpl
def ofxpost_extract(model):
    return {"probe": [name for name in HEAVY if name in sys.modules]}
"""


@pytest.mark.integration
def test_a_worker_imports_no_controller_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = plugin_module(tmp_path / "plugins", monkeypatch, "ofxpost_probe_modules", PROBE)
    config = toy_config(tmp_path, monkeypatch, n=2, plugins=(probe,))
    result = ofxpost.run(config, workers=2)
    assert result.exit_code == 0 and result.mode == "parallel"
    store = tmp_path / "out" / ".ofxpost" / "store" / "records.jsonl"
    lines = [json.loads(line) for line in store.read_text().splitlines()]
    assert len(lines) == 2
    for line in lines:
        assert line["results"]["probe"] == []


@pytest.mark.integration
def test_first_use_of_run_batch_in_a_loop_imports_the_engine_on_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = toy_config(tmp_path, monkeypatch, n=2)
    script = (
        "import asyncio, sys, threading\n"
        "import ofxpost\n"
        "assert 'ofxpost._engine.batch' not in sys.modules\n"
        "seen = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'ofxpost._engine.batch':\n"
        "            seen.append(threading.current_thread() is threading.main_thread())\n"
        "sys.meta_path.insert(0, Watch())\n"
        "result = asyncio.run(ofxpost.run_batch(sys.argv[1], sequential=True))\n"
        "assert result.exit_code == 0, result\n"
        "assert seen == [False], seen\n"
        "assert ofxpost.run_batch.__module__ == 'ofxpost._engine.batch'\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TOY_DIR), *sys.path])}
    run_python(
        "-c", script, str(config), check=True, timeout=180, env=env, stdout=None, stderr=None
    )


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


@pytest.mark.integration
def test_the_command_line_module_imports_no_engine() -> None:
    # A worker of an `ofxpost run` re-imports the command line's main module (the
    # console script, or `ofxpost._cli.main` under `python -m`): it must stay light.
    script = (
        "import sys\n"
        "import ofxpost._cli.main\n"
        "heavy = ('anyio', 'asyncio', 'structlog', 'rich', 'numpy', 'pandas', 'pyarrow',\n"
        "         'ofxpost._events.emitter', 'ofxpost._engine.batch')\n"
        "print(' '.join(name for name in heavy if name in sys.modules))\n"
    )
    out = run_python("-c", script, check=True, timeout=120)
    assert out.stdout.split() == []


@pytest.mark.integration
def test_the_engine_and_the_finish_import_no_pandas_before_a_table_is_made() -> None:
    # The controller plans and dispatches the first files without pandas (~0.3 s of
    # imports); the first fold or the aggregation imports it.
    script = (
        "import sys\n"
        "import ofxpost._cli.run, ofxpost._engine.batch, ofxpost._engine.orchestrator\n"
        "import ofxpost._finish.finishing, ofxpost._finish.aggregate, ofxpost._finish.write\n"
        "print(' '.join(name for name in ('pandas', 'pyarrow') if name in sys.modules))\n"
    )
    out = run_python("-c", script, check=True, timeout=120)
    assert out.stdout.split() == []


@pytest.mark.integration
def test_a_worker_with_the_built_ins_loads_no_pandas(tmp_path: Path) -> None:
    # pandas is for the controller's aggregators and writers; the built-ins import it on
    # first use, so a worker that only extracts (no time series) never pays for it.
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import ofxpost._worker.worker\n"
        "from ofxpost._config.plan import WorkerSetup\n"
        "from ofxpost._plugins.manager import PluginSpec\n"
        "raw = {'inputs': ['*.ofx.parquet'], 'output_dir': 'out',\n"
        "       'summary': {'groups': [{'name': 'g', 'columns': [{'object': 'Riser',\n"
        "           'command': 'range_graph', 'variable': 'Effective tension',\n"
        "           'statistic': 'max'}]}]}}\n"
        "ofxpost._worker.worker.init_worker(\n"
        "    WorkerSetup(PluginSpec(entry_points=False), raw, Path(sys.argv[1]), None))\n"
        "Path(sys.argv[1], 'loaded.txt').write_text(str('pandas' in sys.modules))\n"
    )
    run_python("-c", script, str(tmp_path), check=True, timeout=120, stdout=None, stderr=None)
    assert (tmp_path / "loaded.txt").read_text() == "False"


@pytest.mark.integration
def test_entry_point_signatures_are_the_same_before_and_after_first_use() -> None:
    # a fresh interpreter: the first-use wrappers, then the real functions
    script = (
        "import inspect, sys, ofxpost\n"
        "before = [str(inspect.signature(ofxpost.run_batch)),"
        " str(inspect.signature(ofxpost.open_batch)), ofxpost.run_batch.__name__]\n"
        "assert 'ofxpost._engine.batch' not in sys.modules\n"
        "import ofxpost._engine.batch\n"
        "after = [str(inspect.signature(ofxpost.run_batch)),"
        " str(inspect.signature(ofxpost.open_batch)), ofxpost.run_batch.__name__]\n"
        "print(before == after, before)\n"
    )
    out = run_python("-c", script, check=True).stdout
    assert out.startswith("True"), out
    assert "Unpack[RunOptions]" in out and "**options: Any" not in out


@pytest.mark.integration
def test_the_controller_plans_the_demo_without_numpy_pandas_or_pyarrow(tmp_path: Path) -> None:
    """Planning a batch that uses every built-in plugin and the fatigue plugin imports
    none of the heavy numeric libraries: the controller needs them only at the finish,
    and each one imported before the first dispatch delays it. (A load matrix is read
    with pandas while planning: its rows are checked against the files before any runs.)
    """
    import yaml

    from ofxpost._tools.demo import prepare_demo

    config = prepare_demo(tmp_path / "demo", cases=2)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    del data["load_matrix"]
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    script = (
        "import sys\n"
        "from ofxpost._plugins.loading import load_config\n"
        "from ofxpost._config.plan import make_plan\n"
        "import ofxpost._engine.batch, ofxpost._cli.run\n"
        "plan = make_plan(load_config(sys.argv[1]))\n"
        "assert len(plan.jobs) == 2, plan.jobs\n"
        "heavy = ('numpy', 'pandas', 'pyarrow', 'scipy', 'matplotlib')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = run_python("-c", script, str(config), check=True, timeout=180, stderr=None)
    assert done.stdout.strip() == ""


def test_on_first_use_imports_the_module_when_an_attribute_is_read() -> None:
    from ofxpost.plugin import on_first_use

    stand_in = on_first_use("colorsys")
    assert "rgb_to_hsv" not in vars(stand_in)
    assert stand_in.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert "rgb_to_hsv" in vars(stand_in)  # later reads go straight to the module
    with pytest.raises(AttributeError):
        stand_in.no_such_name  # noqa: B018
