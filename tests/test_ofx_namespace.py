"""The ``ofxpost.ofx`` compatibility namespace and its pure-Python fallback."""

from __future__ import annotations

import copy
import pickle
import sys
import textwrap

import pytest

from ofxpost import ofx
from ofxpost._ofx import fallback
from tests._cli import run_python


def test_linux_uses_the_fallback_without_registering_orcfxapi() -> None:
    assert ofx.HAVE_ORCFXAPI is False
    assert ofx.source_module() is fallback
    assert ofx.Period is fallback.Period and ofx.DLLError is fallback.DLLError
    assert "OrcFxAPI" not in sys.modules


@pytest.mark.integration
def test_import_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import ofxpost
        before = set(sys.modules)
        import ofxpost.ofx
        new = set(sys.modules) - before
        heavy = sorted(m for m in new if m.split('.')[0] in {'pyarrow', 'pandas', 'OrcFxAPI'})
        print(heavy, 'OrcFxAPI' in sys.modules)
        """
    )
    result = run_python("-c", code, check=True, timeout=120)
    assert result.stdout.strip() == "[] False"


@pytest.mark.parametrize(
    ("enum", "values"),
    [
        (
            ofx.PeriodNum,
            {
                "BuildUp": 0,
                "SpecifiedPeriod": 32001,
                "LatestWave": 32002,
                "WholeSimulation": 32003,
                "StaticState": 32004,
                "InstantaneousValue": 32005,
            },
        ),
        (
            ofx.ModelState,
            {
                "Reset": 0,
                "CalculatingStatics": 1,
                "InStaticState": 2,
                "RunningSimulation": 3,
                "SimulationStopped": 4,
                "SimulationStoppedUnstable": 5,
            },
        ),
        (ofx.LinePoint, {"EndA": 0, "EndB": 1, "Touchdown": 2, "NodeNum": 3, "ArcLength": 4}),
        (ofx.RadialPos, {"Inner": 0, "Outer": 1, "Mid": 2, "Specified": 3}),
        (
            ofx.ArclengthRangeMode,
            {"EntireRange": 0, "SpecifiedArclengths": 1, "SpecifiedSections": 2},
        ),
        (
            ofx.StatusCode,
            {
                "LicensingError": 25,
                "StaticsFailed": 27,
                "FileNotFound": 6,
                "FileReadError": 7,
                "UnrecognisedVarName": 26,
                "InvalidObjectExtra": 15,
                "NoSuchObject": 23,
                "NoSuchNodeNum": 9,
                "InvalidPeriod": 12,
                "InvalidArclengthRange": 58,
                "ResultsNotLogged": 55,
                "ValueNotAvailable": 59,
                "InvalidModelState": 39,
                "PeriodNotYetStarted": 37,
                "DLLInitFailed": 57,
                "CreateModelError": 2,
                "DLLsVersionError": 1,
                "RequiredModulesNotEnabled": 36,
                "InvalidFileType": 52,
                "InvalidFileFormat": 67,
                "InvalidVersion": 34,
                "SimulationError": 40,
                "OperationCancelled": 29,
                "UnexpectedError": 20,
                "ThreadAffinityError": 68,
            },
        ),
        (
            ofx.ObjectType,
            {"General": 1, "Environment": 3, "Vessel": 5, "Line": 6, "Buoy6D": 7, "Turbine": 13},
        ),
    ],
)
def test_enum_values(enum: type, values: dict[str, int]) -> None:
    for name, value in values.items():
        assert int(getattr(enum, name)) == value


def test_unknown_enum_values_become_undefined_members() -> None:
    odd = ofx.StatusCode(999)
    assert odd.name == "UNDEFINED_999" and int(odd) == 999
    assert ofx.PeriodNum(3) == 3  # stage 3 is period number 3


def test_dll_error() -> None:
    error = ofx.DLLError(ofx.StatusCode.LicensingError, "no licence")
    assert error.status is ofx.StatusCode.LicensingError
    assert error.errorString == "no licence"
    assert error.msg == "\nError code: 25\nno licence"
    assert str(error) == repr(error) == error.msg
    bare = ofx.DLLError(7)
    assert bare.status == ofx.StatusCode.FileReadError and bare.errorString == ""
    restored = pickle.loads(pickle.dumps(error))
    assert (restored.status, restored.errorString) == (error.status, error.errorString)


def test_structures() -> None:
    period = ofx.Period(ofx.PeriodNum.SpecifiedPeriod, 1.0, 2.0)
    assert (period.PeriodNum, period.FromTime, period.ToTime) == (32001, 1.0, 2.0)
    assert ofx.SpecifiedPeriod(1.0, 2.0) == period
    assert ofx.Period(3).PeriodNum == 3 and ofx.Period(3).FromTime == 0.0
    assert pickle.loads(pickle.dumps(period)) == period
    assert copy.copy(period) == period and period != ofx.Period(0)
    assert ofx.SpecifiedPeriod().ToTime == 0.0
    status = fallback.SimulationTimeStatus(-8.0, 100.0, 50.0)
    assert (status.StartTime, status.StopTime, status.CurrentTime) == (-8.0, 100.0, 50.0)


def test_object_extras() -> None:
    assert isinstance(ofx.oeEndA, ofx.ObjectExtra)
    assert ofx.ObjectExtra() == ofx.oeEndA  # zero-filled means End A
    assert ofx.oeEndB.LinePoint == ofx.LinePoint.EndB
    assert ofx.oeTouchdown.LinePoint == ofx.LinePoint.Touchdown
    node = ofx.oeNodeNum(12)
    assert (node.LinePoint, node.NodeNum) == (ofx.LinePoint.NodeNum, 12)
    arc = ofx.oeArcLength(150.5)
    assert (arc.LinePoint, arc.ArcLength) == (ofx.LinePoint.ArcLength, 150.5)
    default = ofx.oeLine()
    assert default.LinePoint == ofx.LinePoint.ArcLength and default.RadialPos == 0
    radius = ofx.oeLine(RadialPos=0.25)
    assert radius.RadialPos == ofx.RadialPos.Specified and radius.r == 0.25
    outer = ofx.oeLine(RadialPos=1)
    assert outer.RadialPos == ofx.RadialPos.Outer and outer.r == 0.0
    assert ofx.oeVessel(1, 2, 3).RigidBodyPos == [1.0, 2.0, 3.0]
    assert ofx.oeVessel is ofx.oeRigidBody is ofx.oeBuoy
    assert ofx.oeEnvironment((4, 5, 6)).EnvironmentPos == [4.0, 5.0, 6.0]
    with pytest.raises(TypeError):
        ofx.oeEnvironment(1, 2)
    assert pickle.loads(pickle.dumps(node)) == node


def test_arclength_ranges() -> None:
    assert callable(ofx.arEntireRange)
    assert ofx.arEntireRange().Mode == ofx.ArclengthRangeMode.EntireRange
    specified = ofx.arSpecifiedArclengths(10.0, 20.0)
    assert (specified.Mode, specified.FromArclength, specified.ToArclength) == (1, 10.0, 20.0)
    sections = ofx.arSpecifiedSections(2, 3)
    assert (sections.Mode, sections.FromSection, sections.ToSection) == (2, 2, 3)


def test_dict_lookup() -> None:
    bag = ofx.objectFromDict({"Min": 1.0, "Max": 2.0})
    assert (bag.Min, bag.Max) == (1.0, 2.0)
    assert bag.asDict() == {"Min": 1.0, "Max": 2.0}
    assert str(bag) == "<Min: 1.0, Max: 2.0>" and repr(bag) == "<'Min': 1.0, 'Max': 2.0>"
    with pytest.raises(AttributeError):
        bag.Mean  # noqa: B018
    assert pickle.loads(pickle.dumps(bag)).asDict() == bag.asDict()


class _LookAlike(Exception):
    def __init__(self, status: object) -> None:
        super().__init__(status)
        self.status = status


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ofx.DLLError(25, "licence"), True),
        (ofx.DLLError(57), True),
        (ofx.DLLError(2), True),
        (ofx.DLLError(1), True),
        (ofx.DLLError(36), True),
        (ofx.DLLError(7), False),
        (ofx.DLLError(26), False),
        (_LookAlike(25), True),
        (_LookAlike("25"), True),
        (_LookAlike("licence"), False),
        (_LookAlike(True), False),
        (ValueError("25"), False),
    ],
)
def test_is_licence_error(exc: BaseException, expected: bool) -> None:
    assert ofx.is_licence_error(exc) is expected


def test_is_licence_error_follows_the_cause() -> None:
    try:
        try:
            raise ofx.DLLError(25)
        except ofx.DLLError as inner:
            raise RuntimeError("opening failed") from inner
    except RuntimeError as outer:
        assert ofx.is_licence_error(outer)
    assert ofx.licensing_status_codes() == frozenset({25, 57, 2, 1, 36})
