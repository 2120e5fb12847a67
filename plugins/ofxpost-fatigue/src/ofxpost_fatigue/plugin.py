"""The ofxpost plugin: a ``fatigue`` section, an extractor, an aggregator and a plot writer.

Per file (extractor, in the worker): for each configured line and arc length, the
stress history over ``period`` is rainflow-counted (ASTM E1049-85) and its
Palmgren-Miner damage on the chosen S-N curve and its damage-equivalent range
are stored (result ``fatigue``).

Over the batch (aggregator, in the controller): each file's damage is scaled to a
year by its load case from the load matrix (``load_matrix`` section)::

    annual damage = damage · probability · year_seconds / duration
                  (or damage · hours · 3600 / duration with ``hours_column``)

where ``duration`` is the counted period of that simulation; the annual damages
of all files are summed per point and ``life = 1 / Σ annual damage`` (years).

Tables: ``fatigue_damage`` (one row per file, line and point, in input order) and
``fatigue_life`` (one row per line and point). Plot: ``fatigue_life_<label>.png``.
Report: a "Fatigue lives" section of ``report.html`` (``ofxpost_report_sections``):
each point's life against the required life (design life × DFF), flagged when short.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import ofxpost
from ofxpost import ofx
from ofxpost.plugin import set_allowables, set_units

from ofxpost_fatigue.damage import damage_equivalent_range, miner_damage
from ofxpost_fatigue.rainflow_counting import count_cycles
from ofxpost_fatigue.section import (
    SECTION,
    FatigueLine,
    FatigueSection,
    StressSpec,
)
from ofxpost_fatigue.units import converted

if TYPE_CHECKING:  # pandas is imported where the tables are built: workers never need it
    import pandas as pd

RESULT = "fatigue"
"""The extractor's result name."""
DAMAGE_TABLE = "fatigue_damage"
LIFE_TABLE = "fatigue_life"

DAMAGE_COLUMNS = [
    "index", "file", "label", "object", "arc_length", "hot_spot", "status", "exposure",
    "duration_s",
    "cycles", "max_range", "damage", "annual_damage", "del", "del_m", "del_n_eq",
    "del_1hz", "units_read",
]  # fmt: skip
LIFE_COLUMNS = [
    "label", "object", "arc_length", "hot_spot", "sn_curve", "annual_damage", "life_years",
    "utilisation", "del_lifetime_1hz", "del_year", "worst_file", "files_used",
    "files_missing", "complete",
]  # fmt: skip


class FatigueError(ValueError):
    """The fatigue tables cannot be built (the message names what is missing)."""


