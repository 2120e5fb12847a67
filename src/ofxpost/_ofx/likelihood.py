"""Peaks-over-threshold fits of samples: the Weibull and generalised Pareto models.

OrcaFlex's "likelihood" extreme-value models (``LikelihoodStatisticsSpecification``)
fit a Weibull or generalised Pareto distribution by maximum likelihood to the
extremes of a time history beyond a threshold, selected with a decluster period
(OrcaFlex help, "Extreme value statistics results" and "... theory"); OrcFxAPI
reports ``ReturnLevel``, ``ConfidenceInterval``, ``Sigma``/``Xi`` and their
standard errors. Orcina's formulas for these models were not available when this
module was written, and there is no OrcaFlex output to compare against: the
definitions below are the standard peaks-over-threshold method (Coles, *An
Introduction to Statistical Modeling of Extreme Values*, 2001, ch. 4), and every
point marked *choice* is ofxpost's, not a documented OrcaFlex rule.

**Declustering.** Exceedances are the samples ``x > u`` (``u`` the threshold).
Consecutive exceedances always belong to one cluster; a new cluster starts when
the time from the last exceedance of a cluster to the next exceedance is at least
the decluster period (*choice*: the gap is measured between exceeding samples; a
decluster period of ``None`` or 0 makes every excursion above ``u`` one cluster).
Each cluster gives one peak, its largest sample; the fit uses the excesses
``y = peak − u``. The lower tail mirrors the data (``x → −x``, ``u → −u``), so a
"peak" is a cluster minimum and results are mapped back (``value = u − y``).

**Models** of the excess ``y > 0``, fitted by maximum likelihood (scipy's
Nelder-Mead on ``log σ`` and ``ξ`` / ``log ξ``):

* generalised Pareto: ``F(y) = 1 − (1 + ξ·y/σ)^(−1/ξ)`` (``ξ → 0``: ``1 − exp(−y/σ)``);
* Weibull (*choice* of form): ``F(y) = 1 − exp(−(y/σ)^ξ)``, ``ξ`` the shape.

``Sigma`` is ``σ``, ``Xi`` is ``ξ``; their standard errors are the square roots of
the diagonal of the inverse observed information (the Hessian of the negative
log-likelihood at the optimum, by central differences); NaN when that matrix is not
positive definite. At least :data:`MIN_PEAKS` cluster peaks are needed (*choice*),
and a GPD fit with ``ξ ≤ −1`` (an unbounded likelihood) is refused.

**Storm results.** ``λ`` is the number of cluster peaks per second of the analysed
samples (their span, ``(n − 1)·Δt``), and a storm of ``D`` seconds has on average
``N = λ·D`` peaks, taken as a Poisson process (*choice*):

* ``ReturnLevel``: the level exceeded on average once in the storm, ``1 − F(y) = 1/N``:
  GPD ``y = σ/ξ·(N^ξ − 1)`` (``σ·ln N`` at ``ξ = 0``), Weibull ``y = σ·(ln N)^(1/ξ)``;
* ``MostProbableExtremeValue`` (*choice* of definition): the mode of the storm
  maximum, whose distribution is ``P(M ≤ y) = exp(−N·(1 − F(y)))``. GPD:
  ``y = σ/ξ·((N/(1 + ξ))^ξ − 1)``; Weibull: ``y = σ·z^(1/ξ)`` with ``z`` the largest
  root of ``(ξ − 1) − ξ·z + N·ξ·z·e^(−z) = 0`` (``z = ln N`` when ``ξ = 1``; NaN
  when there is none, possible for ``ξ < 1`` and few peaks). It
  equals the return level for the exponential tail (GPD ``ξ = 0``, Weibull ``ξ = 1``);
* ``ConfidenceInterval`` of the return level at ``ConfidenceLevel`` percent: the
  delta method (*choice*; not the profile likelihood) with the covariance above,
  ``level ± z_q·√(∇yᵀ·V·∇y)``, ``z_q`` the standard normal quantile; the uncertainty
  of ``λ`` is neglected.

A storm with ``N ≤ 1`` peaks gives NaN. scipy is imported here only when a fit is
made, never when the package or a worker is imported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ofxpost._ofx.stats import FloatArray, as_values

Model = Literal["weibull", "gpd"]
"""The peaks-over-threshold models."""
MIN_PEAKS = 10
"""The fewest cluster peaks a fit accepts."""
_GUMBEL_XI = 1e-9  # |ξ| below this: the GPD's exponential limit


def cluster_excesses(
    values: Any, interval: float, threshold: float, decluster_period: float | None = None
) -> FloatArray:
    """The excesses ``peak − threshold`` of each cluster of exceedances (upper tail).

    :param values: the samples.
    :param interval: their constant interval (s).
    :param threshold: ``u``: samples above it are exceedances.
    :param decluster_period: the shortest gap (s) between clusters (``None``: 0).
    """
    x = as_values(values)
    above = np.flatnonzero(x > threshold)
    if above.size == 0:
        return np.empty(0, dtype=np.float64)
    period = 0.0 if decluster_period is None else float(decluster_period)
    gaps = np.diff(above)
    tolerance = 1e-9 * max(1.0, period)
    new = (gaps > 1) & (gaps * interval >= period - tolerance)
    starts = np.concatenate(([0], np.flatnonzero(new) + 1))
    peaks = np.maximum.reduceat(x[above], starts)
    return np.asarray(peaks - threshold, dtype=np.float64)


def negative_log_likelihood(model: Model, sigma: float, xi: float, excess: FloatArray) -> float:
    """``−log L`` of ``(σ, ξ)`` for the excesses (``inf`` outside the support)."""
    if not sigma > 0:
        return math.inf
    n = excess.size
    if model == "gpd":
        if abs(xi) < _GUMBEL_XI:
            return n * math.log(sigma) + float(np.sum(excess)) / sigma
        z = xi * excess / sigma
        if np.any(z <= -1.0):
            return math.inf
        return n * math.log(sigma) + (1.0 + 1.0 / xi) * float(np.sum(np.log1p(z)))
    if not xi > 0:
        return math.inf
    scaled = excess / sigma
    return -float(np.sum(math.log(xi) - math.log(sigma) + (xi - 1.0) * np.log(scaled) - scaled**xi))


def excess_level(model: Model, sigma: float, xi: float, peaks: float) -> float:
    """The excess exceeded on average once among ``peaks`` peaks (NaN for ``≤ 1``)."""
    if not peaks > 1:
        return math.nan
    if model == "gpd":
        if abs(xi) < _GUMBEL_XI:
            return sigma * math.log(peaks)
        return sigma / xi * (math.pow(peaks, xi) - 1.0)
    return sigma * math.pow(math.log(peaks), 1.0 / xi)


def _level_gradient(model: Model, sigma: float, xi: float, peaks: float) -> tuple[float, float]:
    """``(∂y/∂σ, ∂y/∂ξ)`` of :func:`excess_level`."""
    log_n = math.log(peaks)
    if model == "gpd":
        if abs(xi) < _GUMBEL_XI:
            return log_n, sigma * log_n * log_n / 2.0
        power = peaks**xi
        return (power - 1.0) / xi, sigma * (power * log_n / xi - (power - 1.0) / (xi * xi))
    base = log_n ** (1.0 / xi)
    return base, -sigma * base * math.log(log_n) / (xi * xi)


def _weibull_mode(shape: float, peaks: float) -> float:
    """The largest root ``z`` of ``(k − 1) − k·z + N·k·z·e^(−z) = 0`` (NaN: none)."""
    from scipy.optimize import brentq

    def h(z: float) -> float:
        return (shape - 1.0) + shape * z * (peaks * math.exp(-z) - 1.0)

    start = math.log(peaks)
    at_start = h(start)
    if at_start == 0.0:
        return start
    if at_start > 0:  # shape > 1: the root lies above ln N, where h falls to −inf
        step = 1.0
        while h(start + step) > 0:
            step *= 2.0
        return float(brentq(h, start, start + step, xtol=1e-14, rtol=1e-14))
    step = start / 1024.0  # shape < 1: search below ln N for a point where h > 0
    while step < start:
        if h(start - step) > 0:
            return float(brentq(h, start - step, start, xtol=1e-14, rtol=1e-14))
        step *= 2.0
    return math.nan


def mode_excess(model: Model, sigma: float, xi: float, peaks: float) -> float:
    """The mode of the storm maximum's excess over ``peaks`` Poisson peaks (NaN: ``≤ 1``)."""
    if not peaks > 1:
        return math.nan
    if model == "gpd":
        if abs(xi) < _GUMBEL_XI:
            return sigma * math.log(peaks)
        return max(0.0, sigma / xi * (math.pow(peaks / (1.0 + xi), xi) - 1.0))
    z = _weibull_mode(xi, peaks)
    return sigma * z ** (1.0 / xi) if z > 0 else math.nan


