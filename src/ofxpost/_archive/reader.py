"""Reading result archives through the OrcFxAPI 11.6.3 call surface.

``model = open_archive("case_001.ofx.parquet")`` returns an :class:`ArchiveModel`
that answers the calls post-processing scripts make on ``OrcFxAPI.Model`` --
``model["Riser"].TimeHistory("Effective tension", period, ofx.oeEndA)``,
``RangeGraph``, ``LinkedStatistics``, ``StaticResult``, ``SampleTimes`` ... --
with the same names, parameter order and defaults (checked against the OrcFxAPI
wheel by ``tests/test_contract_orcfxapi.py``). Results are numpy float64 arrays
and ``_DictLookup`` bags from :mod:`ofxpost.ofx`; errors are ``ofx.DLLError``
with OrcFxAPI's status codes.

Opening reads the Parquet footer and the metadata only; each call reads just the
columns (and row groups) it needs, so memory follows what an extractor asks for.
Period and objectExtra rules: :mod:`ofxpost._archive.periods` and
:mod:`ofxpost._archive.points`; the file checks on opening:
:mod:`ofxpost._archive.opening`; objects and their results:
:mod:`ofxpost._archive.objects` (range-graph kinds: :mod:`ofxpost._archive.kinds`;
linked and extreme statistics: :mod:`ofxpost._archive.linked`,
:mod:`ofxpost._archive.extremes`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ofxpost._archive.format import (
    TIME_COLUMN,
    ArchiveInfo,
    ObjectInfo,
    column_name,
)
from ofxpost._archive.kinds import (
    OrcaFlex6DBuoyObject,
    OrcaFlexLineObject,
    OrcaFlexRangeGraphObject,
    OrcaFlexTurbineObject,
    OrcaFlexVesselObject,
    _make_object,
)
from ofxpost._archive.linked import LinkedStatistics
from ofxpost._archive.names import build_index, name_key, unknown_name_text
from ofxpost._archive.objects import OrcaFlexObject
from ofxpost._archive.opening import _archive_path, _empty_info, _is_data_file, _open_parts
from ofxpost._archive.periods import Rows, resolve_rows
from ofxpost._archive.points import (
    PointRef,
    static_value,
)
from ofxpost._ofx import names as ofx
from ofxpost._ofx import stats
from ofxpost.errors import ArchiveError, NotInArchiveError, UnknownObjectError

__all__ = [  # the object classes live in their own modules; named here too
    "ArchiveModel",
    "LinkedStatistics",
    "OrcaFlex6DBuoyObject",
    "OrcaFlexLineObject",
    "OrcaFlexObject",
    "OrcaFlexRangeGraphObject",
    "OrcaFlexTurbineObject",
    "OrcaFlexVesselObject",
    "open_archive",
]

FloatArray = stats.FloatArray


def open_archive(path: str | os.PathLike[str] | BinaryIO) -> ArchiveModel:
    """Open a result archive and check it cheaply (magic, footer, metadata, columns).

    :param path: the archive file, or a binary file object (``name`` is used in
        messages).
    :raises ArchiveError: the file is missing, empty, not Parquet, truncated,
        corrupt, not an ofxpost archive or of an unsupported format version; the
        message names the file.
    """
    model = ArchiveModel()
    model._set(*_open_parts(path))
    return model


# ---------------------------------------------------------------------------- model


_FLOAT64 = pa.float64()


def float_values(column: pa.ChunkedArray) -> FloatArray:
    """The values of a float64 ``column`` as a numpy array (read-only views when it
    has one chunk).

    pyarrow's own ``to_numpy`` goes through its pandas conversion, which imports
    pandas (~0.25 s and ~40 MB) into every worker that reads an archive; a float64
    chunk without nulls -- what the writer makes -- is its data buffer as it is.
    Other chunks (nulls, another type: an archive written by another tool) take
    pyarrow's conversion, nulls becoming NaN.
    """
    parts: list[FloatArray] = []
    for chunk in column.chunks:
        if chunk.type == _FLOAT64 and chunk.null_count == 0:
            data = chunk.buffers()[1]
            parts.append(
                np.frombuffer(data, dtype=np.float64, count=len(chunk), offset=chunk.offset * 8)
                if data is not None
                else np.empty(0, dtype=np.float64)
            )
        else:
            parts.append(np.asarray(chunk.to_numpy(zero_copy_only=False), dtype=np.float64))
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)


class ArchiveModel(Mapping[str, "OrcaFlexObject"]):
    """A simulation read from a result archive, answering like ``OrcFxAPI.Model``.

    Made like an ``OrcFxAPI.Model``: ``Model()`` then ``LoadSimulation(path)``,
    or ``Model(path)`` (this class is also ``ofxpost._archive.Model``, and
    ``ofxpost.ofx.Model`` where OrcFxAPI does not import); or by
    :func:`open_archive`. A ``Mapping`` of object name to object:
    ``model[name]`` (a ``KeyError`` listing the nearest names for an unknown
    name), ``name in model``, ``len(model)``, iteration over names. Names match
    as in OrcaFlex: case and repeated spaces do not matter (:mod:`.names`).
    Close it with :meth:`close` (or use it as a context manager) to release the
    file at once; otherwise it is released when the model is collected.

    :param filename: an archive to load (``LoadSimulation``); a ``.dat``/``.yml``
        data file raises :class:`NotInArchiveError` (``LoadData``).
    :param threadCount: accepted for OrcFxAPI compatibility (reading uses one thread).
    :param handle: must be ``None``: archive models have no DLL handle.
    """

    def __init__(
        self,
        filename: str | os.PathLike[str] | None = None,
        threadCount: int | None = None,
        handle: Any = None,
    ) -> None:
        if handle:
            raise TypeError("an archive model has no OrcaFlex DLL handle: pass handle=None")
        self._parquet: pq.ParquetFile | None = None
        self._thread_count = 1 if threadCount is None else int(threadCount)
        self._set(None, _empty_info(), "<no simulation loaded>")
        if filename is not None:
            if _is_data_file(filename):
                self.LoadData(filename)
            else:
                self.LoadSimulation(filename)

    def _set(self, parquet: pq.ParquetFile | None, info: ArchiveInfo, display: str) -> None:
        self._parquet = parquet
        self._info = info
        self._display = display
        self._source = Path(display).name
        self._times: FloatArray | None = None
        self._objects = {obj.name: obj for obj in info.objects}
        self._index = build_index(self._objects)
        sizes: list[int] = []
        if parquet is not None:
            metadata = parquet.metadata
            sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        self._group_starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        self.general = self._special(int(ofx.ObjectType.General), "General")
        """The General object (``ActualLogSampleInterval``, ``StageDuration`` ...)."""
        self.environment = self._special(int(ofx.ObjectType.Environment), "Environment")
        """The Environment object."""

    # -- loading (OrcFxAPI's names) ---------------------------------------------

    def LoadSimulation(self, filename: str | os.PathLike[str]) -> None:
        """Load a result archive (``<stem>.ofx.parquet``).

        Given an OrcaFlex simulation file (``case.sim``) that is not an archive,
        the archive exported from it beside it (``case.ofx.parquet``) is loaded
        when it exists; otherwise :class:`ArchiveError` says to export it.
        """
        path = _archive_path(Path(filename))
        parquet, info, display = _open_parts(path)
        self.close()
        self._set(parquet, info, display)

    def LoadData(self, filename: str | os.PathLike[str]) -> None:
        """Not available: archives hold results, not OrcaFlex model data files."""
        raise NotInArchiveError(
            f"LoadData({str(filename)!r}): OrcaFlex data files (.dat/.yml) need OrcaFlex; "
            "archives hold simulation results. Run the simulation where OrcaFlex is "
            "installed, export it with 'ofxpost export', then LoadSimulation the archive"
        )

    def _needs_orcaflex(self, method: str, instead: str) -> NotInArchiveError:
        return NotInArchiveError(
            f"{method}: an archive model holds exported results only ({self._source}); {instead}"
        )

    def SaveSimulation(self, filename: str | os.PathLike[str]) -> None:
        """Not available: archives are read-only (copy the archive file instead)."""
        raise self._needs_orcaflex("SaveSimulation", "copy the .ofx.parquet file instead")

    def SaveData(self, filename: str | os.PathLike[str]) -> None:
        """Not available: archives hold no model data file."""
        raise self._needs_orcaflex("SaveData", "save data files where OrcaFlex is installed")

    def CalculateStatics(self) -> None:
        """Not available: archives hold results; calculations need OrcaFlex."""
        raise self._needs_orcaflex(
            "CalculateStatics", "run calculations where OrcaFlex is installed"
        )

    def RunSimulation(
        self,
        enableAutoSave: bool | None = False,
        autoSaveIntervalMinutes: int | None = 60,
        autoSaveFileName: str | None = None,
    ) -> None:
        """Not available: archives hold results; simulations need OrcaFlex."""
        raise self._needs_orcaflex("RunSimulation", "run simulations where OrcaFlex is installed")

    def SampleTimesCollated(
        self, period: Any = None, restartModels: Iterable[int] | None = None
    ) -> FloatArray:
        """Not available: collated restart results (export each simulation of the chain)."""
        raise self._needs_orcaflex(
            "SampleTimesCollated", "export every simulation of the restart chain and join them"
        )

    # -- mapping --------------------------------------------------------------

    def _canonical(self, name: object) -> str | None:
        if isinstance(name, str):
            if name in self._objects:
                return name
            return self._index.get(name_key(name))
        return None

    def __getitem__(self, name: str) -> OrcaFlexObject:
        found = self._canonical(name)
        if found is None:
            where = self._source if self._parquet is not None else "this model (nothing loaded)"
            raise UnknownObjectError(
                name, unknown_name_text("object", str(name), self._objects, where)
            )
        return _make_object(self, self._objects[found])

    def __iter__(self) -> Iterator[str]:
        return iter(self._objects)

    def __len__(self) -> int:
        return len(self._objects)

    def __contains__(self, name: object) -> bool:
        return self._canonical(name) is not None

    def __repr__(self) -> str:
        return f"ArchiveModel({self._display!r})"

    @property
    def objects(self) -> tuple[OrcaFlexObject, ...]:
        """Every object, in model order."""
        return tuple(self.values())

    def _special(self, kind: int, name: str) -> OrcaFlexObject:
        for info in self._info.objects:
            if info.type == kind:
                return _make_object(self, info)
        return _make_object(self, ObjectInfo(name=name, type_name=name, type=kind))

    # -- lifetime -------------------------------------------------------------

    def close(self) -> None:
        """Release the archive file (further result calls fail)."""
        if self._parquet is not None:
            self._parquet.close()

    def __enter__(self) -> ArchiveModel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- facts ----------------------------------------------------------------

    @property
    def archiveInfo(self) -> ArchiveInfo:
        """The archive's metadata (not an OrcFxAPI name)."""
        return self._info

    @property
    def latestFileName(self) -> str:
        """The archive file's path."""
        return self._display

    @property
    def state(self) -> Any:
        """``ModelState`` of the exported simulation."""
        return ofx.ModelState(self._info.state)

    @property
    def simulationComplete(self) -> bool:
        """Whether the simulation ran to its stop time."""
        return bool(self._info.simulation_complete)

    @property
    def simulationStartTime(self) -> float:
        """Start time (s; negative when the build-up comes first)."""
        return float(self._info.start_time)

    @property
    def simulationStopTime(self) -> float:
        """Stop time (s) the simulation was set to run to."""
        return float(self._info.stop_time)

    @property
    def simulationTimeToGo(self) -> float:
        """Stop time minus current time (s)."""
        return max(0.0, self._info.stop_time - self._info.current_time)

    @property
    def simulationTimeStatus(self) -> Any:
        """``StartTime``, ``StopTime`` and ``CurrentTime``."""
        from ofxpost._ofx.fallback import SimulationTimeStatus

        info = self._info
        return SimulationTimeStatus(info.start_time, info.stop_time, info.current_time)

    @property
    def type(self) -> Any:
        """``ModelType.Standard``."""
        return ofx.ModelType.Standard

    @property
    def isTimeDomainDynamics(self) -> bool:
        """Whether the archive holds time-domain dynamic results."""
        return self._parquet is not None and int(self._parquet.metadata.num_rows) > 0

    @property
    def isFrequencyDomainDynamics(self) -> bool:
        """Always ``False``: archives hold time-domain results."""
        return False

    @property
    def warnings(self) -> tuple[str, ...]:
        """No warnings are stored."""
        return ()

    @property
    def threadCount(self) -> int:
        """The thread count asked for (reading an archive uses one thread)."""
        return self._thread_count

    @threadCount.setter
    def threadCount(self, value: int) -> None:
        self._thread_count = int(value)

    # -- samples ----------------------------------------------------------------

    def _sample_times(self) -> FloatArray:
        if self._times is None:
            table = self._read_table([TIME_COLUMN], None)
            self._times = stats.as_values(float_values(table.column(0)))
        return self._times

    def _rows(self, period: Any) -> Rows:
        return resolve_rows(period, self._info, self._sample_times())

    def SampleTimes(self, period: Any = None) -> FloatArray:
        """Sample times of ``period`` (the static state: ``[simulationStartTime]``)."""
        rows = self._rows(period)
        if rows.static:
            return np.array([self._info.start_time], dtype=np.float64)
        return self._sample_times()[rows.start : rows.stop].copy()

    def SampleCount(self, period: Any = None) -> int:
        """Number of samples in ``period``."""
        return self._rows(period).count

    # -- column reads -----------------------------------------------------------

    def _read_table(self, columns: Sequence[str], rows: Rows | None) -> pa.Table:
        if self._parquet is None:
            raise ofx.DLLError(
                ofx.StatusCode.InvalidModelState,
                "no simulation is loaded: call LoadSimulation(path) first",
            )
        try:
            if rows is None:
                return self._parquet.read(columns=list(columns), use_threads=False)
            groups = self._groups(rows)
            return self._parquet.read_row_groups(groups, columns=list(columns), use_threads=False)
        except (pa.ArrowException, OSError) as exc:
            raise ArchiveError(self._display, f"corrupt data ({exc})") from exc

    def _groups(self, rows: Rows) -> list[int]:
        starts = self._group_starts
        first = int(np.searchsorted(starts, rows.start, side="right")) - 1
        last = int(np.searchsorted(starts, max(rows.stop, rows.start + 1), side="left"))
        return list(range(max(first, 0), min(last, len(starts) - 1)))

    def _read(self, columns: Sequence[str], rows: Rows) -> FloatArray:
        """Rows ``rows`` of ``columns``, as a ``(samples, columns)`` array."""
        unique = list(dict.fromkeys(columns))
        if rows.stop <= rows.start:
            return np.empty((0, len(columns)), dtype=np.float64)
        table = self._read_table(unique, rows)
        offset = int(self._group_starts[self._groups(rows)[0]])
        block = np.empty((rows.stop - rows.start, len(unique)), dtype=np.float64)
        for index in range(len(unique)):
            values = float_values(table.column(index))
            block[:, index] = values[rows.start - offset : rows.stop - offset]
        if len(unique) == len(columns):
            return block
        where = {name: i for i, name in enumerate(unique)}
        return block[:, [where[c] for c in columns]]

    def _values(self, info: ObjectInfo, refs: Sequence[PointRef], rows: Rows) -> FloatArray:
        """``(samples, len(refs))`` values of ``refs`` over ``rows``."""
        if rows.static:
            out = np.empty((1, len(refs)), dtype=np.float64)
            for i, ref in enumerate(refs):
                value = static_value(info, ref)
                if value is None:
                    raise ofx.DLLError(
                        ofx.StatusCode.ValueNotAvailable,
                        f"{info.name}: no static value of '{ref.variable}' at {ref.label} "
                        f"in {self._source}",
                    )
                out[0, i] = value
            return out
        columns = [column_name(info.name, ref.variable, p) for ref in refs for p in ref.points]
        block = self._read(columns, rows)
        out = np.empty((block.shape[0], len(refs)), dtype=np.float64)
        position = 0
        for i, ref in enumerate(refs):
            width = len(ref.points)
            weights = np.asarray(ref.weights, dtype=np.float64)
            if width == 1:
                out[:, i] = block[:, position]
            else:
                out[:, i] = block[:, position : position + width] @ weights
            position += width
        return out
