"""The result-archive format: constants, column names, metadata and its validation.

One archive is one Parquet file (suffix :data:`ARCHIVE_SUFFIX`) per simulation:

* rows are log samples; column :data:`TIME_COLUMN` holds the sample times (s);
* every other column is one float64 result, named :func:`column_name`
  ``"<object>|<variable>|<point>"``, e.g. ``Riser|Effective tension|node=12``,
  ``Riser|Bend moment|end_a``, ``Vessel|X|``;
* the file's key-value metadata holds one JSON document under
  :data:`METADATA_KEY`: the model facts, the objects, where each variable is
  stored, the static-state values and the units (see :class:`ArchiveInfo` and
  ``docs/archive-format.md``).

This module imports only the standard library, so the controller can use
:func:`simulation_stem` without loading pyarrow.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from ofxpost.errors import ArchiveError

ARCHIVE_SUFFIX = ".ofx.parquet"
"""Suffix of result archives (``case_001.ofx.parquet``)."""

FORMAT_NAME = "ofxpost.archive"
"""The ``format`` value of the metadata document."""

FORMAT_VERSION = "1.0"
"""``MAJOR.MINOR`` of the format this code writes. A reader reads every archive of
its major version (minor versions only add optional keys) and refuses others."""

METADATA_KEY = b"ofxpost.archive"
"""Parquet key-value metadata key of the JSON metadata document."""

TIME_COLUMN = "time"
"""Name of the sample-time column (simulation time, s)."""

END_A = "end_a"
"""Point key of line End A."""
END_B = "end_b"
"""Point key of line End B."""
TOUCHDOWN = "touchdown"
"""Point key of a line's touchdown point."""
DEFAULT_POINT = ""
"""Point key of a result read with ``objectExtra=None`` (vessel, environment origin ...)."""

SIMULATION_SUFFIXES: tuple[str, ...] = (
    ARCHIVE_SUFFIX,
    ".parquet",
    ".sim",
    ".dat",
    ".yml",
    ".yaml",
)
"""Suffixes :func:`simulation_stem` removes (longest first, case-insensitive)."""


def simulation_stem(path: str | os.PathLike[str]) -> str:
    """The simulation name of ``path``: ``case_001`` for ``case_001.ofx.parquet``,
    ``case_001.sim``, ``case_001.parquet``, ``case_001.dat`` or ``case_001.yml``."""
    name = path.name if isinstance(path, PurePath) else Path(path).name
    lower = name.lower()
    for suffix in SIMULATION_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    dot = name.rfind(".")  # Path.stem's rule, without making a Path
    return name[:dot] if 0 < dot < len(name) - 1 else name


# ---------------------------------------------------------------------------- points


def node_point(node: int) -> str:
    """Point key of node ``node`` (1-based): ``node=12``."""
    return f"node={int(node)}"


def arc_point(arc_length: float) -> str:
    """Point key of arc length ``arc_length`` (m from End A): ``arc=123.5``."""
    return f"arc={float(arc_length)!r}"


def position_point(position: Sequence[float]) -> str:
    """Point key of a rigid-body or environment position: ``pos=0.0,0.0,-10.0``."""
    x, y, z = (float(v) for v in position)
    return f"pos={x!r},{y!r},{z!r}"


def support_point(index: int, line: str | None = None) -> str:
    """Point key of support ``index`` (1-based) of a vessel or 6D buoy: ``support=1``;
    with a supported line's name, ``support=1;line=Umbilical``."""
    key = f"support={int(index)}"
    return f"{key};line={line}" if line else key


_SUPPORT = re.compile(r"^support=(\d+)(?:;line=(.+))?$")


def point_support(point: str) -> tuple[int, str | None] | None:
    """``(index, supported line or None)`` of a ``support=<n>[;line=<name>]`` key."""
    match = _SUPPORT.match(point)
    return (int(match.group(1)), match.group(2)) if match else None


_NODE = re.compile(r"^node=(\d+)$")
_ARC = re.compile(r"^arc=(.+)$")


def point_node(point: str) -> int | None:
    """The node number of a ``node=<n>`` key, else ``None``."""
    match = _NODE.match(point)
    return int(match.group(1)) if match else None


def point_arc(point: str) -> float | None:
    """The arc length of an ``arc=<s>`` key, else ``None``."""
    match = _ARC.match(point)
    return float(match.group(1)) if match else None


