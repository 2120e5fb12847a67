"""Config translation is a plugin hook (``ofxpost_translate_config``), asked by the
loading step (``ofxpost._plugins.loading``), not by ``ofxpost._config.model`` (``test_layering.py``
checks that the config imports no plugin code)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import ofxpost
from ofxpost.errors import ConfigError

TRANSLATOR = textwrap.dedent(
    """
    import ofxpost

    @ofxpost.hookimpl
    def ofxpost_translate_config(raw, source):
        if "legacy_inputs" not in raw:
            return None
        if raw["legacy_inputs"] == "boom":
            raise RuntimeError("cannot read this legacy layout")
        return {"inputs": raw["legacy_inputs"]}, ["config was in the legacy layout"]
    """
)


def _project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "a.toy").write_text("{}")
    (tmp_path / "ofxpost_plugins.py").write_text(TRANSLATOR)
    path = tmp_path / "batch.yml"
    path.write_text(config)
    return path


def test_a_local_plugin_translates_a_config(tmp_path: Path) -> None:
    config = ofxpost.load_config(_project(tmp_path, "legacy_inputs: [a.toy]\n"))
    assert config.inputs == ["a.toy"]
    assert config.notices == ("config was in the legacy layout",)
    assert "legacy_inputs" not in config.raw


def test_a_native_config_is_left_alone(tmp_path: Path) -> None:
    config = ofxpost.load_config(_project(tmp_path, "inputs: [a.toy]\n"))
    assert config.inputs == ["a.toy"] and config.notices == ()


def test_a_failing_translator_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = _project(tmp_path, "legacy_inputs: boom\n")
    with pytest.raises(ConfigError) as caught:
        ofxpost.load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: plugin ")
    assert "ofxpost_plugins.py" in message
    assert "failed to translate the config" in message
    assert "cannot read this legacy layout" in message


def test_the_opp_translator_is_a_plugin_that_can_be_disabled(tmp_path: Path) -> None:
    raw = {"orcaflex": {"postprocess": {}}, "inputs": ["a.toy"]}
    (tmp_path / "a.toy").write_text("{}")
    translated = ofxpost.load_config(raw, base_dir=tmp_path)
    assert "opp layout" in translated.notices[0]
    untranslated = ofxpost.load_config(
        {**raw, "disable_plugins": ["ofxpost.builtin.opp"]}, base_dir=tmp_path
    )
    assert not any("opp layout" in notice for notice in untranslated.notices)
    assert any(n.startswith("key 'orcaflex' ignored") for n in untranslated.notices)
