"""The archive reader answers every OrcFxAPI call like a direct numpy computation."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ofxpost import ofx
from ofxpost._archive import open_archive
from ofxpost._archive.reader import ArchiveModel
from tests._archive_helpers import SMALL, RawArchive, small_archive

__all__ = ["small_archive"]

TENSION = "Effective tension"
MOMENT = "Bend moment"


@pytest.fixture
def model(small_archive: Path) -> Iterator[ArchiveModel]:
    with open_archive(small_archive) as opened:
        yield opened


@pytest.fixture(scope="module")
def raw(small_archive: Path) -> RawArchive:
    return RawArchive(small_archive)


def _status(excinfo: pytest.ExceptionInfo[Any]) -> int:
    return int(excinfo.value.status)


# ---------------------------------------------------------------------- the mapping


def test_mapping_surface(model: ArchiveModel) -> None:
    assert list(model) == ["General", "Environment", "Vessel", "Riser"]
    assert len(model) == 4
    assert "Riser" in model and "Nope" not in model
    with pytest.raises(KeyError) as excinfo:
        model["Nope"]
    assert excinfo.value.args == ("Nope",)
    objects = model.objects
    assert isinstance(objects, tuple) and [str(o) for o in objects] == list(model)
    riser, vessel = model["Riser"], model["Vessel"]
    assert riser.typeName == "Line" and riser.type == ofx.ObjectType.Line
    assert vessel.typeName == "Vessel" and int(vessel.type) == 5
    assert riser.Name == "Riser"
    assert repr(riser) == 'OrcaFlexLineObject(type="Line", name="Riser")'
    assert hasattr(riser, "RangeGraph") and not hasattr(vessel, "RangeGraph")
    assert model.general.ActualLogSampleInterval == pytest.approx(SMALL["dt"])
    assert model.environment.typeName == "Environment"


def test_state_and_times(model: ArchiveModel, raw: RawArchive) -> None:
    assert model.state == ofx.ModelState.SimulationStopped
    assert model.simulationComplete is True
    build_up = math.ceil(SMALL["tp"] / SMALL["dt"] - 1e-9) * SMALL["dt"]
    assert model.simulationStartTime == pytest.approx(-build_up)
    assert model.simulationStopTime == SMALL["duration"]
    status = model.simulationTimeStatus
    assert (status.StartTime, status.StopTime) == (
        model.simulationStartTime,
        model.simulationStopTime,
    )
    assert status.CurrentTime == pytest.approx(raw.time[-1])
    assert tuple(model.general.StageDuration) == pytest.approx((build_up, SMALL["duration"]))
    np.testing.assert_array_equal(model.SampleTimes(), raw.time)
    assert model.SampleCount() == raw.time.size == model["Riser"].SampleCount()


# -------------------------------------------------------------------------- periods


def _period_cases(raw: RawArchive) -> list[tuple[str, Any, np.ndarray[Any, Any]]]:
    start = float(raw.meta["model"]["start_time"])
    stop = float(raw.meta["model"]["stop_time"])
    wave = raw.meta["model"]["latest_wave"]
    P = ofx.PeriodNum
    whole = raw.mask(start, stop)
    build_up = raw.mask(start, 0.0)
    stage1 = raw.mask(0.0, stop)
    specified = raw.mask(5.03, 12.31)
    latest = raw.mask(wave[0], wave[1])
    last = np.zeros_like(whole)
    last[-1] = True
    return [
        ("None", None, whole),
        ("WholeSimulation", P.WholeSimulation, whole),
        ("Period(WholeSimulation)", ofx.Period(P.WholeSimulation), whole),
        ("stage 0", 0, build_up),
        ("BuildUp", P.BuildUp, build_up),
        ("stage 1", 1, stage1),
        ("Period(1)", ofx.Period(1), stage1),
        ("tuple", (5.03, 12.31), specified),
        ("list", [5.03, 12.31], specified),
        ("SpecifiedPeriod", ofx.SpecifiedPeriod(5.03, 12.31), specified),
        ("Period(SpecifiedPeriod)", ofx.Period(P.SpecifiedPeriod, 5.03, 12.31), specified),
        ("LatestWave", P.LatestWave, latest),
        ("Period(LatestWave)", ofx.Period(P.LatestWave), latest),
        ("InstantaneousValue", P.InstantaneousValue, last),
    ]


def test_every_period_form(model: ArchiveModel, raw: RawArchive) -> None:
    riser = model["Riser"]
    column = raw.column("Riser", TENSION, "end_a")
    for label, period, mask in _period_cases(raw):
        assert mask.sum() >= 1, label
        np.testing.assert_array_equal(model.SampleTimes(period), raw.time[mask], err_msg=label)
        assert model.SampleCount(period) == int(mask.sum()), label
        values = riser.TimeHistory(TENSION, period, ofx.oeEndA)
        assert values.shape == (int(mask.sum()),), label
        np.testing.assert_array_equal(values, column[mask], err_msg=label)


def test_stage_boundaries_and_latest_wave(model: ArchiveModel, raw: RawArchive) -> None:
    build = model.SampleTimes(0)
    dynamic = model.SampleTimes(1)
    assert build[0] == model.simulationStartTime and build[-1] == pytest.approx(0.0, abs=1e-9)
    assert dynamic[0] == pytest.approx(0.0, abs=1e-9) and dynamic[-1] == raw.time[-1]
    wave = raw.meta["model"]["latest_wave"]
    times = model.SampleTimes(ofx.PeriodNum.LatestWave)
    assert (times[0], times[-1]) == (wave[0], wave[1])
    elevation = model["Environment"].TimeHistory("Elevation", ofx.PeriodNum.LatestWave)
    assert elevation[0] <= 0.05 and elevation.max() > 0 and elevation.min() < 0


def test_static_state(model: ArchiveModel, raw: RawArchive) -> None:
    riser = model["Riser"]
    static = ofx.PeriodNum.StaticState
    expected = raw.static("Riser", TENSION, "end_b")
    values = riser.TimeHistory(TENSION, static, ofx.oeEndB)
    assert values.shape == (1,) and values[0] == expected
    np.testing.assert_array_equal(model.SampleTimes(static), [model.simulationStartTime])
    assert model.SampleCount(static) == 1
    scalar = riser.StaticResult(TENSION, ofx.oeEndB)
    assert isinstance(scalar, np.floating) and scalar == expected
    both = riser.StaticResult([TENSION, MOMENT], ofx.oeNodeNum(4))
    assert both.shape == (2,)
    np.testing.assert_array_equal(
        both, [raw.static("Riser", TENSION, "node=4"), raw.static("Riser", MOMENT, "node=4")]
    )
    assert model["Vessel"].StaticResult("X") == raw.static("Vessel", "X", "")


def test_time_history_shapes(model: ArchiveModel, raw: RawArchive) -> None:
    riser = model["Riser"]
    names = [TENSION, MOMENT, "Curvature"]
    block = riser.TimeHistory(names, 1, ofx.oeNodeNum(7))
    mask = raw.mask(0.0, float(raw.meta["model"]["stop_time"]))
    assert block.shape == (int(mask.sum()), 3) and block.dtype == np.float64
    for i, name in enumerate(names):
        np.testing.assert_array_equal(block[:, i], raw.column("Riser", name, "node=7")[mask])
    single = riser.TimeHistory([TENSION], None, ofx.oeEndA)
    assert single.shape == (raw.time.size, 1)
    one = riser.TimeHistory(TENSION, None, ofx.oeEndA)
    assert one.ndim == 1
    vessel = model["Vessel"].TimeHistory(["X", "Z", "Rotation 2"])
    np.testing.assert_array_equal(vessel[:, 2], raw.column("Vessel", "Rotation 2", ""))


# --------------------------------------------------------------------- object extra


def test_line_points(model: ArchiveModel, raw: RawArchive) -> None:
    riser = model["Riser"]
    arcs = np.array(raw.object("Riser")["node_arclengths"])
    cases = [
        (ofx.oeEndA, "end_a"),
        (ofx.oeEndB, "end_b"),
        (ofx.oeTouchdown, "touchdown"),
        (ofx.oeNodeNum(3), "node=3"),
        (ofx.oeLine(LinePoint=ofx.LinePoint.NodeNum, NodeNum=3, RadialPos=1), "node=3"),
        (ofx.oeArcLength(float(arcs[5])), "node=6"),
        (ofx.oeLine(ArcLength=float(arcs[2])), "node=3"),
    ]
    for extra, point in cases:
        np.testing.assert_array_equal(
            riser.TimeHistory(TENSION, None, extra), raw.column("Riser", TENSION, point)
        )
    target = 0.3 * arcs[4] + 0.7 * arcs[5]
    low, high = raw.column("Riser", MOMENT, "node=5"), raw.column("Riser", MOMENT, "node=6")
    np.testing.assert_allclose(
        riser.TimeHistory(MOMENT, None, ofx.oeArcLength(target)),
        0.3 * low + 0.7 * high,
        rtol=1e-12,
    )
    static = riser.StaticResult(MOMENT, ofx.oeArcLength(target))
    expected = 0.3 * raw.static("Riser", MOMENT, "node=5") + 0.7 * raw.static(
        "Riser", MOMENT, "node=6"
    )
    assert static == pytest.approx(expected, rel=1e-12)


def test_other_object_points(model: ArchiveModel, raw: RawArchive) -> None:
    vessel = model["Vessel"]
    x = raw.column("Vessel", "X", "")
    np.testing.assert_array_equal(vessel.TimeHistory("X"), x)
    np.testing.assert_array_equal(vessel.TimeHistory("X", None, ofx.oeVessel(0, 0, 0)), x)
    with pytest.raises(ofx.DLLError) as excinfo:
        vessel.TimeHistory("X", None, ofx.oeVessel(1.0, 2.0, 3.0))
    assert _status(excinfo) == ofx.StatusCode.InvalidObjectExtra
    assert "stored points" in str(excinfo.value)
    environment = model["Environment"]
    np.testing.assert_array_equal(
        environment.TimeHistory("Elevation", None, ofx.oeEnvironment(0, 0, 0)),
        raw.column("Environment", "Elevation", ""),
    )


@pytest.mark.parametrize(
    ("call", "status", "words"),
    [
        (lambda r: r.TimeHistory("Shear force", None, ofx.oeEndA), 26, ["Shear force", TENSION]),
        (lambda r: r.TimeHistory(TENSION, None, ofx.oeNodeNum(99)), 9, ["node 99", "1-11"]),
        (lambda r: r.TimeHistory(TENSION, None, ofx.oeArcLength(5000.0)), 15, ["nodes 1-11"]),
        (lambda r: r.TimeHistory(TENSION), 15, ["objectExtra", "end_a"]),
        (lambda r: r.TimeHistory(TENSION, 7, ofx.oeEndA), 12, ["stage 7"]),
        (lambda r: r.TimeHistory(TENSION, (9.0, 2.0), ofx.oeEndA), 12, ["backwards"]),
        (lambda r: r.TimeHistory(TENSION, (500.0, 600.0), ofx.oeEndA), 37, ["starts after"]),
        (lambda r: r.TimeHistory(TENSION, ofx.Period(31000), ofx.oeEndA), 12, ["31000"]),
        (lambda r: r.RangeGraph(TENSION, None, None, ofx.arSpecifiedSections(2, 9)), 58, ["9"]),
        (
            lambda r: r.RangeGraph(TENSION, None, None, ofx.arSpecifiedArclengths(9, 3)),
            58,
            ["backwards"],
        ),
        (lambda r: r.GetData("Colour", 0), 31, ["Colour", "Length"]),
        (
            lambda r: r.LinkedStatistics([TENSION], None, ofx.oeEndA).Query(TENSION, MOMENT),
            17,
            [MOMENT],
        ),
    ],
)
def test_errors_are_dll_errors(
    model: ArchiveModel, call: Any, status: int, words: list[str]
) -> None:
    with pytest.raises(ofx.DLLError) as excinfo:
        call(model["Riser"])
    assert _status(excinfo) == status
    text = str(excinfo.value)
    assert text.startswith(f"\nError code: {status}\n")
    for word in words:
        assert word in text


# ----------------------------------------------------------------------- range graph


def test_range_graph(model: ArchiveModel, raw: RawArchive) -> None:
    riser = model["Riser"]
    arcs = np.array(raw.object("Riser")["node_arclengths"])
    nodes = len(arcs)
    block = np.column_stack([raw.column("Riser", MOMENT, f"node={n}") for n in range(1, nodes + 1)])
    mask = raw.mask(0.0, float(raw.meta["model"]["stop_time"]))
    for period, rows in ((None, slice(None)), (1, mask)):
        graph = riser.RangeGraph(MOMENT, period)
        np.testing.assert_array_equal(graph.X, arcs)
        np.testing.assert_array_equal(graph.Min, block[rows].min(axis=0))
        np.testing.assert_array_equal(graph.Max, block[rows].max(axis=0))
        np.testing.assert_allclose(graph.Mean, block[rows].mean(axis=0), rtol=1e-13)
        np.testing.assert_allclose(graph.StdDev, block[rows].std(axis=0), rtol=1e-10)
        assert graph.Upper is None and graph.Lower is None  # not available, as OrcFxAPI
        assert set(graph.asDict()) == {"X", "Min", "Max", "Mean", "StdDev", "Upper", "Lower"}
    entire = riser.RangeGraph(MOMENT, None, None, ofx.arEntireRange())
    np.testing.assert_array_equal(entire.Max, block.max(axis=0))


def test_range_graph_arclength_ranges(model: ArchiveModel, raw: RawArchive) -> None:
    riser = model["Riser"]
    arcs = np.array(raw.object("Riser")["node_arclengths"])
    ends = raw.object("Riser")["section_ends"]
    inside = (arcs >= 100.0) & (arcs <= 500.0)
    graph = riser.RangeGraph(TENSION, None, None, ofx.arSpecifiedArclengths(100.0, 500.0))
    np.testing.assert_array_equal(graph.X, arcs[inside])
    nodes = np.flatnonzero(inside) + 1
    expected = [raw.column("Riser", TENSION, f"node={n}").max() for n in nodes]
    np.testing.assert_array_equal(graph.Max, expected)
    section = riser.RangeGraph(TENSION, None, None, ofx.arSpecifiedSections(2, 2))
    np.testing.assert_array_equal(section.X, arcs[(arcs >= ends[0]) & (arcs <= ends[1])])
    np.testing.assert_array_equal(
        riser.RangeGraphXaxis(TENSION, ofx.arSpecifiedArclengths(100.0, 500.0)), arcs[inside]
    )
    static = riser.RangeGraph(TENSION, ofx.PeriodNum.StaticState)
    statics = [raw.static("Riser", TENSION, f"node={n}") for n in range(1, len(arcs) + 1)]
    np.testing.assert_array_equal(static.Max, statics)
    np.testing.assert_array_equal(static.Min, statics)
    assert (static.StdDev == 0).all()


# ---------------------------------------------------------------------- statistics


def _expected_stats(x: np.ndarray[Any, Any], dt: float) -> dict[str, float]:
    """Orcina's definitions, computed with plain loops (Tz, Tc by counting)."""
    values = [float(v) for v in x]
    mean = sum(values) / len(values)
    ups = [
        (i + (mean - a) / (b - a)) * dt
        for i, (a, b) in enumerate(itertools.pairwise(values))
        if a < mean <= b
    ]
    peaks = [
        i * dt
        for i in range(1, len(values) - 1)
        if values[i - 1] < values[i] > values[i + 1]  # no plateaus in this signal
    ]
    tz = (ups[-1] - ups[0]) / (len(ups) - 1)
    tc = (peaks[-1] - peaks[0]) / (len(peaks) - 1)
    m0 = sum((v - mean) ** 2 for v in values) / len(values)
    return {
        "Mean": mean,
        "StdDev": math.sqrt(m0),
        "m0": m0,
        "m2": m0 / tz**2,
        "m4": m0 / tz**2 / tc**2,
        "Tz": tz,
        "Tc": tc,
        "Bandwidth": math.sqrt(1 - (tc / tz) ** 2),
        "RMS": math.sqrt(sum(v * v for v in values) / len(values)),
    }


