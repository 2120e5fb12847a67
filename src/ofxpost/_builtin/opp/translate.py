"""Translate a digitalmodel ``opp`` (OrcaFlex post-process) config to the native layout.

:func:`translate_opp_config` is called by :mod:`ofxpost._builtin.opp.plugin` when a config
file is in the opp layout, and by ``ofxpost migrate``. It never changes its input:
master defaults are merged into fresh deep copies, one per column.

The translation fixes opp's bugs where they change results (see
``docs/migrating-from-opp.md``): ``ArcLength: [a]`` / ``[a, b]`` are an arc length
and an arc-length *range* (opp called ``oeLine(a)`` / ``oeLine(a, b)``, whose first
parameters are ``LinePoint`` and ``NodeNum``, so no arc length was ever set), a
one-element ``SimulationPeriod: [t]`` runs from ``t`` to the end (OrcFxAPI's
``SpecifiedPeriod(t)``; opp made it ``[t, t]``), an integer ``SimulationPeriod`` is a stage
(the newest opp ignored it), every ``RangeGraph`` ``AdditionalData`` curve is kept
(opp overwrote one column), statistics rows are never duplicated (they live in
their own tables), a ``null`` period end is each file's own stop time, and the
load matrix (files, run status, start/stop times) is saved.

Keys that would change results but have no native equivalent (``transform``,
``SupportIndex`` ...) raise :class:`~ofxpost.errors.ConfigError` naming the key;
keys with no meaning here (``visualization``, ``RAOs``, ``orcaflex.analysis``,
``default``, ``library`` ...) are accepted and listed once in a notice,
``ignored opp keys: ...`` (with a note for those that were switched on).
Any other key is an error naming it and its section, with the nearest known key.
A summary group's ``inject_into`` (or the settings') becomes an entry of the native
``inject_into`` section (:mod:`ofxpost._builtin.inject`). File filters become the
native ``input_filters`` section (see
:mod:`ofxpost._config.input_filters`); a config naming ``.sim`` files also finds the
archives exported from them.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ofxpost._builtin.support.naming import safe_name
from ofxpost.errors import ConfigError

FEATURES: tuple[str, ...] = ("summary", "linked_statistics", "RangeGraph", "time_series")
"""The opp post-processing features ofxpost translates."""

IGNORED_TOP_LEVEL: frozenset[str] = frozenset(
    {
        "meta",
        "Analysis",
        "basename",
        "default",
        "library",
        "visualization",
        "visualization_settings",
        "RAOs",
        "RAO_settings",
        "parameters",
        "cummulative_histograms",
        "cumulative_histograms",
        "rain_flow",
        "Files",
    }
)
"""Top-level opp keys with no meaning here: accepted and listed in the notice."""

NATIVE_KEYS: frozenset[str] = frozenset(
    {"inputs", "output_dir", "plugins", "outputs", "load_matrix", "excel", "input_filters"}
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
        "RangeGraph_settings",
        "file_management",
        "parallel_processing",
    }
)

ADD_TO_SUMMARY = {
    "AddMinimumToSummary": "min",
    "AddMaximumToSummary": "max",
    "AddMeanToSummary": "mean",
}
"""opp's legacy switches for the across-file rows of a summary table."""

POSTPROCESS_KEYS: dict[str, frozenset[str] | None] = {
    "summary": frozenset({"flag", "csv_decimal", "statistics", *ADD_TO_SUMMARY}),
    "linked_statistics": frozenset({"flag", "csv_decimal", *ADD_TO_SUMMARY}),
    "RangeGraph": frozenset({"flag", "add_effective_tension_to_cfg"}),
    "time_series": frozenset({"flag", "csv_decimal", "histogram", "summation"}),
    # dead or unrelated features in opp: accepted, listed as ignored
    "visualization": None,
    "RAOs": None,
    "cummulative_histograms": None,
    "cumulative_histograms": None,
    "rain_flow": None,
}

POSTPROCESS_ALIASES = {"Summary": "summary"}
"""Spellings of ``orcaflex.postprocess`` features found in real configs."""

