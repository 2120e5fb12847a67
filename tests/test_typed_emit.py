"""``EventEmitter.emit`` is typed per event: the overloads are generated from
``ofxpost.event_types`` and current, and a type checker rejects a wrong field."""

from __future__ import annotations

import re
import textwrap
import typing
from pathlib import Path

import pytest

from ofxpost._core.records import ErrorKind, FileStatus
from ofxpost._events import emit_gen
from ofxpost._events.fields import finished_status, kind_name, mode_name, stage_name
from ofxpost.event_types import EVENT_TYPES, ErrorKindName


def test_the_generated_overloads_are_current() -> None:
    current = emit_gen.TARGET.read_text(encoding="utf-8")
    assert current == emit_gen.module_text(), "run: python -m ofxpost._events.emit_gen"


def test_there_is_one_overload_per_event() -> None:
    text = emit_gen.module_text()
    overloads = re.findall(r'event: Literal\["([a-z_]+)"\]', text)
    assert sorted(overloads) == sorted(EVENT_TYPES)


def test_every_error_kind_is_an_event_kind_and_back() -> None:
    assert {str(k) for k in ErrorKind} == set(typing.get_args(ErrorKindName))
    assert [kind_name(k) for k in ErrorKind] == [str(k) for k in ErrorKind]


def test_a_value_an_event_does_not_allow_is_refused() -> None:
    assert finished_status(FileStatus.PARTIAL) == "partial"
    with pytest.raises(ValueError, match="'failed'"):
        finished_status(FileStatus.FAILED)
    assert mode_name("dask") == "dask"
    assert mode_name("threads") == "parallel"  # a custom executor's name
    assert stage_name("writer") == "writer"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_mypy_rejects_a_wrong_field_at_the_call_site(tmp_path: Path) -> None:
    from mypy import api as mypy_api
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        textwrap.dedent(
            """\
            from ofxpost._events.emitter import EventEmitter

            emitter = EventEmitter("b")
            emitter.emit("file_finished", file="a", index=0, status="ok", duration_s=1.0)
            emitter.emit("file_finished", file="a", index=0, status="ok", duration_s=1.0, x=1)
            emitter.emit("file_finished", file="a", index="0", status="ok", duration_s=1.0)
            emitter.emit("file_finished", file="a", index=0, status="done", duration_s=1.0)
            emitter.emit("file_finishd", file="a")
            emitter.emit("file_failed", level="error", file="a", index=0, message="m")
            """
        ),
        encoding="utf-8",
    )
    out, _, _ = mypy_api.run(
        ["--strict", "--no-incremental", "--follow-imports=silent", str(snippet)]
    )
    flagged = {int(n) for n in re.findall(r"snippet\.py:(\d+): error", out)}
    # line 4 is right; 5: unknown field, 6: wrong type, 7: not a status, 8: no such
    # event, 9: the required ``kind`` is missing
    assert flagged == {5, 6, 7, 8, 9}, out
