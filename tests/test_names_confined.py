"""Names are confined to output_dir and portable to Windows (issue 9.7)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ofxpost
from ofxpost._core.names import name_problem, relative_path_problem
from ofxpost.errors import ConfigError
from tests._finish_helpers import files_under, plugin_module, toy_config
from tests.conftest import EventLog

BAD_NAMES = [
    "../../x",
    "..",
    ".",
    "",
    "/etc/passwd",
    "a/b",
    "a\\b",
    "C:x",
    "a:b",
    "CON",
    "nul",
    "Nul.csv",
    "com1",
    "LPT9.txt",
    "trailing.",
    "trailing ",
    "what?",
    "star*",
    'quote"',
    "pipe|",
    "less<",
    "tab\tname",
    "x" * 201,
]
GOOD_NAMES = ["files", "summary_x.y-z", "CONSOLE", "nul_table", "com10", "Eff.Tension", "ü-table"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_names_are_refused(name: str) -> None:
    assert name_problem(name) is not None


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_good_names_pass(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    "path", ["../x.csv", "a/../../x", "/abs/x.csv", "C:/x.csv", "C:x.csv", "plots/CON.png", "a//b"]
)
def test_bad_relative_paths_are_refused(path: str) -> None:
    assert relative_path_problem(path) is not None


def test_good_relative_paths_pass() -> None:
    assert relative_path_problem("parquet/files.parquet") is None
    assert relative_path_problem("plots/range_graph_x.png") is None


@pytest.mark.integration
def test_escaping_table_name_writes_nothing_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    module = plugin_module(
        tmp_path / "plugins",
        monkeypatch,
        "escaping_tables",
        """
        @ofxpost.hookimpl
        def ofxpost_aggregate(records):
            frame = pd.DataFrame({"a": [1]})
            return {"../../x": frame, "CON": frame, "a:b": frame, "dot.": frame, "fine": frame}
        """,
    )
    root = tmp_path / "deep" / "batch"
    config = toy_config(root, monkeypatch, plugins=(module,))
    before = files_under(tmp_path)
    result = ofxpost.run(config, sequential=True, on_event=events)
    out = root / "out"
    outside = files_under(tmp_path) - before
    assert {p for p in outside if not p.startswith("deep/batch/out/")} == set()
    assert "fine.csv" in files_under(out)
    assert result.exit_code == 1
    refused = sorted(f.target or "" for f in result.output_failures)
    assert refused == sorted(["../../x", "CON", "a:b", "dot."])
    assert all(f.plugin == "escaping_tables" for f in result.output_failures)
    assert all("was not written" in f.message for f in result.output_failures)
    assert len(events.named("output_failed")) == 4


@pytest.mark.integration
def test_writer_output_names_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    module = plugin_module(
        tmp_path / "plugins",
        monkeypatch,
        "unportable_writer",
        """
        from pathlib import Path

        OUTSIDE = None

        @ofxpost.hookimpl
        def ofxpost_write_outputs(tables, output_dir, config):
            written = []
            for name in ("CON.txt", "ok.txt", "colon:name.txt", "trail."):
                path = output_dir / name
                path.write_text(name)
                written.append(path)
            stray = Path(config.base_dir) / "stray.txt"
            stray.write_text("outside")
            return [*written, stray]
        """,
    )
    config = toy_config(tmp_path / "batch", monkeypatch, plugins=(module,))
    result = ofxpost.run(config, sequential=True, on_event=events)
    out = config.parent / "out"
    written = files_under(out)
    assert "ok.txt" in written
    assert not {"CON.txt", "colon:name.txt", "trail."} & written
    assert result.exit_code == 1
    by_target = {f.target: f for f in result.output_failures}
    assert {"CON.txt", "colon:name.txt", "trail."} <= set(by_target)
    assert by_target["CON.txt"].stage == "output"
    assert by_target["CON.txt"].plugin == "unportable_writer"
    stray = [f for f in result.output_failures if f.stage == "writer"]
    assert len(stray) == 1 and "outside the output_dir" in stray[0].message


@pytest.mark.integration
def test_excel_name_must_be_portable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = toy_config(tmp_path, monkeypatch, extra={"excel": {"name": "CON.xlsx"}})
    with pytest.raises(ConfigError, match=r"excel\.name|excel.*name") as caught:
        ofxpost.load_config(config)
    assert "Windows device name" in str(caught.value)