IGNORED_NOTES: dict[str, str] = {
    "orcaflex.analysis": "ofxpost runs no OrcaFlex analysis",
    "orcaflex.postprocess.visualization": "model views are not drawn",
    "orcaflex.postprocess.RAOs": "RAOs are not computed",
    "orcaflex.postprocess.cummulative_histograms": "opp never computed them",
    "orcaflex.postprocess.cumulative_histograms": "opp never computed them",
    "time_series.histogram": "opp never computed it",
    "time_series.summation": "opp never computed it",
    "add_effective_tension_to_cfg": "opp's range graphs were never saved",
}
"""Why an ignored key that is switched on (``flag: true`` ...) produces nothing."""

SUMMARY_STATISTICS = {"Minimum": "min", "Maximum": "max", "Mean": "mean", "StdDev": "std"}

SUMMARY_SETTINGS_KEYS = frozenset({"groups", "inject_into", *ADD_TO_SUMMARY})
LINKED_SETTINGS_KEYS = frozenset({"groups", *ADD_TO_SUMMARY})
SERIES_SETTINGS_KEYS = frozenset({"groups", "data", "histogram", "summation", *ADD_TO_SUMMARY})
SUMMARY_GROUP_KEYS = frozenset(
    {"Label", "Columns", "SummaryFileName", "inject_into", "directory", "filename_pattern"}
)
GROUP_KEYS = frozenset({"Label", "Columns"})

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
    | {"Command"}
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

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_SPECIFIED = re.compile(
    rf"^(?:orcfxapi\.)?specifiedperiod\(\s*(?:fromtime\s*=\s*)?({_NUMBER})?\s*"
    rf"(?:,\s*(?:totime\s*=\s*)?({_NUMBER})\s*)?\)$",
    re.IGNORECASE,
)
"""``SpecifiedPeriod(a, b)`` / ``SpecifiedPeriod(a)`` written as a string."""
_STAGE = re.compile(r"^(?:stage\s*|(?:orcfxapi\.)?period\(\s*)(\d+)\s*\)?$", re.IGNORECASE)
"""``Stage 1`` / ``Period(1)`` written as a string."""


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
    keys win); a group with no columns takes the master group's columns. Each column
    gets its own deep copy.
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
        if not columns and group_master.get("Columns"):
            # a group without columns takes the master's (real configs write `Columns: []`)
            combined["Columns"] = copy.deepcopy(group_master["Columns"])
        elif isinstance(columns, Sequence) and not isinstance(columns, str):
            combined["Columns"] = [
                deep_merge(column_default, c) if isinstance(c, Mapping) else copy.deepcopy(c)
                for c in columns
            ]
        else:
            combined["Columns"] = copy.deepcopy(columns)
        groups.append(combined)
    merged["groups"] = groups
    return merged


def _truthy(value: Any) -> bool:
    """Whether an ignored opp block asks for something (``flag: true``, ``true`` ...)."""
    if isinstance(value, Mapping):
        return bool(value.get("flag"))
    return bool(value)


