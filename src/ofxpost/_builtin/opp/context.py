"""One translation's state: the source file for errors, and the keys it ignored."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ofxpost._config.messages import format_validation, key_message, label_prefix
from ofxpost.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

IGNORED_NOTES: dict[str, str] = {
    "orcaflex.analysis": "ofxpost runs no OrcaFlex analysis",
    "orcaflex.postprocess.visualization": "model views need OrcaFlex itself; draw them there",
    "orcaflex.postprocess.RAOs": "RAOs need OrcaFlex itself; compute them there",
    "orcaflex.postprocess.cummulative_histograms": "opp never computed them",
    "orcaflex.postprocess.cumulative_histograms": "opp never computed them",
    "add_effective_tension_to_cfg": "opp's range graphs were never saved",
    "SupportIndex": "opp read it only for variables containing 'Support'",
    "time_series.summation": (
        "adding histograms across files needs bins every file shares: give histogram: "
        "{flag: true, bins: N, range: [low, high]}"
    ),
}
"""Why an ignored key that is switched on (``flag: true`` ...) produces nothing."""


def switched_on(value: Any) -> bool:
    """Whether an ignored opp block asks for something (``flag: true``, ``true`` ...)."""
    if isinstance(value, Mapping):
        return bool(value.get("flag"))
    return bool(value)


@dataclass
class Translation:
    """One translation: the source for error messages and what it ignored."""

    source: Path | None
    ignored: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    group_files: list[tuple[str, Any, Any]] = field(default_factory=list)
    """``(key path, directory, filename_pattern)`` of each summary group selecting files."""
    injections: list[dict[str, Any]] = field(default_factory=list)
    """The native ``inject_into`` entries (opp's summary ``inject_into`` blocks)."""

    def inject(self, where: str, value: Any, group: str) -> None:
        """A summary group's ``inject_into: {flag, filename, sheetname}``: an
        ``inject_into`` entry writing ``summary_<group>`` into that workbook's sheet
        (default: the group's name); nothing when the flag is off."""
        if not isinstance(value, Mapping):
            raise self.fail(where, "expected a mapping with flag, filename and sheetname")
        if not switched_on(value.get("flag", False)):
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

    def fail(self, path: str, message: str) -> ConfigError:
        """A :class:`ConfigError` naming the source file and the opp key path."""
        return ConfigError(f"{label_prefix(self.source)}{key_message(path, message)}")

    def validate(self, model: type[M], value: Any, path: str = "") -> M:
        """``value`` read as ``model``, written at ``path`` (errors name file, key, value)."""
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            prefix = (path,) if path else ()
            raise ConfigError(format_validation(exc, self.source, prefix, model)) from None

    def ignore(self, key: str, value: Any = None, note_key: str | None = None) -> None:
        """Record an accepted key without effect; note it when it is switched on."""
        path = re.sub(r"\[\d+\]", "[]", key)
        if path not in self.ignored:
            self.ignored.append(path)
        note = IGNORED_NOTES.get(note_key or path)
        if note is not None and switched_on(value):
            entry = f"{path} ({note})"
            if entry not in self.requested:
                self.requested.append(entry)

    def ignore_written(self, block: BaseModel | None, path: str, *names: str) -> None:
        """:meth:`ignore` each of ``names`` written in ``block`` (its notes by name)."""
        if block is None:
            return
        for name in names:
            if name in block.model_fields_set:
                self.ignore(f"{path}.{name}", getattr(block, name), NOTE_KEYS.get(name))

    def notices(self) -> tuple[str, ...]:
        """The ``ignored opp keys: ...`` notice (empty when nothing was ignored)."""
        if not self.ignored:
            return ()
        text = "ignored opp keys (no meaning in ofxpost): " + ", ".join(self.ignored)
        if self.requested:
            text += "; switched on but not produced: " + "; ".join(self.requested)
        return (text,)


NOTE_KEYS = {
    "add_effective_tension_to_cfg": "add_effective_tension_to_cfg",
}
"""The :data:`IGNORED_NOTES` entry of an ignored key, wherever it is written."""
