"""Storm-extreme summary columns: ``extreme_model: weibull|gpd`` and ``return_level*``.

The end-to-end check recomputes every value from the samples read with pyarrow
alone (:class:`RawArchive`): cluster peaks by a plain loop, fits by scipy's own
``genpareto``/``weibull_min`` (``floc=0``), levels by scipy's inverse survival
function and the interval from an independent finite-difference covariance.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import ofxpost
from tests._cli import run_python
from tests._hand_extremes import (
    cluster_peaks_by_hand,
    covariance_by_hand,
    mode_excess_by_search,
    return_excess,
    scipy_fit,
)
from tests._pp_helpers import (
    RISER,
    TENSION,
    RawArchive,
    make_sims,
    read_table,
    run_config,
    write_yaml,
)

TH = {"command": "time_history", "object": RISER, "variable": TENSION, "object_extra": "end_a"}
GPD = {"statistic": "mpm", "extreme_model": "gpd", "threshold": 805.0}


def _load(column: dict[str, Any]) -> Any:
    spec = {**TH, **column}
    config = {"inputs": ["x"], "summary": {"groups": [{"name": "g", "columns": [spec]}]}}
    return ofxpost.load_config(config)


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"statistic": "max", "extreme_model": "gpd"}, "'extreme_model' is used only by the storm"),
        ({"statistic": "p95", "threshold": 3.0}, "'threshold' is used only by the storm"),
        ({"statistic": "tz", "tail": "lower"}, "'tail' is used only by the storm"),
        ({"statistic": "mpm", "threshold": 3.0}, "'threshold' is used only by extreme_model"),
        (
            {"statistic": "mpm", "extreme_model": "rayleigh", "decluster_period": 4},
            "'decluster_period' is used only by extreme_model",
        ),
        ({"statistic": "return_level"}, "'return_level' needs 'extreme_model: weibull' or 'gpd'"),
        ({"statistic": "mpm", "extreme_model": "weibull"}, "extreme_model 'weibull' needs a"),
        (
            {**GPD, "confidence_level": 90},
            "'confidence_level' is used only by 'return_level_lower'",
        ),
        ({**GPD, "statistic": "return_level_upper", "confidence_level": 100}, "less than 100"),
        ({**GPD, "decluster_period": -1}, "greater than or equal to 0"),
        ({**GPD, "extreme_model": "gumbel"}, "'rayleigh', 'weibull' or 'gpd'"),
        ({**GPD, "threshold": float("inf")}, "'threshold' must be a finite number"),
        ({"statistic": "max", "storm_duration": 3}, "'storm_duration' is used only by"),
    ],
)
def test_misused_extreme_keys_are_config_errors(column: dict[str, Any], message: str) -> None:
    with pytest.raises(ofxpost.ConfigError) as info:
        _load(column)
    text = str(info.value)
    assert "summary.groups[0].columns[0]" in text and message in text


def test_labels_name_the_model_threshold_and_level() -> None:
    def label(column: dict[str, Any]) -> str:
        config = _load(column)
        return str(config.section("summary").groups[0].columns[0].name)

    assert label({"statistic": "mpm"}) == "Riser end_a Effective tension mpm"
    assert label({**GPD, "decluster_period": 10, "storm_duration": 1}) == (
        "Riser end_a Effective tension mpm gpd u=805 decluster 10 s 1 h"
    )
    assert label(
        {**GPD, "statistic": "return_level_lower", "confidence_level": 90, "tail": "lower"}
    ) == ("Riser end_a Effective tension return_level_lower gpd u=805 lower 90%")


def test_rayleigh_lower_tail_is_the_most_probable_minimum() -> None:
    from ofxpost._builtin.support.extremes import ExtremeModel
    from ofxpost._builtin.support.stats import evaluate

    period, dt = 8.0, 0.25
    times = np.arange(40 * 32 + 1) * dt
    values = 10.0 + 2.5 * np.sin(2 * math.pi * times / period + 0.3)
    sigma = 2.5 / math.sqrt(2.0)
    expected = 10.0 - sigma * math.sqrt(2.0 * math.log(3 * 3600.0 / period))
    found = evaluate(values, "mpm", times, None, ExtremeModel(tail="lower"))
    assert found == pytest.approx(expected, rel=2e-3)
    with pytest.raises(ValueError, match="needs extreme_model weibull or gpd"):
        evaluate(values, "return_level", times)


@pytest.mark.integration
def test_summary_fits_match_a_hand_computation(tmp_path: Any) -> None:
    paths = make_sims(tmp_path / "sims", cases=2, duration=600.0, dt=0.5)
    u, period = 805.0, 3.0
    columns = [
        {**TH, **GPD, "decluster_period": period, "label": "gpd_mpm"},
        {**TH, **GPD, "statistic": "return_level", "decluster_period": period, "label": "gpd_rl"},
        {
            **TH,
            **GPD,
            "statistic": "return_level_upper",
            "decluster_period": period,
            "confidence_level": 90,
            "storm_duration": 1.5,
            "label": "gpd_up90",
        },
        {
            **TH,
            "statistic": "return_level",
            "extreme_model": "weibull",
            "threshold": u,
            "label": "weibull_rl",
        },
        {**TH, **GPD, "threshold": 5000.0, "label": "too_high", "optional": True},
    ]
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "outputs": {"formats": ["csv", "parquet"]},
        "summary": {"groups": [{"name": "storm", "columns": columns}]},
    }
    result = run_config(write_yaml(tmp_path / "batch.yml", config), sequential=True)
    assert result.exit_code == 0, result  # the failing column is optional
    table = read_table(tmp_path / "out", "summary_storm").set_index("stem")
    for path in paths:
        raw = RawArchive(path)
        mask = raw.mask()
        times = [float(t) for t in raw.times[mask]]
        x = [float(v) for v in raw.column(RISER, TENSION, "end_a")[mask]]
        row = table.loc[path.name.removesuffix(".ofx.parquet")]
        span = times[-1] - times[0]
        peaks = cluster_peaks_by_hand(times, x, u, period, raw.dt)
        excess = [p - u for p in peaks]
        sigma, xi = scipy_fit("gpd", excess)
        n3 = len(peaks) / span * 3 * 3600.0
        assert row["gpd_rl"] - u == pytest.approx(return_excess("gpd", sigma, xi, n3), rel=1e-3)
        assert row["gpd_mpm"] - u == pytest.approx(
            mode_excess_by_search("gpd", sigma, xi, n3), rel=1e-3
        )
        n15 = len(peaks) / span * 1.5 * 3600.0
        cov = covariance_by_hand("gpd", sigma, xi, excess)
        h = 1e-6
        grad = np.array(
            [
                (
                    return_excess("gpd", sigma * (1 + h), xi, n15)
                    - return_excess("gpd", sigma * (1 - h), xi, n15)
                )
                / (2 * h * sigma),
                (
                    return_excess("gpd", sigma, xi + h, n15)
                    - return_excess("gpd", sigma, xi - h, n15)
                )
                / (2 * h),
            ]
        )
        upper = return_excess("gpd", sigma, xi, n15) + 1.6448536269514722 * math.sqrt(
            float(grad @ cov @ grad)
        )
        assert row["gpd_up90"] - u == pytest.approx(upper, rel=2e-3)
        # decluster period 0: every excursion above u is a cluster
        single = [p - u for p in cluster_peaks_by_hand(times, x, u, 0.0, raw.dt)]
        assert len(single) >= len(peaks)
        w_sigma, w_xi = scipy_fit("weibull", single)
        n_w = len(single) / span * 3 * 3600.0
        assert row["weibull_rl"] - u == pytest.approx(
            return_excess("weibull", w_sigma, w_xi, n_w), rel=1e-3
        )
        assert math.isnan(row["too_high"])
    errors = read_table(tmp_path / "out", "summary_errors")
    assert set(errors["label"]) == {"too_high"} and len(errors) == 2
    assert errors["message"].str.contains("0 cluster peak\\(s\\) above the threshold 5000").all()


@pytest.mark.integration
def test_scipy_is_imported_only_when_a_fit_is_made(tmp_path: Any) -> None:
    # validating a config with a GPD column, opening an archive module and starting a
    # worker import no scipy; only the first fit does
    make_sims(tmp_path, cases=1, duration=100.0, dt=0.5)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import ofxpost, ofxpost.archive, ofxpost._worker.worker\n"
        "from ofxpost._config.plan import WorkerSetup\n"
        "from ofxpost._plugins.manager import PluginSpec\n"
        "column = {'object': 'Riser', 'command': 'time_history', 'object_extra': 'end_a',\n"
        "          'variable': 'Effective tension', 'statistic': 'mpm',\n"
        "          'extreme_model': 'gpd', 'threshold': 790.0}\n"
        "raw = {'inputs': ['*.ofx.parquet'], 'output_dir': 'out',\n"
        "       'summary': {'groups': [{'name': 'g', 'columns': [column]}]}}\n"
        "ofxpost.load_config(raw)\n"
        "ofxpost._worker.worker.init_worker(\n"
        "    WorkerSetup(PluginSpec(entry_points=False), raw, Path(sys.argv[1]), None))\n"
        "before = 'scipy' in sys.modules\n"
        "from ofxpost._builtin.summary import column_value\n"
        "from ofxpost._archive import open_archive\n"
        "config = ofxpost.load_config(raw)\n"
        "spec = config.section('summary').groups[0].columns[0]\n"
        "model = open_archive(sorted(Path(sys.argv[1]).glob('*.ofx.parquet'))[0])\n"
        "value = column_value(model, spec)\n"
        "seen = f\"{before} {'scipy' in sys.modules} {value > 790.0}\"\n"
        "Path(sys.argv[1], 'seen.txt').write_text(seen)\n"
    )
    run_python("-c", script, str(tmp_path), check=True, timeout=120, stdout=None, stderr=None)
    assert (tmp_path / "seen.txt").read_text().split() == ["False", "True", "True"]
