"""The batch's fatigue tables: ``fatigue_damage`` per file and point,
``fatigue_life`` per point."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ofxpost.plugin import set_allowables, set_units

from ofxpost_fatigue._numpy import np
from ofxpost_fatigue.section import (
    FatigueSection,
)

if TYPE_CHECKING:  # pandas is imported where the tables are built: workers never need it
    import pandas as pd

from ofxpost_fatigue.probabilities import _display, _exposure_seconds
from ofxpost_fatigue.tables_common import DAMAGE_COLUMNS, LIFE_COLUMNS, RESULT, FatigueError


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
