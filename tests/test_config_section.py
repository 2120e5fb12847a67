"""``Config.section(name, Model)``: the typed accessor of a plugin's config section."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from ofxpost._config.model import build_config


class Peaks(BaseModel):
    threshold: float = 1.0


class Other(BaseModel):
    pass


def test_the_typed_accessor_returns_the_declared_model() -> None:
    config = build_config(
        {"inputs": ["a.toy"], "peaks": {"threshold": 2.5}}, {"peaks": Peaks}, base_dir=Path(".")
    )
    peaks = config.section("peaks", Peaks)
    assert isinstance(peaks, Peaks)
    assert peaks.threshold == 2.5
    assert config.section("peaks") is peaks  # the untyped form is the same object


def test_the_typed_accessor_refuses_another_model_naming_both() -> None:
    config = build_config({"inputs": ["a.toy"]}, {"peaks": Peaks}, base_dir=Path("."))
    with pytest.raises(TypeError, match=r"'peaks' is a Peaks, not Other"):
        config.section("peaks", Other)
    with pytest.raises(KeyError):
        config.section("absent", Peaks)


def test_a_plugin_declaring_sections_as_a_list_is_one_config_error() -> None:
    import pluggy

    import ofxpost
    from ofxpost import hookspecs
    from ofxpost._plugins.loading import collect_sections
    from ofxpost.errors import ConfigError

    class ListPlugin:
        @ofxpost.hookimpl
        def ofxpost_add_config_sections(self) -> object:
            return [Peaks]

    pm = pluggy.PluginManager("ofxpost")
    pm.add_hookspecs(hookspecs)
    pm.register(ListPlugin(), name="lister")
    with pytest.raises(ConfigError, match=r"plugin 'lister': .* returned list, not a mapping"):
        collect_sections(pm, Path("c.yml"))
