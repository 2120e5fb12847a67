"""Contract test: ofxpost's OrcFxAPI look-alikes match the real OrcFxAPI 11.6.3 wheel.

The wheel's ``OrcFxAPI.py`` is located through the installed distribution's file
list and parsed with :mod:`ast` -- never imported (it imports only on Windows),
never copied. The test checks that

* every ``ofx.<name>`` / ``OrcFxAPI.<name>`` that ``src/ofxpost`` uses exists in
  the wheel, and every OrcFxAPI method called there is called with parameters
  the wheel's method has;
* the compatibility namespace, the archive reader and the test fake have the
  wheel's parameter names, order, kinds and defaults, the same properties, enum
  values and structure fields;
* the checker itself reports a deliberately wrong signature.
"""

from __future__ import annotations

import ast
import enum
import importlib.metadata
import inspect
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ofxpost import ofx
from ofxpost._archive import reader
from ofxpost._ofx import fallback
from tests._archive_helpers import FAKE_ORCFXAPI_DIR

SRC = Path(__file__).resolve().parents[1] / "src" / "ofxpost"
OUR_ADDITIONS = {
    "HAVE_ORCFXAPI",
    "LICENSING_STATUS_CODES",
    "is_licence_error",
    "licensing_status_codes",
    "source_module",
}
"""Names of ``ofxpost.ofx`` that OrcFxAPI does not have (documented there)."""


# --------------------------------------------------------------------- the wheel


@dataclass
class WheelClass:
    """One class of the wheel: bases, methods, properties, simple assignments."""

    name: str
    bases: list[str]
    methods: dict[str, ast.FunctionDef] = field(default_factory=dict)
    properties: set[str] = field(default_factory=set)
    values: dict[str, ast.expr] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)


@dataclass
class Wheel:
    """The parsed wheel module."""

    path: Path
    functions: dict[str, ast.FunctionDef]
    classes: dict[str, WheelClass]
    assignments: dict[str, ast.expr]

    def has(self, name: str) -> bool:
        """Whether the module defines ``name`` at top level."""
        return name in self.functions or name in self.classes or name in self.assignments

    def lineage(self, name: str) -> Iterator[WheelClass]:
        """``name`` and its base classes defined in the module, nearest first."""
        seen: set[str] = set()
        queue = [name]
        while queue:
            current = queue.pop(0)
            if current in seen or current not in self.classes:
                continue
            seen.add(current)
            cls = self.classes[current]
            yield cls
            queue.extend(cls.bases)

    def method(self, cls: str, name: str) -> ast.FunctionDef:
        """A method of ``cls`` or of one of its bases (the last definition wins)."""
        for klass in self.lineage(cls):
            if name in klass.methods:
                return klass.methods[name]
        raise KeyError(f"{cls}.{name}")

    def is_property(self, cls: str, name: str) -> bool:
        """Whether ``cls.name`` is a property in the wheel."""
        return any(name in klass.properties for klass in self.lineage(cls))


def locate_wheel_module() -> Path:
    """The installed wheel's ``OrcFxAPI.py``, found without importing it."""
    dist = importlib.metadata.distribution("OrcFxAPI")
    assert dist.version == "11.6.3", dist.version
    for file in dist.files or []:
        if str(file).replace("\\", "/") == "OrcFxAPI.py":
            return Path(str(dist.locate_file(file)))
    raise AssertionError("OrcFxAPI.py is not in the OrcFxAPI distribution")


