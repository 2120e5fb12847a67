"""Objects of an archive model: OrcFxAPI's ``OrcaFlexObject`` and its results.

``TimeHistory``, ``StaticResult``, ``SampleTimes``, ``TimeSeriesStatistics``,
``AnalyseExtrema``, ``LinkedStatistics``, ``ExtremeStatistics`` and the methods
OrcaFlex alone can answer (they raise :class:`~ofxpost.errors.NotInArchiveError`).
Range-graph objects (lines, turbines) are in :mod:`ofxpost._archive.kinds`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ofxpost._archive.format import (
    ObjectInfo,
)
from ofxpost._archive.linked import LinkedStatistics
from ofxpost._archive.names import lookup, unknown_name_text
from ofxpost._archive.points import (
    PointRef,
    arc_positions,
    resolve_point,
)
from ofxpost._ofx import names as ofx
from ofxpost._ofx import stats
from ofxpost.errors import NotInArchiveError

FloatArray = stats.FloatArray


# --------------------------------------------------------------------------- objects


class OrcaFlexObject:
    """An object of an archived model, answering like ``OrcFxAPI.OrcaFlexObject``."""

    _model: Any
    """The :class:`~ofxpost._archive.reader.ArchiveModel` (typed ``Any``: the model
    module imports this one)."""
    _info: ObjectInfo

    def __init__(self, model: Any, info: ObjectInfo) -> None:
        self.__dict__["_model"] = model
        self.__dict__["_info"] = info

    # -- identity and data ------------------------------------------------------

    def __repr__(self) -> str:
        return f'{type(self).__name__}(type="{self.typeName}", name="{self._info.name}")'

    def __str__(self) -> str:
        return self._info.name

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OrcaFlexObject):
            return NotImplemented
        return other._model is self._model and other._info.name == self._info.name

    def __hash__(self) -> int:
        return hash((id(self._model), self._info.name))

    @property
    def typeName(self) -> str:
        """The object type's name, e.g. ``"Line"``."""
        return self._info.type_name

    @property
    def type(self) -> Any:
        """The ``ObjectType``."""
        return ofx.ObjectType(self._info.type)

    def _data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"Name": self._info.name}
        if self._info.type == int(ofx.ObjectType.General):
            model_info = self._model._info
            data["ActualLogSampleInterval"] = model_info.log_sample_interval
            data["StageDuration"] = list(model_info.stage_durations)
        data.update(self._info.data)
        return data

    def _data_name(self, name: str, data: Mapping[str, Any]) -> str | None:
        return lookup(name, data)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        data = self._data()
        found = self._data_name(name, data)
        if found is None:
            raise AttributeError(
                f"{self._info.name}: "
                + unknown_name_text("data item", name, data, f"the archive {self._model._source}")
                + "; export more with the selection's 'data:' list"
            )
        value = data[found]
        return tuple(value) if isinstance(value, list) else value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self._info.name}: archived models are read-only")

    def GetData(self, dataNames: str | Iterable[str], index: int) -> Any:
        """A data item (``index`` into an indexed item; ignored otherwise).

        Names match as in OrcaFlex (case and repeated spaces do not matter).
        """
        if not isinstance(dataNames, str):
            return [self.GetData(name, index) for name in dataNames]
        data = self._data()
        found = self._data_name(dataNames, data)
        if found is None:
            raise ofx.DLLError(
                ofx.StatusCode.InvalidDataName,
                f"{self._info.name}: "
                + unknown_name_text("data item", dataNames, data, self._model._source),
            )
        value = data[found]
        if isinstance(value, list):
            try:
                if int(index) < 0:
                    raise TypeError(index)
                return value[int(index)]
            except IndexError:
                raise ofx.DLLError(
                    ofx.StatusCode.InvalidIndex,
                    f"{self._info.name}.{found}: index {index} out of range "
                    f"(0 to {len(value) - 1})",
                ) from None
            except TypeError:
                raise ofx.DLLError(
                    ofx.StatusCode.InvalidIndex,
                    f"{self._info.name}.{found} is indexed: give an index 0 to {len(value) - 1}",
                ) from None
        return value

    def DataNameValid(self, dataName: str) -> bool:
        """Whether ``dataName`` is a data item stored in the archive."""
        return self._data_name(dataName, self._data()) is not None

    def GetDataRowCount(self, indexedDataName: str) -> int:
        """Rows of a stored indexed data item."""
        data = self._data()
        found = self._data_name(indexedDataName, data)
        value = None if found is None else data[found]
        if not isinstance(value, list):
            raise ofx.DLLError(
                ofx.StatusCode.InvalidDataName,
                f"{self._info.name}: no indexed data item '{indexedDataName}' in "
                f"{self._model._source}",
            )
        return len(value)

    # -- variables ----------------------------------------------------------------

    def _resolve(self, varName: str, objectExtra: Any) -> PointRef:
        return resolve_point(self._info, varName, objectExtra, self._model._source)

    def _resolvable(self, varName: str, objectExtra: Any) -> bool:
        try:
            self._resolve(varName, objectExtra)
        except ofx.DLLError:
            return False
        return True

    def vars(
        self, resultType: Any = ofx.ResultType.TimeHistory, objectExtra: Any = None
    ) -> tuple[str, ...]:
        """Names of the stored variables (``resultType``: ``ResultType`` value).

        With ``objectExtra``, only variables stored at that point; ``RangeGraph``:
        variables stored at nodes; ``FrequencyDomain``: none.
        """
        kind = int(resultType)
        if kind == int(ofx.ResultType.FrequencyDomain):
            return ()
        names = list(self._info.results)
        if kind == int(ofx.ResultType.RangeGraph):
            names = [n for n in names if arc_positions(self._info, self._info.results[n])]
        elif objectExtra is not None:
            names = [n for n in names if self._resolvable(n, objectExtra)]
        return tuple(names)

    def varDetails(
        self, resultType: Any = ofx.ResultType.TimeHistory, objectExtra: Any = None
    ) -> tuple[Any, ...]:
        """``VarName``, ``VarUnits`` and ``FullName`` of each of :meth:`vars`."""
        out = []
        for name in self.vars(resultType, objectExtra):
            units = self._info.units.get(name, "")
            full = f"{name} ({units})" if units else name
            out.append(ofx.objectFromDict({"VarName": name, "VarUnits": units, "FullName": full}))
        return tuple(out)

    # -- results --------------------------------------------------------------------

    def SampleCount(self, period: Any = None) -> int:
        """Number of samples in ``period``."""
        return int(self._model.SampleCount(period))

    def SampleTimes(self, period: Any = None) -> FloatArray:
        """Sample times of ``period``."""
        times: FloatArray = self._model.SampleTimes(period)
        return times

    def TimeHistory(
        self, varNames: str | Iterable[str], period: Any = None, objectExtra: Any = None
    ) -> FloatArray:
        """Values over ``period``: 1-D for one name, ``(samples, names)`` for a list."""
        single = isinstance(varNames, str)
        names = [varNames] if isinstance(varNames, str) else list(varNames)
        rows = self._model._rows(period)
        refs = [self._resolve(name, objectExtra) for name in names]
        values = self._model._values(self._info, refs, rows)
        return np.ascontiguousarray(values[:, 0]) if single else values

    def StaticResult(self, varNames: str | Iterable[str], objectExtra: Any = None) -> Any:
        """Static-state value: a float64 scalar for one name, a 1-D array for a list."""
        return self.TimeHistory(varNames, ofx.PeriodNum.StaticState, objectExtra)[0]

    def LinkedStatistics(
        self, varNames: str | Sequence[str], period: Any = None, objectExtra: Any = None
    ) -> LinkedStatistics:
        """Linked statistics of ``varNames`` over ``period`` (query with ``.Query``)."""
        return LinkedStatistics(self, varNames, period, objectExtra)

    def TimeSeriesStatistics(
        self, varName: str, period: Any = None, objectExtra: Any = None
    ) -> Any:
        """``Mean, StdDev, m0, m2, m4, Tz, Tc, Bandwidth, RMS`` (see :mod:`.stats`)."""
        values = self.TimeHistory(varName, period, objectExtra)
        interval = self._model._info.log_sample_interval
        return ofx.objectFromDict(stats.time_series_statistics(values, interval))

    def AnalyseExtrema(self, varName: str, period: Any = None, objectExtra: Any = None) -> Any:
        """``Min, Max, IndexOfMin, IndexOfMax`` over ``period``."""
        return ofx.objectFromDict(
            stats.analyse_extrema(self.TimeHistory(varName, period, objectExtra))
        )

    # -- OrcFxAPI results an archive cannot answer ---------------------------------

    def _not_stored(self, method: str, instead: str) -> NotInArchiveError:
        return NotInArchiveError(
            f"{self._info.name}: {method} is computed by OrcaFlex and is not stored in result "
            f"archives ({self._model._source}); {instead}"
        )

    def TimeHistoryCollated(
        self,
        varNames: str | Iterable[str],
        period: Any = None,
        objectExtra: Any = None,
        restartModels: Iterable[int] | None = None,
    ) -> FloatArray:
        """Not available: collated restart results (export each simulation of the chain)."""
        raise self._not_stored(
            "TimeHistoryCollated",
            "export every simulation of the restart chain and join their TimeHistory "
            "results, or run the script where OrcaFlex is installed",
        )

    def SampleTimesCollated(
        self, period: Any = None, restartModels: Iterable[int] | None = None
    ) -> FloatArray:
        """Not available: collated restart results."""
        raise self._not_stored(
            "SampleTimesCollated", "export every simulation of the restart chain and join them"
        )

    def ExtremeStatistics(self, varName: str, period: Any = None, objectExtra: Any = None) -> Any:
        """Extreme-value statistics of the stored samples (Rayleigh, Weibull, GPD; see
        :mod:`ofxpost._archive.extremes`): ``.Fit(spec)`` then ``.Query(query)``."""
        from ofxpost._archive.extremes import ExtremeStatistics

        values = self.TimeHistory(varName, period, objectExtra)
        interval = self._model._info.log_sample_interval
        where = f"{self._info.name} {varName!r} ({self._model._source})"
        return ExtremeStatistics(values, interval, where)

    def FrequencyDomainResults(self, varName: str, objectExtra: Any = None) -> Any:
        """Not available: archives hold time-domain results only."""
        raise self._not_stored("FrequencyDomainResults", "archives hold time-domain results only")

    def FrequencyDomainResultsProcess(self, varName: str, objectExtra: Any = None) -> Any:
        """Not available: archives hold time-domain results only."""
        raise self._not_stored(
            "FrequencyDomainResultsProcess", "archives hold time-domain results only"
        )

    def FrequencyDomainMPM(
        self, varName: str, stormDurationHours: float, objectExtra: Any = None
    ) -> float:
        """Not available: archives hold time-domain results only."""
        raise self._not_stored("FrequencyDomainMPM", "archives hold time-domain results only")

    def SpectralResponseRAO(self, varName: str, objectExtra: Any = None) -> Any:
        """Not available: archives hold time-domain results only."""
        raise self._not_stored("SpectralResponseRAO", "archives hold time-domain results only")

    def SpectralDensity(
        self,
        varName: str,
        period: Any = None,
        objectExtra: Any = None,
        fundamentalFrequency: float | None = None,
    ) -> Any:
        """Not available: compute it from the stored TimeHistory samples."""
        raise self._not_stored(
            "SpectralDensity",
            "compute a spectrum of the stored TimeHistory(...) samples (e.g. scipy.signal.welch "
            "with fs = 1 / general.ActualLogSampleInterval)",
        )

    def EmpiricalDistribution(
        self, varName: str, period: Any = None, objectExtra: Any = None
    ) -> Any:
        """Not available: compute it from the stored TimeHistory samples."""
        raise self._not_stored(
            "EmpiricalDistribution", "sort the stored TimeHistory(...) samples instead"
        )

    def RainflowHalfCycles(self, varName: str, period: Any = None, objectExtra: Any = None) -> Any:
        """Not available: rainflow counting is done by the OrcaFlex DLL."""
        raise self._not_stored(
            "RainflowHalfCycles",
            "count cycles of the stored TimeHistory(...) samples with a rainflow package, "
            "or run the fatigue analysis where OrcaFlex is installed",
        )

    def UnorderedRainflowHalfCycles(
        self, varName: str, period: Any = None, objectExtra: Any = None
    ) -> Any:
        """Not available: rainflow counting is done by the OrcaFlex DLL."""
        raise self._not_stored(
            "UnorderedRainflowHalfCycles",
            "count cycles of the stored TimeHistory(...) samples with a rainflow package",
        )

    def RainflowAssociatedMean(
        self, varName: str, period: Any = None, objectExtra: Any = None
    ) -> Any:
        """Not available: rainflow counting is done by the OrcaFlex DLL."""
        raise self._not_stored(
            "RainflowAssociatedMean",
            "count cycles of the stored TimeHistory(...) samples with a rainflow package",
        )

    def CycleHistogramBins(
        self,
        varName: str,
        period: Any = None,
        objectExtra: Any = None,
        binSize: float | None = None,
    ) -> Any:
        """Not available: rainflow counting is done by the OrcaFlex DLL."""
        raise self._not_stored(
            "CycleHistogramBins",
            "count cycles of the stored TimeHistory(...) samples with a rainflow package",
        )