def _unique(items: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


class _Translator:
    """One translation: remembers the source for error messages and what it ignored."""

    def __init__(self, source: Path | None) -> None:
        self.source = source
        self.ignored: list[str] = []
        self.requested: list[str] = []
        self.group_files: list[tuple[str, Any, Any]] = []
        self.injections: list[dict[str, Any]] = []

    def fail(self, key: str, message: str) -> ConfigError:
        """A :class:`ConfigError` naming the source file and the opp key."""
        where = f"{self.source}: " if self.source is not None else ""
        return ConfigError(f"{where}key {key!r}: {message}")

    def unknown(self, key: str, known: Any, what: str = "unknown key") -> ConfigError:
        """The error for an unknown key, with the nearest known key of its section."""
        name = key.rsplit(".", 1)[-1]
        close = difflib.get_close_matches(name, sorted(str(k) for k in known), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return self.fail(key, f"{what}{hint}")

    def ignore(self, key: str, value: Any = None, note_key: str | None = None) -> None:
        """Record an accepted key without effect; note it when it is switched on."""
        path = re.sub(r"\[\d+\]", "[]", key)
        if path not in self.ignored:
            self.ignored.append(path)
        note = IGNORED_NOTES.get(note_key or path)
        if note is not None and _truthy(value):
            entry = f"{path} ({note})"
            if entry not in self.requested:
                self.requested.append(entry)

    def notices(self) -> tuple[str, ...]:
        """The ``ignored opp keys: ...`` notice (empty when nothing was ignored)."""
        if not self.ignored:
            return ()
        text = "ignored opp keys (no meaning in ofxpost): " + ", ".join(self.ignored)
        if self.requested:
            text += "; switched on but not produced: " + "; ".join(self.requested)
        return (text,)

    # ------------------------------------------------------------------ top level

    def translate(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The native config of the opp mapping ``raw`` (see :func:`translate_opp_config`)."""
        for key in raw:
            if key in HANDLED_TOP_LEVEL or key in NATIVE_KEYS:
                continue
            if key in IGNORED_TOP_LEVEL:
                self.ignore(str(key), raw[key])
                continue
            raise self.unknown(
                str(key),
                HANDLED_TOP_LEVEL | IGNORED_TOP_LEVEL | NATIVE_KEYS,
                "not a digitalmodel opp key that ofxpost understands (or a native key)",
            )
        postprocess = self._postprocess(raw)
        self._range_graph_settings(raw.get("RangeGraph_settings"))
        native: dict[str, Any] = {}
        native["inputs"], native["output_dir"] = ["*.sim"], "results"
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
        self._check_settings(
            raw, "summary_settings", SUMMARY_SETTINGS_KEYS, SUMMARY_GROUP_KEYS, SUMMARY_COLUMN_KEYS
        )
        self._check_settings(
            raw, "linked_statistics_settings", LINKED_SETTINGS_KEYS, GROUP_KEYS, LINKED_COLUMN_KEYS
        )
        self._check_settings(
            raw, "time_series_settings", SERIES_SETTINGS_KEYS, GROUP_KEYS, SERIES_COLUMN_KEYS
        )
        for name in ("time_series_settings", "time_series_settings_master"):
            block = raw.get(name) or {}
            for key in ("histogram", "summation", *ADD_TO_SUMMARY):
                if key in block:
                    self.ignore(f"{name}.{key}", block[key], f"time_series.{key}")
        if postprocess["summary"].get("flag"):
            native["summary"] = self._summary(raw, postprocess["summary"])
            if self.injections:
                native["inject_into"] = self.injections
        if postprocess["linked_statistics"].get("flag"):
            native["linked_statistics"] = self._linked(raw, postprocess["linked_statistics"])
        if postprocess["RangeGraph"].get("flag"):
            native["range_graph"] = self._range_graphs(raw.get("RangeGraph"))
        if postprocess["time_series"].get("flag"):
            series = self._time_series(raw)
            if series is not None:
                native["time_series"] = series
        others = any(
            postprocess[f].get("flag") for f in ("linked_statistics", "RangeGraph", "time_series")
        )
        inputs, output_dir, filters = self._files(raw.get("file_management"), others)
        native["inputs"], native["output_dir"] = inputs, output_dir
        if filters:
            native["input_filters"] = filters
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
        for key in orcaflex:
            if key == "analysis":
                analysis = orcaflex[key]
                switched = isinstance(analysis, Mapping) and any(
                    _truthy(v) for v in analysis.values()
                )
                self.ignore("orcaflex.analysis", switched)
            elif key != "postprocess":
                raise self.unknown(f"orcaflex.{key}", {"postprocess", "analysis"})
        postprocess = orcaflex.get("postprocess") or {}
        if not isinstance(postprocess, Mapping):
            raise self.fail("orcaflex.postprocess", "expected a mapping")
        out: dict[str, dict[str, Any]] = {}
        for written, block in postprocess.items():
            name = POSTPROCESS_ALIASES.get(str(written), str(written))
            where = f"orcaflex.postprocess.{written}"
            if name not in POSTPROCESS_KEYS:
                raise self.unknown(
                    where,
                    set(POSTPROCESS_KEYS) | set(POSTPROCESS_ALIASES),
                    "unknown opp post-processing feature",
                )
            if name in out:
                raise self.fail(where, f"the {name!r} feature is given twice")
            allowed = POSTPROCESS_KEYS[name]
            if allowed is None:
                self.ignore(f"orcaflex.postprocess.{name}", block)
                out[name] = {}
                continue
            block = block or {}
            if not isinstance(block, Mapping):
                raise self.fail(where, "expected a mapping")
            for key in block:
                if key not in allowed:
                    raise self.unknown(f"{where}.{key}", allowed)
            if not isinstance(block.get("flag", False), bool):
                raise self.fail(f"{where}.flag", "expected true or false")
            for key in ("histogram", "summation"):
                if key in block:
                    self.ignore(f"{where}.{key}", block[key], f"time_series.{key}")
            if "add_effective_tension_to_cfg" in block:
                self.ignore(
                    f"{where}.add_effective_tension_to_cfg",
                    block["add_effective_tension_to_cfg"],
                    "add_effective_tension_to_cfg",
                )
            out[name] = dict(block)
        for name in FEATURES:
            out.setdefault(name, {})
        return out

    def _range_graph_settings(self, block: Any) -> None:
        if block is None:
            return
        if not isinstance(block, Mapping):
            raise self.fail("RangeGraph_settings", "expected a mapping")
        for key in block:
            if key != "add_effective_tension_to_cfg":
                raise self.unknown(f"RangeGraph_settings.{key}", {"add_effective_tension_to_cfg"})
            self.ignore(f"RangeGraph_settings.{key}", block[key], "add_effective_tension_to_cfg")

    def _check_settings(
        self,
        raw: Mapping[str, Any],
        where: str,
        keys: frozenset[str],
        group_keys: frozenset[str],
        column_keys: frozenset[str],
    ) -> None:
        """Check the keys of ``where`` and ``where_master`` (and their groups) in place,
        so an error names the section the key is written in."""
        for name in (where, f"{where}_master"):
            block = raw.get(name)
            if block is None:
                continue
            if not isinstance(block, Mapping):
                raise self.fail(name, "expected a mapping")
            for key in block:
                if key not in keys:
                    raise self.unknown(f"{name}.{key}", keys)
            groups = block.get("groups") or []
            if not isinstance(groups, list):
                raise self.fail(f"{name}.groups", "expected a list")
            for position, group in enumerate(groups):
                gwhere = f"{name}.groups[{position}]"
                if not isinstance(group, Mapping):
                    raise self.fail(gwhere, "expected a mapping")
                for key in group:
                    if key not in group_keys:
                        raise self.unknown(f"{gwhere}.{key}", group_keys, "unknown group key")
                columns = group.get("Columns") or []
                if name.endswith("_master") and isinstance(columns, list):
                    # a master column's keys are checked where they are written
                    for n, column in enumerate(columns):
                        for key in column if isinstance(column, Mapping) else ():
                            if key not in column_keys and key not in UNSUPPORTED_COLUMN_KEYS:
                                raise self.unknown(
                                    f"{gwhere}.Columns[{n}].{key}",
                                    column_keys,
                                    "unknown column key",
                                )

    # ----------------------------------------------------------------------- files

    def _filters_block(self, block: Any, where: str) -> tuple[list[str], list[str]]:
        """``(contains, not_contains)`` of an opp ``filters`` mapping."""
        if block is None:
            return [], []
        if not isinstance(block, Mapping):
            raise self.fail(where, "expected a mapping")
        spellings = {
            "contains": "contains",
            "filename_contains": "contains",
            "not_contains": "not_contains",
            "filename_not_contains": "not_contains",
        }
        found: dict[str, list[str]] = {"contains": [], "not_contains": []}
        for key, value in block.items():
            if key not in spellings:
                raise self.unknown(f"{where}.{key}", spellings)
            if value is None:
                continue
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(v, str | int) for v in items):
                raise self.fail(f"{where}.{key}", "expected a list of texts")
            found[spellings[key]].extend(str(v) for v in items if str(v))
        return found["contains"], found["not_contains"]

    def _files(self, block: Any, others: bool) -> tuple[list[str], str, dict[str, Any] | None]:
        """``(inputs, output_dir, input_filters)`` of ``file_management``."""
        if block is None:
            block = {}
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
                raise self.unknown(f"file_management.{key}", known)
        for key in ("flag", "update_unfinished"):
            if key in block:
                self.ignore(f"file_management.{key}", None)
        output_dir = str(block.get("output_directory") or "results")
        contains: list[str] = []
        not_contains: list[str] = []

        filename = block.get("filename") or {}
        if not isinstance(filename, Mapping):
            raise self.fail("file_management.filename", "expected a mapping")
        for key in filename:
            if key not in ("extension", "pattern", "filters"):
                raise self.unknown(
                    f"file_management.filename.{key}", ("extension", "pattern", "filters")
                )
        c, n = self._filters_block(filename.get("filters"), "file_management.filename.filters")
        contains += c
        not_contains += n

        files = block.get("files") or {}
        if not isinstance(files, Mapping):
            raise self.fail("file_management.files", "expected a mapping")
        files_known = (
            "files_in_current_directory",
            "extension",
            "filters",
            "data_source",
            "csv_filename",
        )
        for key in files:
            if key not in files_known:
                raise self.unknown(f"file_management.files.{key}", files_known)
            if key in ("data_source", "csv_filename"):
                self.ignore(f"file_management.files.{key}", None)
        c, n = self._filters_block(files.get("filters"), "file_management.files.filters")
        contains += c
        not_contains += n
        current = files.get("files_in_current_directory") or {}
        cwhere = "file_management.files.files_in_current_directory"
        if not isinstance(current, Mapping):
            raise self.fail(cwhere, "expected a mapping")
        current_known = ("flag", "directory", "auto_read", "filename_pattern")
        for key in current:
            if key not in current_known:
                raise self.unknown(f"{cwhere}.{key}", current_known)
        auto_read = current.get("auto_read", True)
        if not isinstance(auto_read, bool):
            raise self.fail(f"{cwhere}.auto_read", "expected true or false")

        directory = block.get("input_directory")
        if directory is None and not current.get("flag", True):
            directory = current.get("directory")
        patterns = [p for p in (filename.get("pattern"), current.get("filename_pattern")) if p]
        if len(set(map(str, patterns))) > 1:
            raise self.fail(
                f"{cwhere}.filename_pattern",
                f"differs from file_management.filename.pattern ({patterns[0]!r})",
            )
        pattern = str(patterns[0]) if patterns else ""
        directory, pattern = self._group_files(directory, pattern, others)

        extensions: list[Any] = []
        for value in (filename.get("extension"), files.get("extension")):
            if value is not None:
                extensions += [value] if isinstance(value, str) else list(value)
        extensions = _unique([str(e).lstrip(".") for e in extensions]) or ["sim"]

        inputs: list[str] = []
        sim_archives = False
        listed = self._listed(block.get("input_files"))
        if listed:
            inputs = listed
            sim_archives = any(p.lower().endswith(".sim") for p in listed)
        elif not auto_read:
            raise self.fail(
                f"{cwhere}.auto_read", "false needs the files in file_management.input_files"
            )
        else:
            for extension in extensions:
                ext = "sim" if extension.lower() in SIM_EXTENSIONS else extension
                sim_archives = sim_archives or ext == "sim"
                glob = f"*{pattern}*.{ext}" if pattern else f"*.{ext}"
                folder = "" if directory is None else str(directory).rstrip("/\\")
                path = glob if folder in ("", ".") else f"{folder}/{glob}"
                if path not in inputs:
                    inputs.append(path)
        filters: dict[str, Any] = {}
        if contains:
            filters["contains"] = _unique(contains)
        if not_contains:
            filters["not_contains"] = _unique(not_contains)
        if sim_archives:
            filters["sim_archives"] = True
        return inputs, output_dir, filters or None

    def _listed(self, block: Any) -> list[str]:
        """The files of ``file_management.input_files`` (``.yml``/``.dat`` ... → ``.sim``)."""
        where = "file_management.input_files"
        if block is None:
            return []
        if not isinstance(block, Mapping):
            raise self.fail(where, "expected {sim: [paths]} (or yml, dat ...)")
        out: list[str] = []
        for key, paths in block.items():
            if paths is None:
                continue
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                raise self.fail(f"{where}.{key}", "expected a list of paths")
            for text in paths:
                path = Path(text)
                if path.suffix.lower().lstrip(".") in SIM_EXTENSIONS:
                    text = str(path.with_suffix(".sim").as_posix())  # opp loaded the .sim
                if text not in out:
                    out.append(text)
        return out

    def _group_files(self, directory: Any, pattern: str, others: bool) -> tuple[Any, str]:
        """Apply the summary groups' own ``directory`` / ``filename_pattern`` (if any)."""
        given = [(d, p) for _, d, p in self.group_files if d is not None or p is not None]
        if not given:
            return directory, pattern
        first = given[0]
        for group, d, p in self.group_files:
            if (d, p) != first:
                raise self.fail(
                    f"{group}.filename_pattern",
                    "summary groups select different files; ofxpost reads one set of files "
                    "per config: write one config per group",
                )
        group_dir = first[0] if first[0] is not None else directory
        group_pattern = str(first[1]) if first[1] is not None else pattern
        if others and (group_dir, group_pattern) != (directory, pattern):
            raise self.fail(
                f"{self.group_files[0][0]}.filename_pattern",
                "the summary groups select other files than file_management, and other "
                "features are on; ofxpost reads one set of files per config: split it",
            )
        return group_dir, group_pattern

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
            return self._period_text(value.strip(), where)
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
                # OrcFxAPI's SpecifiedPeriod(t): from t to the end of the simulation
                return [items[0], None]
            if len(items) == 2:
                return items
            raise self.fail(where, "a period is [start, end]")
        raise self.fail(where, f"not a period: {value!r}")

    def _period_text(self, text: str, where: str) -> Any:
        """A period written as text: ``WholeSimulation``, ``PeriodNum.LatestWave``,
        ``SpecifiedPeriod(0.0, 120.0)``, ``SpecifiedPeriod(30)``, ``Stage 1`` ..."""
        name = re.sub(r"^(?:orcfxapi)?(?:periodnum|pn)?", "", _norm(text))
        if name in PERIODS:
            return PERIODS[name]
        specified = _SPECIFIED.match(text)
        if specified is not None:
            start = float(specified.group(1)) if specified.group(1) is not None else 0.0
            end = float(specified.group(2)) if specified.group(2) is not None else None
            if end is not None and start > end:
                raise self.fail(where, f"period start {start} is after its end {end}")
            return [start, end]
        stage = _STAGE.match(text)
        if stage is not None:
            return int(stage.group(1))
        raise self.fail(
            where,
            f"unknown period {text!r}: expected WholeSimulation, StaticState, LatestWave, "
            "SpecifiedPeriod(from, to), [from, to], [from] or a stage number",
        )

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
                "(opp called oeLine(a, b), whose parameters are LinePoint and NodeNum)",
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
            arclength_range = arc  # a range (never oeLine's LinePoint/NodeNum)
        radial = self._radial(column, where)
        object_extra = {"end": point or "end_a", **radial} if radial else None
        return arclength_range, object_extra

    def _common(self, column: Mapping[str, Any], where: str, known: frozenset[str]) -> None:
        for key in column:
            if key in UNSUPPORTED_COLUMN_KEYS:
                raise self.fail(f"{where}.{key}", UNSUPPORTED_COLUMN_KEYS[key])
            if key not in known:
                raise self.unknown(f"{where}.{key}", known, "unknown column key")
            if key == "ObjectType":
                self.ignore(f"{where.split('.')[0]}.groups[].Columns[].ObjectType")
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
            columns = group.get("Columns")
            if not isinstance(columns, list) or not columns:
                raise self.fail(f"{gwhere}.Columns", "expected a non-empty list of columns")
            # SummaryFileName named opp's output file; it names the table here
            title = group.get("SummaryFileName") or group.get("Label")
            name = safe_name(str(title or f"group{position + 1}"))
            if name.lower() == "errors" or name.lower().endswith("_statistics"):
                name = f"{name}_group"
            base, n = name, 1
            while name.lower() in taken:
                n += 1
                name = f"{base}_{n}"
            taken.add(name.lower())
            out.append((name, group))
        return out

    def _add_to_summary(
        self, raw: Mapping[str, Any], where: str, block: Mapping[str, Any]
    ) -> dict[str, bool]:
        """``{statistic: on}`` of every ``Add*ToSummary`` in the feature's flags,
        its settings and their master (a ``true`` anywhere wins)."""
        found: dict[str, bool] = {}
        sources = [
            (block, f"orcaflex.postprocess.{where.removesuffix('_settings')}"),
            (raw.get(f"{where}_master") or {}, f"{where}_master"),
            (raw.get(where) or {}, where),
        ]
        for source, name in sources:
            for key, statistic in ADD_TO_SUMMARY.items():
                if key not in source:
                    continue
                value = source[key]
                if not isinstance(value, bool):
                    raise self.fail(f"{name}.{key}", f"expected true or false, got {value!r}")
                found[statistic] = found.get(statistic, False) or value
        return found

    def _summary(self, raw: Mapping[str, Any], flags: Mapping[str, Any]) -> dict[str, Any]:
        where = "summary_settings"
        merged = merge_master(raw.get(where), raw.get(f"{where}_master"))
        shared = merged.get("inject_into")
        groups = []
        for position, (name, group) in enumerate(self._groups(merged, where)):
            gwhere = f"{where}.groups[{position}]"
            if "inject_into" in group:
                self._inject(f"{gwhere}.inject_into", group["inject_into"], name)
            elif shared is not None:
                self._inject(f"{where}.inject_into", shared, name)
            if "directory" in group or "filename_pattern" in group:
                self.group_files.append(
                    (gwhere, group.get("directory"), group.get("filename_pattern"))
                )
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
                raise self.unknown(
                    f"orcaflex.postprocess.summary.statistics.{key}", SUMMARY_STATISTICS
                )
            if value:
                statistics.append(SUMMARY_STATISTICS[key])
        for statistic, on in self._add_to_summary(raw, where, flags).items():
            if on:
                statistics.append(statistic)
        order = ["min", "max", "mean", "std"]
        return {"groups": groups, "statistics": [s for s in order if s in statistics]}

    def _inject(self, where: str, value: Any, group: str) -> None:
        """A summary group's ``inject_into: {flag, filename, sheetname}``: an
        ``inject_into`` entry writing ``summary_<group>`` into that workbook's sheet
        (default: the group's name); nothing when the flag is off."""
        if not isinstance(value, Mapping):
            raise self.fail(where, "expected a mapping with flag, filename and sheetname")
        if not _truthy(value.get("flag", False)):
            return
        filename = value.get("filename")
        if not isinstance(filename, str) or not filename:
            raise self.fail(f"{where}.filename", f"expected the workbook's file, got {filename!r}")
        sheet = value.get("sheetname")
        self.injections.append(
            {
                "workbook": filename,
                "table": f"summary_{group}",
                "sheet": str(sheet) if sheet else group,
            }
        )

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

    def _linked(self, raw: Mapping[str, Any], flags: Mapping[str, Any]) -> dict[str, Any]:
        where = "linked_statistics_settings"
        merged = merge_master(raw.get(where), raw.get(f"{where}_master"))
        columns: list[dict[str, Any]] = []
        groups = self._groups(merged, where)
        # a label used in more than one group is <group>.<label> in every one of them
        counts: dict[str, set[str]] = {}
        for name, group in groups:
            for column in group["Columns"]:
                if isinstance(column, Mapping) and column.get("Label") is not None:
                    counts.setdefault(str(column["Label"]), set()).add(name)
        shared = {label for label, names in counts.items() if len(names) > 1}
        for position, (name, group) in enumerate(groups):
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
                    out["label"] = f"{name}.{label}" if label in shared else label
                columns.append(out)
        if not columns:
            raise self.fail(
                where, "orcaflex.postprocess.linked_statistics.flag is true but no columns"
            )
        section: dict[str, Any] = {"columns": columns}
        switches = self._add_to_summary(raw, where, flags)
        if switches:
            # opp always appended min/max/mean/std rows: an Add*ToSummary: false drops one
            section["statistics"] = [
                s for s in ("min", "max", "mean", "std") if switches.get(s, True)
            ]
        return section

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
                    raise self.unknown(
                        f"{gwhere}.{key}", RANGE_GRAPH_KEYS, "unknown RangeGraph key"
                    )
            for key in ("ObjectName", "Variable"):
                if not entry.get(key):
                    raise self.fail(f"{gwhere}.{key}", "required key is missing")
            command = entry.get("Command")
            if command is not None and COMMANDS.get(_norm(command)) != "range_graph":
                raise self.fail(
                    f"{gwhere}.Command", f"a RangeGraph entry is 'Range Graph': {command!r}"
                )
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
    return translate_with_notices(raw, source)[0]


def translate_with_notices(
    raw: Mapping[str, Any], source: Path | None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """:func:`translate_opp_config`, with the ``ignored opp keys: ...`` notice (if any)."""
    translator = _Translator(source)
    native = translator.translate(raw)
    return native, translator.notices()