def _start(model: Model, excess: FloatArray) -> tuple[float, float]:
    """Moment estimates of ``(σ, ξ)``: the optimiser's starting point."""
    if model == "gpd":
        mean, var = float(np.mean(excess)), float(np.var(excess))
        ratio = mean * mean / var if var > 0 else 1.0
        xi = min(0.4, max(-0.4, 0.5 * (1.0 - ratio)))
        return max(mean * (1.0 - xi), 1e-12), xi
    logs = np.log(excess)
    spread = float(np.std(logs))
    shape = math.pi / (math.sqrt(6.0) * spread) if spread > 0 else 1.0
    return math.exp(float(np.mean(logs)) + 0.5772156649 / shape), shape


def _hessian(model: Model, sigma: float, xi: float, excess: FloatArray) -> FloatArray:
    """The Hessian of :func:`negative_log_likelihood` in ``(σ, ξ)``, central differences."""
    point = np.array([sigma, xi])
    steps = np.array([1e-4 * sigma, 1e-4 * max(abs(xi), 0.05)])

    def f(p: FloatArray) -> float:
        return negative_log_likelihood(model, float(p[0]), float(p[1]), excess)

    hessian = np.empty((2, 2))
    for i in range(2):
        for j in range(i, 2):
            ei, ej = np.eye(2)[i] * steps[i], np.eye(2)[j] * steps[j]
            value = (
                f(point + ei + ej) - f(point + ei - ej) - f(point - ei + ej) + f(point - ei - ej)
            ) / (4.0 * steps[i] * steps[j])
            hessian[i, j] = hessian[j, i] = value
    return hessian


