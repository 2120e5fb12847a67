"""Config errors: one clear message naming file, key and value; exit 2; nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ofxpost._cli.main import main
from tests.conftest import ToyBatch


def _edit(config: Path, change: dict[str, object]) -> None:
    data = yaml.safe_load(config.read_text())
    for key, value in change.items():
        section, _, sub = key.partition(".")
        if sub:
            data.setdefault(section, {})[sub] = value
        else:
            data[key] = value
    config.write_text(yaml.safe_dump(data))


@pytest.mark.integration
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"parallel_processing.max_wrkers": 4},
            ["parallel_processing.max_wrkers", "unknown key", "did you mean 'max_workers'"],
        ),
        ({"output_dri": "x"}, ["'output_dri'", "unknown key", "did you mean 'output_dir'"]),
        (
            {"parallel_processing.max_workers": "many"},
            ["parallel_processing.max_workers", "'many'"],
        ),
        (
            {"parallel_processing.timeout_per_file": -3},
            ["parallel_processing.timeout_per_file", "-3"],
        ),
        ({"inputs": ["data/missing.toy"]}, ["inputs[0]", "missing.toy", "not found"]),
        ({"inputs": ["nothing/*.toy"]}, ["inputs[0]", "nothing/*.toy", "matched no files"]),
        ({"plugins": ["no_such_plugin_module"]}, ["plugins", "no_such_plugin_module"]),
        (
            {"outputs": {"csv_significant_digits": "six"}},
            ["outputs.csv_significant_digits", "'six'"],
        ),
        ({"outputs": {"csv_decimals": 6}}, ["outputs", "csv_decimals (6) was removed"]),
        ({"outputs": {"csv_significant_digits": 6}}, ["outputs.csv_significant_digits", "10"]),
    ],
)
def test_config_error_exit_2_one_message_nothing_written(
    toy_batch: ToyBatch,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, object],
    expected: list[str],
) -> None:
    config = toy_batch(3)
    _edit(config, change)
    code = main(["run", str(config)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert str(config) in err[0]
    for fragment in expected:
        assert fragment in err[0]
    assert not (config.parent / "out").exists()


def test_invalid_yaml_names_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.yml"
    config.write_text("inputs: [a, b\noutput_dir: x\n")
    assert main(["validate", str(config)]) == 2
    err = capsys.readouterr().err
    assert "bad.yml" in err and "line" in err


@pytest.mark.integration  # `ofxpost run` pre-starts its pool before reading the file
def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "nope.yml")]) == 2
    assert "nope.yml" in capsys.readouterr().err


@pytest.mark.integration
def test_bad_arguments_exit_2(toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]) -> None:
    config = toy_batch(2)
    with pytest.raises(SystemExit) as info:
        main(["run", str(config), "--workers", "lots"])
    assert info.value.code == 2
    assert main(["run", str(config), "--workers", "0"]) == 2


@pytest.mark.integration
def test_validate_ok(toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]) -> None:
    config = toy_batch(4)
    assert main(["validate", str(config)]) == 0
    out = capsys.readouterr().out
    assert "4 files" in out and "OK" in out
