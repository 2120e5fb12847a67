"""``ofxpost new-plugin NAME``: the skeleton installs, lists and passes its own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ofxpost._cli.main import main
from tests.test_tutorial import Shell


@pytest.mark.integration
def test_skeleton_is_installable_and_its_tests_pass(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = pytester.path / "ofxpost-wave-peaks"
    assert main(["new-plugin", "wave_peaks", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(Path(p).relative_to(out).as_posix() for p in printed) == [
        "README.md",
        "pyproject.toml",
        "src/ofxpost_wave_peaks/__init__.py",
        "tests/test_wave_peaks.py",
    ]
    shell = Shell(pytester.path, out)
    shell.line("python -m pytest -q")  # before the install, as the tutorial says
    assert "3 passed" in shell.last_output
    shell.line("pip install -e .")
    shell.line("ofxpost plugins | grep wave_peaks")
    assert shell.last_output == "wave_peaks  [ofxpost-wave-peaks 0.1.0]\n"
    # `python -m pytest -q` in the skeleton's folder, with what the install put on the path
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(shell.pythonpath))
    monkeypatch.chdir(out)
    done = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", timeout=300)
    assert "3 passed" in done.stdout.str()


@pytest.mark.parametrize("name", ["9lives", "Bad-Name", "class"])
def test_bad_names_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    assert main(["new-plugin", name, "--out", str(tmp_path / "x")]) == 2
    assert f"plugin name {name!r}" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_existing_folder_is_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["new-plugin", "peaks", "--out", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