@ofxpost.hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``fatigue`` section."""
    return {SECTION: FatigueSection}


# ----------------------------------------------------------------------- extraction


def _period(model: Any, section: FatigueSection) -> Any:
    start, stop = section.period
    begin = float(model.simulationStartTime) if start is None else float(start)
    end = float(model.simulationStopTime) if stop is None else float(stop)
    return ofx.SpecifiedPeriod(begin, end)


def stress_histories(
    obj: Any, spec: StressSpec, period: Any, extra: Any, object_name: str = ""
) -> tuple[np.ndarray[Any, Any], str]:
    """The stress histories (MPa) at one point, one row per hot spot of
    ``spec.hot_spots()``, and the units the file gave its variables
    (``"Wall tension [kN]; x bend moment [kN.m]"``).

    Each variable is converted from the unit the file states (pint); a missing or
    unknown unit raises :class:`~ofxpost_fatigue.units.FatigueUnitError`.
    """
    name = object_name or str(obj)
    if spec.kind == "section":
        assert spec.area is not None and spec.section_modulus is not None
        assert spec.moment_variable is not None
        tension, t_unit = converted(obj, name, spec.tension_variable, period, extra, "N")
        moment, m_unit = converted(obj, name, spec.moment_variable, period, extra, "N*m")
        pascal = tension / spec.area + moment / spec.section_modulus
        units = f"{spec.tension_variable} [{t_unit}]; {spec.moment_variable} [{m_unit}]"
        return np.asarray([spec.scf * pascal * 1e-6], dtype=float), units
    if spec.kind == "pipe":
        assert spec.outer_diameter is not None and spec.wall_thickness is not None
        outer = spec.outer_diameter / 2.0
        inner = outer - spec.wall_thickness
        area = np.pi * (outer**2 - inner**2)
        second_moment = np.pi / 4.0 * (outer**4 - inner**4)
        tension, t_unit = converted(obj, name, spec.tension_variable, period, extra, "N")
        mx, x_unit = converted(obj, name, spec.x_moment_variable, period, extra, "N*m")
        my, y_unit = converted(obj, name, spec.y_moment_variable, period, extra, "N*m")
        rows = []
        for fibre in spec.fibres:
            radius = outer if fibre == "outer" else inner
            for angle in spec.angles_deg:
                theta = np.radians(angle)
                bending = radius * (mx * np.sin(theta) - my * np.cos(theta)) / second_moment
                rows.append(spec.scf * (tension / area + bending) * 1e-6)
        units = (
            f"{spec.tension_variable} [{t_unit}]; {spec.x_moment_variable} [{x_unit}]; "
            f"{spec.y_moment_variable} [{y_unit}]"
        )
        return np.asarray(rows, dtype=float), units
    assert spec.variable is not None
    values, unit = converted(obj, name, spec.variable, period, extra, "MPa", spec.factor_unit)
    stress = spec.scf * spec.factor * values
    return np.asarray([stress], dtype=float), f"{spec.variable} [{unit}]"


def _line_results(
    model: Any, line: FatigueLine, section: FatigueSection, period: Any
) -> dict[str, Any]:
    """Per arc length, lists over the hot spots of damage, cycles, max range, DEL and
    ``nsm = Σ n·S^m``, and the units read."""
    choice = section.curve_of(line)
    curve = choice.get()
    m = section.del_m or curve.m1
    obj = model[line.object]
    out: dict[str, list[Any]] = {
        "damage": [], "cycles": [], "max_range": [], "del": [], "nsm": [], "units": [],
    }  # fmt: skip
    for arc in line.arc_lengths:
        stresses, units = stress_histories(
            obj, line.stress, period, ofx.oeArcLength(arc), line.object
        )
        spots: dict[str, list[float]] = {
            k: [] for k in ("damage", "cycles", "max_range", "del", "nsm")
        }
        for stress in stresses:
            ranges, counts = count_cycles(stress)
            spots["damage"].append(
                miner_damage(ranges, counts, curve, choice.thickness_mm, choice.t_ref_mm)
            )
            spots["cycles"].append(float(counts.sum()))
            spots["max_range"].append(float(ranges.max()) if ranges.size else 0.0)
            spots["del"].append(damage_equivalent_range(ranges, counts, m, section.del_n_eq))
            spots["nsm"].append(float(np.sum(counts * ranges**m)) if ranges.size else 0.0)
        for key, values in spots.items():
            out[key].append(values)
        out["units"].append(units)
    return {**out, "del_m": float(m)}


@ofxpost.hookimpl
def ofxpost_extract(model: Any, config: Any) -> dict[str, Any] | None:
    """Rainflow-count, damage and DEL at every configured point of this file."""
    section: FatigueSection = config.section(SECTION)
    if not section.lines:
        return None
    period = _period(model, section)
    times = np.asarray(model.SampleTimes(period), dtype=float)
    if times.size < 2:
        raise FatigueError(f"the period {section.period} holds fewer than 2 samples")
    lines = {line.label: _line_results(model, line, section, period) for line in section.lines}
    return {RESULT: {"duration_s": float(times[-1] - times[0]), "lines": lines}}


# ---------------------------------------------------------------------- aggregation


def _display(path: Path, base_dir: Path) -> str:
    try:
        return path.relative_to(base_dir).as_posix()
    except ValueError:
        return path.as_posix()


def _exposure_seconds(cases: Any, path: Path, section: FatigueSection) -> float | None:
    """Seconds per year this file's load case stands for (``None``: no matching row)."""
    if cases.row_for(path) is None:
        return None
    attributes = cases.for_path(path)
    column = section.hours_column or section.probability_column
    value = attributes.get(column)
    if value is None or not math.isfinite(float(value)):
        return None
    if section.hours_column:
        return float(value) * 3600.0
    return float(value) * _probability_scale(section) * section.year_seconds