def _class(node: ast.ClassDef) -> WheelClass:
    cls = WheelClass(node.name, [ast.unparse(b).split(".")[-1] for b in node.bases])
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            decorators = [ast.unparse(d) for d in item.decorator_list]
            if "property" in decorators:
                cls.properties.add(item.name)
                cls.methods.setdefault(item.name, item)
            elif not any(d.endswith((".setter", ".deleter")) for d in decorators):
                cls.methods[item.name] = item
        elif isinstance(item, ast.Assign) and len(item.targets) == 1:
            target = item.targets[0]
            if isinstance(target, ast.Name):
                cls.values[target.id] = item.value
                if target.id == "_fields_" and isinstance(item.value, ast.List):
                    for element in item.value.elts:
                        if isinstance(element, ast.Tuple) and isinstance(
                            element.elts[0], ast.Constant
                        ):
                            cls.fields.append(str(element.elts[0].value))
    return cls


@cache
def wheel() -> Wheel:
    """Parse the wheel module once."""
    path = locate_wheel_module()
    tree = ast.parse(path.read_text(encoding="utf-8-sig"), filename=str(path))
    functions: dict[str, ast.FunctionDef] = {}
    classes: dict[str, WheelClass] = {}
    assignments: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = _class(node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assignments[target.id] = node.value
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            assignments[node.target.id] = node.value
    return Wheel(path, functions, classes, assignments)


# ------------------------------------------------------------------- the checker


_MISSING = object()


@dataclass(frozen=True)
class Param:
    """One parameter: name, kind and default (``_MISSING`` when none)."""

    name: str
    kind: str
    default: Any


def wheel_params(node: ast.FunctionDef) -> list[Param]:
    """The parameters of a wheel function, defaults evaluated against the fallback's
    names where possible (else kept as source text)."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[Any] = [_MISSING] * (len(positional) - len(args.defaults)) + list(args.defaults)
    out = [
        Param(a.arg, "positional", d if d is _MISSING else _evaluate(d))
        for a, d in zip(positional, defaults, strict=True)
    ]
    if args.vararg is not None:
        out.append(Param(args.vararg.arg, "var_positional", _MISSING))
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        out.append(Param(a.arg, "keyword_only", _MISSING if d is None else _evaluate(d)))
    if args.kwarg is not None:
        out.append(Param(args.kwarg.arg, "var_keyword", _MISSING))
    return out


def _evaluate(node: ast.expr) -> Any:
    text = ast.unparse(node)
    try:
        return eval(text, dict(vars(fallback)))  # a default like LinePoint.ArcLength
    except Exception:
        return text


_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}


def our_params(function: Callable[..., Any]) -> list[Param]:
    """The parameters of one of our callables."""
    signature = inspect.signature(function)
    return [
        Param(
            p.name,
            _KINDS[p.kind],
            _MISSING if p.default is inspect.Parameter.empty else p.default,
        )
        for p in signature.parameters.values()
    ]


def compare(label: str, ours: Callable[..., Any], theirs: ast.FunctionDef) -> list[str]:
    """Differences between our signature and the wheel's (empty when they match)."""
    mine, real = our_params(ours), wheel_params(theirs)
    problems: list[str] = []
    if [(p.name, p.kind) for p in mine] != [(p.name, p.kind) for p in real]:
        problems.append(
            f"{label}: parameters {[p.name for p in mine]} differ from OrcFxAPI's "
            f"{[p.name for p in real]}"
        )
        return problems
    for a, b in zip(mine, real, strict=True):
        if (a.default is _MISSING) != (b.default is _MISSING):
            problems.append(f"{label}: parameter {a.name!r} default presence differs")
        elif a.default is not _MISSING and not _same_default(a.default, b.default):
            problems.append(
                f"{label}: parameter {a.name!r} default {a.default!r} != OrcFxAPI's {b.default!r}"
            )
    return problems


def _same_default(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, str) and not isinstance(ours, str):
        return False  # a default the fallback's names cannot evaluate
    if isinstance(theirs, enum.Enum):
        return isinstance(ours, enum.Enum) and (ours.name, ours.value) == (
            theirs.name,
            theirs.value,
        )
    if ours is None or theirs is None or isinstance(ours, bool) or isinstance(theirs, bool):
        return ours is theirs
    return type(ours) is type(theirs) and bool(ours == theirs)


# --------------------------------------------------------------- what must match


FUNCTIONS: list[tuple[str, Callable[..., Any]]] = [
    ("SpecifiedPeriod", ofx.SpecifiedPeriod),
    ("oeLine", ofx.oeLine),
    ("oeNodeNum", ofx.oeNodeNum),
    ("oeArcLength", ofx.oeArcLength),
    ("oeEnvironment", ofx.oeEnvironment),
    ("oeRigidBody", ofx.oeRigidBody),
    ("arEntireRange", ofx.arEntireRange),
    ("arSpecifiedArclengths", ofx.arSpecifiedArclengths),
    ("arSpecifiedSections", ofx.arSpecifiedSections),
    ("objectFromDict", ofx.objectFromDict),
    ("TimeSeriesStatistics", ofx.TimeSeriesStatistics),
    ("AnalyseExtrema", ofx.AnalyseExtrema),
]

METHODS: list[tuple[str, str, Callable[..., Any]]] = [
    ("Period", "__init__", ofx.Period.__init__),
    ("DLLError", "__init__", ofx.DLLError.__init__),
    ("ObjectExtra", "setRadialPos", ofx.ObjectExtra.setRadialPos),
    ("_DictLookup", "asDict", ofx._DictLookup.asDict),
    ("Model", "__init__", reader.ArchiveModel.__init__),
    *[
        ("Model", name, getattr(reader.ArchiveModel, name))
        for name in (
            "LoadSimulation",
            "LoadData",
            "SaveSimulation",
            "SaveData",
            "CalculateStatics",
            "RunSimulation",
            "SampleTimesCollated",
        )
    ],
    ("Model", "__getitem__", reader.ArchiveModel.__getitem__),
    ("Model", "__contains__", reader.ArchiveModel.__contains__),
    ("Model", "__iter__", reader.ArchiveModel.__iter__),
    ("Model", "__len__", reader.ArchiveModel.__len__),
    ("Model", "SampleTimes", reader.ArchiveModel.SampleTimes),
    ("Model", "SampleCount", reader.ArchiveModel.SampleCount),
    *[
        ("OrcaFlexObject", name, getattr(reader.OrcaFlexObject, name))
        for name in (
            "vars",
            "varDetails",
            "SampleCount",
            "SampleTimes",
            "TimeHistory",
            "StaticResult",
            "LinkedStatistics",
            "TimeSeriesStatistics",
            "AnalyseExtrema",
            "GetData",
            "DataNameValid",
            "GetDataRowCount",
            "TimeHistoryCollated",
            "SampleTimesCollated",
            "ExtremeStatistics",
            "FrequencyDomainResults",
            "FrequencyDomainResultsProcess",
            "FrequencyDomainMPM",
            "SpectralResponseRAO",
            "SpectralDensity",
            "EmpiricalDistribution",
            "RainflowHalfCycles",
            "UnorderedRainflowHalfCycles",
            "RainflowAssociatedMean",
            "CycleHistogramBins",
        )
    ],
    (
        "OrcaFlexRangeGraphObject",
        "RangeGraphCollated",
        reader.OrcaFlexRangeGraphObject.RangeGraphCollated,
    ),
    ("OrcaFlexRangeGraphObject", "RangeGraph", reader.OrcaFlexRangeGraphObject.RangeGraph),
    (
        "OrcaFlexRangeGraphObject",
        "RangeGraphXaxis",
        reader.OrcaFlexRangeGraphObject.RangeGraphXaxis,
    ),
    ("OrcaFlexLineObject", "NearestNodeArclength", reader.OrcaFlexLineObject.NearestNodeArclength),
    ("LinkedStatistics", "__init__", reader.LinkedStatistics.__init__),
    ("LinkedStatistics", "Query", reader.LinkedStatistics.Query),
    ("LinkedStatistics", "TimeSeriesStatistics", reader.LinkedStatistics.TimeSeriesStatistics),
]

PROPERTIES: list[tuple[str, type, list[str]]] = [
    (
        "Model",
        reader.ArchiveModel,
        [
            "objects",
            "state",
            "simulationComplete",
            "simulationStartTime",
            "simulationStopTime",
            "simulationTimeToGo",
            "simulationTimeStatus",
            "threadCount",
            "type",
            "isTimeDomainDynamics",
            "isFrequencyDomainDynamics",
            "warnings",
            "latestFileName",
        ],
    ),
    ("OrcaFlexObject", reader.OrcaFlexObject, ["typeName"]),
    ("OrcaFlexLineObject", reader.OrcaFlexLineObject, ["NodeArclengths"]),
]

FULL_ENUMS = [
    "StatusCode",
    "PeriodNum",
    "LinePoint",
    "RadialPos",
    "ResultType",
    "ArclengthRangeMode",
    "ModelState",
    "ModelType",
    "FileType",
    "LineResultPoints",
    "ExtremeValueDistribution",
    "DistributionTail",
]


def test_wheel_is_found_without_importing_it() -> None:
    path = locate_wheel_module()
    assert path.name == "OrcFxAPI.py" and path.is_file()
    assert "OrcFxAPI" not in sys.modules
    assert wheel().has("Model") and wheel().has("DLLError")


@pytest.mark.parametrize(("name", "ours"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_function_signatures(name: str, ours: Callable[..., Any]) -> None:
    assert compare(name, ours, wheel().functions[name]) == []


@pytest.mark.parametrize(("cls", "name", "ours"), METHODS, ids=[f"{m[0]}.{m[1]}" for m in METHODS])
def test_method_signatures(cls: str, name: str, ours: Callable[..., Any]) -> None:
    assert compare(f"{cls}.{name}", ours, wheel().method(cls, name)) == []


def test_fake_model_signature() -> None:
    source = FAKE_ORCFXAPI_DIR / "OrcFxAPI.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    fake_init = next(
        item
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name == "Model"
        for item in node.body
        if isinstance(item, ast.FunctionDef) and item.name == "__init__"
    )
    mine = [(p.name, p.kind, p.default) for p in wheel_params(fake_init)]
    real = [(p.name, p.kind, p.default) for p in wheel_params(wheel().method("Model", "__init__"))]
    assert mine == real


@pytest.mark.parametrize(("cls", "ours", "names"), PROPERTIES, ids=[p[0] for p in PROPERTIES])
def test_properties(cls: str, ours: type, names: list[str]) -> None:
    for name in names:
        assert wheel().is_property(cls, name), f"{cls}.{name} is not a property in OrcFxAPI"
        assert isinstance(inspect.getattr_static(ours, name), property), f"{ours.__name__}.{name}"


def test_class_structure_mirrors_orcfxapi() -> None:
    w = wheel()
    assert {c.name for c in w.lineage("OrcaFlexLineObject")} >= {
        "OrcaFlexRangeGraphObject",
        "OrcaFlexObject",
    }
    assert "OrcaFlexRangeGraphObject" not in {c.name for c in w.lineage("OrcaFlexVesselObject")}
    assert issubclass(reader.OrcaFlexLineObject, reader.OrcaFlexRangeGraphObject)
    assert issubclass(reader.OrcaFlexTurbineObject, reader.OrcaFlexRangeGraphObject)
    assert not hasattr(reader.OrcaFlexVesselObject, "RangeGraph")
    assert not hasattr(reader.OrcaFlex6DBuoyObject, "RangeGraph")
    # names the reader's classes share with OrcFxAPI
    for name in (
        "OrcaFlexObject",
        "OrcaFlexLineObject",
        "OrcaFlexVesselObject",
        "LinkedStatistics",
    ):
        assert name in w.classes and hasattr(reader, name)


def test_instances_aliases_and_functions() -> None:
    w = wheel()
    for name in ("oeEndA", "oeEndB", "oeTouchdown"):
        assigned = w.assignments[name]
        assert isinstance(assigned, ast.Call) and ast.unparse(assigned.func) == "oeLine"
        assert isinstance(getattr(ofx, name), ofx.ObjectExtra)
    for alias in ("oeVessel", "oeBuoy", "oeConstraint"):
        assert ast.unparse(w.assignments[alias]) == "oeRigidBody"
        assert getattr(ofx, alias) is ofx.oeRigidBody
    assert ast.unparse(w.assignments["arEntireLine"]) == "arEntireRange"
    assert ofx.arEntireLine is ofx.arEntireRange
    assert "arEntireRange" in w.functions and inspect.isfunction(ofx.arEntireRange)


@pytest.mark.parametrize("name", FULL_ENUMS)
def test_enums_match(name: str) -> None:
    theirs = {key: ast.literal_eval(value) for key, value in wheel().classes[name].values.items()}
    ours = {member.name: member.value for member in getattr(fallback, name)}
    assert ours == theirs


def test_object_types_are_a_subset() -> None:
    theirs = {
        key: ast.literal_eval(value) for key, value in wheel().classes["ObjectType"].values.items()
    }
    for member in fallback.ObjectType:
        assert theirs[member.name] == member.value


@pytest.mark.parametrize(
    ("name", "ours"),
    [
        ("Period", fallback.Period),
        ("ObjectExtra", fallback.ObjectExtra),
        ("ArclengthRange", fallback.ArclengthRange),
        ("SimulationTimeStatus", fallback.SimulationTimeStatus),
    ],
)
def test_structure_fields(name: str, ours: type) -> None:
    theirs = list(dict.fromkeys(wheel().classes[name].fields))  # the wheel repeats WingName
    assert list(ours._field_names) == theirs  # type: ignore[attr-defined]


def test_every_reexported_name_exists_in_orcfxapi() -> None:
    names = set(ofx.__all__) - OUR_ADDITIONS
    missing = sorted(n for n in names if not wheel().has(n))
    assert missing == []


# ------------------------------------------------------------------ usage scanning


ORCFXAPI_METHODS: dict[str, str] = {
    "TimeHistory": "OrcaFlexObject",
    "StaticResult": "OrcaFlexObject",
    "LinkedStatistics": "OrcaFlexObject",
    "TimeSeriesStatistics": "OrcaFlexObject",
    "AnalyseExtrema": "OrcaFlexObject",
    "GetData": "DataObject",
    "varDetails": "OrcaFlexObject",
    "RangeGraph": "OrcaFlexRangeGraphObject",
    "RangeGraphXaxis": "OrcaFlexRangeGraphObject",
    "NearestNodeArclength": "OrcaFlexLineObject",
    "Query": "LinkedStatistics",
    "SampleTimes": "Model",
    "SampleCount": "Model",
}
"""OrcFxAPI methods whose calls in ``src/ofxpost`` are checked, and their class."""


def _call_target(w: Wheel, func: ast.Attribute) -> ast.FunctionDef | None:
    """The wheel function a call goes to: ``ofx.f(...)``, ``OrcFxAPI.Model(...)`` (its
    ``__init__``) or one of :data:`ORCFXAPI_METHODS` on any object."""
    if isinstance(func.value, ast.Name) and func.value.id in ("ofx", "OrcFxAPI"):
        if func.attr in w.functions:
            return w.functions[func.attr]
        if func.attr in w.classes:
            try:
                return w.method(func.attr, "__init__")
            except KeyError:
                return None
        return None
    cls = ORCFXAPI_METHODS.get(func.attr)
    return None if cls is None else w.method(cls, func.attr)


def scan_usages(source: str, filename: str = "<source>") -> tuple[set[str], list[str]]:
    """``ofx.<name>``/``OrcFxAPI.<name>`` names used in ``source``, and problems with
    calls of :data:`ORCFXAPI_METHODS` (too many arguments, unknown keywords)."""
    tree = ast.parse(source, filename=filename)
    names: set[str] = set()
    problems: list[str] = []
    w = wheel()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("ofx", "OrcFxAPI")
        ):
            names.add(node.attr)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = _call_target(w, node.func)
            if target is None:
                continue
            params = [p for p in wheel_params(target) if p.name != "self"]
            where = f"{filename}:{node.lineno} {node.func.attr}"
            positional = [p for p in params if p.kind == "positional"]
            varargs = any(p.kind == "var_positional" for p in params)
            if (
                len(node.args) > len(positional)
                and not varargs
                and not any(isinstance(a, ast.Starred) for a in node.args)
            ):
                problems.append(f"{where}: {len(node.args)} positional arguments")
            known = {p.name for p in params}
            for keyword in node.keywords:
                if keyword.arg is not None and keyword.arg not in known:
                    problems.append(f"{where}: unknown keyword {keyword.arg!r}")
    return names, problems


def test_every_orcfxapi_name_and_call_in_the_project_exists() -> None:
    used: set[str] = set()
    problems: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        names, found = scan_usages(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))
        used |= names
        problems.extend(found)
    assert {"Period", "PeriodNum", "oeEndA", "DLLError", "StatusCode"} <= used
    missing = sorted(n for n in used - OUR_ADDITIONS if not wheel().has(n))
    assert missing == []
    assert problems == []


