"""Writing result archives: the low-level :func:`write_archive` and :func:`export_model`.

:func:`export_model` reads any OrcFxAPI-like model -- ``OrcFxAPI.Model`` on a
machine with OrcaFlex, an archive, a test double -- only through the OrcFxAPI
call surface and writes one archive. Writes are atomic (a temporary file in the
target folder, then a rename) and deterministic: the same inputs give the same
bytes (with the same pyarrow version).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ofxpost._archive.format import (
    END_A,
    END_B,
    METADATA_KEY,
    TIME_COLUMN,
    TOUCHDOWN,
    ArchiveInfo,
    ObjectInfo,
    arc_point,
    column_name,
    node_point,
    position_point,
    support_point,
)
from ofxpost.errors import ArchiveError

COMPRESSION = "zstd"
"""Parquet compression codec of every column."""
COMPRESSION_LEVEL = 1
"""zstd level (fast; the float columns compress little at higher levels)."""
ROW_GROUP_BYTES = 64 * 1024 * 1024
"""Target uncompressed size of one row group."""

ColumnData = Mapping[str, Any]

MODEL_DATA: dict[str, tuple[str, ...]] = {
    "Environment": (
        "WaterDepth",
        "WaveType",
        "WaveDirection",
        "WaveHeight",
        "WavePeriod",
        "WaveHs",
        "WaveTz",
        "WaveTp",
        "WaveGamma",
        "WaveSeed",
        "RefCurrentSpeed",
        "RefCurrentDirection",
        "WindSpeed",
        "WindDirection",
    ),
    "Vessel": (
        "VesselType",
        "Draught",
        "InitialX",
        "InitialY",
        "InitialZ",
        "InitialHeading",
    ),
    "Line": ("LineType", "Length", "EndAConnection", "EndBConnection"),
}
"""Input data items exported by default, by object type name: what a summary
typically reads with ``GetData`` (sea state, current, vessel heading and draught,
line sections). Items an object lacks (``AttributeError``/``DLLError``) are
skipped; more are exported with the selection's ``data:`` list."""


def _creator() -> str:
    from ofxpost._version import __version__

    return f"ofxpost {__version__}"


