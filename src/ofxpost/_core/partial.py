"""``ofxpost.Partial``: an extractor's results together with the items that failed.

An extractor that computes many items (columns, graphs ...) for a file and loses
some of them returns ``ofxpost.Partial(results, errors)`` instead of a plain
mapping. The worker stores ``results`` as usual and turns each entry of
``errors`` into an error of kind ``extractor`` against that plugin, naming the
item and the reason; the file's status becomes ``partial`` (exit code 1). An item
the user marked optional is left out of ``errors`` by the extractor: the file then
stays ``ok``, and the plugin reports the item in its own tables only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ofxpost._core.records import ErrorKind, ErrorRecord


@dataclass(frozen=True)
class Partial:
    """Results of one extractor for one file, with the items that failed.

    :param results: result name to value, exactly what a plain return would be.
    :param errors: failed item (e.g. ``"summary group 'main' column 'top'"``) to
        the reason (e.g. ``"no object named 'Riser' in this model"``).

    >>> Partial({"peaks_max": 3.2}, {"column 'peaks_over'": "no samples in the period"})
    Partial(results={'peaks_max': 3.2}, errors={"column 'peaks_over'": 'no samples in the period'})
    """

    results: Mapping[str, Any]
    errors: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.results, Mapping):
            raise TypeError(
                f"Partial results must be a mapping of result names, "
                f"not {type(self.results).__name__}"
            )
        if not isinstance(self.errors, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.errors.items()
        ):
            raise TypeError("Partial errors must map item names (str) to reasons (str)")


def item_errors(value: Any, file_name: str, plugin: str) -> list[ErrorRecord]:
    """The file's errors (kind ``extractor``) for the failed items of ``value``.

    Empty unless ``value`` is a :class:`Partial`. Each message names the file, the
    item and the reason.
    """
    if not isinstance(value, Partial):
        return []
    return [
        ErrorRecord(ErrorKind.EXTRACTOR, f"{file_name}: {item}: {reason}", plugin=plugin)
        for item, reason in value.errors.items()
    ]
