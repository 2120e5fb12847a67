"""Careless plugins are blamed by name, and can be switched off; nothing else is lost.

Installed plugins are made without pip: a ``*.dist-info`` folder with an
``entry_points.txt`` in a folder put on ``sys.path`` (spawned workers inherit it).
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

import ofxpost
from ofxpost._cli.main import main
from tests.conftest import ToyBatch


def install(
    site: Path, monkeypatch: pytest.MonkeyPatch, dist: str, version: str, modules: dict[str, str]
) -> None:
    """Install distribution ``dist`` with one ``ofxpost`` entry point per module."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
    )
    points = "".join(f"{name.removeprefix('ofxpost_')} = {name}\n" for name in modules)
    (info / "entry_points.txt").write_text(f"[ofxpost]\n{points}", encoding="utf-8")
    for name, source in modules.items():
        (site / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))


@pytest.fixture
def broken_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution ``ofxpost-broken 0.3`` whose plugin imports ``scipyy``."""
    site = tmp_path / "site"
    install(site, monkeypatch, "ofxpost-broken", "0.3", {"ofxpost_broken": "import scipyy\n"})
    return site


def _set(config: Path, **keys: object) -> Path:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data.update(keys)
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config


@pytest.mark.integration
def test_broken_installed_plugin_names_distribution_and_entry_point(
    toy_batch: ToyBatch, broken_installed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = toy_batch(2)
    with pytest.raises(ofxpost.PluginError) as info:
        ofxpost.load_config(config)
    message = str(info.value)
    assert "installed plugin 'broken'" in message
    assert "distribution ofxpost-broken 0.3" in message
    assert "entry point 'broken = ofxpost_broken'" in message
    assert "ModuleNotFoundError" in message and "scipyy" in message
    assert "--disable-plugin 'broken'" in message and "OFXPOST_DISABLE_PLUGIN_AUTOLOAD" in message
    assert main(["run", str(config)]) == 2
    assert "ofxpost-broken 0.3" in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.parametrize("how", ["option", "config_dist_name", "env"])
def test_broken_installed_plugin_can_be_disabled_in_workers_too(
    toy_batch: ToyBatch,
    broken_installed: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
) -> None:
    config = toy_batch(3)  # two parallel workers: they must skip the plugin too
    argv = ["run", str(config), "--log-format", "json"]
    if how == "option":
        argv += ["--disable-plugin", "broken"]
    elif how == "config_dist_name":
        _set(config, disable_plugins=["ofxpost-broken"])
    else:
        monkeypatch.setenv("OFXPOST_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert main(argv) == 0
    toy = pd.read_csv(config.parent / "out" / "toy.csv")
    assert len(toy) == 3
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    modes = [e for e in events if e["event"] == "mode_selected"]
    assert modes and modes[0]["mode"] == "parallel"  # the pool started: no fallback


def test_plugins_command_lists_the_broken_one_and_exits_1(
    broken_installed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins"]) == 1
    out = capsys.readouterr().out
    assert "ofxpost.builtin.tables  [ofxpost (built-in)]" in out  # the rest is still listed
    assert "broken  [ofxpost-broken 0.3]  BROKEN" in out and "scipyy" in out
    assert main(["plugins", "--disable-plugin", "broken"]) == 0
    assert "BROKEN" not in capsys.readouterr().out


@pytest.mark.integration
def test_unknown_disabled_name_suggests_the_nearest(
    toy_batch: ToyBatch, broken_installed: Path
) -> None:
    config = _set(toy_batch(2), disable_plugins=["brokn"])
    expected = r"no plugin named 'brokn' \(did you mean 'broken'"
    with pytest.raises(ofxpost.PluginError, match=expected):
        ofxpost.load_config(config)


def test_installed_plugin_is_listed_with_its_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = """
        import ofxpost

        @ofxpost.hookimpl
        def ofxpost_extract(model):
            return None
    """
    install(tmp_path / "site", monkeypatch, "ofxpost-fine", "1.2", {"ofxpost_fine": source})
    assert main(["plugins"]) == 0
    assert "fine  [ofxpost-fine 1.2]\n    ofxpost_extract" in capsys.readouterr().out


@pytest.mark.integration
def test_misspelled_hook_suggests_the_nearest_and_names_the_module(
    toy_batch: ToyBatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "typo"
    folder.mkdir()
    (folder / "ofxpost_typo.py").write_text(
        "import ofxpost\n\n@ofxpost.hookimpl\ndef ofxpost_extrat(model):\n    return {}\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(folder))
    config = toy_batch(2, plugins=["ofxpost_toy", "ofxpost_typo"])
    with pytest.raises(ofxpost.PluginError) as info:
        ofxpost.load_config(config)
    message = str(info.value)
    assert "unknown hook 'ofxpost_extrat' (did you mean 'ofxpost_extract'?)" in message
    assert "plugin 'ofxpost_typo' (module ofxpost_typo, " in message and "<module" not in message


CLASH = """
import ofxpost

@ofxpost.hookimpl
def ofxpost_extract(model):
    return {"model_info": "mine now", "aaa_value": 1}