def test_time_series_statistics(model: ArchiveModel, raw: RawArchive) -> None:
    riser = model["Riser"]
    mask = raw.mask(0.0, float(raw.meta["model"]["stop_time"]))
    x = raw.column("Riser", TENSION, "end_a")[mask]
    result = riser.TimeSeriesStatistics(TENSION, 1, ofx.oeEndA)
    expected = _expected_stats(x, raw.dt)
    assert set(result.asDict()) == set(expected)
    for key, value in expected.items():
        assert getattr(result, key) == pytest.approx(value, rel=1e-9), key
    module_level = ofx.TimeSeriesStatistics(x, raw.dt)
    assert module_level.asDict() == pytest.approx(result.asDict(), rel=1e-12)


def test_analyse_extrema(model: ArchiveModel, raw: RawArchive) -> None:
    x = raw.column("Vessel", "Z", "")
    result = model["Vessel"].AnalyseExtrema("Z")
    assert result.asDict() == {
        "Min": x.min(),
        "Max": x.max(),
        "IndexOfMin": int(np.argmin(x)),
        "IndexOfMax": int(np.argmax(x)),
    }
    assert ofx.AnalyseExtrema(x).asDict() == result.asDict()


def test_linked_statistics(model: ArchiveModel, raw: RawArchive) -> None:
    riser = model["Riser"]
    mask = raw.mask(0.0, float(raw.meta["model"]["stop_time"]))
    times = raw.time[mask]
    tension = raw.column("Riser", TENSION, "node=9")[mask]
    moment = raw.column("Riser", MOMENT, "node=9")[mask]
    linked = riser.LinkedStatistics([TENSION, MOMENT], 1, ofx.oeNodeNum(9))
    answer = linked.Query(TENSION, MOMENT)
    high, low = int(np.argmax(tension)), int(np.argmin(tension))
    assert answer.asDict() == {
        "StdDev": pytest.approx(tension.std(), rel=1e-12),
        "Mean": pytest.approx(tension.mean(), rel=1e-12),
        "TimeOfMax": times[high],
        "ValueAtMax": tension[high],
        "LinkedValueAtMax": moment[high],
        "TimeOfMin": times[low],
        "ValueAtMin": tension[low],
        "LinkedValueAtMin": moment[low],
    }
    reverse = linked.Query(MOMENT, TENSION)
    assert (
        reverse.ValueAtMax == moment.max()
        and reverse.LinkedValueAtMax == tension[int(np.argmax(moment))]
    )
    assert reverse.TimeOfMin == times[int(np.argmin(moment))]
    assert linked.TimeSeriesStatistics(MOMENT).Mean == pytest.approx(moment.mean(), rel=1e-12)


