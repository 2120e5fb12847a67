"""The ``fatigue`` config section (validated by pydantic; unknown keys are errors)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ofxpost_fatigue.sn_curves import DNV_AIR, T_REF_MM, SNCurve, dnv_curve

SECTION = "fatigue"
"""The config section's name."""

SECONDS_PER_YEAR = 365.25 * 24 * 3600.0
"""Seconds in a (Julian) year."""


Fibre = Literal["outer", "inner"]


def _both_fibres() -> list[Fibre]:
    return ["outer", "inner"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SNCurveChoice(_Frozen):
    """Which S-N curve, and the thickness correction."""

    standard: Literal["DNV-RP-C203"] = "DNV-RP-C203"
    edition: Literal["2016"] = "2016"
    """The edition of the standard whose tables are used (only the 2016 one is held)."""
    environment: Literal["air", "seawater_cp", "free_corrosion"] = "seawater_cp"
    """``air`` (Table 2-1), ``seawater_cp``: seawater with cathodic protection (Table
    2-2), or ``free_corrosion``: seawater without protection (Table 2-4)."""
    curve: str = "D"
    """Curve name: ``B1``, ``B2``, ``C``, ``C1``, ``C2``, ``D``, ``E``, ``F``, ``F1``,
    ``F3``, ``G``, ``W1``, ``W2``, ``W3`` or ``T`` (tubular joints)."""
    thickness_mm: float | None = Field(default=None, gt=0)
    """Thickness (mm) for the correction ``(t/tref)^k``; none by default."""
    t_ref_mm: float = Field(default=T_REF_MM, gt=0)
    """Reference thickness (mm): 25 for welded connections, 16 for tubular joints."""

    @field_validator("curve")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in DNV_AIR:
            raise ValueError(f"unknown DNV-RP-C203 curve {value!r}; choose from {list(DNV_AIR)}")
        return value

    def get(self) -> SNCurve:
        """The curve itself."""
        return dnv_curve(self.curve, self.environment)


class StressSpec(_Frozen):
    """How the stress history (MPa) at a point is made.

    Units are read from the file (``VarUnits``) and converted with pint: a
    variable without a unit, or in one pint cannot read, fails that file.

    ``kind: section``: ``σ = scf · (T / area + M / section_modulus)`` from the
    tension ``T`` and the bending moment ``M`` (converted to N and N·m), with the
    area in m² and the section modulus in m³.

    ``kind: pipe``: the axial stress of a pipe of ``outer_diameter`` and
    ``wall_thickness`` (m) at each of ``angles_deg`` round the circumference, on each
    of ``fibres`` (``outer`` radius ``D/2``, ``inner`` ``D/2 - t``)::

        σ(θ, r) = scf · (Tw / A + r · (Mx · sin θ - My · cos θ) / I)

    from the wall tension ``Tw`` and the signed bending moments ``Mx``, ``My`` about
    the line's local x and y axes (θ from x towards y); the hot spot is the angle and
    fibre of the largest annual damage. With angles spread evenly over 360° a
    different sign convention only relabels the angles.

    ``kind: variable``: ``σ = scf · factor · variable``, where ``factor · variable``
    must be a stress: the variable's unit (from the file) times ``factor_unit``
    (e.g. a tension in kN times ``factor: 100, factor_unit: 1/m^2``); it is
    converted to MPa.
    """

    kind: Literal["section", "pipe", "variable"] = "section"
    area: float | None = Field(default=None, gt=0)
    """Steel cross-section area (m²), ``kind: section``."""
    section_modulus: float | None = Field(default=None, gt=0)
    """Elastic section modulus (m³), ``kind: section``."""
    tension_variable: str = "Wall tension"
    """The tension, ``kind: section`` and ``pipe``: the wall tension by default (the
    effective tension leaves the pressure term out: give it explicitly to use it)."""
    moment_variable: str | None = None
    """The bending moment, ``kind: section`` (required: a signed moment such as ``x
    bend moment``, or ``Bend moment``, a magnitude that rectifies a reversing moment
    and so is not conservative)."""
    outer_diameter: float | None = Field(default=None, gt=0)
    """Outer diameter (m), ``kind: pipe``."""
    wall_thickness: float | None = Field(default=None, gt=0)
    """Steel wall thickness (m), ``kind: pipe``."""
    angles_deg: list[float] = Field(
        default_factory=lambda: [45.0 * i for i in range(8)], min_length=1
    )
    """Circumferential angles (degrees), ``kind: pipe``: every 45° by default."""
    fibres: list[Fibre] = Field(default_factory=_both_fibres, min_length=1)
    """Fibres, ``kind: pipe``: both by default."""
    x_moment_variable: str = "x bend moment"
    y_moment_variable: str = "y bend moment"
    variable: str | None = None
    """The variable whose value (times ``factor``) is a stress, ``kind: variable``."""
    factor: float = 1.0
    factor_unit: str = ""
    """Unit of ``factor`` (default: none), ``kind: variable``."""
    scf: float = Field(default=1.0, gt=0)
    """Stress concentration factor."""

    @model_validator(mode="before")
    @classmethod
    def _no_unit(cls, data: Any) -> Any:
        if isinstance(data, dict) and "unit" in data:
            raise ValueError(
                f"'unit' ({data['unit']!r}) was removed: the variable's unit is read from "
                "the file and converted; give 'factor_unit' when 'factor' has a unit"
            )
        return data

    @model_validator(mode="after")
    def _complete(self) -> StressSpec:
        if self.kind == "section":
            missing = [
                k
                for k in ("area", "section_modulus", "moment_variable")
                if getattr(self, k) is None
            ]
            if missing:
                raise ValueError(
                    f"kind 'section' needs {' and '.join(missing)} (moment_variable: a signed "
                    "moment such as 'x bend moment', or 'Bend moment', a magnitude that "
                    "rectifies a reversing moment: not conservative; or use kind 'pipe')"
                )
        elif self.kind == "pipe":
            missing = [k for k in ("outer_diameter", "wall_thickness") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"kind 'pipe' needs {' and '.join(missing)}")
            assert self.outer_diameter is not None and self.wall_thickness is not None
            if 2 * self.wall_thickness > self.outer_diameter:
                raise ValueError("wall_thickness is more than half the outer_diameter")
            if len(set(self.angles_deg)) != len(self.angles_deg):
                raise ValueError("angles_deg must be distinct")
            if len(set(self.fibres)) != len(self.fibres):
                raise ValueError("fibres must be distinct")
        elif self.variable is None:
            raise ValueError("kind 'variable' needs variable")
        if self.factor_unit:
            from ofxpost_fatigue.units import FatigueUnitError, parse_unit

            try:
                parse_unit(self.factor_unit, "factor_unit")
            except FatigueUnitError as exc:
                raise ValueError(str(exc)) from None
        return self

    def hot_spots(self) -> list[str]:
        """Names of the stress points of one arc length (``outer 45°`` ...; one empty
        name unless ``kind: pipe``)."""
        if self.kind != "pipe":
            return [""]
        return [f"{fibre} {angle:g}°" for fibre in self.fibres for angle in self.angles_deg]


class FatigueLine(_Frozen):
    """Fatigue points on one line."""

    label: str
    """Names the rows of this entry and its plot (letters, digits, ``_``, ``-``)."""
    object: str
    """The line's name in the model (e.g. ``Riser``)."""
    arc_lengths: list[float] = Field(min_length=1)
    """Arc lengths (m from End A) of the points."""
    stress: StressSpec
    sn_curve: SNCurveChoice | None = None
    """This line's S-N curve (default: the section's ``sn_curve``)."""

    @field_validator("label")
    @classmethod
    def _safe(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", value):
            raise ValueError("use letters, digits, '_' and '-' only")
        return value

    @field_validator("arc_lengths")
    @classmethod
    def _distinct(cls, value: list[float]) -> list[float]:
        if len(set(value)) != len(value) or any(a < 0 for a in value):
            raise ValueError("arc lengths must be distinct and >= 0")
        return value


class FatigueSection(_Frozen):
    """The ``fatigue`` section. Without ``lines`` the plugin does nothing."""

    lines: list[FatigueLine] = Field(default_factory=list)
    sn_curve: SNCurveChoice = Field(default_factory=SNCurveChoice)
    """The default S-N curve."""
    period: tuple[float | None, float | None] = (0.0, None)
    """Counted period ``[from, to]`` (s); ``null`` = the simulation's start / end.
    The default leaves the build-up out."""
    probability_column: str = "probability"
    """Load-matrix column with each case's probability (fraction of a year)."""
    probability_units: Literal["fraction", "percent"] = "fraction"
    """Unit of the probabilities: ``fraction`` (they sum to 1) or ``percent`` (to 100)."""
    probability_tolerance: float = Field(default=1e-3, gt=0, lt=0.5)
    """How far the probabilities of the load matrix may sum from 1 (as fractions)."""
    hours_column: str | None = None
    """Load-matrix column with each case's hours per year; used instead of the
    probability when given."""
    year_seconds: float = Field(default=SECONDS_PER_YEAR, gt=0)
    del_m: float | None = Field(default=None, gt=0)
    """Slope m of the damage-equivalent range (default: the curve's m1)."""
    del_n_eq: float = Field(default=1e7, gt=0)
    """Cycles N_eq of the damage-equivalent range ``del`` of each file and of the
    lifetime DEL."""
    del_frequency_hz: float = Field(default=1.0, gt=0)
    """Frequency of the per-second DEL ``del_1hz`` (pCrunch's convention:
    ``N_eq = frequency · duration``)."""
    design_life_years: float | None = Field(default=None, gt=0)
    dff: float = Field(default=1.0, gt=0)
    """Design fatigue factor: ``utilisation = design_life · DFF / life``."""
    plot: bool = True
    """Write ``fatigue_life_<label>.png`` (life along the arc length)."""

    @field_validator("lines")
    @classmethod
    def _unique_labels(cls, value: list[FatigueLine]) -> list[FatigueLine]:
        seen: set[str] = set()
        for line in value:
            if line.label.lower() in seen:
                raise ValueError(f"label {line.label!r} is used twice")
            seen.add(line.label.lower())
        return value

    def curve_of(self, line: FatigueLine) -> SNCurveChoice:
        """The S-N curve choice of ``line``."""
        return line.sn_curve or self.sn_curve