@dataclass(frozen=True)
class TailFit:
    """A fitted peaks-over-threshold model (see the module text for the definitions)."""

    model: Model
    """``weibull`` or ``gpd``."""
    threshold: float
    """``u``, in the variable's units."""
    lower: bool
    """Whether the lower tail (minima) was analysed."""
    sigma: float
    """The scale ``σ``."""
    xi: float
    """The shape ``ξ``."""
    covariance: tuple[tuple[float, float], tuple[float, float]]
    """The inverse observed information of ``(σ, ξ)`` (NaN: not positive definite)."""
    peaks: int
    """The number of cluster peaks fitted."""
    rate: float
    """Cluster peaks per second of the analysed samples (``λ``)."""

    @property
    def sigma_std_error(self) -> float:
        """The standard error of ``σ``."""
        return math.sqrt(self.covariance[0][0]) if self.covariance[0][0] >= 0 else math.nan

    @property
    def xi_std_error(self) -> float:
        """The standard error of ``ξ``."""
        return math.sqrt(self.covariance[1][1]) if self.covariance[1][1] >= 0 else math.nan

    def storm_peaks(self, duration_s: float) -> float:
        """``N = λ·D``: the mean number of peaks in a storm of ``duration_s`` seconds."""
        return self.rate * duration_s

    def _value(self, excess: float) -> float:
        return self.threshold - excess if self.lower else self.threshold + excess

    def return_level(self, duration_s: float) -> float:
        """The level exceeded on average once in the storm."""
        peaks = self.storm_peaks(duration_s)
        return self._value(excess_level(self.model, self.sigma, self.xi, peaks))

    def most_probable(self, duration_s: float) -> float:
        """The mode of the storm's largest (lower tail: smallest) value."""
        peaks = self.storm_peaks(duration_s)
        return self._value(mode_excess(self.model, self.sigma, self.xi, peaks))

    def confidence_interval(self, duration_s: float, level_percent: float) -> tuple[float, float]:
        """``(lower, upper)`` of the return level at ``level_percent`` (delta method)."""
        peaks = self.storm_peaks(duration_s)
        if not peaks > 1 or not 0.0 < level_percent < 100.0:
            return math.nan, math.nan
        from scipy.stats import norm

        gradient = np.array(_level_gradient(self.model, self.sigma, self.xi, peaks))
        variance = float(gradient @ np.array(self.covariance) @ gradient)
        if not variance >= 0:
            return math.nan, math.nan
        half = float(norm.ppf(0.5 + level_percent / 200.0)) * math.sqrt(variance)
        centre = excess_level(self.model, self.sigma, self.xi, peaks)
        ends = sorted((self._value(centre - half), self._value(centre + half)))
        return ends[0], ends[1]


