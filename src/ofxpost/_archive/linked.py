"""Linked statistics of an archive object, as OrcFxAPI's ``LinkedStatistics``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ofxpost._archive.names import lookup
from ofxpost._archive.points import (
    check_variable,
)
from ofxpost._ofx import names as ofx
from ofxpost._ofx import stats

FloatArray = stats.FloatArray


# ------------------------------------------------------------------ linked statistics


class LinkedStatistics:
    """Linked statistics of several variables over one period, as OrcFxAPI's.

    Unlike OrcFxAPI (which iterates a bare string character by character), a
    single name is taken as a one-name list.
    """

    def __init__(
        self,
        object: Any,
        varNames: str | Sequence[str],
        period: Any = None,
        objectExtra: Any = None,
    ) -> None:
        asked = [varNames] if isinstance(varNames, str) else list(varNames)
        source = object._model._source
        names = [check_variable(object._info, name, source) for name in asked]
        self._object = object
        self._names = names
        self._times = object.SampleTimes(period)
        self._values = object.TimeHistory(names, period, objectExtra)
        self._interval = object._model._info.log_sample_interval

    def _column(self, varName: str) -> FloatArray:
        found = lookup(varName, self._names)
        if found is None:
            raise ofx.DLLError(
                ofx.StatusCode.InvalidVars,
                f"'{varName}' is not one of the linked variables {self._names}",
            )
        return np.ascontiguousarray(self._values[:, self._names.index(found)])

    def Query(self, varName: str, linkedVarName: str) -> Any:
        """``StdDev, Mean, TimeOfMax, ValueAtMax, LinkedValueAtMax, TimeOfMin,
        ValueAtMin, LinkedValueAtMin`` of ``varName`` linked to ``linkedVarName``."""
        primary = self._column(varName)
        linked = self._column(linkedVarName)
        return ofx.objectFromDict(stats.linked_query(self._times, primary, linked))

    def TimeSeriesStatistics(self, varName: str) -> Any:
        """Time-series statistics of one of the variables."""
        values = self._column(varName)
        return ofx.objectFromDict(stats.time_series_statistics(values, self._interval))
