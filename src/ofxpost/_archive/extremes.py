"""Extreme-value statistics of stored samples, as OrcFxAPI's ``ExtremeStatistics``.

``model["Riser"].ExtremeStatistics(var, period, objectExtra)`` on an archive returns
an :class:`ExtremeStatistics` built from the stored samples; as in OrcFxAPI it is
fitted with a specification and then queried::

    extremes = riser.ExtremeStatistics("Effective tension", None, ofx.oeEndA)
    extremes.Fit(RayleighStatisticsSpecification())
    answer = extremes.Query(RayleighStatisticsQuery(StormDurationHours=3, RiskFactor=1))
    answer.MostProbableExtremeValue, answer.ExtremeValueWithRiskFactor

**Rayleigh** (numpy only) assumes a narrow-banded Gaussian process whose peaks
are Rayleigh distributed, with the sample's mean ``m``, population standard
deviation ``σ`` and mean up-crossing period ``Tz`` (Orcina's definitions, see
:mod:`ofxpost._ofx.stats`). Over a storm of ``D`` seconds there are ``N = D/Tz``
peaks and

* ``MostProbableExtremeValue = m ± σ·√(2·ln N)``;
* ``ExtremeValueWithRiskFactor`` = the value exceeded by the storm maximum with
  probability ``RiskFactor`` percent: ``m ± σ·√(−2·ln(1 − (1 − α)^(1/N)))``,
  ``α = RiskFactor/100``;

(``−`` for ``ExtremesToAnalyse = DistributionTail.Lower``). ``Sigma`` is σ; the
likelihood fields (``ReturnLevel``, ``ConfidenceInterval``, ``SigmaStdError``,
``Xi``, ``XiStdError``) are NaN.

**Weibull and GPD** (``LikelihoodStatisticsSpecification(Distribution, Threshold,
DeclusterPeriod, ExtremesToAnalyse)`` queried with ``LikelihoodStatisticsQuery(
StormDurationHours, ConfidenceLevel)``) are peaks-over-threshold maximum-likelihood
fits made with scipy, imported only when such a fit is asked for. The declustering,
the two distributions, ``ReturnLevel``, ``MostProbableExtremeValue``,
``ConfidenceInterval`` (delta method), ``Sigma``/``Xi`` and their standard errors
are defined in :mod:`ofxpost._ofx.likelihood`, which marks each detail that is
ofxpost's choice; ``ExtremeValueWithRiskFactor`` is NaN. Too few cluster peaks
(fewer than 10) or a fit that does not converge raise :class:`ofx.DLLError`
(``ExtremeStatisticsFailed``) naming the threshold. These numbers follow Orcina's
documented models and the standard method; they are checked against closed forms
and scipy's own fits, not against OrcaFlex.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ofxpost._ofx import names as ofx
from ofxpost._ofx import stats
from ofxpost._ofx.likelihood import Model

_LIKELIHOOD_FIELDS = ("ReturnLevel", "SigmaStdError", "Xi", "XiStdError")
_MODELS: dict[int, Model] = {
    ofx.ExtremeValueDistribution.Weibull: "weibull",
    ofx.ExtremeValueDistribution.GPD: "gpd",
}


def RayleighStatisticsSpecification(ExtremesToAnalyse: Any = None) -> Any:
    """The Rayleigh model's specification (``ExtremesToAnalyse``: upper tail by default)."""
    tail = ofx.DistributionTail.Upper if ExtremesToAnalyse is None else ExtremesToAnalyse
    return ofx.objectFromDict(
        {"Distribution": ofx.ExtremeValueDistribution.Rayleigh, "ExtremesToAnalyse": tail}
    )


def LikelihoodStatisticsSpecification(
    Distribution: Any, Threshold: float, DeclusterPeriod: float, ExtremesToAnalyse: Any = None
) -> Any:
    """A Weibull/GPD peaks-over-threshold specification (threshold in the variable's
    units, decluster period in seconds)."""
    tail = ofx.DistributionTail.Upper if ExtremesToAnalyse is None else ExtremesToAnalyse
    return ofx.objectFromDict(
        {
            "Distribution": Distribution,
            "Threshold": Threshold,
            "DeclusterPeriod": DeclusterPeriod,
            "ExtremesToAnalyse": tail,
        }
    )


def RayleighStatisticsQuery(StormDurationHours: float, RiskFactor: float) -> Any:
    """A Rayleigh query: storm duration (hours) and risk factor (percent)."""
    return ofx.objectFromDict({"StormDurationHours": StormDurationHours, "RiskFactor": RiskFactor})


def LikelihoodStatisticsQuery(StormDurationHours: float, ConfidenceLevel: float) -> Any:
    """A likelihood query: storm duration (hours) and confidence level (percent)."""
    return ofx.objectFromDict(
        {"StormDurationHours": StormDurationHours, "ConfidenceLevel": ConfidenceLevel}
    )