# ------------------------------------------------------------------- line, vars, data


def test_line_geometry_and_data(model: ArchiveModel, raw: RawArchive) -> None:
    riser = model["Riser"]
    arcs = np.array(raw.object("Riser")["node_arclengths"])
    np.testing.assert_array_equal(riser.NodeArclengths, arcs)
    assert riser.NearestNodeArclength(arcs[3] + 0.4 * (arcs[4] - arcs[3])) == arcs[3]
    assert riser.NearestNodeArclength(arcs[3] + 0.6 * (arcs[4] - arcs[3])) == arcs[4]
    assert riser.GetData("Length", 1) == 500.0
    assert tuple(riser.Length) == (100.0, 500.0, 300.0)
    assert model.general.GetData("StageDuration", 1) == SMALL["duration"]
    with pytest.raises(AttributeError, match="no data item named 'Colour'"):
        riser.Colour  # noqa: B018


def test_vars_and_details(model: ArchiveModel) -> None:
    riser, vessel = model["Riser"], model["Vessel"]
    expected = (
        TENSION,
        "Wall tension",
        MOMENT,
        "x bend moment",
        "y bend moment",
        "Curvature",
        "X",
        "Y",
        "Z",
        "Declination",
    )
    assert riser.vars() == expected
    assert riser.vars(ofx.ResultType.RangeGraph) == expected
    assert riser.vars(objectExtra=ofx.oeTouchdown) == expected
    assert vessel.vars() == ("X", "Y", "Z", "Rotation 1", "Rotation 2", "Rotation 3")
    assert vessel.vars(ofx.ResultType.RangeGraph) == ()
    assert riser.vars(ofx.ResultType.FrequencyDomain) == ()
    details = {d.VarName: d.VarUnits for d in riser.varDetails()}
    assert details[TENSION] == "kN" and details["Curvature"] == "rad/m"