def _with_matrix_units(section: FatigueSection, config: Any) -> FatigueSection:
    """``section`` reading the probabilities in percent when the load matrix says so
    (``load_matrix.probability_units: percent``, which the core checks when the batch
    is planned), whatever ``fatigue.probability_units`` says."""
    try:
        matrix = config.section("load_matrix")
    except KeyError:
        return section
    if getattr(matrix, "probability_units", "fraction") == "percent":
        return section.model_copy(update={"probability_units": "percent"})
    return section


def _probability_scale(section: FatigueSection) -> float:
    return 0.01 if section.probability_units == "percent" else 1.0


def check_probabilities(cases: Any, section: FatigueSection) -> None:
    """The load matrix's probabilities must sum to 1 (100 with ``probability_units:
    percent``) within ``probability_tolerance``.

    :raises FatigueError: naming the column, the sum and the rows counted.
    """
    if section.hours_column:
        return
    column = section.probability_column
    position = list(cases.columns).index(column)
    values: list[float] = []
    for row in cases.rows:
        value = row[position]
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise FatigueError(
                f"fatigue: load-matrix {column!r} holds {value!r}, which is not a number"
            ) from None
        if not math.isfinite(number) or number < 0:
            raise FatigueError(f"fatigue: load-matrix {column!r} holds {value!r} (not >= 0)")
        values.append(number)
    total = math.fsum(values)
    fraction = total * _probability_scale(section)
    if abs(fraction - 1.0) > section.probability_tolerance:
        unit = "percent" if section.probability_units == "percent" else "fraction"
        hint = (
            " (they look like percentages: set load_matrix.probability_units: percent)"
            if section.probability_units == "fraction" and abs(total - 100.0) <= 0.1
            else ""
        )
        raise FatigueError(
            f"fatigue: the load-matrix {column!r} values ({unit}) of {len(values)} rows sum to "
            f"{total:.10g}, not {1.0 / _probability_scale(section):g} (tolerance "
            f"{section.probability_tolerance:g}){hint}; lives would be scaled by "
            f"{fraction:.6g}"
        )


def _load_cases(config: Any, section: FatigueSection) -> Any:
    from ofxpost.plugin import load_cases

    cases = load_cases(config)
    column = section.hours_column or section.probability_column
    if not cases.present:
        raise FatigueError(
            "fatigue: damage is scaled to a year by the load matrix; set the 'load_matrix' "
            f"section to a table with a {column!r} column"
        )
    if column not in cases.columns:
        raise FatigueError(
            f"fatigue: the load matrix has no column {column!r} (its columns: "
            f"{list(cases.columns)}); set fatigue.probability_column or fatigue.hours_column"
        )
    return cases


def _hot_spots(
    records: Sequence[Any], section: FatigueSection, cases: Any
) -> dict[tuple[str, int], int]:
    """``{(label, point): hot spot}``: per point, the hot spot (index into
    ``stress.hot_spots()``) of the largest annual damage summed over the files
    (the first on a tie; ``0`` with one stress point)."""
    totals: dict[tuple[str, int], np.ndarray[Any, Any]] = {
        (line.label, position): np.zeros(len(line.stress.hot_spots()))
        for line in section.lines
        for position in range(len(line.arc_lengths))
    }
    for record in records:
        found = None if record.failed else record.results.get(RESULT)
        exposure = _exposure_seconds(cases, record.path, section)
        if not isinstance(found, dict) or exposure is None:
            continue
        for line in section.lines:
            data = found["lines"].get(line.label)
            if data is None:
                continue
            for position in range(len(line.arc_lengths)):
                damage = np.asarray(data["damage"][position], dtype=float)
                totals[(line.label, position)] += damage * exposure / float(found["duration_s"])
    return {key: int(np.argmax(total)) for key, total in totals.items()}


