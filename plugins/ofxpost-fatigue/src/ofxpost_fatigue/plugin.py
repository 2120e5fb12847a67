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

import ofxpost
from ofxpost.plugin import set_allowables, set_units

from ofxpost_fatigue._numpy import np
from ofxpost_fatigue.extraction import _line_results as _line_results
from ofxpost_fatigue.extraction import _period as _period
from ofxpost_fatigue.extraction import stress_histories as stress_histories
from ofxpost_fatigue.probabilities import _load_cases as _load_cases
from ofxpost_fatigue.probabilities import _with_matrix_units as _with_matrix_units
from ofxpost_fatigue.probabilities import check_probabilities as check_probabilities
from ofxpost_fatigue.section import SECTION, FatigueSection
from ofxpost_fatigue.tables import damage_table as damage_table
from ofxpost_fatigue.tables import life_table as life_table
from ofxpost_fatigue.tables_common import DAMAGE_COLUMNS as DAMAGE_COLUMNS
from ofxpost_fatigue.tables_common import DAMAGE_TABLE as DAMAGE_TABLE
from ofxpost_fatigue.tables_common import LIFE_COLUMNS as LIFE_COLUMNS
from ofxpost_fatigue.tables_common import LIFE_TABLE as LIFE_TABLE
from ofxpost_fatigue.tables_common import RESULT as RESULT
from ofxpost_fatigue.tables_common import FatigueError as FatigueError

if TYPE_CHECKING:  # pandas is imported where the tables are built: workers never need it
    import pandas as pd


@ofxpost.hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``fatigue`` section."""
    return {SECTION: FatigueSection}


# ----------------------------------------------------------------------- extraction


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
