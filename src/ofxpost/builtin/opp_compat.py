"""Translate a digitalmodel ``opp`` (OrcaFlex post-process) config to the native layout.

:func:`translate_opp_config` is called by :mod:`ofxpost.opp_detect` when a config
file is in the opp layout, and by ``ofxpost migrate``. It never changes its input:
master defaults are merged into fresh deep copies, one per column.

The translation fixes opp's bugs where they change results (see
``docs/migrating-from-opp.md``): ``ArcLength: [a, b]`` is an arc-length *range*
(opp passed ``b`` as a radial position), an integer ``SimulationPeriod`` is a stage
(the newest opp ignored it), every ``RangeGraph`` ``AdditionalData`` curve is kept
(opp overwrote one column), statistics rows are never duplicated (they live in
their own tables), a ``null`` period end is each file's own stop time, and the
load matrix (files, run status, start/stop times) is saved.

Keys that would change results but have no native equivalent (``transform``,
``SupportIndex`` ...) raise :class:`~ofxpost.errors.ConfigError` naming the key;
legacy keys that never affected opp's post-processing output (``visualization``,
``RAOs``, ``cummulative_histograms``, ``meta``, ``Analysis``, ``parameters`` ...)
are dropped.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ofxpost.builtin.naming import safe_name
from ofxpost.errors import ConfigError

FEATURES: tuple[str, ...] = ("summary", "linked_statistics", "RangeGraph", "time_series")
"""The opp post-processing features ofxpost translates."""

IGNORED_TOP_LEVEL: frozenset[str] = frozenset(
    {
        "meta",
        "Analysis",
        "basename",
        "default",
        "visualization",
        "visualization_settings",
        "RAOs",
        "RAO_settings",
        "parameters",
        "RangeGraph_settings",
        "cummulative_histograms",
        "cumulative_histograms",
        "rain_flow",
        "Files",
    }
)
"""Top-level opp keys dropped: they never changed opp's post-processing tables."""

NATIVE_KEYS: frozenset[str] = frozenset(
    {"inputs", "output_dir", "plugins", "outputs", "load_matrix", "excel"}
)
"""Native keys an opp config may also carry; they are kept (and win)."""

HANDLED_TOP_LEVEL: frozenset[str] = frozenset(
    {
        "orcaflex",
        "summary_settings",
        "summary_settings_master",
        "linked_statistics_settings",
        "linked_statistics_settings_master",
        "time_series_settings",
        "time_series_settings_master",
        "RangeGraph",
        "file_management",
        "parallel_processing",
    }
)

POSTPROCESS_KEYS: dict[str, frozenset[str] | None] = {
    "summary": frozenset({"flag", "csv_decimal", "statistics"}),
    "linked_statistics": frozenset({"flag", "csv_decimal"}),
    "RangeGraph": frozenset({"flag"}),
    "time_series": frozenset({"flag", "csv_decimal"}),
    # dead or unrelated features in opp: accepted and dropped whatever they hold
    "visualization": None,
    "RAOs": None,
    "cummulative_histograms": None,
    "cumulative_histograms": None,
    "rain_flow": None,
}

SUMMARY_STATISTICS = {"Minimum": "min", "Maximum": "max", "Mean": "mean", "StdDev": "std"}

LEGACY_SUMMARY_KEYS = frozenset(
    {
        "SummaryFileName",
        "AddMeanToSummary",
        "AddMinimumToSummary",
        "AddMaximumToSummary",
        "inject_into",
    }
)

COMMANDS = {
    "rangegraph": "range_graph",
    "timehistory": "time_history",
    "staticresult": "static_result",
    "getdata": "data",
}

STATISTICS = {
    "max": "max",
    "min": "min",
    "mean": "mean",
    "std": "std",
    "stddev": "std",
    "absmax": "abs_max",
    "rms": "rms",
}

CURVES = {"max": "max", "min": "min", "mean": "mean", "stddev": "std_dev", "std": "std_dev"}

PERIODS = {
    "wholesimulation": "whole_simulation",
    "staticstate": "static_state",
    "latestwave": "latest_wave",
}