def column_name(object_name: str, variable: str, point: str) -> str:
    """The Parquet column of one result: ``"<object>|<variable>|<point>"``."""
    return f"{object_name}|{variable}|{point}"


# ------------------------------------------------------------------------ numbers


def encode_float(value: float | None) -> float | str | None:
    """A float for strict JSON: ``NaN``/``Infinity``/``-Infinity`` become strings."""
    if value is None:
        return None
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def decode_float(value: Any) -> float | None:
    """Inverse of :func:`encode_float` (``None`` stays ``None``: value not available)."""
    if value is None:
        return None
    if isinstance(value, str):
        return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(value, value))
    return float(value)


def _jsonable(value: Any) -> Any:
    """Data items as strict JSON (numbers, strings, booleans, lists, dicts)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return encode_float(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_jsonable(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _jsonable(item())
    return str(value)


# -------------------------------------------------------------------------- metadata


@dataclass
class ObjectInfo:
    """One model object in an archive: identity, stored results and static values."""

    name: str
    """The object's name (``model[name]``)."""
    type_name: str
    """``typeName``, e.g. ``"Line"``, ``"Vessel"``, ``"Environment"``."""
    type: int
    """``ObjectType`` value (e.g. 6 for a line)."""
    results: dict[str, list[str]] = field(default_factory=dict)
    """Variable name -> point keys stored for it, in column order."""
    static: dict[str, list[float | None]] = field(default_factory=dict)
    """Variable name -> static-state value at each point of :attr:`results`
    (``None``: not available)."""
    units: dict[str, str] = field(default_factory=dict)
    """Variable name -> units text (e.g. ``kN``)."""
    node_arclengths: list[float] | None = None
    """Arc length of every node of a line (m from End A), stored or not."""
    section_ends: list[float] | None = None
    """Arc length at the end of each line section (for ``arSpecifiedSections``)."""
    data: dict[str, Any] = field(default_factory=dict)
    """Input data items (``obj.Length`` ...), as JSON values."""

    def columns(self) -> Iterator[tuple[str, str, str]]:
        """``(column, variable, point)`` of every stored result, in column order."""
        for variable, points in self.results.items():
            for point in points:
                yield column_name(self.name, variable, point), variable, point

    def to_json(self) -> dict[str, Any]:
        """The JSON form (see ``docs/archive-format.md``)."""
        out: dict[str, Any] = {
            "name": self.name,
            "type_name": self.type_name,
            "type": int(self.type),
            "results": {var: list(points) for var, points in self.results.items()},
            "static": {
                var: [encode_float(v) for v in values] for var, values in self.static.items()
            },
            "units": dict(self.units),
        }
        if self.node_arclengths is not None:
            out["node_arclengths"] = [float(v) for v in self.node_arclengths]
        if self.section_ends is not None:
            out["section_ends"] = [float(v) for v in self.section_ends]
        if self.data:
            out["data"] = _jsonable(self.data)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ObjectInfo:
        """Rebuild from :meth:`to_json` output."""
        results = {str(k): [str(p) for p in v] for k, v in dict(data["results"]).items()}
        static_in = dict(data.get("static", {}))
        static = {
            var: [decode_float(v) for v in static_in.get(var, [None] * len(points))]
            for var, points in results.items()
        }
        arcs = data.get("node_arclengths")
        ends = data.get("section_ends")
        return cls(
            name=str(data["name"]),
            type_name=str(data["type_name"]),
            type=int(data["type"]),
            results=results,
            static=static,
            units={str(k): str(v) for k, v in dict(data.get("units", {})).items()},
            node_arclengths=None if arcs is None else [float(v) for v in arcs],
            section_ends=None if ends is None else [float(v) for v in ends],
            data=dict(data.get("data", {})),
        )


