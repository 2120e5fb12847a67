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
:mod:`ofxpost._archive.points`.
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
    ARCHIVE_SUFFIX,
    METADATA_KEY,
    TIME_COLUMN,
    ArchiveInfo,
    ObjectInfo,
    column_name,
    parse_metadata,
    simulation_stem,
)
from ofxpost._archive.names import build_index, lookup, name_key, unknown_name_text
from ofxpost._archive.periods import Rows, resolve_rows
from ofxpost._archive.points import (
    PointRef,
    arc_positions,
    check_radial,
    check_variable,
    resolve_point,
    static_value,
)
from ofxpost._core.printable import shown
from ofxpost._ofx import names as ofx
from ofxpost._ofx import stats
from ofxpost.errors import ArchiveError, NotInArchiveError, UnknownObjectError

FloatArray = stats.FloatArray
PARQUET_MAGIC = b"PAR1"


# ----------------------------------------------------------------------------- open


def _check_magic(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise ArchiveError(path, "no such file") from exc
    except OSError as exc:
        raise ArchiveError(path, f"cannot read the file ({exc})") from exc
    if size == 0:
        raise ArchiveError(path, "the file is empty (0 bytes)")
    if size < 12:
        raise ArchiveError(path, f"not a Parquet result archive ({size} bytes)")
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(-4, os.SEEK_END)
        tail = handle.read(4)
    if head != PARQUET_MAGIC:
        raise ArchiveError(path, "not a Parquet result archive (no 'PAR1' magic)")
    if tail != PARQUET_MAGIC:
        raise ArchiveError(path, "the file is truncated or still being written (no Parquet footer)")


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


class _OwnedParquetFile(pq.ParquetFile):  # type: ignore[misc]
    """A ParquetFile over a Python file object that ofxpost opened: closing it closes
    the file too."""

    def close(self, force: bool = False) -> None:
        super().close(force=True)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _open_parts(path: str | os.PathLike[str] | BinaryIO) -> tuple[pq.ParquetFile, ArchiveInfo, str]:
    if isinstance(path, str | os.PathLike):
        file_path = Path(path)
        _check_magic(file_path)
        source: Any = str(file_path)
        display = shown(str(file_path))
        if not _utf8(source):
            # A POSIX name that is not UTF-8 (held as lone surrogates): Arrow takes
            # only UTF-8 paths, so the file is opened here and handed over open.
            try:
                handle = pa.PythonFile(file_path.open("rb"), mode="r")
                parquet = _OwnedParquetFile(handle, memory_map=False)
            except (pa.ArrowException, OSError, ValueError) as exc:
                raise ArchiveError(display, f"corrupt Parquet file ({exc})") from exc
            return _checked(parquet, display)
    else:
        source = path
        display = str(getattr(path, "name", "<archive stream>"))
    try:
        parquet = pq.ParquetFile(source, memory_map=False)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ArchiveError(display, f"corrupt Parquet file ({exc})") from exc
    return _checked(parquet, display)


def _checked(parquet: pq.ParquetFile, display: str) -> tuple[pq.ParquetFile, ArchiveInfo, str]:
    """Check an opened archive's metadata and columns (closing it when they fail)."""
    try:
        raw = (parquet.metadata.metadata or {}).get(METADATA_KEY)
        info, count = parse_metadata(display, raw)
        _check_columns(display, parquet, info, count)
    except BaseException:
        parquet.close()
        raise
    return parquet, info, display


DATA_SUFFIXES: tuple[str, ...] = (".dat", ".yml", ".yaml")
"""OrcaFlex data-file suffixes (``Model(filename)`` calls ``LoadData`` for these)."""


def _is_data_file(filename: str | os.PathLike[str]) -> bool:
    return Path(filename).suffix.lower() in DATA_SUFFIXES


def _archive_path(path: Path) -> Path:
    """``path``, or the archive exported from it when ``path`` is an OrcaFlex file."""
    if path.name.lower().endswith(ARCHIVE_SUFFIX) or path.suffix.lower() == ".parquet":
        return path
    if path.suffix.lower() == ".sim":
        exported = path.with_name(simulation_stem(path) + ARCHIVE_SUFFIX)
        if exported.is_file() and not _is_parquet(path):
            return exported
        if not path.exists():
            raise ArchiveError(path, f"no such file (and no exported archive {exported.name})")
        if not _is_parquet(path):
            raise ArchiveError(
                path,
                "an OrcaFlex simulation file, not a result archive: OrcaFlex is needed to "
                f"read it; export it with 'ofxpost export {path.name} --out DIR' where "
                f"OrcaFlex is installed (no {exported.name} beside it)",
            )
    return path


def _is_parquet(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == PARQUET_MAGIC
    except OSError:
        return False


def _empty_info() -> ArchiveInfo:
    """The facts of a model with nothing loaded (state ``Reset``)."""
    return ArchiveInfo(
        state=int(ofx.ModelState.Reset),
        simulation_complete=False,
        start_time=0.0,
        stop_time=0.0,
        current_time=0.0,
        stage_durations=[],
        log_sample_interval=0.0,
    )


def _check_columns(display: str, parquet: pq.ParquetFile, info: ArchiveInfo, count: int) -> None:
    schema = parquet.schema_arrow
    names = set(schema.names)
    missing = [c for c in [TIME_COLUMN, *info.columns()] if c not in names]
    if missing:
        listed = ", ".join(repr(c) for c in missing[:5])
        raise ArchiveError(
            display, f"archive is corrupt: {len(missing)} declared columns missing ({listed})"
        )
    if schema.field(TIME_COLUMN).type != pa.float64():
        raise ArchiveError(display, "archive is corrupt: the time column is not float64")
    rows = parquet.metadata.num_rows
    if rows != count:
        raise ArchiveError(
            display, f"archive is corrupt: metadata declares {count} samples, file holds {rows}"
        )


# ---------------------------------------------------------------------------- model


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
            self._times = stats.as_values(table.column(0).to_numpy())
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
            values = table.column(index).to_numpy()
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


# --------------------------------------------------------------------------- objects


class OrcaFlexObject:
    """An object of an archived model, answering like ``OrcFxAPI.OrcaFlexObject``."""

    _model: ArchiveModel
    _info: ObjectInfo

    def __init__(self, model: ArchiveModel, info: ObjectInfo) -> None:
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
        return self._model.SampleCount(period)

    def SampleTimes(self, period: Any = None) -> FloatArray:
        """Sample times of ``period``."""
        return self._model.SampleTimes(period)

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
        """Extreme-value statistics of the stored samples (Rayleigh; see
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


class OrcaFlexRangeGraphObject(OrcaFlexObject):
    """An object with range graphs (lines, turbines)."""

    def _range_points(
        self, varName: str, objectExtra: Any, arclengthRange: Any
    ) -> tuple[FloatArray, list[PointRef]]:
        info = self._info
        source = self._model._source
        varName = check_variable(info, varName, source)
        check_radial(info, varName, objectExtra, source)
        positions = [
            (arc, point)
            for arc, point in arc_positions(info, info.results[varName])
            if point.startswith("node=")
        ]
        if not positions:
            raise ofx.DLLError(
                ofx.StatusCode.RangeGraphError,
                f"{info.name}: '{varName}' is not stored at any node in {source}",
            )
        low, high = _arclength_limits(info, arclengthRange, source)
        tolerance = 1e-9 * max(1.0, abs(positions[-1][0]))
        chosen = [(a, p) for a, p in positions if low - tolerance <= a <= high + tolerance]
        if not chosen:
            raise ofx.DLLError(
                ofx.StatusCode.InvalidArclengthRange,
                f"{info.name}: no stored node of '{varName}' between arc lengths {low:g} and "
                f"{high:g} in {source} (stored nodes span {positions[0][0]:g} to "
                f"{positions[-1][0]:g})",
            )
        x = np.array([a for a, _p in chosen], dtype=np.float64)
        refs = [PointRef(varName, (p,), (1.0,), p) for _a, p in chosen]
        return x, refs

    def RangeGraphXaxis(
        self, varName: str, arclengthRange: Any = None, period: Any = None
    ) -> FloatArray:
        """Arc lengths (m) of the stored nodes the range graph of ``varName`` covers."""
        x, _refs = self._range_points(varName, None, arclengthRange)
        return x

    def RangeGraph(
        self,
        varName: str,
        period: Any = None,
        objectExtra: Any = None,
        arclengthRange: Any = None,
        stormDurationHours: float | None = None,
    ) -> Any:
        """``X, Min, Max, Mean, StdDev, Upper, Lower`` over the stored nodes.

        ``X`` is the node arc lengths; ``Upper``/``Lower`` (limit curves, which
        archives do not store) are ``None``, as OrcFxAPI gives for curves that
        are not available.
        """
        x, refs = self._range_points(varName, objectExtra, arclengthRange)
        rows = self._model._rows(period)
        block = self._model._values(self._info, refs, rows)
        curves = stats.range_statistics(block)
        if rows.static:
            curves["StdDev"] = np.zeros_like(x)
        return ofx.objectFromDict({"X": x, **curves, "Upper": None, "Lower": None})

    def RangeGraphCollated(
        self,
        varName: str,
        period: Any = None,
        objectExtra: Any = None,
        arclengthRange: Any = None,
        restartModels: Iterable[int] | None = None,
    ) -> Any:
        """Not available: collated restart results (export each simulation of the chain)."""
        raise self._not_stored(
            "RangeGraphCollated",
            "export every simulation of the restart chain and combine their RangeGraph results",
        )


def _arclength_limits(info: ObjectInfo, arclengthRange: Any, source: str) -> tuple[float, float]:
    arcs = info.node_arclengths or [0.0]
    whole = (float(min(arcs)), float(max(arcs)))
    if arclengthRange is None:
        return whole
    mode = int(getattr(arclengthRange, "Mode", 0))
    modes = ofx.ArclengthRangeMode
    if mode == int(modes.EntireRange):
        return whole
    if mode == int(modes.SpecifiedArclengths):
        low = float(arclengthRange.FromArclength)
        high = float(arclengthRange.ToArclength)
        if low > high:
            raise ofx.DLLError(
                ofx.StatusCode.InvalidArclengthRange,
                f"{info.name}: arc-length range {low:g} to {high:g} runs backwards",
            )
        return low, high
    if mode == int(modes.SpecifiedSections):
        ends = info.section_ends or []
        first, last = int(arclengthRange.FromSection), int(arclengthRange.ToSection)
        if not ends or not 1 <= first <= last <= len(ends):
            raise ofx.DLLError(
                ofx.StatusCode.InvalidArclengthRange,
                f"{info.name}: sections {first} to {last} do not exist in {source} "
                f"({len(ends)} sections stored)",
            )
        return (0.0 if first == 1 else float(ends[first - 2])), float(ends[last - 1])
    raise ofx.DLLError(ofx.StatusCode.InvalidArclengthRange, f"unknown arc-length mode {mode}")


class OrcaFlexLineObject(OrcaFlexRangeGraphObject):
    """A line: range graphs, node arc lengths."""

    @property
    def NodeArclengths(self) -> FloatArray:
        """Arc length (m from End A) of every node."""
        return np.asarray(self._info.node_arclengths or [], dtype=np.float64)

    def NearestNodeArclength(self, targetArclength: float) -> float:
        """Arc length of the node nearest ``targetArclength``."""
        arcs = self.NodeArclengths
        if arcs.size == 0:
            raise ofx.DLLError(ofx.StatusCode.NoSuchNodeNum, f"{self._info.name} has no nodes")
        return float(arcs[int(np.argmin(np.abs(arcs - float(targetArclength))))])


class OrcaFlexTurbineObject(OrcaFlexRangeGraphObject):
    """A turbine (range graphs only)."""


class OrcaFlexVesselObject(OrcaFlexObject):
    """A vessel."""


class OrcaFlex6DBuoyObject(OrcaFlexObject):
    """A 6D buoy."""


def _make_object(model: ArchiveModel, info: ObjectInfo) -> OrcaFlexObject:
    kinds = ofx.ObjectType
    cls: type[OrcaFlexObject]
    if info.type == int(kinds.Line):
        cls = OrcaFlexLineObject
    elif info.type == int(kinds.Turbine):
        cls = OrcaFlexTurbineObject
    elif info.node_arclengths is not None:
        cls = OrcaFlexRangeGraphObject
    elif info.type == int(kinds.Vessel):
        cls = OrcaFlexVesselObject
    elif info.type == int(kinds.Buoy6D):
        cls = OrcaFlex6DBuoyObject
    else:
        cls = OrcaFlexObject
    return cls(model, info)


# ------------------------------------------------------------------ linked statistics


class LinkedStatistics:
    """Linked statistics of several variables over one period, as OrcFxAPI's.

    Unlike OrcFxAPI (which iterates a bare string character by character), a
    single name is taken as a one-name list.
    """

    def __init__(
        self,
        object: OrcaFlexObject,
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
