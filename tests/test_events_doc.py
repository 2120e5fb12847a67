"""docs/events.md documents exactly the events of ``ofxpost.event_types``: one
section per event, whose field table lists exactly that event's fields."""

from __future__ import annotations

import re
from pathlib import Path

from ofxpost._events.emitter import EVENT_NAMES
from ofxpost.event_types import EVENT_TYPES, Envelope

DOC = Path(__file__).resolve().parent.parent / "docs" / "events.md"
SECTION = re.compile(r"^### `([a-z_]+)` \(", re.MULTILINE)


def _sections(text: str) -> dict[str, list[str]]:
    """Each event section's body, by event name (a name twice is kept twice)."""
    found: dict[str, list[str]] = {}
    matches = list(SECTION.finditer(text))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following is not None else len(text)
        body = text[match.end() : end].split("\n### ", 1)[0]
        found.setdefault(match.group(1), []).append(body)
    return found


def _documented_fields(body: str) -> set[str]:
    fields: set[str] = set()
    for line in body.splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        fields.update(re.findall(r"`([a-z_]+)`", first_cell))
    return fields


def test_every_event_type_is_documented_once_and_nothing_else_is() -> None:
    sections = _sections(DOC.read_text(encoding="utf-8"))
    assert set(EVENT_TYPES) == set(EVENT_NAMES)
    assert sorted(sections) == sorted(EVENT_TYPES)
    twice = sorted(name for name, bodies in sections.items() if len(bodies) > 1)
    assert not twice, f"documented more than once: {twice}"


def test_each_event_section_lists_exactly_its_fields() -> None:
    sections = _sections(DOC.read_text(encoding="utf-8"))
    envelope = set(Envelope.__annotations__)
    wrong = {}
    for name, kind in EVENT_TYPES.items():
        expected = set(kind.__annotations__) - envelope
        documented = _documented_fields(sections[name][0])
        if documented != expected:
            wrong[name] = {
                "undocumented": sorted(expected - documented),
                "not a field": sorted(documented - expected),
            }
    assert not wrong


def test_the_typed_events_paragraph_names_every_type() -> None:
    text = DOC.read_text(encoding="utf-8")
    paragraph = text.split("### Typed events", 1)[1].split("```", 1)[0]
    named = set(re.findall(r"`([A-Z][A-Za-z_]+)`", paragraph))
    expected = {kind.__name__ for kind in EVENT_TYPES.values()}
    assert expected <= named, sorted(expected - named)
    assert f"one `TypedDict` per event ({len(EVENT_TYPES)} events:" in paragraph


def test_code_fences_are_closed() -> None:
    fences = [
        line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("```")
    ]
    assert len(fences) % 2 == 0
    openers = fences[0::2]
    closers = fences[1::2]
    assert all(line != "```" for line in openers), "a fence opens without a language"
    assert all(line == "```" for line in closers), "a fence is opened where one should close"