@dataclass
class ArchiveInfo:
    """Everything an archive knows besides the sample columns."""

    state: int
    """``ModelState`` value (4 = ``SimulationStopped``)."""
    simulation_complete: bool
    """``simulationComplete``."""
    start_time: float
    """``simulationStartTime`` (s; negative: the build-up comes first)."""
    stop_time: float
    """``simulationStopTime`` (s)."""
    current_time: float
    """``simulationTimeStatus.CurrentTime`` (s)."""
    stage_durations: list[float]
    """``general.StageDuration``: build-up (stage 0) first (s)."""
    log_sample_interval: float
    """``general.ActualLogSampleInterval`` (s)."""
    objects: list[ObjectInfo] = field(default_factory=list)
    """The objects, in model order."""
    latest_wave: tuple[float, float] | None = None
    """``(from, to)`` of ``PeriodNum.LatestWave`` (s), if known."""
    source_file: str | None = None
    """Name of the simulation file the archive was exported from."""
    source_creator: str | None = None
    """Program (and version) that wrote the source file, if known."""
    creator: str = ""
    """``ofxpost <version>`` that wrote the archive (filled in by the writer)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form JSON facts (e.g. the synthetic load case); readers ignore them."""

    @property
    def state_name(self) -> str:
        """The ``ModelState`` member name (``UNDEFINED_<n>`` for unknown values)."""
        from ofxpost._ofx.fallback import ModelState

        return ModelState(self.state).name

    def object(self, name: str) -> ObjectInfo | None:
        """The object called ``name``, or ``None``."""
        for info in self.objects:
            if info.name == name:
                return info
        return None

    def columns(self) -> list[str]:
        """Every result column, in file order (:data:`TIME_COLUMN` excluded)."""
        return [col for info in self.objects for col, _var, _point in info.columns()]

    def to_json(self, sample_count: int) -> dict[str, Any]:
        """The metadata document (see ``docs/archive-format.md``)."""
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "creator": self.creator,
            "source": {"file": self.source_file, "creator": self.source_creator},
            "model": {
                "state": self.state_name,
                "state_value": int(self.state),
                "simulation_complete": bool(self.simulation_complete),
                "start_time": encode_float(self.start_time),
                "stop_time": encode_float(self.stop_time),
                "current_time": encode_float(self.current_time),
                "stage_durations": [encode_float(v) for v in self.stage_durations],
                "log_sample_interval": encode_float(self.log_sample_interval),
                "latest_wave": (
                    None
                    if self.latest_wave is None
                    else [encode_float(v) for v in self.latest_wave]
                ),
                "sample_count": int(sample_count),
            },
            "objects": [info.to_json() for info in self.objects],
            "extra": _jsonable(self.extra),
        }

    def dumps(self, sample_count: int) -> bytes:
        """The metadata document as compact, deterministic UTF-8 JSON."""
        text = json.dumps(
            self.to_json(sample_count), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
        return text.encode("utf-8")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ArchiveInfo:
        """Rebuild from the metadata document (version already checked)."""
        model = dict(data["model"])
        wave = model.get("latest_wave")
        source = dict(data.get("source") or {})

        def number(key: str) -> float:
            value = decode_float(model[key])
            if value is None:
                raise ValueError(f"model.{key} is null")
            return value

        return cls(
            state=int(model["state_value"]),
            simulation_complete=bool(model["simulation_complete"]),
            start_time=number("start_time"),
            stop_time=number("stop_time"),
            current_time=number("current_time"),
            stage_durations=[float(decode_float(v) or 0.0) for v in model["stage_durations"]],
            log_sample_interval=number("log_sample_interval"),
            latest_wave=(
                None
                if wave is None
                else (float(decode_float(wave[0]) or 0.0), float(decode_float(wave[1]) or 0.0))
            ),
            objects=[ObjectInfo.from_json(obj) for obj in data["objects"]],
            source_file=source.get("file"),
            source_creator=source.get("creator"),
            creator=str(data.get("creator", "")),
            extra=dict(data.get("extra") or {}),
        )


def parse_metadata(path: str | os.PathLike[str], raw: bytes | None) -> tuple[ArchiveInfo, int]:
    """Decode and check the metadata document of ``path``.

    :returns: the info and the ``sample_count`` it declares.
    :raises ArchiveError: no document, bad JSON, another format, an unsupported
        major version, or missing keys.
    """
    if raw is None:
        raise ArchiveError(
            path, f"not an ofxpost result archive (no '{METADATA_KEY.decode()}' metadata)"
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArchiveError(path, f"archive metadata is not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ArchiveError(path, "not an ofxpost result archive (metadata format differs)")
    version = str(data.get("format_version", ""))
    major = version.split(".", 1)[0]
    if major != FORMAT_VERSION.split(".", 1)[0]:
        raise ArchiveError(
            path,
            f"archive format version {version or '?'} is not supported by this ofxpost "
            f"(it reads {FORMAT_VERSION.split('.')[0]}.x); re-export the simulation "
            "or use a matching ofxpost",
        )
    try:
        info = ArchiveInfo.from_json(data)
        count = int(data["model"]["sample_count"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(path, f"archive metadata is incomplete ({exc!r})") from exc
    return info, count
