"""ofxpost-fatigue: fatigue damage and life of lines from a batch of simulations.

The library parts can be used on their own::

    from ofxpost_fatigue import count_cycles, dnv_curve, miner_damage

    ranges, counts = count_cycles(stress_mpa)                  # ASTM E1049-85 rainflow
    curve = dnv_curve("D", environment="seawater_cp")          # DNV-RP-C203 Table 2-2
    damage = miner_damage(ranges, counts, curve, thickness_mm=40.0)

The ofxpost plugin (entry point ``fatigue`` in the ``ofxpost`` group) is
:mod:`ofxpost_fatigue.plugin`; its config section is
:class:`ofxpost_fatigue.section.FatigueSection`.
"""

from ofxpost_fatigue.damage import damage_equivalent_range, miner_damage
from ofxpost_fatigue.rainflow_counting import count_cycles
from ofxpost_fatigue.sn_curves import DNV_AIR, DNV_SEAWATER_CP, SNCurve, dnv_curve

__version__ = "0.1.0"

__all__ = [
    "DNV_AIR",
    "DNV_SEAWATER_CP",
    "SNCurve",
    "__version__",
    "count_cycles",
    "damage_equivalent_range",
    "dnv_curve",
    "miner_damage",
]