def damage_table(
    records: Sequence[Any], config: Any, section: FatigueSection, cases: Any
) -> pd.DataFrame:
    """The ``fatigue_damage`` table: one row per file, line and point, in input order.

    Each row is at the point's hot spot (``kind: pipe``: the fibre and angle of the
    largest annual damage summed over the files), so the rows of a point add up to
    its life.
    """
    rows: list[dict[str, Any]] = []
    unscaled: list[str] = []
    hot = _hot_spots(records, section, cases)
    for record in records:
        found = None if record.failed else record.results.get(RESULT)
        result: dict[str, Any] = found if isinstance(found, dict) else {}
        exposure = _exposure_seconds(cases, record.path, section)
        if exposure is None and result:
            unscaled.append(_display(record.path, config.base_dir))
        for line in section.lines:
            data = result["lines"].get(line.label) if result else None
            for position, arc in enumerate(line.arc_lengths):
                spot = hot[(line.label, position)]
                row: dict[str, Any] = {
                    "index": record.index,
                    "file": _display(record.path, config.base_dir),
                    "label": line.label,
                    "object": line.object,
                    "arc_length": float(arc),
                    "hot_spot": line.stress.hot_spots()[spot],
                    "status": str(record.status) if data is not None else "no_result",
                    "exposure": exposure,
                    "duration_s": result["duration_s"] if data is not None else None,
                }
                if data is not None:
                    damage = float(data["damage"][position][spot])
                    duration = float(result["duration_s"])
                    annual = damage * exposure / duration if exposure is not None else None
                    m = float(data["del_m"])
                    nsm = float(data["nsm"][position][spot])
                    row.update(
                        cycles=data["cycles"][position][spot],
                        max_range=data["max_range"][position][spot],
                        damage=damage,
                        annual_damage=annual,
                        **{"del": data["del"][position][spot]},
                        del_m=m,
                        del_n_eq=section.del_n_eq,
                        del_1hz=(nsm / (section.del_frequency_hz * duration)) ** (1.0 / m),
                        units_read=data["units"][position],
                        _nsm=nsm,
                    )
                rows.append(row)
    if unscaled:
        column = section.hours_column or section.probability_column
        raise FatigueError(
            f"fatigue: no load-matrix {column!r} for {len(unscaled)} file(s) "
            f"({', '.join(unscaled[:5])}); their damage cannot be scaled to a year"
        )
    import pandas as pd

    texts = ("index", "file", "label", "object", "hot_spot", "status", "units_read")
    frame = pd.DataFrame(rows, columns=[*DAMAGE_COLUMNS, "_nsm"])
    floats = [c for c in DAMAGE_COLUMNS if c not in texts] + ["_nsm"]
    frame[floats] = frame[floats].astype(float)
    set_units(frame, {
        "arc_length": "m", "exposure": "s/year", "duration_s": "s", "max_range": "MPa",
        "damage": "-", "annual_damage": "1/year", "del": "MPa", "del_1hz": "MPa",
        "del_n_eq": "cycles", "del_m": "-",
    })  # fmt: skip
    return frame


