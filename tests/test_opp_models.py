"""The opp layout as pydantic models, and the config-error wording it shares with the
native config (:mod:`ofxpost._config.messages`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ofxpost
from ofxpost._builtin.opp import models
from ofxpost._builtin.opp.translate import translate_opp_config
from ofxpost._config import messages
from ofxpost._config import model as native_model
from tests._pp_helpers import opp_config


def _error(raw: dict[str, Any], source: Path | None = Path("old.yml")) -> str:
    with pytest.raises(ofxpost.ConfigError) as info:
        translate_opp_config(raw, source)
    return str(info.value)


def test_one_suggest_and_one_formatter() -> None:
    assert native_model.suggest is messages.suggest
    assert native_model.label_prefix is messages.label_prefix
    assert messages.suggest("flagg", ["flag", "csv_decimal"]) == " (did you mean 'flag'?)"
    assert messages.suggest("zzz", ["flag"]) == ""


def test_unknown_key_reads_the_same_in_both_layouts() -> None:
    raw = opp_config()
    raw["file_management"]["output_directry"] = "x"
    opp = _error(raw)
    with pytest.raises(ofxpost.ConfigError) as info:
        ofxpost.load_config({"inputs": ["x.toy"], "output_dri": "x"}, base_dir=Path.cwd())
    native = str(info.value)
    assert opp == (
        "old.yml: key 'file_management.output_directry': unknown key "
        "(did you mean 'output_directory'?)"
    )
    assert native.endswith("key 'output_dri': unknown key (did you mean 'output_dir'?)")


def test_a_value_error_names_file_key_path_and_value() -> None:
    raw = opp_config()
    raw["summary_settings"]["groups"][0]["Columns"][0]["SimulationPeriod"] = "Whole"
    message = _error(raw)
    assert message.startswith(
        "old.yml: key 'summary_settings.groups[0].Columns[0].SimulationPeriod'"
    )
    assert "unknown period" in message and "(got 'Whole')" in message


def test_a_mapping_key_is_part_of_the_key_path() -> None:
    raw = opp_config()
    raw["file_management"]["input_files"] = {"sim": ["a.sim"], "yml": "b.yml"}
    assert "key 'file_management.input_files.yml': expected a list of paths" in _error(raw)


def test_the_summary_spelling_is_named_as_written() -> None:
    raw = opp_config()
    raw["orcaflex"]["postprocess"]["Summary"] = raw["orcaflex"]["postprocess"].pop("summary")
    native = translate_opp_config(raw, None)
    assert native["summary"] == translate_opp_config(opp_config(), None)["summary"]
    raw["orcaflex"]["postprocess"]["Summary"]["flag"] = "yes"
    assert "key 'orcaflex.postprocess.Summary.flag': expected true or false" in _error(raw)
    raw["orcaflex"]["postprocess"]["Summary"]["flag"] = True
    raw["orcaflex"]["postprocess"]["summary"] = {"flag": True}
    assert "given twice" in _error(raw)


def test_unsupported_column_keys_say_why() -> None:
    raw = opp_config()
    raw["summary_settings"]["groups"][0]["Columns"][0]["Location"] = "Outer"
    message = _error(raw)
    assert "Columns[0].Location'" in message and "not supported" in message


@pytest.mark.parametrize("value", [0, -1, True, "1", 1.5])
def test_a_bad_support_index_names_the_key(value: object) -> None:
    raw = opp_config()
    raw["summary_settings"]["groups"][0]["Columns"][0]["SupportIndex"] = value
    message = _error(raw)
    assert "Columns[0].SupportIndex'" in message and "support number" in message


def test_master_columns_are_checked_by_key_only() -> None:
    keys = models.SummaryColumnKeys.model_validate({"Statistic_Type": "nonsense"})
    assert keys.model_fields_set == {"Statistic_Type"}
    assert set(models.SummaryColumnKeys.model_fields) == set(models.SummaryColumn.model_fields)


@pytest.mark.parametrize(
    ("value", "period"),
    [
        ([], None),
        ([5.0], [5.0, None]),
        ([0, 10], [0, 10]),
        (3, 3),
        ("Whole Simulation", "whole_simulation"),
    ],
)
def test_period_values(value: Any, period: Any) -> None:
    column = models.Column.model_validate(
        {"ObjectName": "Riser", "Variable": "Effective tension", "SimulationPeriod": value}
    )
    assert column.SimulationPeriod == period


def test_null_add_to_summary_is_an_error() -> None:
    raw = opp_config()
    raw["summary_settings"]["AddMeanToSummary"] = None
    assert "key 'summary_settings.AddMeanToSummary': expected true or false" in _error(raw)
