"""``report.html``: the demo's report, ``ofxpost report OUTPUT_DIR``, and the report in a
real browser (Debian's ``chromium`` driven by playwright; ``.ci/run`` installs it).

Expected governing cases are computed here from the Parquet tables, independently
of :mod:`ofxpost._builtin.support.report_data`.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ofxpost._cli.main import main

pytestmark = pytest.mark.integration

CASES = 12
LABELS = [
    "max_tension", "max_tension_arc_length", "min_tension", "tdp_bend_moment_max",
    "top_tension_p99", "top_tension_time_of_max", "max_curvature_section_1",
    "static_top_tension", "vessel_heave_std", "section_1_length",
]  # fmt: skip
"""The demo's summary columns, in order."""
ARTIFACTS = Path(
    os.environ.get("OFXPOST_TEST_ARTIFACTS", Path(__file__).parents[1] / "test-artifacts")
)
"""Where the browser test keeps its screenshot (``/test-artifacts/`` is git-ignored)."""
DOCS_SCREENSHOT = Path(__file__).parents[1] / "docs" / "images" / "report.png"
"""Rewritten by the browser test when ``OFXPOST_UPDATE_DOCS=1`` (docs/report.md shows it)."""


class Tables(html.parser.HTMLParser):
    """Every ``<table id=...>`` of a page: ``{id: [[cell text, ...], ...]}`` and the
    flagged cells (class ``flag``) as ``{id: {(row, column)}}``."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.flags: dict[str, set[tuple[int, int]]] = {}
        self.headers: dict[str, list[str]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._flag = False
        self._head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self._table = str(found["id"])
            self.tables[self._table], self.flags[self._table] = [], set()
            self.headers[self._table] = []
        elif self._table and tag == "tr":
            self._head = not self.tables[self._table] and not self.headers[self._table]
            if not self._head:
                self.tables[self._table].append([])
        elif self._table and tag in ("td", "th"):
            self._cell = []
            self._flag = "flag" in (found.get("class") or "").split()
            self._head = tag == "th"

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            text = "".join(self._cell).strip()
            if tag == "th":
                self.headers[self._table].append(text)
            else:
                rows = self.tables[self._table]
                rows[-1].append(text)
                if self._flag:
                    self.flags[self._table].add((len(rows) - 1, len(rows[-1]) - 1))
            self._cell = None
        elif tag == "table":
            self._table = None


def parse(path: Path) -> Tables:
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's output folder (its config asks for ``html``)."""
    folder = tmp_path_factory.mktemp("report") / "demo"
    assert main(["demo", "--cases", str(CASES), "--out", str(folder), "--workers", "2", "-q"]) == 0
    return folder / "results"


def _governing_rows(tables: Tables) -> dict[str, dict[str, str]]:
    table = "g-summary_extremes"
    headers = tables.headers[table]
    return {row[0]: dict(zip(headers, row, strict=True)) for row in tables.tables[table]}


def test_demo_report_names_the_governing_case_of_each_summary_column(demo: Path) -> None:
    report = demo / "report.html"
    assert report.is_file()
    summary = pd.read_parquet(demo / "parquet" / "summary_extremes.parquet")
    rows = _governing_rows(parse(report))
    assert list(rows) == LABELS
    for label in LABELS:
        values = summary[label].to_numpy(dtype=float)
        smallest = label == "min_tension"  # a min allowable / a min statistic
        at = int(np.argmin(values) if smallest else np.argmax(values))
        row = rows[label]
        assert row["governs"] == ("min" if smallest else "max"), label
        assert row["governing case"] == summary["stem"].iloc[at], label
        assert row["file"] == summary["file"].iloc[at], label
        assert f"hs={summary['hs'].iloc[at]:.4g}" in row["load case"], label
        assert float(row["value"]) == pytest.approx(values[at], rel=1e-3), label


def test_demo_report_utilisations_and_flags(demo: Path) -> None:
    summary = pd.read_parquet(demo / "parquet" / "summary_extremes.parquet")
    tables = parse(demo / "report.html")
    rows = _governing_rows(tables)
    headers = tables.headers["g-summary_extremes"]
    flagged_rows = {
        tables.tables["g-summary_extremes"][r][0]
        for r, c in tables.flags["g-summary_extremes"]
        if headers[c] == "utilisation"
    }
    expected = {
        "max_tension": summary["max_tension"].max() / 900.0,
        "tdp_bend_moment_max": summary["tdp_bend_moment_max"].max() / 280.0,
        "min_tension": 100.0 / summary["min_tension"].min(),
    }
    assert expected["tdp_bend_moment_max"] >= 1.0  # the demo has a flag to show
    for label, ratio in expected.items():
        shown = rows[label]["utilisation"]
        assert float(shown.split()[0]) == pytest.approx(ratio, rel=1e-3), label
        assert (label in flagged_rows) == (ratio >= 1.0), label
        assert ("EXCEEDS" in shown) == (ratio >= 1.0), label
    assert rows["vessel_heave_std"]["utilisation"] == ""  # no allowable, no ratio