def test_closed_model_is_released(small_archive: Path) -> None:
    from ofxpost._archive import ArchiveError

    model = open_archive(small_archive)
    model.close()
    with pytest.raises((ArchiveError, ValueError, OSError)):
        model["Riser"].TimeHistory(TENSION, None, ofx.oeEndA)


# ---------------------------------------------------- column values without pandas


def test_float_values_equal_pyarrows_conversion_for_every_chunk_layout() -> None:
    import pyarrow as pa

    from ofxpost._archive.reader import float_values

    whole = pa.array(np.linspace(-3.0, 7.0, 11))
    layouts = {
        "one chunk": pa.chunked_array([whole]),
        "two chunks": pa.chunked_array([whole, pa.array([8.5, -0.25])]),
        "sliced chunks (offsets)": pa.chunked_array([whole.slice(3, 5), whole.slice(1, 2)]),
        "no chunk": pa.chunked_array([], type=pa.float64()),
        "an empty chunk": pa.chunked_array([pa.array([], type=pa.float64()), whole]),
        "NaN and infinities": pa.chunked_array([pa.array([np.nan, np.inf, -np.inf, 1.0])]),
        # written by another tool: nulls and float32 take pyarrow's conversion
        "nulls": pa.chunked_array([pa.array([1.0, None, 3.0])]),
        "float32": pa.chunked_array([pa.array(np.array([0.5, 1.25], dtype=np.float32))]),
    }
    for name, column in layouts.items():
        values = float_values(column)
        expected = np.asarray(column.to_numpy(), dtype=np.float64)
        assert values.dtype == np.float64, name
        np.testing.assert_array_equal(values, expected, err_msg=name)


@pytest.mark.integration
def test_reading_an_archive_leaves_pandas_unimported(small_archive: Path) -> None:
    """A worker that only reads archives (no time-series tables) never loads pandas."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from ofxpost import ofx\n"
        "from ofxpost._archive import open_archive\n"
        "with open_archive(sys.argv[1]) as model:\n"
        "    riser = model['Riser']\n"
        "    riser.TimeHistory('Effective tension', None, ofx.oeEndA)\n"
        "    riser.RangeGraph('Effective tension', None)\n"
        "    riser.LinkedStatistics(['Effective tension', 'Bend moment'], None, ofx.oeEndA)\n"
        "    model.SampleTimes(None)\n"
        "print('pandas' in sys.modules, 'pyarrow.parquet' in sys.modules)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script, str(small_archive)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert shown.stdout.split() == ["False", "True"]