def _lifetime_dels(used: pd.DataFrame, section: FatigueSection) -> tuple[float, float]:
    """``(del_lifetime_1hz, del_year)`` of one point from its files' rows.

    ``del_lifetime_1hz = (Σ_j w_j · DEL1Hz_j^m)^(1/m)`` with ``w_j = exposure_j / Σ
    exposure`` (pCrunch's probability-weighted lifetime DEL, per second at
    ``del_frequency_hz``); ``del_year = (Σ_j nsm_j · exposure_j / duration_j / N_eq)^(1/m)``,
    the range that, applied ``del_n_eq`` times, does a year's damage (``nsm = Σ n S^m``).
    """
    if not len(used):
        return math.nan, math.nan
    m = float(used["del_m"].iloc[0])
    exposure = used["exposure"].to_numpy(dtype=float)
    weights = exposure / exposure.sum() if exposure.sum() > 0 else np.zeros_like(exposure)
    lifetime = float(np.sum(weights * used["del_1hz"].to_numpy(dtype=float) ** m) ** (1.0 / m))
    yearly = used["_nsm"].to_numpy(dtype=float) * exposure / used["duration_s"].to_numpy(float)
    return lifetime, float((yearly.sum() / section.del_n_eq) ** (1.0 / m))


def life_table(damage: pd.DataFrame, section: FatigueSection, total_files: int) -> pd.DataFrame:
    """The ``fatigue_life`` table: annual damage summed over the files, and the life.

    ``complete`` is false when a file of the batch has no annual damage (it failed
    or was not run): the life then covers the other files only and is **not
    conservative**.
    """
    rows: list[dict[str, Any]] = []
    for line in section.lines:
        choice = section.curve_of(line)
        for arc in line.arc_lengths:
            part = damage[(damage["label"] == line.label) & (damage["arc_length"] == float(arc))]
            used = part[part["annual_damage"].notna()]
            total = float(used["annual_damage"].sum())
            life = 1.0 / total if total > 0 else math.inf
            worst = (
                str(used["file"].iloc[int(np.argmax(used["annual_damage"].to_numpy()))])
                if len(used)
                else None
            )
            design = section.design_life_years
            del_lifetime, del_year = _lifetime_dels(used, section)
            rows.append(
                {
                    "label": line.label,
                    "object": line.object,
                    "arc_length": float(arc),
                    "hot_spot": str(part["hot_spot"].iloc[0]) if len(part) else "",
                    "sn_curve": choice.get().title,
                    "annual_damage": total,
                    "life_years": life,
                    "utilisation": design * section.dff / life if design is not None else None,
                    "del_lifetime_1hz": del_lifetime,
                    "del_year": del_year,
                    "worst_file": worst,
                    "files_used": len(used),
                    "files_missing": total_files - len(used),
                    "complete": len(used) == total_files,
                }
            )
    import pandas as pd

    frame = pd.DataFrame(rows, columns=LIFE_COLUMNS)
    frame["utilisation"] = frame["utilisation"].astype(float)
    set_units(frame, {
        "arc_length": "m", "annual_damage": "1/year", "life_years": "years",
        "del_lifetime_1hz": "MPa", "del_year": "MPa",
    })  # fmt: skip
    if section.design_life_years is not None:
        set_allowables(frame, {"utilisation": {"max": 1.0}})
    return frame


@ofxpost.hookimpl
def ofxpost_aggregate(
    records: Sequence[Any], config: Any, plan: Any
) -> Mapping[str, pd.DataFrame] | None:
    """Build ``fatigue_damage`` and ``fatigue_life``."""
    section = _with_matrix_units(config.section(SECTION), config)
    if not section.lines:
        return None
    cases = _load_cases(config, section)
    damage = damage_table(records, config, section, cases)  # first: names files without a row
    check_probabilities(cases, section)
    life = life_table(damage, section, len(plan.jobs))
    attrs = dict(damage.attrs)
    damage = damage.drop(columns=["_nsm"])  # Σ n·S^m: only the lifetime DELs need it
    damage.attrs = attrs
    return {DAMAGE_TABLE: damage, LIFE_TABLE: life}


# ---------------------------------------------------------------------------- plots