def test_demo_report_lists_every_alert_with_its_unit_and_no_governing_section_for_it(
    demo: Path,
) -> None:
    """Each breach is one row of the alerts section (checked against the summary table
    and the demo's allowable of 280 kN.m); ``summary_alerts`` is not a summary group."""
    summary = pd.read_parquet(demo / "parquet" / "summary_extremes.parquet")
    tables = parse(demo / "report.html")
    assert "g-summary_alerts" not in tables.tables
    headers = tables.headers["alerts"]
    rows = [dict(zip(headers, row, strict=True)) for row in tables.tables["alerts"]]
    bend = [r for r in rows if r["label"] == "tdp_bend_moment_max"]
    over = summary[summary["tdp_bend_moment_max"] > 280.0]
    assert len(bend) == len(over) > 0
    assert [r["file"] for r in bend] == list(over["file"])
    assert {r["unit"] for r in bend} == {"kN.m"}
    for row, value in zip(bend, over["tdp_bend_moment_max"], strict=True):
        assert float(row["value"]) == pytest.approx(value, rel=1e-3)
        assert float(row["utilisation"]) == pytest.approx(value / 280.0, rel=1e-3)


def test_demo_report_is_self_contained(demo: Path) -> None:
    text = (demo / "report.html").read_text(encoding="utf-8")
    assert "default-src 'none'" in text  # the browser may fetch nothing
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", text)
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert text.count('<img src="data:image/svg+xml;base64,') == 2  # the two range graphs
    assert "Riser effective tension envelope" not in text  # titles are inside the SVG
    for section in ("failures", "summary_extremes", "range-graphs", "definitions"):
        assert f'<section id="{section}">' in text


def test_definitions_say_what_each_column_is(demo: Path) -> None:
    tables = parse(demo / "report.html")
    headers = tables.headers["definitions"]
    rows = [dict(zip(headers, r, strict=True)) for r in tables.tables["definitions"]]
    found = {(r["table"], r["column"]): r for r in rows}
    tdp = found[("summary_extremes", "tdp_bend_moment_max")]
    assert (tdp["object"], tdp["variable"], tdp["point"], tdp["statistic"]) == (
        "Riser", "Bend moment", "touchdown", "abs_max"
    )  # fmt: skip
    assert tdp["period"] == "whole_simulation" and tdp["unit"] == "kN.m"
    assert tdp["allowable max"] == "280"
    assert found[("summary_extremes", "top_tension_time_of_max")]["period"] == "stage 1"


def _without_run_times(text: str) -> str:
    return re.sub(r"<dd data-run-time>[^<]*</dd>", "<dd data-run-time></dd>", text)


def test_ofxpost_report_rebuilds_from_the_folder_alone(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "results"
    shutil.copytree(demo, copy)  # no simulations, no config beside it: nothing to recompute
    (copy / "report.html").unlink()
    assert main(["report", str(copy)]) == 0
    assert capsys.readouterr().out.strip() == str(copy / "report.html")
    first = (copy / "report.html").read_bytes()
    assert main(["report", str(copy)]) == 0
    assert (copy / "report.html").read_bytes() == first  # deterministic, run times included
    rebuilt = first.decode("utf-8")
    written = (demo / "report.html").read_text(encoding="utf-8")
    assert "wall time" in rebuilt and "exit status</dt><dd data-run-time>0 " in rebuilt
    # the same report as the run wrote, but for the recorded times
    assert _without_run_times(rebuilt).replace("finished", "").count("<dd") >= 1
    rebuilt_rows = _governing_rows(parse(copy / "report.html"))
    assert rebuilt_rows == _governing_rows(parse(demo / "report.html"))
    assert (
        rebuilt.split('<section id="failures">')[1] == written.split('<section id="failures">')[1]
    )


def test_ofxpost_report_refuses_a_folder_that_is_not_an_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"ofxpost: error: {tmp_path} is not an ofxpost output folder (no ofxpost-run.json)"
    ]
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert str(tmp_path / "missing") in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()