"""


@pytest.mark.integration
def test_result_named_like_a_builtin_blames_the_newcomer(
    toy_batch: ToyBatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "clash"
    folder.mkdir()
    (folder / "aaa_clash.py").write_text(CLASH, encoding="utf-8")  # sorts before ofxpost.*
    monkeypatch.syspath_prepend(str(folder))
    config = toy_batch(3, plugins=["ofxpost_toy", "aaa_clash"])
    result = ofxpost.run(config)
    assert result.exit_code == 1 and result.partial == 3
    out = config.parent / "out"
    files = pd.read_csv(out / "files.csv")  # the built-in tables aggregator did not crash
    assert list(files["status"]) == ["partial"] * 3
    failures = pd.read_csv(out / "failures.csv")
    assert list(failures["plugin"]) == ["aaa_clash"] * 3
    assert (
        failures["message"]
        .str.contains("result name 'model_info' is already used by 'ofxpost.builtin.modelinfo'")
        .all()
    )
    assert not result.output_errors


@pytest.mark.integration
def test_a_loader_that_raises_is_named(toy_batch: ToyBatch) -> None:
    config = toy_batch(2, {1: "raise_open"})
    result = ofxpost.run(config)
    assert result.exit_code == 1
    failures = pd.read_csv(config.parent / "out" / "failures.csv")
    assert list(failures["plugin"]) == ["ofxpost_toy"]
    assert list(failures["kind"]) == ["file"]


@pytest.mark.integration
def test_trace_logs_each_hook_call_with_its_plugin(
    toy_batch: ToyBatch, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OFXPOST_TRACE_PLUGINS", "1")
    config = toy_batch(2)
    ofxpost.run(config, sequential=True)
    err = capfd.readouterr().err
    # hooks called on behalf of a file write into that file's log (logs/), like any
    # other output of plugin code; the controller's hooks into logs/controller.log
    logs = config.parent / "out" / "logs"
    log = (logs / "case000.log").read_text(encoding="utf-8")
    assert "hook=ofxpost_extract plugin=ofxpost_toy duration_ms=" in log
    assert "hook=ofxpost_open_simulation plugin=" in log
    controller = (logs / "controller.log").read_text(encoding="utf-8")
    assert "hook=ofxpost_aggregate plugin=ofxpost.builtin.tables duration_ms=" in controller
    assert "hook=ofxpost_aggregate" not in err


def test_describe_plugin_names_the_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ofxpost._plugins.manager import PluginSpec, build_plugin_manager, describe_plugin

    source = (
        "import ofxpost\n\n@ofxpost.hookimpl\ndef ofxpost_aggregate(records):\n    return None\n"
    )
    install(tmp_path / "site", monkeypatch, "ofxpost-agg", "2.0", {"ofxpost_agg": source})
    pm = build_plugin_manager(PluginSpec())
    assert describe_plugin(pm, "agg") == "'agg' (distribution ofxpost-agg 2.0)"
    assert describe_plugin(pm, "ofxpost.builtin.tables") == "'ofxpost.builtin.tables'"


def test_disabled_builtin_section_is_ignored_with_a_notice(tmp_path: Path) -> None:
    base = {"inputs": ["x"], "excel": {"name": "book.xlsx"}}
    plain = ofxpost.load_config(base, base_dir=tmp_path)
    config = ofxpost.load_config(
        {**base, "disable_plugins": ["ofxpost.builtin.excel"]}, base_dir=tmp_path
    )
    assert "excel" not in config.sections
    assert any("key 'excel' ignored" in notice for notice in config.notices)
    assert config.plugin_spec.disabled == ("ofxpost.builtin.excel",)
    assert config.result_hash() != plain.result_hash()
    with pytest.raises(ofxpost.ConfigError, match="unknown key"):  # a typo is still an error
        ofxpost.load_config(
            {**base, "disable_plugins": ["ofxpost.builtin.excel"], "sumary": {}},
            base_dir=tmp_path,
        )
    with pytest.raises(ofxpost.ConfigError, match="'disable_plugins': expected a list"):
        ofxpost.load_config({"inputs": ["x"], "disable_plugins": "excel"}, base_dir=tmp_path)


def test_an_undecorated_hook_function_is_refused_at_registration(
    toy_batch: ToyBatch, tmp_path: Path
) -> None:
    """``def ofxpost_extract`` without ``@ofxpost.hookimpl`` would never be called: the
    table would silently be missing. It is a plugin error naming the function."""
    config = toy_batch(2)
    (config.parent / "ofxpost_plugins.py").write_text(
        "import ofxpost\n\n"
        "def ofxpost_extract(model):\n"
        "    return {'peak': 1.0}\n\n"
        "@ofxpost.hookimpl\n"
        "def ofxpost_aggregate(records):\n"
        "    return None\n",
        encoding="utf-8",
    )
    with pytest.raises(ofxpost.PluginError, match=r"'ofxpost_extract'.*not\s+decorated"):
        ofxpost.load_config(config)
    assert main(["run", str(config)]) == 2