def fit_tail(
    values: Any,
    interval: float,
    model: Model,
    threshold: float,
    decluster_period: float | None = None,
    lower: bool = False,
    where: str = "samples",
) -> TailFit:
    """Fit ``model`` to the cluster peaks of ``values`` beyond ``threshold``.

    :param values: the samples (constant interval).
    :param interval: the sample interval (s).
    :param model: ``weibull`` or ``gpd``.
    :param threshold: ``u``, in the variable's units.
    :param decluster_period: the shortest gap between clusters (s); ``None``: 0.
    :param lower: analyse minima (values below ``u``) instead of maxima.
    :param where: what the samples are, for error messages.
    :raises ValueError: for fewer than :data:`MIN_PEAKS` peaks, a negative decluster
        period or a fit that does not converge (the message names the threshold).
    """
    if decluster_period is not None and not decluster_period >= 0:
        raise ValueError(f"{where}: the decluster period must be >= 0 s, not {decluster_period}")
    x = as_values(values)
    sign = -1.0 if lower else 1.0
    excess = cluster_excesses(sign * x, interval, sign * threshold, decluster_period)
    name = "GPD" if model == "gpd" else "Weibull"
    side = "below" if lower else "above"
    if excess.size < MIN_PEAKS:
        raise ValueError(
            f"{where}: {excess.size} cluster peak(s) {side} the threshold {threshold:g} "
            f"(decluster period {decluster_period or 0:g} s); the {name} fit needs at least "
            f"{MIN_PEAKS}: choose a threshold nearer the mean or a shorter decluster period"
        )
    from scipy.optimize import minimize

    sigma0, xi0 = _start(model, excess)
    weibull = model == "weibull"

    def objective(p: FloatArray) -> float:
        shape = math.exp(p[1]) if weibull else float(p[1])
        return negative_log_likelihood(model, math.exp(p[0]), shape, excess)

    start = np.array([math.log(sigma0), math.log(xi0) if weibull else xi0])
    found = minimize(
        objective,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000},
    )
    sigma = math.exp(float(found.x[0]))
    xi = math.exp(float(found.x[1])) if weibull else float(found.x[1])
    if not found.success or not math.isfinite(float(found.fun)) or (not weibull and xi <= -1):
        raise ValueError(
            f"{where}: the {name} fit to {excess.size} peaks {side} the threshold "
            f"{threshold:g} did not converge (sigma {sigma:.6g}, xi {xi:.6g})"
        )
    hessian = _hessian(model, sigma, xi, excess)
    try:
        np.linalg.cholesky(hessian)
        inverse = np.linalg.inv(hessian)
        covariance = (
            (float(inverse[0, 0]), float(inverse[0, 1])),
            (float(inverse[1, 0]), float(inverse[1, 1])),
        )
    except np.linalg.LinAlgError:
        covariance = ((math.nan, math.nan), (math.nan, math.nan))
    span = (x.size - 1) * interval
    return TailFit(
        model,
        float(threshold),
        lower,
        sigma,
        xi,
        covariance,
        int(excess.size),
        excess.size / span if span > 0 else math.nan,
    )
