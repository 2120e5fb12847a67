"""Load-matrix ambiguity is a config error in every match mode (``stem``, ``pattern``):
a row that two input files match, or an input file that two rows match, names the
keys and the files; before, the most specific key or the first row silently won."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ofxpost._builtin.loadmatrix import LoadMatrixSection
from ofxpost._builtin.support.loadcases import LoadCases, build_load_cases, check_unambiguous
from ofxpost.errors import ConfigError, LoadMatrixError
from tests._pp_helpers import write_yaml


def _cases(match: str, keys: list[str]) -> LoadCases:
    frame = pd.DataFrame({"key": keys, "hs": [float(i + 1) for i in range(len(keys))]})
    return build_load_cases(frame, LoadMatrixSection(match=match, key="key"), "m.csv")


def _refused(cases: LoadCases, paths: list[Path]) -> str:
    with pytest.raises(LoadMatrixError) as caught:
        check_unambiguous(cases, paths, "m.csv")
    return str(caught.value)


def test_stem_a_file_matching_a_qualified_and_a_bare_key_is_refused() -> None:
    """Before: ``a/case_001`` won over ``case_001`` for the file ``a/case_001``."""
    cases = _cases("stem", ["a/case_001", "case_001"])
    file = Path("a") / "case_001.sim"
    message = _refused(cases, [file])
    assert str(file) in message
    assert "row 2 (key 'a/case_001')" in message and "row 3 (key 'case_001')" in message


def test_stem_a_file_matching_keys_of_two_depths_is_refused() -> None:
    cases = _cases("stem", ["x/a/case_001", "a/case_001"])
    file = Path("x") / "a" / "case_001.sim"
    message = _refused(cases, [file])
    assert "'x/a/case_001'" in message and "'a/case_001'" in message and str(file) in message


def test_stem_a_row_matching_two_files_is_refused() -> None:
    cases = _cases("stem", ["case_001"])
    first, second = Path("a") / "case_001.sim", Path("b") / "case_001.sim"
    message = _refused(cases, [first, second])
    assert "'case_001'" in message and str(first) in message and str(second) in message
    assert "folder" in message


def test_pattern_a_file_matching_two_rows_is_refused() -> None:
    """Before: the first matching row won silently."""
    cases = _cases("pattern", ["*_Hs2*", "*_Hs*"])
    file = Path("r_Hs2.5.sim")
    message = _refused(cases, [file])
    assert "row 2 (key '*_Hs2*')" in message and "row 3 (key '*_Hs*')" in message
    assert str(file) in message


def test_pattern_a_row_matching_two_files_is_refused() -> None:
    cases = _cases("pattern", ["*_Hs2*", "*_Hs4*"])
    first, second = Path("r_Hs2.5.sim"), Path("s_Hs2.0.sim")
    message = _refused(cases, [first, Path("r_Hs4.sim"), second])
    assert "'*_Hs2*'" in message and str(first) in message and str(second) in message
    assert "narrower" in message


@pytest.mark.parametrize(
    ("match", "keys", "files"),
    [
        ("stem", ["a/case_1", "b/case_1", "case_2"], ["a/case_1", "b/case_1", "c/case_2"]),
        ("pattern", ["*_Hs2*", "*_Hs4*", "calm*"], ["r_Hs2.5", "r_Hs4", "calm_sea"]),
    ],
)
def test_one_row_per_file_is_accepted_and_joined(
    match: str, keys: list[str], files: list[str]
) -> None:
    cases = _cases(match, keys)
    paths = [Path(f"{name}.sim") for name in files]
    check_unambiguous(cases, paths, "m.csv")
    assert [cases.rows_for(p) for p in paths] == [[0], [1], [2]]
    assert [cases.for_path(p)["hs"] for p in paths] == [1.0, 2.0, 3.0]


def test_pattern_ambiguity_is_a_config_error_of_the_plan(tmp_path: Path) -> None:
    """Through ``make_plan``: nothing runs, ``output_dir`` is not created."""
    import ofxpost
    from ofxpost._tools.synth import generate_batch

    paths = list(
        generate_batch(tmp_path / "sims", cases=2, seed=1, duration=10.0, dt=0.5, nodes=5).paths
    )
    (tmp_path / "lm.csv").write_text("pattern,hs\ncase*,1.0\n*001*,2.0\n", encoding="utf-8")
    config = write_yaml(
        tmp_path / "c.yml",
        {
            "inputs": ["sims/*.ofx.parquet"],
            "output_dir": "out",
            "load_matrix": {"path": "lm.csv", "match": "pattern"},
        },
    )
    with pytest.raises(ConfigError) as caught:
        ofxpost.make_plan(ofxpost.load_config(config))
    message = str(caught.value)
    assert "'case*'" in message
    assert any(str(p) in message for p in paths)
    assert not (tmp_path / "out").exists()