POINTS = {"enda": "end_a", "endb": "end_b", "touchdown": "touchdown"}

RADIAL = {"inner": "inner", "outer": "outer", "mid": "mid", "0": "inner", "1": "outer"}

POINT_KEYS = frozenset({"objectExtra", "ArcLength", "Position", "RadialPos", "Theta"})
SUMMARY_COLUMN_KEYS = frozenset(
    {"Command", "ObjectName", "Variable", "Statistic_Type", "SimulationPeriod", "Label"}
    | {"ObjectType"}
    | POINT_KEYS
)
LINKED_COLUMN_KEYS = frozenset(
    {"ObjectName", "Variable", "SimulationPeriod", "Label", "ObjectType", "Command"} | POINT_KEYS
)
SERIES_COLUMN_KEYS = LINKED_COLUMN_KEYS
RANGE_GRAPH_KEYS = frozenset(
    {"ObjectName", "Variable", "SimulationPeriod", "ArcLength", "AdditionalData", "Label"}
    | {"objectExtra", "RadialPos", "Theta", "ObjectType"}
    | {"xlabel", "ylabel", "Title", "Subtitle", "FileName", "axhline", "units"}
)
UNSUPPORTED_COLUMN_KEYS = {
    "transform": "opp's transform (assetutilities TransformData) has no native equivalent",
    "SupportIndex": "support results (oeSupport) are not supported",
    "Location": "rigid-pipe locations are not supported",
}

SIM_EXTENSIONS = frozenset({"sim", "yml", "yaml", "dat", "txt"})
"""opp globbed these and loaded the ``.sim`` of the same name."""


