"""A synthetic 6D buoy with supports: the moonpool bellmouth an umbilical passes through.

Written by :func:`ofxpost._tools.synth.generate_case` only when ``supports`` is asked
for. ``supports`` rollers sit evenly round the bellmouth (support ``k`` at angle
``2π(k-1)/supports`` from the vessel's x axis), each ``GAP`` from the umbilical when
it hangs centred. The vessel's motion moves the bellmouth relative to the umbilical:
surge/sway (``SWAY_FACTOR`` of them) and the roll/pitch tilt over ``LEVER``, plus a
small share of the current offset. At support ``k`` the offset towards it is
``d_k = dx·cos θ_k + dy·sin θ_k``:

* ``Support contact clearance`` (m) = ``GAP - d_k`` (negative: penetration);
* ``Support reaction force`` (kN) = ``STIFFNESS · max(d_k - GAP, 0)`` (zero when clear).

A plausible (not validated) model. The variable names follow OrcaFlex's
``Support ...`` pattern (opp asks ``SupportIndex`` for any variable containing
``Support``); they have not been checked against an OrcaFlex installation.
"""

from __future__ import annotations

import math

import numpy as np

from ofxpost._archive.format import ObjectInfo, column_name, support_point
from ofxpost._tools import physics as phys

BELLMOUTH = "Bellmouth"
"""The 6D buoy's name."""
SUPPORT_VARIABLES: dict[str, str] = {
    "Support reaction force": "kN",
    "Support contact clearance": "m",
}
"""Support results written at every support, with units."""
GAP = 0.1
"""Clearance (m) between the centred umbilical and each support."""
STIFFNESS = 500.0
"""Contact stiffness of a support (kN/m)."""
LEVER = 2.0
"""Height (m) over which roll and pitch tilt the bellmouth relative to the umbilical."""
SWAY_FACTOR = 0.04
"""Share of the vessel's surge and sway the bellmouth moves relative to the umbilical."""
CURRENT_FACTOR = 0.02
"""Share of the vessel's current offset seen at the bellmouth."""


def bellmouth(supports: int) -> ObjectInfo:
    """The 6D buoy with ``supports`` supports (results at ``support=1 .. n``)."""
    points = [support_point(k) for k in range(1, supports + 1)]
    return ObjectInfo(
        BELLMOUTH,
        "6D Buoy",
        7,
        results={name: list(points) for name in SUPPORT_VARIABLES},
        units=dict(SUPPORT_VARIABLES),
        data={"Connection": "Vessel", "SupportCount": int(supports)},
    )


def support_fields(
    motion: phys.Motions, offset: tuple[float, float], supports: int
) -> dict[str, phys.Array]:
    """Every support column of the bellmouth for the motions ``motion``."""
    dx = (
        SWAY_FACTOR * motion.surge
        + LEVER * np.sin(np.radians(motion.pitch))
        + CURRENT_FACTOR * offset[0]
    )
    dy = (
        SWAY_FACTOR * motion.sway
        - LEVER * np.sin(np.radians(motion.roll))
        + CURRENT_FACTOR * offset[1]
    )
    out: dict[str, phys.Array] = {}
    for k in range(1, supports + 1):
        angle = 2.0 * math.pi * (k - 1) / supports
        towards = dx * math.cos(angle) + dy * math.sin(angle)
        clearance = np.asarray(GAP - towards, dtype=np.float64)
        force = np.asarray(STIFFNESS * np.maximum(-clearance, 0.0), dtype=np.float64)
        point = support_point(k)
        out[column_name(BELLMOUTH, "Support reaction force", point)] = force
        out[column_name(BELLMOUTH, "Support contact clearance", point)] = clearance
    return out