# ------------------------------------------------------------- the checker can fail


def test_checker_reports_wrong_signatures() -> None:
    def TimeHistory(self: Any, varNames: Any, objectExtra: Any = None, period: Any = None) -> None:
        """Parameters swapped."""

    def RangeGraph(
        self: Any,
        varName: str,
        period: Any = 0,
        objectExtra: Any = None,
        arclengthRange: Any = None,
        stormDurationHours: Any = None,
    ) -> None:
        """Wrong default."""

    def oeLine(
        LinePoint: Any = fallback.LinePoint.EndA,
        NodeNum: int = 0,
        ArcLength: float = 0.0,
        RadialPos: Any = fallback.RadialPos.Inner,
        Theta: float = 0.0,
        ClearanceLineName: Any = None,
        ExternalResultText: Any = None,
    ) -> None:
        """Wrong enum default."""

    def SpecifiedPeriod(FromTime: float, ToTime: float = 0.0) -> None:
        """Missing default."""

    w = wheel()
    swapped = compare("TimeHistory", TimeHistory, w.method("OrcaFlexObject", "TimeHistory"))
    assert swapped and "differ" in swapped[0]
    default = compare("RangeGraph", RangeGraph, w.method("OrcaFlexRangeGraphObject", "RangeGraph"))
    assert default and "'period' default 0" in default[0]
    enum_default = compare("oeLine", oeLine, w.functions["oeLine"])
    assert enum_default and "LinePoint" in enum_default[0]
    assert compare("SpecifiedPeriod", SpecifiedPeriod, w.functions["SpecifiedPeriod"])


def test_usage_scan_reports_wrong_calls() -> None:
    source = (
        "def f(obj, ofx):\n"
        "    obj.TimeHistory('X', periodd=1)\n"
        "    obj.RangeGraph('X', None, None, None, None, None)\n"
        "    ofx.oeLine(LinePoint=1, Radial=2)\n"
        "    OrcFxAPI.Model('a.sim', threads=1)\n"
        "    return ofx.OrcaFlexError\n"
    )
    names, problems = scan_usages(source)
    assert "OrcaFlexError" in names and not wheel().has("OrcaFlexError")
    assert any("unknown keyword 'periodd'" in p for p in problems)
    assert any("6 positional arguments" in p for p in problems)
    assert any("oeLine: unknown keyword 'Radial'" in p for p in problems)
    assert any("Model: unknown keyword 'threads'" in p for p in problems)
