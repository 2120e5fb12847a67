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
    STRESS_UNITS,
    FatigueLine,
    FatigueSection,
    StressSpec,
)

if TYPE_CHECKING:  # pandas is imported where the tables are built: workers never need it
    import pandas as pd

RESULT = "fatigue"
"""The extractor's result name."""
DAMAGE_TABLE = "fatigue_damage"
LIFE_TABLE = "fatigue_life"

DAMAGE_COLUMNS = [
    "index", "file", "label", "object", "arc_length", "status", "exposure", "duration_s",
    "cycles", "max_range", "damage", "annual_damage", "del", "del_m", "del_n_eq",
]  # fmt: skip
LIFE_COLUMNS = [
    "label", "object", "arc_length", "sn_curve", "annual_damage", "life_years",
    "utilisation", "worst_file", "files_used", "files_missing", "complete",
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


def stress_history(obj: Any, spec: StressSpec, period: Any, extra: Any) -> np.ndarray[Any, Any]:
    """The stress history (MPa) at one point, as ``spec`` defines it."""
    if spec.kind == "section":
        assert spec.area is not None and spec.section_modulus is not None
        tension = np.asarray(obj.TimeHistory(spec.tension_variable, period, extra), dtype=float)
        moment = np.asarray(obj.TimeHistory(spec.moment_variable, period, extra), dtype=float)
        kpa = tension / spec.area + moment / spec.section_modulus  # kN/m2
        return np.asarray(spec.scf * kpa * 1e-3, dtype=float)
    assert spec.variable is not None and spec.unit is not None
    values = np.asarray(obj.TimeHistory(spec.variable, period, extra), dtype=float)
    return np.asarray(spec.scf * spec.factor * values * STRESS_UNITS[spec.unit], dtype=float)


def _line_results(
    model: Any, line: FatigueLine, section: FatigueSection, period: Any
) -> dict[str, Any]:
    choice = section.curve_of(line)
    curve = choice.get()
    m = section.del_m or curve.m1
    obj = model[line.object]
    out: dict[str, list[float]] = {
        "damage": [], "cycles": [], "max_range": [], "del": [],
    }  # fmt: skip
    for arc in line.arc_lengths:
        stress = stress_history(obj, line.stress, period, ofx.oeArcLength(arc))
        ranges, counts = count_cycles(stress)
        out["damage"].append(
            miner_damage(ranges, counts, curve, choice.thickness_mm, choice.t_ref_mm)
        )
        out["cycles"].append(float(counts.sum()))
        out["max_range"].append(float(ranges.max()) if ranges.size else 0.0)
        out["del"].append(damage_equivalent_range(ranges, counts, m, section.del_n_eq))
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
    return float(value) * section.year_seconds


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


def damage_table(
    records: Sequence[Any], config: Any, section: FatigueSection, cases: Any
) -> pd.DataFrame:
    """The ``fatigue_damage`` table: one row per file, line and point, in input order."""
    rows: list[dict[str, Any]] = []
    unscaled: list[str] = []
    for record in records:
        found = None if record.failed else record.results.get(RESULT)
        result: dict[str, Any] = found if isinstance(found, dict) else {}
        exposure = _exposure_seconds(cases, record.path, section)
        if exposure is None and result:
            unscaled.append(_display(record.path, config.base_dir))
        for line in section.lines:
            data = result["lines"].get(line.label) if result else None
            for position, arc in enumerate(line.arc_lengths):
                row: dict[str, Any] = {
                    "index": record.index,
                    "file": _display(record.path, config.base_dir),
                    "label": line.label,
                    "object": line.object,
                    "arc_length": float(arc),
                    "status": str(record.status) if data is not None else "no_result",
                    "exposure": exposure,
                    "duration_s": result["duration_s"] if data is not None else None,
                }
                if data is not None:
                    damage = float(data["damage"][position])
                    annual = (
                        damage * exposure / float(result["duration_s"])
                        if exposure is not None
                        else None
                    )
                    row.update(
                        cycles=data["cycles"][position],
                        max_range=data["max_range"][position],
                        damage=damage,
                        annual_damage=annual,
                        **{"del": data["del"][position]},
                        del_m=data["del_m"],
                        del_n_eq=section.del_n_eq,
                    )
                rows.append(row)
    if unscaled:
        column = section.hours_column or section.probability_column
        raise FatigueError(
            f"fatigue: no load-matrix {column!r} for {len(unscaled)} file(s) "
            f"({', '.join(unscaled[:5])}); their damage cannot be scaled to a year"
        )
    import pandas as pd

    frame = pd.DataFrame(rows, columns=DAMAGE_COLUMNS)
    floats = [c for c in DAMAGE_COLUMNS if c not in ("index", "file", "label", "object", "status")]
    frame[floats] = frame[floats].astype(float)
    set_units(frame, {
        "arc_length": "m", "exposure": "s/year", "duration_s": "s", "max_range": "MPa",
        "damage": "-", "annual_damage": "1/year", "del": "MPa",
    })  # fmt: skip
    return frame


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
            rows.append(
                {
                    "label": line.label,
                    "object": line.object,
                    "arc_length": float(arc),
                    "sn_curve": f"DNV-RP-C203 {choice.curve} {choice.environment}",
                    "annual_damage": total,
                    "life_years": life,
                    "utilisation": design * section.dff / life if design is not None else None,
                    "worst_file": worst,
                    "files_used": len(used),
                    "files_missing": total_files - len(used),
                    "complete": len(used) == total_files,
                }
            )
    import pandas as pd

    frame = pd.DataFrame(rows, columns=LIFE_COLUMNS)
    frame["utilisation"] = frame["utilisation"].astype(float)
    set_units(frame, {"arc_length": "m", "annual_damage": "1/year", "life_years": "years"})
    if section.design_life_years is not None:
        set_allowables(frame, {"utilisation": {"max": 1.0}})
    return frame


@ofxpost.hookimpl
def ofxpost_aggregate(
    records: Sequence[Any], config: Any, plan: Any
) -> Mapping[str, pd.DataFrame] | None:
    """Build ``fatigue_damage`` and ``fatigue_life``."""
    section: FatigueSection = config.section(SECTION)
    if not section.lines:
        return None
    cases = _load_cases(config, section)
    damage = damage_table(records, config, section, cases)
    return {DAMAGE_TABLE: damage, LIFE_TABLE: life_table(damage, section, len(plan.jobs))}


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