def _norm(text: Any) -> str:
    return re.sub(r"[\s_\-.]+", "", str(text)).lower()


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: ``base`` updated by ``override`` recursively (``override`` wins).

    Nothing is shared with the inputs: every value is deep-copied, lists are
    replaced (not concatenated).
    """
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def merge_master(
    settings: Mapping[str, Any] | None, master: Mapping[str, Any] | None
) -> dict[str, Any]:
    """opp's master merge, without its in-place mutation.

    ``master``'s keys other than ``groups`` are defaults for ``settings``;
    ``master.groups[i]`` gives defaults for ``settings.groups[i]`` and its
    ``Columns[0]`` gives defaults for *every* column of that group (the column's own
    keys win). Each column gets its own deep copy.
    """
    settings = settings or {}
    master = master or {}
    merged = deep_merge(
        {k: v for k, v in master.items() if k != "groups"},
        {k: v for k, v in settings.items() if k != "groups"},
    )
    master_groups = master.get("groups") or []
    groups: list[dict[str, Any]] = []
    for position, group in enumerate(settings.get("groups") or []):
        group_master = master_groups[position] if position < len(master_groups) else {}
        if not isinstance(group, Mapping) or not isinstance(group_master, Mapping):
            groups.append(copy.deepcopy(group))
            continue
        combined = deep_merge(
            {k: v for k, v in group_master.items() if k != "Columns"},
            {k: v for k, v in group.items() if k != "Columns"},
        )
        master_columns = group_master.get("Columns") or [{}]
        column_default = master_columns[0] if isinstance(master_columns[0], Mapping) else {}
        columns = group.get("Columns")
        if isinstance(columns, Sequence) and not isinstance(columns, str):
            combined["Columns"] = [
                deep_merge(column_default, c) if isinstance(c, Mapping) else copy.deepcopy(c)
                for c in columns
            ]
        else:
            combined["Columns"] = copy.deepcopy(columns)
        groups.append(combined)
    merged["groups"] = groups
    return merged


class _Translator:
    """One translation: remembers the source for error messages."""

    def __init__(self, source: Path | None) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> ConfigError:
        """A :class:`ConfigError` naming the source file and the opp key."""
        where = f"{self.source}: " if self.source is not None else ""
        return ConfigError(f"{where}key {key!r}: {message}")

    # ------------------------------------------------------------------ top level

    def translate(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The native config of the opp mapping ``raw`` (see :func:`translate_opp_config`)."""
        for key in raw:
            if key in HANDLED_TOP_LEVEL or key in IGNORED_TOP_LEVEL or key in NATIVE_KEYS:
                continue
            raise self.fail(
                str(key), "not a digitalmodel opp key that ofxpost understands (or a native key)"
            )
        postprocess = self._postprocess(raw)
        native: dict[str, Any] = {}
        native["inputs"], native["output_dir"] = self._files(raw.get("file_management"))
        if raw.get("parallel_processing") is not None:
            native["parallel_processing"] = self._parallel(raw["parallel_processing"])
        decimals = [
            postprocess[f].get("csv_decimal")
            for f in ("summary", "linked_statistics", "time_series")
            if postprocess[f].get("flag") and postprocess[f].get("csv_decimal") is not None
        ]
        outputs: dict[str, Any] = {}
        if decimals:
            for value in decimals:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise self.fail("orcaflex.postprocess.*.csv_decimal", f"not a count: {value!r}")
            outputs["csv_decimals"] = max(int(value) for value in decimals if value is not None)
        if outputs:
            native["outputs"] = outputs
        native["load_matrix"] = {"enabled": True}
        if postprocess["summary"].get("flag"):
            native["summary"] = self._summary(raw, postprocess["summary"])
        if postprocess["linked_statistics"].get("flag"):
            native["linked_statistics"] = self._linked(raw)
        if postprocess["RangeGraph"].get("flag"):
            native["range_graph"] = self._range_graphs(raw.get("RangeGraph"))
        if postprocess["time_series"].get("flag"):
            series = self._time_series(raw)
            if series is not None:
                native["time_series"] = series
        for key in sorted(NATIVE_KEYS & set(raw)):
            value = copy.deepcopy(raw[key])
            if isinstance(value, Mapping) and isinstance(native.get(key), Mapping):
                native[key] = deep_merge(native[key], value)
            else:
                native[key] = value
        return native

    def _postprocess(self, raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        orcaflex = raw.get("orcaflex") or {}
        if not isinstance(orcaflex, Mapping):
            raise self.fail("orcaflex", "expected a mapping")
        postprocess = orcaflex.get("postprocess") or {}
        if not isinstance(postprocess, Mapping):
            raise self.fail("orcaflex.postprocess", "expected a mapping")
        out: dict[str, dict[str, Any]] = {}
        for name, block in postprocess.items():
            where = f"orcaflex.postprocess.{name}"
            if name not in POSTPROCESS_KEYS:
                raise self.fail(where, "unknown opp post-processing feature")
            allowed = POSTPROCESS_KEYS[name]
            if allowed is None:
                continue
            block = block or {}
            if not isinstance(block, Mapping):
                raise self.fail(where, "expected a mapping")
            for key in block:
                if key not in allowed:
                    raise self.fail(f"{where}.{key}", "unknown key")
            if not isinstance(block.get("flag", False), bool):
                raise self.fail(f"{where}.flag", "expected true or false")
            out[name] = dict(block)
        for name in FEATURES:
            out.setdefault(name, {})
        return out

    # ----------------------------------------------------------------------- files

    def _files(self, block: Any) -> tuple[list[str], str]:
        if block is None:
            return ["*.sim"], "results"
        if not isinstance(block, Mapping):
            raise self.fail("file_management", "expected a mapping")
        known = {
            "flag",
            "input_directory",
            "output_directory",
            "filename",
            "files",
            "input_files",
            "update_unfinished",
        }
        for key in block:
            if key not in known:
                raise self.fail(f"file_management.{key}", "unknown key")
        output_dir = block.get("output_directory") or "results"
        listed = block.get("input_files")
        if listed:
            if not isinstance(listed, Mapping) or not isinstance(listed.get("sim"), list):
                raise self.fail("file_management.input_files", "expected {sim: [paths]}")
            return [str(p) for p in listed["sim"]], str(output_dir)
        directory = block.get("input_directory")
        files = block.get("files")
        if directory is None and isinstance(files, Mapping):
            current = files.get("files_in_current_directory") or {}
            if not isinstance(current, Mapping):
                raise self.fail("file_management.files.files_in_current_directory", "mapping")
            if not current.get("flag", True):
                directory = current.get("directory")
        filename = block.get("filename") or {}
        if not isinstance(filename, Mapping):
            raise self.fail("file_management.filename", "expected a mapping")
        for key in filename:
            if key not in ("extension", "pattern"):
                raise self.fail(f"file_management.filename.{key}", "unknown key")
        extensions = filename.get("extension") or ["sim"]
        if isinstance(extensions, str):
            extensions = [extensions]
        pattern = filename.get("pattern") or ""
        inputs: list[str] = []
        for extension in extensions:
            ext = str(extension).lstrip(".")
            ext = "sim" if ext.lower() in SIM_EXTENSIONS else ext
            glob = f"*{pattern}*.{ext}" if pattern else f"*.{ext}"
            folder = "" if directory is None else str(directory).rstrip("/\\")
            path = glob if folder in ("", ".") else f"{folder}/{glob}"
            if path not in inputs:
                inputs.append(path)
        return inputs, str(output_dir)

    def _parallel(self, block: Any) -> dict[str, Any]:
        if not isinstance(block, Mapping):
            raise self.fail("parallel_processing", "expected a mapping")
        out = copy.deepcopy(dict(block))
        out.pop("task_type", None)  # opp forced it to 'mixed'; it chose nothing
        return out

    # --------------------------------------------------------------------- columns

    def _period(self, value: Any, where: str) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            raise self.fail(where, f"not a period: {value!r}")
        if isinstance(value, int):
            if value < 0:
                raise self.fail(where, f"a stage number is 0 or more, not {value}")
            return value  # a stage number (opp's newest copy ignored it)
        if isinstance(value, str):
            name = PERIODS.get(_norm(value))
            if name is None:
                raise self.fail(where, f"unknown period {value!r}")
            return name
        if isinstance(value, Sequence):
            items = list(value)
            if not items:
                return None
            for item in items:
                if item is not None and (
                    isinstance(item, bool) or not isinstance(item, int | float)
                ):
                    raise self.fail(where, f"not a time: {item!r}")
            if len(items) == 1:
                return [items[0], items[0]]
            if len(items) == 2:
                return items
            raise self.fail(where, "a period is [start, end]")
        raise self.fail(where, f"not a period: {value!r}")

    def _radial(self, column: Mapping[str, Any], where: str) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if column.get("RadialPos") is not None:
            value = column["RadialPos"]
            if isinstance(value, float):
                extra["radial_position"] = value
            else:
                name = RADIAL.get(_norm(value))
                if name is None:
                    raise self.fail(f"{where}.RadialPos", f"expected Inner/Outer/Mid: {value!r}")
                extra["radial_position"] = name
        if column.get("Theta") is not None:
            theta = column["Theta"]
            if isinstance(theta, bool) or not isinstance(theta, int | float):
                raise self.fail(f"{where}.Theta", f"not an angle: {theta!r}")
            extra["theta"] = theta
        return extra

    def _arclength(self, column: Mapping[str, Any], where: str) -> list[float]:
        value = column.get("ArcLength")
        if value is None:
            return []
        if isinstance(value, bool):
            raise self.fail(f"{where}.ArcLength", f"not an arc length: {value!r}")
        if isinstance(value, int | float):
            return [value]
        if not isinstance(value, Sequence) or isinstance(value, str) or len(value) > 2:
            raise self.fail(f"{where}.ArcLength", "expected [], [a] or [from, to]")
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise self.fail(f"{where}.ArcLength", f"not an arc length: {item!r}")
        return list(value)

    def _object_extra_key(self, column: Mapping[str, Any], where: str) -> tuple[Any, Any]:
        """``(point, sections)`` from opp's ``objectExtra`` list."""
        value = column.get("objectExtra")
        if value is None:
            return None, None
        items = [value] if isinstance(value, str) else list(value)
        if not items:
            return None, None
        head = _norm(items[0])
        if head in POINTS:
            return POINTS[head], None
        if head == "section":
            span = items[1] if len(items) > 1 else None
            span = [span] if isinstance(span, int) else span
            if not isinstance(span, Sequence) or not 1 <= len(span) <= 2:
                raise self.fail(f"{where}.objectExtra", "expected ['Section', [from, to]]")
            first = span[0]
            last = span[1] if len(span) > 1 else span[0]
            return None, {"sections": [first, last]}
        raise self.fail(f"{where}.objectExtra", f"unknown objectExtra {items[0]!r}")

    def _point(self, column: Mapping[str, Any], where: str, *, vessel_ok: bool = True) -> Any:
        """The native ``object_extra`` of a point result (or ``None``)."""
        point, sections = self._object_extra_key(column, where)
        if sections is not None:
            raise self.fail(f"{where}.objectExtra", "a section range needs 'Range Graph'")
        radial = self._radial(column, where)
        arc = self._arclength(column, where)
        extra: dict[str, Any] | None = None
        if point is not None:
            extra = {"end": point}
        elif len(arc) == 1:
            extra = {"arc_length": arc[0]}
        elif len(arc) == 2:
            raise self.fail(
                f"{where}.ArcLength",
                f"{arc} is an arc-length range; this result is read at one point: use [a] "
                "(opp passed the second number as a radial position)",
            )
        elif vessel_ok and column.get("Position") is not None and not radial:
            position = column["Position"]
            if not isinstance(position, Sequence) or len(position) != 3:
                raise self.fail(f"{where}.Position", "expected [x, y, z]")
            return list(position)
        if extra is None:
            if radial:
                raise self.fail(f"{where}.RadialPos", "needs a line point (objectExtra/ArcLength)")
            return None
        if not radial:
            return extra.get("end", extra)
        return {**extra, **radial}

    def _range(self, column: Mapping[str, Any], where: str) -> tuple[Any, Any]:
        """``(arclength_range, object_extra)`` of a range-graph column."""
        point, sections = self._object_extra_key(column, where)
        arc = self._arclength(column, where)
        arclength_range: Any = None
        if sections is not None and arc:
            raise self.fail(
                f"{where}.ArcLength", "give ArcLength or a Section objectExtra, not both"
            )
        if sections is not None:
            arclength_range = sections
        elif len(arc) == 1:
            arclength_range = [arc[0], arc[0]]
        elif len(arc) == 2:
            arclength_range = arc  # a range, never a radial position
        radial = self._radial(column, where)
        object_extra = {"end": point or "end_a", **radial} if radial else None
        return arclength_range, object_extra

    def _common(self, column: Mapping[str, Any], where: str, known: frozenset[str]) -> None:
        for key in column:
            if key in UNSUPPORTED_COLUMN_KEYS:
                raise self.fail(f"{where}.{key}", UNSUPPORTED_COLUMN_KEYS[key])
            if key not in known:
                raise self.fail(f"{where}.{key}", "unknown column key")
        for key in ("ObjectName", "Variable"):
            if column.get(key) in (None, "", []):
                raise self.fail(f"{where}.{key}", "required key is missing")

    def _label(self, column: Mapping[str, Any], where: str, seen: set[str]) -> str | None:
        label = column.get("Label")
        if label is None:
            return None
        text = str(label)
        if text in seen:
            raise self.fail(f"{where}.Label", f"label {text!r} is used twice in this group")
        seen.add(text)
        return text

    # --------------------------------------------------------------------- summary

    def _groups(self, merged: Mapping[str, Any], where: str) -> list[tuple[str, Mapping[str, Any]]]:
        groups = merged.get("groups") or []
        if not isinstance(groups, list):
            raise self.fail(f"{where}.groups", "expected a list")
        out: list[tuple[str, Mapping[str, Any]]] = []
        taken: set[str] = set()
        for position, group in enumerate(groups):
            gwhere = f"{where}.groups[{position}]"
            if not isinstance(group, Mapping):
                raise self.fail(gwhere, "expected a mapping")
            for key in group:
                if key not in ("Label", "Columns"):
                    raise self.fail(f"{gwhere}.{key}", "unknown group key")
            columns = group.get("Columns")
            if not isinstance(columns, list) or not columns:
                raise self.fail(f"{gwhere}.Columns", "expected a non-empty list of columns")
            name = safe_name(str(group.get("Label") or f"group{position + 1}"))
            if name.lower() == "errors" or name.lower().endswith("_statistics"):
                name = f"{name}_group"
            base, n = name, 1
            while name.lower() in taken:
                n += 1
                name = f"{base}_{n}"
            taken.add(name.lower())
            out.append((name, group))
        return out

    def _summary(self, raw: Mapping[str, Any], flags: Mapping[str, Any]) -> dict[str, Any]:
        where = "summary_settings"
        merged = merge_master(raw.get(where), raw.get(f"{where}_master"))
        for key in merged:
            if key != "groups" and key not in LEGACY_SUMMARY_KEYS:
                raise self.fail(f"{where}.{key}", "unknown key")
        groups = []
        for position, (name, group) in enumerate(self._groups(merged, where)):
            seen: set[str] = set()
            columns = []
            for n, column in enumerate(group["Columns"]):
                cwhere = f"{where}.groups[{position}].Columns[{n}]"
                if not isinstance(column, Mapping):
                    raise self.fail(cwhere, "expected a mapping")
                columns.append(self._summary_column(column, cwhere, seen))
            groups.append({"name": name, "columns": columns})
        if not groups:
            raise self.fail(where, "orcaflex.postprocess.summary.flag is true but no groups")
        statistics_flags = flags.get("statistics") or {}
        if not isinstance(statistics_flags, Mapping):
            raise self.fail("orcaflex.postprocess.summary.statistics", "expected a mapping")
        statistics = []
        for key, value in statistics_flags.items():
            if key not in SUMMARY_STATISTICS:
                raise self.fail(f"orcaflex.postprocess.summary.statistics.{key}", "unknown")
            if value:
                statistics.append(SUMMARY_STATISTICS[key])
        order = ["min", "max", "mean", "std"]
        return {"groups": groups, "statistics": [s for s in order if s in statistics]}

    def _summary_column(
        self, column: Mapping[str, Any], where: str, seen: set[str]
    ) -> dict[str, Any]:
        self._common(column, where, SUMMARY_COLUMN_KEYS)
        raw_command = column.get("Command")
        command = COMMANDS.get(_norm(raw_command)) if raw_command is not None else None
        if command is None:
            raise self.fail(
                f"{where}.Command",
                f"expected Range Graph, TimeHistory, Static Result or GetData, got {raw_command!r}",
            )
        out: dict[str, Any] = {"command": command, "object": str(column["ObjectName"])}
        variable = column["Variable"]
        if command == "data":
            if isinstance(variable, str):
                out["variable"], index = variable, -1
            elif isinstance(variable, list) and len(variable) == 2:
                out["variable"], index = str(variable[0]), variable[1]
            else:
                raise self.fail(f"{where}.Variable", "GetData needs [DataName, index]")
            if isinstance(index, bool) or not isinstance(index, int):
                raise self.fail(f"{where}.Variable", f"index {index!r} is not an integer")
            if index != -1:
                out["index"] = index
        else:
            if not isinstance(variable, str):
                raise self.fail(f"{where}.Variable", "expected one variable name")
            out["variable"] = variable
        if command in ("time_history", "range_graph"):
            raw_stat = column.get("Statistic_Type")
            if raw_stat is None:
                raise self.fail(
                    f"{where}.Statistic_Type",
                    "required for this command (opp silently left the column empty)",
                )
            statistic = STATISTICS.get(_norm(raw_stat))
            if statistic is None:
                raise self.fail(f"{where}.Statistic_Type", f"unknown statistic {raw_stat!r}")
            out["statistic"] = statistic
            period = self._period(column.get("SimulationPeriod"), f"{where}.SimulationPeriod")
            if period is not None:
                out["period"] = period
        if command == "range_graph":
            arclength_range, object_extra = self._range(column, where)
            if object_extra is not None:
                out["object_extra"] = object_extra
            if arclength_range is not None:
                out["arclength_range"] = arclength_range
            if _norm(out["variable"]) == _norm("API STD 2RD Method 1"):
                out["transform"] = "sqrt"  # opp reported the square root of this result
        elif command in ("time_history", "static_result"):
            extra = self._point(column, where)
            if extra is not None:
                out["object_extra"] = extra
        label = self._label(column, where, seen)
        if label is not None:
            out["label"] = label
        return out

    # ---------------------------------------------------------------------- linked

    def _linked(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        where = "linked_statistics_settings"
        merged = merge_master(raw.get(where), raw.get(f"{where}_master"))
        for key in merged:
            if key != "groups":
                raise self.fail(f"{where}.{key}", "unknown key")
        columns: list[dict[str, Any]] = []
        labels: set[str] = set()
        for position, (name, group) in enumerate(self._groups(merged, where)):
            seen: set[str] = set()
            for n, column in enumerate(group["Columns"]):
                cwhere = f"{where}.groups[{position}].Columns[{n}]"
                if not isinstance(column, Mapping):
                    raise self.fail(cwhere, "expected a mapping")
                self._common(column, cwhere, LINKED_COLUMN_KEYS)
                variables = column["Variable"]
                if (
                    not isinstance(variables, list)
                    or len(variables) < 2
                    or not all(isinstance(v, str) for v in variables)
                ):
                    raise self.fail(f"{cwhere}.Variable", "expected [primary, linked, ...]")
                out: dict[str, Any] = {
                    "object": str(column["ObjectName"]),
                    "variable": variables[0],
                    "linked_variables": list(variables[1:]),
                }
                period = self._period(column.get("SimulationPeriod"), f"{cwhere}.SimulationPeriod")
                if period is not None:
                    out["period"] = period
                extra = self._point(column, cwhere)
                if extra is not None:
                    out["object_extra"] = extra
                label = self._label(column, cwhere, seen)
                if label is not None:
                    if label in labels:
                        label = f"{name}.{label}"
                    labels.add(label)
                    out["label"] = label
                columns.append(out)
        if not columns:
            raise self.fail(
                where, "orcaflex.postprocess.linked_statistics.flag is true but no columns"
            )
        return {"columns": columns}

    # ------------------------------------------------------------------ range graph

    def _range_graphs(self, entries: Any) -> dict[str, Any]:
        where = "RangeGraph"
        if entries is None:
            return {"graphs": []}
        if isinstance(entries, Mapping):
            entries = [entries]
        if not isinstance(entries, list):
            raise self.fail(where, "expected a list of range graphs")
        graphs: list[dict[str, Any]] = []
        seen: set[str] = set()
        for position, entry in enumerate(entries):
            gwhere = f"{where}[{position}]"
            if not isinstance(entry, Mapping):
                raise self.fail(gwhere, "expected a mapping")
            for key in entry:
                if key not in RANGE_GRAPH_KEYS:
                    raise self.fail(f"{gwhere}.{key}", "unknown RangeGraph key")
            for key in ("ObjectName", "Variable"):
                if not entry.get(key):
                    raise self.fail(f"{gwhere}.{key}", "required key is missing")
            out: dict[str, Any] = {
                "object": str(entry["ObjectName"]),
                "variable": entry["Variable"],
            }
            period = self._period(entry.get("SimulationPeriod"), f"{gwhere}.SimulationPeriod")
            if period is not None:
                out["period"] = period
            arclength_range, object_extra = self._range(entry, gwhere)
            if arclength_range is not None:
                out["arclength_range"] = arclength_range
            if object_extra is not None:
                out["object_extra"] = object_extra
            data = entry.get("AdditionalData")
            if data is not None:
                items = [data] if isinstance(data, str) else list(data)
                curves: list[str] = []
                for item in items:
                    curve = CURVES.get(_norm(item))
                    if curve is None:
                        raise self.fail(f"{gwhere}.AdditionalData", f"unknown curve {item!r}")
                    if curve not in curves:
                        curves.append(curve)
                if curves:
                    out["statistics"] = curves  # every one kept (opp overwrote one column)
            limit = entry.get("axhline")
            if isinstance(limit, list):
                if len(limit) != 1:
                    raise self.fail(f"{gwhere}.axhline", "one allowable value is supported")
                limit = limit[0]
            if limit is not None:
                if isinstance(limit, bool) or not isinstance(limit, int | float):
                    raise self.fail(f"{gwhere}.axhline", f"not a number: {limit!r}")
                out["allowable"] = limit
            label = entry.get("Label") or (
                Path(str(entry["FileName"])).stem if entry.get("FileName") else None
            )
            if label is not None:
                label = str(label)
                if label in seen:
                    raise self.fail(f"{gwhere}.Label", f"label {label!r} is used twice")
                seen.add(label)
                out["label"] = label
            title = entry.get("Title")
            if title or entry.get("Subtitle"):
                out["title"] = " - ".join(str(t) for t in (title, entry.get("Subtitle")) if t)
            if entry.get("xlabel"):
                out["x_label"] = str(entry["xlabel"])
            if entry.get("ylabel"):
                out["y_label"] = str(entry["ylabel"])
            if entry.get("units"):
                out["units"] = str(entry["units"])
            graphs.append(out)
        return {"graphs": graphs}

    # ------------------------------------------------------------------ time series

    def _time_series(self, raw: Mapping[str, Any]) -> dict[str, Any] | None:
        where = "time_series_settings"
        merged = merge_master(raw.get(where), raw.get(f"{where}_master"))
        for key in merged:
            if key not in ("groups", "data", "histogram", "summation"):
                raise self.fail(f"{where}.{key}", "unknown key")
        if not merged.get("data", True):
            return None
        groups: list[dict[str, Any]] = []
        for position, (name, group) in enumerate(self._groups(merged, where)):
            seen: set[str] = set()
            columns: list[dict[str, Any]] = []
            periods: list[Any] = []
            for n, column in enumerate(group["Columns"]):
                cwhere = f"{where}.groups[{position}].Columns[{n}]"
                if not isinstance(column, Mapping):
                    raise self.fail(cwhere, "expected a mapping")
                self._common(column, cwhere, SERIES_COLUMN_KEYS)
                command = column.get("Command")
                if command is not None and COMMANDS.get(_norm(command)) != "time_history":
                    raise self.fail(f"{cwhere}.Command", "time series are TimeHistory only")
                if not isinstance(column["Variable"], str):
                    raise self.fail(f"{cwhere}.Variable", "expected one variable name")
                out: dict[str, Any] = {
                    "object": str(column["ObjectName"]),
                    "variable": column["Variable"],
                }
                extra = self._point(column, cwhere)
                if extra is not None:
                    out["object_extra"] = extra
                label = self._label(column, cwhere, seen)
                if label is not None:
                    out["label"] = label
                period = self._period(column.get("SimulationPeriod"), f"{cwhere}.SimulationPeriod")
                if periods and period != periods[0]:
                    raise self.fail(
                        f"{cwhere}.SimulationPeriod",
                        "every column of a time-series group must share one period "
                        "(split the group)",
                    )
                periods.append(period)
                columns.append(out)
            native: dict[str, Any] = {"name": name}
            if periods and periods[0] is not None:
                native["period"] = periods[0]
            native["columns"] = columns
            groups.append(native)
        return {"groups": groups} if groups else None


def translate_opp_config(raw: Mapping[str, Any], source: Path | None) -> dict[str, Any]:
    """Translate a digitalmodel opp config mapping to a native ofxpost config.

    :param raw: the parsed opp YAML (not changed).
    :param source: the config file, for error messages (``None`` for a mapping).
    :returns: a new native config mapping (core keys, ``outputs``, ``load_matrix``
        and the feature sections).
    :raises ConfigError: naming the opp key that cannot be translated.
    """
    return _Translator(source).translate(raw)