def test_the_run_report_is_deterministic(demo: Path, tmp_path: Path) -> None:
    """A second run of the same config writes the same report, but for its recorded times."""
    config = demo.parent / "ofxpost-demo.yml"
    other = tmp_path / "again"
    text = config.read_text(encoding="utf-8").replace("output_dir: results", f"output_dir: {other}")
    (demo.parent / "again.yml").write_text(text, encoding="utf-8")
    assert main(["run", str(demo.parent / "again.yml"), "--workers", "1", "-q"]) == 0
    first = (demo / "report.html").read_text(encoding="utf-8")
    second = (other / "report.html").read_text(encoding="utf-8")
    assert first.count("data-run-time") == 3  # exit status, started, written after
    assert _without_run_times(first).replace("again.yml", "ofxpost-demo.yml") == _without_run_times(
        second
    ).replace("again.yml", "ofxpost-demo.yml")


# --------------------------------------------------------------------- the browser


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("OFXPOST_REQUIRE_BROWSER"):
            pytest.fail("chromium and playwright are required (OFXPOST_REQUIRE_BROWSER is set)")
        pytest.skip("no chromium or playwright here (.ci/run installs them)")
    return path


def test_report_in_a_real_browser(demo: Path) -> None:
    """Headless Chromium: no console error, no request but the file, the governing case
    and the flagged utilisations visible, sorting works; a screenshot is kept."""
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    report = demo / "report.html"
    summary = pd.read_parquet(demo / "parquet" / "summary_extremes.parquet")
    governing = summary["stem"].iloc[int(np.argmax(summary["tdp_bend_moment_max"]))]
    console: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            row = page.locator("#g-summary_extremes tbody tr", has_text="tdp_bend_moment_max")
            assert row.locator("td").nth(4).inner_text() == governing
            assert row.locator("td").nth(4).is_visible()
            flags = page.locator("#g-summary_extremes td.flag", has_text="EXCEEDS")
            expected = int(summary["tdp_bend_moment_max"].max() >= 280.0) + int(
                summary["max_tension"].max() >= 900.0
            )
            assert expected >= 1 and flags.count() == expected
            for i in range(expected):
                assert flags.nth(i).is_visible()
                colour = flags.nth(i).evaluate("e => getComputedStyle(e).backgroundColor")
                assert colour == "rgb(255, 199, 206)"
            images = page.locator("figure img")
            assert images.count() == 2
            assert all(
                images.nth(i).evaluate("e => e.complete && e.naturalWidth > 0") for i in range(2)
            )
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "report.png"
            page.set_viewport_size({"width": 1400, "height": 1300})
            page.screenshot(path=str(shot))
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            if os.environ.get("OFXPOST_UPDATE_DOCS"):
                DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shot, DOCS_SCREENSHOT)
            page.locator("#g-summary_extremes th", has_text="value").click()  # sort ascending
            values = page.locator("#g-summary_extremes tbody td:nth-child(4)").all_inner_texts()
            numbers = [float(v) for v in values]
            assert numbers == sorted(numbers)
            page.locator('input[data-for="g-summary_extremes"]').fill("tension")
            visible = page.locator("#g-summary_extremes tbody tr:visible").count()
            assert visible == sum("tension" in label for label in LABELS)
        finally:
            browser.close()
    assert console == []
    assert requests == [report.as_uri()]


def test_failed_and_partial_files_come_first_with_their_reasons(tmp_path: Path) -> None:
    """A broken archive (failed) and a column every file lacks (partial): the report lists
    them before anything else, failed first, each with its reason; exit status 1."""
    import yaml

    from ofxpost._tools.demo import prepare_demo

    path = prepare_demo(tmp_path, cases=4, seed=3)
    config = yaml.safe_load(path.read_text("utf-8"))
    config["outputs"] = {"formats": ["parquet", "html"]}
    config["summary"]["groups"][0]["columns"].append(
        {"object": "Nowhere", "command": "static_result", "variable": "X", "label": "missing"}
    )
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    broken = sorted((tmp_path / "sims").glob("*.ofx.parquet"))[2]
    broken.write_bytes(b"not an archive")
    assert main(["run", str(path), "--sequential", "-q"]) == 1
    report = tmp_path / "results" / "report.html"
    text = report.read_text(encoding="utf-8")
    assert text.index('<section id="failures">') < text.index('<section id="summary_extremes">')
    tables = parse(report)
    headers = tables.headers["problems"]
    rows = [dict(zip(headers, r, strict=True)) for r in tables.tables["problems"]]
    assert [r["status"] for r in rows] == ["failed", "partial", "partial", "partial"]
    assert rows[0]["file"] == "sims/case_003.ofx.parquet" and rows[0]["kind"] == "file"
    assert all("Nowhere" in r["reason"] for r in rows[1:])
    assert "exit status</dt><dd data-run-time>1 " in text
    assert "1 ok" not in text and "0 ok, 3 partial, 1 failed" in text
    governing = _governing_rows(tables)
    assert governing["missing"]["value"] == "" and governing["missing"]["files"] == "0"