class ExtremeStatistics:
    """Extreme-value statistics of one sampled variable (OrcFxAPI's class).

    :param values: the samples.
    :param sampleInterval: their constant interval (s).
    :param where: what the samples are, for error messages.
    """

    def __init__(self, values: Any, sampleInterval: float, where: str = "samples") -> None:
        self._values = stats.as_values(values)
        self._interval = float(sampleInterval)
        self._where = where
        self._fit: dict[str, float] | None = None
        self._tail: Any = None  # a likelihood fit (ofxpost._ofx.likelihood.TailFit)
        self._lower = False

    def Fit(self, specification: Any) -> None:
        """Fit the model of ``specification`` (Rayleigh, Weibull or GPD).

        :raises ofx.DLLError: ``ExtremeStatisticsFailed`` when the samples define no Tz
            (Rayleigh), or give too few cluster peaks beyond the threshold or no
            converged fit (Weibull/GPD); an unknown distribution.
        """
        distribution = getattr(specification, "Distribution", None)
        tail = getattr(specification, "ExtremesToAnalyse", ofx.DistributionTail.Upper)
        self._lower = tail == ofx.DistributionTail.Lower
        self._fit = self._tail = None
        if distribution == ofx.ExtremeValueDistribution.Rayleigh:
            self._fit_rayleigh()
            return
        model = _MODELS.get(int(distribution)) if isinstance(distribution, int) else None
        if model is None:
            raise ofx.DLLError(
                ofx.StatusCode.ExtremeStatisticsFailed,
                f"{self._where}: unknown extreme-value distribution {distribution!r} "
                "(Rayleigh, Weibull or GPD)",
            )
        from ofxpost._ofx.likelihood import fit_tail

        period = getattr(specification, "DeclusterPeriod", None)
        try:
            self._tail = fit_tail(
                self._values,
                self._interval,
                model,
                float(specification.Threshold),
                None if period is None else float(period),
                self._lower,
                self._where,
            )
        except ValueError as exc:  # too few peaks, no converged fit
            raise ofx.DLLError(ofx.StatusCode.ExtremeStatisticsFailed, str(exc)) from exc

    def _fit_rayleigh(self) -> None:
        found = stats.time_series_statistics(self._values, self._interval)
        if not found["Tz"] > 0 or not found["StdDev"] > 0:
            raise ofx.DLLError(
                ofx.StatusCode.ExtremeStatisticsFailed,
                f"{self._where}: no Rayleigh fit: the samples have no mean up-crossing "
                "period (fewer than two up-crossings, or a constant signal)",
            )
        self._fit = {"Mean": found["Mean"], "StdDev": found["StdDev"], "Tz": found["Tz"]}

    def Query(self, query: Any) -> Any:
        """``MostProbableExtremeValue, ExtremeValueWithRiskFactor, ReturnLevel,
        ConfidenceInterval, Sigma, SigmaStdError, Xi, XiStdError`` for ``query``."""
        if self._tail is not None:
            return self._query_likelihood(query)
        if self._fit is None:
            raise ofx.DLLError(
                ofx.StatusCode.ExtremeStatisticsFailed,
                f"{self._where}: call Fit(...) before Query(...)",
            )
        hours = float(query.StormDurationHours)
        risk = float(getattr(query, "RiskFactor", math.nan))
        mean, sigma, tz = self._fit["Mean"], self._fit["StdDev"], self._fit["Tz"]
        peaks = hours * 3600.0 / tz
        sign = -1.0 if self._lower else 1.0
        mpm = mean + sign * sigma * math.sqrt(2.0 * math.log(peaks)) if peaks > 1 else math.nan
        at_risk = math.nan
        if peaks > 0 and 0.0 < risk < 100.0:
            single = 1.0 - (1.0 - risk / 100.0) ** (1.0 / peaks)
            at_risk = mean + sign * sigma * math.sqrt(-2.0 * math.log(single))
        answer: dict[str, Any] = {
            "MostProbableExtremeValue": mpm,
            "ExtremeValueWithRiskFactor": at_risk,
            "ConfidenceInterval": ofx.objectFromDict({"Lower": math.nan, "Upper": math.nan}),
            "Sigma": sigma,
        }
        answer.update({name: math.nan for name in _LIKELIHOOD_FIELDS})
        return ofx.objectFromDict(answer)

    def _query_likelihood(self, query: Any) -> Any:
        fit = self._tail
        duration = float(query.StormDurationHours) * 3600.0
        level = float(getattr(query, "ConfidenceLevel", math.nan))
        lower, upper = fit.confidence_interval(duration, level)
        return ofx.objectFromDict(
            {
                "MostProbableExtremeValue": fit.most_probable(duration),
                "ExtremeValueWithRiskFactor": math.nan,
                "ReturnLevel": fit.return_level(duration),
                "ConfidenceInterval": ofx.objectFromDict({"Lower": lower, "Upper": upper}),
                "Sigma": fit.sigma,
                "SigmaStdError": fit.sigma_std_error,
                "Xi": fit.xi,
                "XiStdError": fit.xi_std_error,
            }
        )

    @property
    def values(self) -> np.ndarray[Any, Any]:
        """The samples fitted."""
        return self._values
