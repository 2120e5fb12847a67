"""A safe, exact encoding of extractor results as JSON (no pickle).

Extractor results travel from a worker to the result store as JSON text. Plain data
maps to itself; floats keep every bit (Python writes the shortest repr that reads
back to the same float, and NaN/Infinity are allowed); numpy arrays and pandas
DataFrames are tagged objects carrying their bytes (Arrow IPC for DataFrames), so a
result read back from the store equals the one the extractor returned.

numpy is imported only to decode an array: a value can be a numpy scalar or array
only once numpy has been imported, so the controller, which plans and dispatches
before it ever decodes an array, never pays numpy's import on its way to the first
file.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from ofxpost.errors import EncodeError

_ARRAY_TAG = "__ndarray__"
_FRAME_TAG = "__dataframe__"
_TAGS = (_ARRAY_TAG, _FRAME_TAG)

if TYPE_CHECKING:
    import numpy as np


def _numpy() -> Any:
    """The numpy module if it has been imported, else ``None`` (then no value is a
    numpy scalar or array)."""
    return sys.modules.get("numpy")


def to_jsonable(value: Any, where: str = "result") -> Any:
    """Convert ``value`` to plain JSON data, tagging arrays and DataFrames.

    :raises EncodeError: naming the offending path (``where``) and type.
    """
    if value is None or isinstance(value, bool | str):
        return value
    np = _numpy()
    if np is not None:
        if isinstance(value, np.generic):
            return to_jsonable(value.item(), where)
        if isinstance(value, np.ndarray):
            return _encode_array(value, where)
    if isinstance(value, int | float):
        return value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise EncodeError(f"{where}: dictionary key {key!r} is not a string")
            if key in _TAGS:
                raise EncodeError(f"{where}: dictionary key {key!r} is reserved")
            out[key] = to_jsonable(item, f"{where}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [to_jsonable(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if _is_dataframe(value):
        return _encode_frame(value)
    raise EncodeError(
        f"{where}: values of type {type(value).__name__} cannot be stored; use plain data, "
        "numpy arrays or pandas DataFrames"
    )


def from_jsonable(value: Any) -> Any:
    """Inverse of :func:`to_jsonable`."""
    if isinstance(value, dict):
        return _untag({key: from_jsonable(item) for key, item in value.items()})
    if isinstance(value, list):
        return [from_jsonable(item) for item in value]
    return value


def dumps(value: Any, where: str = "result") -> str:
    """Encode ``value`` as compact JSON text (see :func:`to_jsonable`)."""
    return json.dumps(to_jsonable(value, where), separators=(",", ":"), allow_nan=True)


def loads(text: str) -> Any:
    """Decode JSON text written by :func:`dumps` (what :func:`from_jsonable` does,
    with the walk done by the JSON parser)."""
    return json.loads(text, object_hook=_untag)


def _untag(value: dict[str, Any]) -> Any:
    """The array or DataFrame a tagged object stands for; any other object itself."""
    if len(value) == 1:
        if _ARRAY_TAG in value:
            return _decode_array(value[_ARRAY_TAG])
        if _FRAME_TAG in value:
            return _decode_frame(value[_FRAME_TAG])
    return value


def json_default(value: Any) -> Any:
    """A ``default=`` for :func:`json.dumps` that turns numpy scalars and paths into data.

    Non-finite floats become ``None`` so that the output is strict JSON.
    """
    np = _numpy()
    if np is not None and isinstance(value, np.generic):
        item = value.item()
        if isinstance(item, float) and not math.isfinite(item):
            return None
        return item
    if isinstance(value, PurePath):
        return str(value)
    if np is not None and isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _is_dataframe(value: Any) -> bool:
    cls = type(value)
    return cls.__name__ == "DataFrame" and cls.__module__.startswith("pandas")


def _encode_array(array: np.ndarray[Any, Any], where: str) -> dict[str, Any]:
    import numpy as np

    if array.dtype.hasobject:
        raise EncodeError(f"{where}: numpy arrays of dtype object cannot be stored")
    data = np.ascontiguousarray(array)
    return {
        _ARRAY_TAG: {
            "dtype": data.dtype.str,
            "shape": list(data.shape),
            "data": base64.b64encode(data.tobytes()).decode("ascii"),
        }
    }


def _decode_array(spec: dict[str, Any]) -> np.ndarray[Any, Any]:
    import numpy as np

    raw = base64.b64decode(spec["data"])
    array = np.frombuffer(raw, dtype=np.dtype(spec["dtype"])).reshape(spec["shape"])
    return array.copy()


def _encode_frame(frame: Any) -> dict[str, Any]:
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=True)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return {_FRAME_TAG: base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")}


def _decode_frame(data: str) -> Any:
    import pyarrow as pa

    reader = pa.ipc.open_stream(pa.py_buffer(base64.b64decode(data)))
    return reader.read_all().to_pandas()