def plot_life(table: pd.DataFrame, label: str, path: Path, *, partial: bool = False) -> Path:
    """Write the PNG of fatigue life along the arc length of ``label``."""
    from matplotlib.figure import Figure

    part = table[table["label"] == label].sort_values("arc_length")
    figure = Figure(figsize=(10.0, 6.0))
    axes = figure.add_subplot()
    life = part["life_years"].to_numpy(dtype=float)
    axes.plot(part["arc_length"], np.where(np.isfinite(life), life, np.nan), "o-", color="C0")
    axes.set_yscale("log")
    axes.set_xlabel("Arc length (m)")
    axes.set_ylabel("Fatigue life (years)")
    title = f"Fatigue life: {label}"
    if not part["complete"].all():
        title += " (INCOMPLETE: some files have no damage)"
    if partial:
        title += " (PARTIAL)"
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    figure.savefig(path, dpi=100, format="png", metadata={"Software": None})
    return path


@ofxpost.hookimpl
def ofxpost_write_outputs(
    tables: Mapping[str, pd.DataFrame], output_dir: Path, config: Any, partial: bool
) -> list[Path] | None:
    """Write ``fatigue_life_<label>.png`` for every line."""
    section: FatigueSection = config.section(SECTION)
    if not section.plot or LIFE_TABLE not in tables:
        return None
    table = tables[LIFE_TABLE]
    return [
        plot_life(table, line.label, output_dir / f"fatigue_life_{line.label}.png", partial=partial)
        for line in section.lines
    ]


# --------------------------------------------------------------------------- report


def required_life(life: pd.DataFrame, section: FatigueSection | None) -> pd.Series:
    """Each point's required life (years): design life × DFF.

    Without the config (``ofxpost report`` of a folder) it is read back from the
    table: ``utilisation × life`` (``utilisation = design life × DFF / life``).
    """
    import pandas as pd

    if section is not None:
        if section.design_life_years is None:
            return pd.Series([math.nan] * len(life), index=life.index, dtype=float)
        value = section.design_life_years * section.dff
        return pd.Series([value] * len(life), index=life.index, dtype=float)
    utilisation = life["utilisation"].astype(float)
    years = life["life_years"].astype(float)
    return (utilisation * years).where(np.isfinite(years) & utilisation.notna())


@ofxpost.hookimpl
def ofxpost_report_sections(
    tables: Mapping[str, pd.DataFrame], config: Any | None
) -> list[Any] | None:
    """The "Fatigue lives" section: each point's life against the required life."""
    life = tables.get(LIFE_TABLE)
    if life is None:
        return None
    from ofxpost.plugin import ReportSection

    section: FatigueSection | None = config.section(SECTION) if config is not None else None
    if section is not None and not section.lines:
        return None
    required = required_life(life, section)
    shown = life[["label", "object", "arc_length", "sn_curve", "life_years"]].copy()
    shown.insert(5, "required_life_years", required.to_numpy())
    shown["utilisation"] = life["utilisation"].astype(float)
    shown["worst_file"] = life["worst_file"]
    shown["complete"] = life["complete"]
    set_units(shown, {"arc_length": "m", "life_years": "years", "required_life_years": "years"})
    limits: dict[str, dict[str, float | None]] = {"utilisation": {"max": 1.0}}
    known = required.dropna().unique()
    if len(known) == 1:
        limits["life_years"] = {"min": float(known[0])}
    set_allowables(shown, limits)
    if section is not None and section.design_life_years is not None:
        text = (
            f"Required life = design life {section.design_life_years:g} years × DFF "
            f"{section.dff:g} = {section.design_life_years * section.dff:g} years. "
        )
    elif len(known):
        text = "Required life = design life × DFF (read back as utilisation × life). "
    else:
        text = "No design life is set: lives are shown without a required life. "
    text += (
        "Utilisation = required life / life; 1 or more is flagged. A point whose "
        "'complete' is false misses some files' damage: its life is not conservative."
    )
    return [ReportSection("Fatigue lives", table=shown, text=text, key="fatigue")]
