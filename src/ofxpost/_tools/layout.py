"""The objects and columns of a synthetic archive: layout, input data and samples.

:func:`ofxpost._tools.synth.generate_case` builds each archive from these; the
physics is in :mod:`ofxpost._tools.physics`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ofxpost._archive.format import (
    END_A,
    END_B,
    TOUCHDOWN,
    ObjectInfo,
    column_name,
    node_point,
)
from ofxpost._tools import physics as phys
from ofxpost._tools import supports as sup


def environment_data(
    hs: float, tp: float, heading: float, current: float, seed: int
) -> dict[str, Any]:
    """The Environment's input data, under OrcaFlex's data names."""
    return {
        "WaterDepth": phys.DEPTH,
        "WaveType": "JONSWAP",
        "WaveDirection": float(heading),
        "WaveHs": float(hs),
        "WaveTp": float(tp),
        "WaveGamma": phys.GAMMA,
        "WaveSeed": int(seed),
        "RefCurrentSpeed": float(current),
        "RefCurrentDirection": float(heading),
    }


VESSEL_DATA: dict[str, Any] = {
    "VesselType": "Vessel type1",
    "Draught": "Draught1",
    "InitialX": 0.0,
    "InitialY": 0.0,
    "InitialZ": 0.0,
    "InitialHeading": 0.0,
}
"""The vessel's input data (the vessel stays at heading 0; waves vary)."""


def riser_data() -> dict[str, Any]:
    """The riser's input data (sections, line types, end connections)."""
    return {
        "Length": list(phys.SECTION_LENGTHS),
        "LineType": list(phys.SECTION_LINE_TYPES),
        "EndAConnection": "Vessel",
        "EndBConnection": "Anchored",
    }


def layout(
    variables: tuple[str, ...],
    nodes: int,
    environment: dict[str, Any] | None = None,
    supports: int = 0,
) -> list[ObjectInfo]:
    """The archive's objects: General, Environment, Vessel and the line Riser (and the
    6D buoy Bellmouth when ``supports`` > 0)."""
    arcs = phys.node_arclengths(nodes)
    riser_points = [END_A, *(node_point(n) for n in range(1, nodes + 1)), END_B, TOUCHDOWN]
    extra = [sup.bellmouth(supports)] if supports > 0 else []
    return [
        ObjectInfo("General", "General", 1),
        ObjectInfo(
            "Environment",
            "Environment",
            3,
            results={"Elevation": [""]},
            units={"Elevation": "m"},
            data=dict(environment or {}),
        ),
        ObjectInfo(
            "Vessel",
            "Vessel",
            5,
            results={name: [""] for name in phys.VESSEL_VARIABLES},
            units=dict(phys.VESSEL_VARIABLES),
            data=dict(VESSEL_DATA),
        ),
        ObjectInfo(
            "Riser",
            "Line",
            6,
            results={name: list(riser_points) for name in variables},
            units={name: phys.LINE_VARIABLES[name] for name in variables},
            node_arclengths=[float(v) for v in arcs],
            section_ends=[float(v) for v in np.cumsum(phys.SECTION_LENGTHS)],
            data=riser_data(),
        ),
        *extra,
    ]


def sample(
    sea: phys.Sea,
    motion: phys.Motions,
    arcs: np.ndarray[Any, Any],
    variables: tuple[str, ...],
    cat: phys.Catenary,
    supports: int = 0,
) -> dict[str, np.ndarray[Any, Any]]:
    """Every column (but time) for the motions ``motion`` (one row per sample)."""
    offset = phys.vessel_offset(sea)
    out: dict[str, np.ndarray[Any, Any]] = {
        column_name("Environment", "Elevation", ""): motion.elevation
    }
    for name, values in phys.vessel_fields(motion, offset).items():
        out[column_name("Vessel", name, "")] = values
    positions = np.concatenate([[0.0], arcs, [phys.LENGTH]])[None, :]
    fields = phys.line_fields(cat, positions, motion, offset, variables)
    touchdown = phys.line_fields(
        cat, phys.touchdown_arclength(motion)[:, None], motion, offset, variables
    )
    nodes = len(arcs)
    for name in variables:
        block = fields[name]
        out[column_name("Riser", name, END_A)] = block[:, 0]
        for n in range(1, nodes + 1):
            out[column_name("Riser", name, node_point(n))] = block[:, n]
        out[column_name("Riser", name, END_B)] = block[:, nodes + 1]
        out[column_name("Riser", name, TOUCHDOWN)] = touchdown[name][:, 0]
    if supports > 0:
        out.update(sup.support_fields(motion, offset, supports))
    return out


def static_values(objects: list[ObjectInfo], static: dict[str, np.ndarray[Any, Any]]) -> None:
    """Store each object's static values (the first row of ``static``) in ``objects``."""
    for info in objects:
        info.static = {
            var: [float(static[column_name(info.name, var, p)][0]) for p in points]
            for var, points in info.results.items()
        }
