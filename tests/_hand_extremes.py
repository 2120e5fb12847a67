"""Peaks-over-threshold quantities worked out independently of ofxpost.

Cluster peaks are found with a plain Python loop over the sample times, the fits
are scipy's own (``scipy.stats.genpareto.fit`` / ``weibull_min.fit`` with
``floc=0``) and the standard errors come from a finite-difference Hessian of
scipy's log-density -- none of it shares code with :mod:`ofxpost._ofx.likelihood`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def cluster_peaks_by_hand(
    times: Sequence[float], x: Sequence[float], threshold: float, period: float, dt: float
) -> list[float]:
    """The largest sample of each cluster of samples above ``threshold``.

    A new cluster starts at an exceedance that is not the next sample after the
    previous exceedance and comes at least ``period`` seconds after it.
    """
    peaks: list[float] = []
    last_time: float | None = None
    for t, v in zip(times, x, strict=True):
        if v <= threshold:
            continue
        consecutive = last_time is not None and t - last_time < 1.5 * dt
        if last_time is None or (not consecutive and t - last_time >= period - 1e-9):
            peaks.append(v)
        else:
            peaks[-1] = max(peaks[-1], v)
        last_time = t
    return peaks


def scipy_dist(model: str) -> Any:
    """scipy's distribution of the excesses: ``genpareto`` or ``weibull_min``."""
    from scipy import stats

    return stats.genpareto if model == "gpd" else stats.weibull_min


def scipy_fit(model: str, excess: Sequence[float]) -> tuple[float, float]:
    """``(sigma, xi)`` fitted by scipy with the location fixed at 0."""
    shape, _, scale = scipy_dist(model).fit(np.asarray(excess), floc=0)
    return float(scale), float(shape)


def scipy_nll(model: str, sigma: float, xi: float, excess: Sequence[float]) -> float:
    """``−log L`` from scipy's log-density."""
    return -float(np.sum(scipy_dist(model).logpdf(np.asarray(excess), xi, scale=sigma)))


def covariance_by_hand(model: str, sigma: float, xi: float, excess: Sequence[float]) -> Any:
    """The inverse of a finite-difference Hessian of :func:`scipy_nll` in ``(σ, ξ)``."""
    steps = (1e-3 * sigma, 1e-3)
    point = np.array([sigma, xi])

    def f(p: Any) -> float:
        return scipy_nll(model, float(p[0]), float(p[1]), excess)

    hessian = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            di = np.eye(2)[i] * steps[i]
            dj = np.eye(2)[j] * steps[j]
            hessian[i, j] = (
                f(point + di + dj) - f(point + di - dj) - f(point - di + dj) + f(point - di - dj)
            ) / (4 * steps[i] * steps[j])
    return np.linalg.inv(hessian)


def return_excess(model: str, sigma: float, xi: float, peaks: float) -> float:
    """The excess with exceedance probability ``1/peaks``, from scipy's inverse survival."""
    return float(scipy_dist(model).isf(1.0 / peaks, xi, scale=sigma))


def mode_excess_by_search(model: str, sigma: float, xi: float, peaks: float) -> float:
    """The argmax of the storm-maximum density ``N·f(y)·exp(−N·S(y))``, searched."""
    from scipy.optimize import minimize_scalar

    dist = scipy_dist(model)
    centre = return_excess(model, sigma, xi, peaks)

    def minus_log_density(y: float) -> float:
        return -(
            math.log(peaks)
            + float(dist.logpdf(y, xi, scale=sigma))
            - peaks * dist.sf(y, xi, scale=sigma)
        )

    found = minimize_scalar(
        minus_log_density,
        bounds=(0.2 * centre, 3.0 * centre),
        method="bounded",
        options={"xatol": 1e-10 * centre},
    )
    return float(found.x)