def _chunks(
    data: ColumnData | Iterable[ColumnData], names: list[str], row_group_bytes: int
) -> Iterator[dict[str, np.ndarray[Any, Any]]]:
    parts: Iterable[ColumnData] = [data] if isinstance(data, Mapping) else data
    rows_per_group = max(1, row_group_bytes // (8 * len(names)))
    for part in parts:
        arrays = {name: np.asarray(part[name], dtype=np.float64).ravel() for name in names}
        length = len(arrays[TIME_COLUMN])
        for start in range(0, length, rows_per_group):
            yield {name: values[start : start + rows_per_group] for name, values in arrays.items()}


def _check_part(path: Path, part: ColumnData, names: list[str]) -> None:
    present = set(part)
    missing = [n for n in names if n not in present]
    extra = sorted(present - set(names))
    if missing or extra:
        raise ArchiveError(
            path,
            f"column data do not match the metadata (missing {missing[:5]}, unexpected "
            f"{extra[:5]})",
        )
    lengths = {len(np.asarray(part[n]).ravel()) for n in names}
    if len(lengths) > 1:
        raise ArchiveError(path, f"columns have different lengths {sorted(lengths)}")


def write_archive(
    path: str | os.PathLike[str],
    info: ArchiveInfo,
    data: ColumnData | Iterable[ColumnData],
    *,
    row_group_bytes: int = ROW_GROUP_BYTES,
) -> Path:
    """Write one archive: ``info`` (metadata) and the sample columns in ``data``.

    :param data: one mapping of column name -> 1-D values, or an iterable of
        such mappings written one after another (to write files larger than
        memory). Each mapping holds :data:`~ofxpost._archive.format.TIME_COLUMN`
        and exactly the columns of ``info`` (``ObjectInfo.columns()``).
    :param row_group_bytes: target uncompressed row-group size.
    :returns: the path written.
    :raises ArchiveError: data and metadata disagree, duplicate column names,
        sample times not increasing.
    """
    target = Path(path)
    names = [TIME_COLUMN, *info.columns()]
    if len(set(names)) != len(names):
        seen: set[str] = set()
        duplicates = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
        raise ArchiveError(target, f"duplicate column names {duplicates[:5]}")
    if not info.creator:
        info.creator = _creator()
    schema = pa.schema([pa.field(name, pa.float64(), nullable=False) for name in names])
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    last_time = -np.inf
    try:
        with pq.ParquetWriter(
            temporary,
            schema,
            compression=COMPRESSION,
            compression_level=COMPRESSION_LEVEL,
            use_dictionary=False,
            write_statistics=[TIME_COLUMN],
            store_schema=False,
            use_byte_stream_split=True,
        ) as writer:
            parts = [data] if isinstance(data, Mapping) else data
            for part in parts:
                _check_part(target, part, names)
                for chunk in _chunks(part, names, row_group_bytes):
                    times = chunk[TIME_COLUMN]
                    if times.size and (np.any(np.diff(times) <= 0) or float(times[0]) <= last_time):
                        raise ArchiveError(target, "sample times must increase")
                    if times.size:
                        last_time = float(times[-1])
                    count += int(times.size)
                    arrays = [pa.array(chunk[name], type=pa.float64()) for name in names]
                    writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            writer.add_key_value_metadata({METADATA_KEY: info.dumps(count)})
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return target


# ---------------------------------------------------------------------------- export


def _dll_error() -> type[BaseException]:
    from ofxpost._ofx import names as ofx

    return ofx.DLLError


def _try(call: Any, *args: Any) -> Any:
    """``call(*args)``, or ``None`` if OrcFxAPI refuses (``DLLError``)."""
    try:
        return call(*args)
    except _dll_error():
        return None


def _line_extras(obj: Any, selection: Any, node_count: int) -> list[tuple[str, Any]]:
    from ofxpost._ofx import names as ofx

    points: list[tuple[str, Any]] = []
    if selection.ends:
        points.append((END_A, ofx.oeEndA))
    points.extend((node_point(n), ofx.oeNodeNum(n)) for n in selection.node_numbers(node_count))
    if selection.ends:
        points.append((END_B, ofx.oeEndB))
    if selection.touchdown:
        points.append((TOUCHDOWN, ofx.oeTouchdown))
    points.extend((arc_point(s), ofx.oeArcLength(s)) for s in selection.arc_lengths)
    return points


def _other_extras(obj: Any, selection: Any) -> list[tuple[str, Any]]:
    from ofxpost._ofx import names as ofx

    points: list[tuple[str, Any]] = [("", None)]
    environment = int(obj.type) == int(ofx.ObjectType.Environment)
    for position in selection.positions:
        extra = ofx.oeEnvironment(*position) if environment else ofx.oeVessel(*position)
        points.append((position_point(position), extra))
    return points


def _support_extras(selection: Any) -> list[tuple[str, Any]]:
    from ofxpost._ofx import names as ofx

    return [
        (support_point(index, line), ofx.oeSupport(index, line))
        for index, line in selection.support_points()
    ]


def is_support_variable(variable: str) -> bool:
    """Whether ``variable`` is a support result (read at ``oeSupport`` points only)."""
    return "support" in variable.lower()


def _read_point(
    obj: Any, variables: list[str], extra: Any, period: Any, dynamic: bool
) -> dict[str, tuple[np.ndarray[Any, Any] | None, float | None]]:
    """``variable -> (time history or None, static value or None)`` at one point."""
    out: dict[str, tuple[np.ndarray[Any, Any] | None, float | None]] = {}
    histories: dict[str, np.ndarray[Any, Any]] = {}
    if dynamic:
        block = _try(obj.TimeHistory, variables, period, extra)
        if block is not None:
            array = np.asarray(block, dtype=np.float64).reshape(-1, len(variables))
            histories = {v: array[:, i].copy() for i, v in enumerate(variables)}
        else:
            for variable in variables:
                values = _try(obj.TimeHistory, variable, period, extra)
                if values is not None:
                    histories[variable] = np.asarray(values, dtype=np.float64).ravel()
    statics = _try(obj.StaticResult, variables, extra)
    static_values: dict[str, float | None] = {}
    if statics is not None:
        flat = np.asarray(statics, dtype=np.float64).ravel()
        static_values = {v: float(flat[i]) for i, v in enumerate(variables)}
    else:
        for variable in variables:
            value = _try(obj.StaticResult, variable, extra)
            static_values[variable] = None if value is None else float(value)
    for variable in variables:
        history = histories.get(variable)
        static = static_values.get(variable)
        if history is not None or (not dynamic and static is not None):
            out[variable] = (history, static)
    return out


def _units(obj: Any) -> dict[str, str]:
    details = _try(obj.varDetails) if hasattr(obj, "varDetails") else None
    if not details:
        return {}
    return {str(d.VarName): str(getattr(d, "VarUnits", "")) for d in details}


def _section_lengths(obj: Any) -> list[float] | None:
    try:
        return [float(v) for v in obj.Length]
    except (AttributeError, TypeError, ValueError, _dll_error()):
        return None


def _data_value(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and not isinstance(value, str | int | float | bool):
        value = item()
    if not isinstance(value, str | int | float | bool) and value is not None:
        value = [_data_value(v) for v in value]
    return value


def _data_items(obj: Any, names: list[str], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """``names`` (each must be readable) and then the readable ones of ``optional``."""
    from ofxpost.errors import SelectionError

    data: dict[str, Any] = {}
    for name in names:
        try:
            data[name] = _data_value(getattr(obj, name))
        except (AttributeError, TypeError, ValueError, _dll_error()) as exc:
            raise SelectionError(f"{obj}: cannot read data item '{name}' ({exc})") from exc
    for name in optional:
        if name in data:
            continue
        try:
            data[name] = _data_value(getattr(obj, name))
        except (AttributeError, TypeError, ValueError, _dll_error()):
            continue
    return data


def _export_object(
    obj: Any, selection: Any, period: Any, dynamic: bool, columns: dict[str, Any]
) -> ObjectInfo:
    from ofxpost._ofx import names as ofx

    name = str(obj.Name)
    available = list(_try(obj.vars) or ())
    if selection.variables is not None:
        unknown = [v for v in selection.variables if v not in available]
        if unknown:
            from ofxpost.errors import SelectionError

            raise SelectionError(
                f"object {name!r} has no variables {unknown}; it has: {', '.join(available)}"
            )
        available = list(selection.variables)
    info = ObjectInfo(name=name, type_name=str(obj.typeName), type=int(obj.type))
    is_line = int(obj.type) == int(ofx.ObjectType.Line)
    data_names = list(selection.data)
    if is_line:
        arcs = np.asarray(obj.NodeArclengths, dtype=np.float64)
        info.node_arclengths = [float(v) for v in arcs]
        lengths = _section_lengths(obj)
        if lengths:
            info.section_ends = [float(v) for v in np.cumsum(lengths)]
        points = _line_extras(obj, selection, len(arcs))
        if "Length" not in data_names and lengths:
            data_names.append("Length")
    else:
        points = _other_extras(obj, selection)
    supports = _support_extras(selection)
    defaults = MODEL_DATA.get(str(obj.typeName), ())
    info.data = _data_items(obj, data_names, defaults)
    units = _units(obj)
    support_vars = [v for v in available if is_support_variable(v)]
    for point, extra in [*points, *supports]:
        if point.startswith("support="):
            wanted = support_vars
        elif supports:  # support results are read at the supports only
            wanted = [v for v in available if v not in support_vars]
        else:
            wanted = available
        if not wanted:
            continue
        found = _read_point(obj, wanted, extra, period, dynamic)
        for variable in wanted:
            if variable not in found:
                continue
            history, static = found[variable]
            info.results.setdefault(variable, []).append(point)
            info.static.setdefault(variable, []).append(static)
            columns[column_name(name, variable, point)] = (
                history if history is not None else np.empty(0)
            )
    info.results = {v: info.results[v] for v in available if v in info.results}
    info.static = {v: info.static[v] for v in info.results}
    info.units = {v: units[v] for v in info.results if v in units}
    return info


def export_model(
    model: Any,
    out_path: str | os.PathLike[str],
    select: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    source_file: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``model`` (anything answering the OrcFxAPI calls) to an archive.

    :param model: an ``OrcFxAPI.Model`` (or an archive model, a test double ...).
    :param out_path: the archive to write (conventionally ``<stem>.ofx.parquet``).
    :param select: which objects/variables/points to store: a mapping or a YAML
        file in the format of :mod:`ofxpost._archive.select` (``None``: all).
    :param source_file: the simulation file's name, stored in the metadata
        (default: ``model.latestFileName`` when the model has one).
    :param extra: free-form JSON facts stored under ``extra``.
    :returns: the path written.
    :raises SelectionError: the selection names objects or variables the model lacks.
    :raises DLLError: the model cannot give its state, times or sample times.
    """
    from ofxpost._archive.select import load_selection
    from ofxpost._ofx import names as ofx
    from ofxpost.errors import SelectionError

    selection = load_selection(select)
    state = int(model.state)
    dynamic_states = {
        int(ofx.ModelState.RunningSimulation),
        int(ofx.ModelState.SimulationStopped),
        int(ofx.ModelState.SimulationStoppedUnstable),
    }
    dynamic = state in dynamic_states
    period = ofx.PeriodNum.WholeSimulation
    times = np.asarray(model.SampleTimes(period), dtype=np.float64) if dynamic else np.empty(0)
    latest = _try(model.SampleTimes, ofx.PeriodNum.LatestWave) if dynamic else None
    general = model.general
    status = model.simulationTimeStatus
    objects = list(model.objects)
    if selection.objects is not None:
        names = {str(obj.Name) for obj in objects}
        unknown = [n for n in selection.objects if n not in names]
        if unknown:
            raise SelectionError(
                f"the selection names objects the model lacks: {unknown}; "
                f"objects: {', '.join(sorted(names))}"
            )
    columns: dict[str, Any] = {TIME_COLUMN: times}
    infos: list[ObjectInfo] = []
    for obj in objects:
        chosen = selection.for_object(str(obj.Name))
        if chosen is not None:
            infos.append(_export_object(obj, chosen, period, dynamic, columns))
    info = ArchiveInfo(
        state=state,
        simulation_complete=bool(model.simulationComplete),
        start_time=float(model.simulationStartTime),
        stop_time=float(model.simulationStopTime),
        current_time=float(status.CurrentTime),
        stage_durations=[float(v) for v in general.StageDuration],
        log_sample_interval=float(general.ActualLogSampleInterval),
        objects=infos,
        latest_wave=(
            None if latest is None or len(latest) == 0 else (float(latest[0]), float(latest[-1]))
        ),
        source_file=source_file or _source_name(model),
        extra=dict(extra or {}),
    )
    return write_archive(out_path, info, columns)


def _source_name(model: Any) -> str | None:
    try:
        name = model.latestFileName
    except Exception:
        return None
    return Path(str(name)).name if name else None
