"""What made failing files cost more than good ones, kept cheap and still complete.

A failing file's traceback is formatted without the ``^^^^`` markers (Python parses
each frame's source line to place them), and its error report's path is checked
against one listing of the ``errors`` folder per batch instead of one ``lstat`` per
file (``benchmarks/failing_files.py`` measures the cost).
"""

from __future__ import annotations

from pathlib import Path

from ofxpost._store.manifest import OutputLedger
from ofxpost._worker.worker import format_traceback


def _inner(values: dict[str, int]) -> int:
    return values["missing"] + 1


def _outer() -> int:
    try:
        return _inner({})
    except KeyError as exc:
        raise ValueError("wrapped") from exc


def test_a_traceback_keeps_files_lines_and_source_of_every_chained_frame() -> None:
    try:
        _outer()
    except ValueError as exc:
        text = format_traceback(exc)
    assert text.count("Traceback (most recent call last):") == 2
    assert "direct cause of the following exception" in text
    for name, source in (("_inner", 'values["missing"]'), ("_outer", "_inner({})")):
        assert f"in {name}\n" in text and source in text
    assert __file__ in text
    assert "^" not in text  # no position markers computed
    assert text.rstrip().endswith("ValueError: wrapped")


def test_a_traceback_of_an_exception_group_names_each_member() -> None:
    try:
        raise ExceptionGroup("two", [KeyError("k"), ValueError("v")])
    except ExceptionGroup as exc:
        text = format_traceback(exc)
    assert "ExceptionGroup: two (2 sub-exceptions)" in text
    assert "KeyError: 'k'" in text and "ValueError: v" in text


def test_a_report_path_is_foreign_only_if_the_folder_held_it_and_ofxpost_did_not(
    tmp_path: Path,
) -> None:
    (tmp_path / "errors").mkdir()
    (tmp_path / "errors" / "mine.json").write_text("{}", encoding="utf-8")
    (tmp_path / "errors" / "a_folder.json").mkdir()
    ledger = OutputLedger(tmp_path, "b1")
    assert ledger.foreign_in_listing("errors/mine.json")
    assert ledger.foreign_in_listing("errors/a_folder.json")
    assert not ledger.foreign_in_listing("errors/case_001.json")
    ledger.owned.add("errors/mine.json")  # written by an earlier run (its manifest)
    assert not ledger.foreign_in_listing("errors/mine.json")
    assert not OutputLedger(tmp_path / "new", "b2").foreign_in_listing("errors/x.json")
