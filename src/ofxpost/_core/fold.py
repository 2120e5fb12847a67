"""The fold protocol: an aggregation that takes each finished record as it arrives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from ofxpost._core.records import FileRecord


class Fold(Protocol):
    """One plugin's running aggregation (what ``ofxpost_start_fold`` returns)."""

    def add(self, record: FileRecord) -> None:
        """Take one finished file's record (any order; each file once)."""

    def tables(self) -> Mapping[str, pd.DataFrame] | None:
        """The tables of every record added, as ``ofxpost_aggregate`` returns them."""
