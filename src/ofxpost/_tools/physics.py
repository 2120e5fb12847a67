"""The physics behind :mod:`ofxpost._tools.synth`: waves, vessel motions and a riser.

A plausible (not validated) model of a steel catenary riser hung off a vessel in
400 m of water, vectorised with numpy:

* **Waves** -- JONSWAP (γ = 3.3) irregular sea as a sum of 80 cosines with seeded
  random phases and frequencies jittered inside equal bins (0.5-3.5 ωp), scaled
  so that 4√m0 = Hs; ramped in over the build-up with a half cosine.
* **Vessel** -- heave, surge, sway, roll, pitch, yaw from simple RAOs of the wave
  heading (heave resonance 11 s, 40 % damped; roll 14 s), plus a slow surge drift and a mean
  offset from the current (3·U² m along the heading).
* **Riser** -- a 900 m catenary (submerged weight 1.2 kN/m, EI 1.5e5 kN·m²) from
  End A at the hang-off (20 m below the surface, 50 m from the vessel origin) to
  End B on the seabed; 600 m suspended, touchdown at arc length 600 m. Effective
  tension is the catenary profile (seabed friction beyond touchdown) plus a
  dynamic part driven by heave, heave acceleration, heave velocity (drag) and
  surge, attenuating from End A to the touchdown. Curvature is the catenary
  curvature smoothed over the bending boundary layer √(EI/H), so it and the bend
  moment (EI·κ) peak just above the touchdown point, which moves with the vessel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

GRAVITY = 9.80665
DEPTH = 400.0
HANG_OFF_DEPTH = 20.0
HANG_OFF_X = 50.0
LENGTH = 900.0
SUSPENDED = 600.0
SECTION_LENGTHS: tuple[float, ...] = (100.0, 500.0, 300.0)
SECTION_LINE_TYPES: tuple[str, ...] = ("12in SCR strakes", "12in SCR", "12in SCR coated")
"""Line type of each section (input data ``LineType``)."""
GAMMA = 3.3
"""JONSWAP peak enhancement factor (input data ``WaveGamma``)."""
WEIGHT = 1.2  # kN/m submerged
EI = 1.5e5  # kN.m^2
FRICTION = 0.3
WAVE_COMPONENTS = 80

LINE_VARIABLES: dict[str, str] = {
    "Effective tension": "kN",
    "Wall tension": "kN",
    "Bend moment": "kN.m",
    "x bend moment": "kN.m",
    "y bend moment": "kN.m",
    "Curvature": "rad/m",
    "Shear force": "kN",
    "X": "m",
    "Y": "m",
    "Z": "m",
    "Declination": "deg",
}
"""Line variables the generator can write, with units."""

DEFAULT_LINE_VARIABLES: tuple[str, ...] = (
    "Effective tension",
    "Wall tension",
    "Bend moment",
    "x bend moment",
    "y bend moment",
    "Curvature",
    "X",
    "Y",
    "Z",
    "Declination",
)
"""Line variables written by default: wall tension and the signed x/y bend
moments are there so that riser fatigue (stress from wall tension and signed
moments) runs on the default archives."""

VESSEL_VARIABLES: dict[str, str] = {
    "X": "m",
    "Y": "m",
    "Z": "m",
    "Rotation 1": "deg",
    "Rotation 2": "deg",
    "Rotation 3": "deg",
}
"""Vessel variables (always written)."""


@dataclass(frozen=True)
class Sea:
    """The wave components and current of one load case."""

    omega: Array
    amplitude: Array
    phase: Array
    heading: float
    current: float
    drift_phase: float
    hs: float
    tp: float
    start: float
    build_up: float


def jonswap(omega: Array, hs: float, tp: float, gamma: float = GAMMA) -> Array:
    """JONSWAP spectral density S(ω) (m²·s/rad), scaled later to Hs."""
    wp = 2.0 * math.pi / tp
    sigma = np.where(omega <= wp, 0.07, 0.09)
    shape = np.exp(-((omega - wp) ** 2) / (2.0 * sigma**2 * wp**2))
    base = GRAVITY**2 * omega**-5.0 * np.exp(-1.25 * (wp / omega) ** 4)
    return np.asarray(base * gamma**shape, dtype=np.float64)


def make_sea(
    rng: np.random.Generator,
    hs: float,
    tp: float,
    heading: float,
    current: float,
    start: float,
    build_up: float,
) -> Sea:
    """Seeded wave components of a JONSWAP sea with significant height ``hs``."""
    wp = 2.0 * math.pi / tp
    edges = np.linspace(0.5 * wp, 3.5 * wp, WAVE_COMPONENTS + 1)
    width = np.diff(edges)
    omega = edges[:-1] + width * rng.uniform(0.05, 0.95, WAVE_COMPONENTS)
    phase = rng.uniform(0.0, 2.0 * math.pi, WAVE_COMPONENTS)
    drift_phase = float(rng.uniform(0.0, 2.0 * math.pi))
    density = jonswap(omega, hs, tp)
    amplitude = np.sqrt(2.0 * density * width)
    m0 = float(np.sum(amplitude**2) / 2.0)
    amplitude *= hs / (4.0 * math.sqrt(m0))
    return Sea(omega, amplitude, phase, heading, current, drift_phase, hs, tp, start, build_up)


def ramp(sea: Sea, t: Array) -> Array:
    """Half-cosine build-up ramp: 0 at the start time, 1 from time 0."""
    if sea.build_up <= 0:
        return np.ones_like(t)
    x = np.clip((t - sea.start) / sea.build_up, 0.0, 1.0)
    return np.asarray(0.5 * (1.0 - np.cos(math.pi * x)), dtype=np.float64)


@dataclass(frozen=True)
class Motions:
    """Wave elevation and vessel motions at the sample times (m, m/s, m/s², deg)."""

    elevation: Array
    surge: Array
    sway: Array
    heave: Array
    heave_velocity: Array
    heave_acceleration: Array
    roll: Array
    pitch: Array
    yaw: Array


def _transfer(omega: Array, period: float, damping: float) -> npt.NDArray[np.complex128]:
    ratio = omega / (2.0 * math.pi / period)
    return np.asarray(1.0 / (1.0 - ratio**2 + 2j * damping * ratio), dtype=np.complex128)


def motions(sea: Sea, t: Array) -> Motions:
    """Elevation and vessel motions at times ``t`` (vectorised over components)."""
    beta = math.radians(sea.heading)
    phase = np.outer(t, sea.omega) + sea.phase
    cos, sin = np.cos(phase), np.sin(phase)
    a, w = sea.amplitude, sea.omega

    def signal(h: npt.NDArray[np.complex128], order: int = 0) -> Array:
        # Re(sum a h (i w)^order e^{i phase})
        coefficient = a * h * (1j * w) ** order
        return np.asarray(cos @ coefficient.real - sin @ coefficient.imag, dtype=np.float64)

    ones = np.ones_like(w, dtype=np.complex128)
    heave_h = _transfer(w, 11.0, 0.4)
    horizontal = (1.0 / (1.0 + (w / 0.5) ** 4)) * np.exp(0.5j * math.pi)
    roll_h = 4.0 * _transfer(w, 14.0, 0.08) * (w / w.mean())
    pitch_h = 1.5 * _transfer(w, 9.0, 0.2) * (w / w.mean())
    r = ramp(sea, t)
    drift = 0.25 * sea.hs * np.cos(2.0 * math.pi * t / 100.0 + sea.drift_phase) * r
    return Motions(
        elevation=signal(ones) * r,
        surge=(signal(horizontal) * math.cos(beta) + drift * math.cos(beta)) * r,
        sway=(signal(horizontal) * math.sin(beta) + drift * math.sin(beta)) * r,
        heave=signal(heave_h) * r,
        heave_velocity=signal(heave_h, 1) * r,
        heave_acceleration=signal(heave_h, 2) * r,
        roll=signal(roll_h) * math.sin(beta) * r,
        pitch=signal(pitch_h) * math.cos(beta) * r,
        yaw=0.2 * signal(horizontal) * math.sin(2.0 * beta) * r,
    )


def static_motions(sea: Sea) -> Motions:
    """The static state: no waves (every dynamic motion zero)."""
    zero = np.zeros(1)
    return Motions(*(zero.copy() for _ in range(9)))


def vessel_offset(sea: Sea) -> tuple[float, float]:
    """Mean (X, Y) offset of the vessel from the current (m), in statics and dynamics."""
    beta = math.radians(sea.heading)
    offset = 3.0 * sea.current**2
    return offset * math.cos(beta), offset * math.sin(beta)


# -------------------------------------------------------------------------- riser


@dataclass(frozen=True)
class Catenary:
    """The static catenary and its smoothed curvature on a fine grid."""

    a: float
    horizontal: float
    grid: Array
    curvature: Array
    declination: Array


def catenary() -> Catenary:
    """Catenary parameter, horizontal tension and the smoothed curvature profile."""
    h = DEPTH - HANG_OFF_DEPTH
    a = (SUSPENDED**2 - h**2) / (2.0 * h)
    horizontal = WEIGHT * a
    grid = np.linspace(-200.0, LENGTH + 200.0, 4401)
    sigma = np.clip(SUSPENDED - grid, 0.0, None)
    raw = np.where(grid <= SUSPENDED, a / (a * a + sigma * sigma), 0.0)
    layer = math.sqrt(EI / horizontal)
    step = grid[1] - grid[0]
    half = int(4 * layer / step)
    kernel_x = np.arange(-half, half + 1) * step
    kernel = np.exp(-0.5 * (kernel_x / layer) ** 2)
    kernel /= kernel.sum()
    smooth = np.convolve(np.pad(raw, half, mode="edge"), kernel, mode="valid")
    slope = sigma / a
    declination = np.degrees(np.arccos(-slope / np.sqrt(1.0 + slope**2)))
    return Catenary(a, horizontal, grid, smooth, declination)


def node_arclengths(nodes: int) -> Array:
    """Arc lengths of ``nodes`` equally spaced nodes, End A (0) to End B (900 m)."""
    return np.linspace(0.0, LENGTH, nodes)


def line_fields(
    cat: Catenary,
    s: Array,
    m: Motions,
    offset: tuple[float, float],
    variables: tuple[str, ...],
) -> dict[str, Array]:
    """Line variables at arc lengths ``s`` (broadcast against the motion samples).

    :param s: ``(samples, points)`` or ``(1, points)`` arc lengths.
    """
    a, horizontal = cat.a, cat.horizontal
    heave = m.heave[:, None]
    surge = m.surge[:, None] + offset[0]
    sway = m.sway[:, None] + offset[1]
    shift = 0.8 * m.surge[:, None] + 0.5 * heave  # touchdown moves with the vessel
    sigma = np.clip(SUSPENDED - s, 0.0, None)
    suspended = s <= SUSPENDED
    static_t = np.where(
        suspended,
        np.sqrt(horizontal**2 + (WEIGHT * sigma) ** 2),
        horizontal - FRICTION * WEIGHT * (s - SUSPENDED),
    )
    attenuation = np.where(
        suspended,
        0.2 + 0.8 * (sigma / SUSPENDED) ** 1.5,
        0.2 * np.exp(-(s - SUSPENDED) / 60.0),
    )
    velocity = m.heave_velocity[:, None]
    dynamic_t = (
        15.0 * heave
        + 40.0 * m.heave_acceleration[:, None]
        + 20.0 * velocity * np.abs(velocity)
        + 4.0 * surge
    )
    out: dict[str, Array] = {}
    tension = static_t + dynamic_t * attenuation
    moved = s + shift
    curvature = np.interp(moved, cat.grid, cat.curvature)
    top_layer = math.sqrt(EI / (horizontal + WEIGHT * SUSPENDED))
    # a little bending at the hang-off (flex joint) from the vessel pitch
    curvature = curvature * (1.0 + 0.002 * dynamic_t)
    flex = 0.05 * np.radians(m.pitch[:, None]) / top_layer * np.exp(-s / top_layer)
    # in-plane and signed: at the hang-off the flex joint's rotation (with the pitch)
    # dominates, so the moment there reverses
    signed_curvature = curvature * (1.0 - np.exp(-s / top_layer)) + flex
    curvature = curvature + np.abs(flex)  # a magnitude, as OrcaFlex's Curvature
    motion_share = np.where(suspended, sigma / SUSPENDED, 0.0)
    x_static = np.where(
        suspended,
        HANG_OFF_X + a * (np.arcsinh(SUSPENDED / a) - np.arcsinh(sigma / a)),
        HANG_OFF_X + a * np.arcsinh(SUSPENDED / a) + (s - SUSPENDED),
    )
    z_static = -DEPTH + a * (np.sqrt(1.0 + (sigma / a) ** 2) - 1.0)
    values: dict[str, Callable[[], Array]] = {
        "Effective tension": lambda: tension,
        "Wall tension": lambda: tension + 60.0 + 0.25 * (DEPTH + z_static),
        "Bend moment": lambda: EI * curvature,
        "x bend moment": lambda: EI * signed_curvature,
        "y bend moment": lambda: EI * curvature * 0.1 * np.tanh(m.sway[:, None] / 2.0),
        "Curvature": lambda: curvature,
        "Shear force": lambda: (
            EI
            * (
                np.interp(moved + 0.5, cat.grid, cat.curvature)
                - np.interp(moved - 0.5, cat.grid, cat.curvature)
            )
        ),
        "X": lambda: x_static + surge * motion_share,
        "Y": lambda: sway * motion_share,
        "Z": lambda: z_static + heave * motion_share,
        "Declination": lambda: (
            np.interp(moved, cat.grid, cat.declination) + 0.05 * surge * motion_share
        ),
    }
    shape = np.broadcast_shapes(s.shape, heave.shape)
    for name in variables:
        out[name] = np.ascontiguousarray(np.broadcast_to(values[name](), shape), dtype=np.float64)
    return out


def vessel_fields(m: Motions, offset: tuple[float, float]) -> dict[str, Array]:
    """Vessel ``X, Y, Z, Rotation 1-3`` from the motions."""
    return {
        "X": m.surge + offset[0],
        "Y": m.sway + offset[1],
        "Z": m.heave,
        "Rotation 1": m.roll,
        "Rotation 2": m.pitch,
        "Rotation 3": m.yaw,
    }


def touchdown_arclength(m: Motions) -> Array:
    """Arc length of the touchdown point at each sample (m)."""
    return np.asarray(SUSPENDED - (0.8 * m.surge + 0.5 * m.heave), dtype=np.float64)


def latest_wave(sea: Sea, times: Array) -> tuple[int, int] | None:
    """Sample indices of the latest complete wave (between the last two zero
    up-crossings of the elevation at the origin), or ``None``."""
    window = max(8.0 * sea.tp, 1.0)
    first = int(np.searchsorted(times, times[-1] - window)) if times.size else 0
    for begin in (first, 0):
        part = times[begin:]
        elevation = motions(sea, part).elevation
        ups = np.nonzero((elevation[:-1] < 0.0) & (elevation[1:] >= 0.0))[0]
        if ups.size >= 2:
            crossings: list[Any] = []
            for index in ups[-2:]:
                e0, e1 = elevation[index], elevation[index + 1]
                t0, t1 = part[index], part[index + 1]
                crossings.append(t0 + (t1 - t0) * (-e0) / (e1 - e0))
            low = begin + int(np.argmin(np.abs(part - crossings[0])))
            high = begin + int(np.argmin(np.abs(part - crossings[1])))
            return low, high
    return None
