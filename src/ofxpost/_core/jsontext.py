"""JSON text written fast for files written once per input file (error reports).

``json.dumps(..., indent=2)`` runs Python's pure-Python encoder (the C encoder
serves only ``indent=None``); for 20,000 failing files its cost was a visible part
of what a failing file costs more than a good one. :func:`key_per_line` keeps the
text readable (one top-level key a line) with every value encoded by the C encoder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def key_per_line(data: Mapping[str, Any]) -> str:
    """``data`` as a JSON object, one top-level key per line (indented by 2), each
    value on its key's line; ``json.loads`` gives ``data`` back."""
    if not data:
        return "{}\n"
    lines = [f"  {json.dumps(str(key))}: {json.dumps(value)}" for key, value in data.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"
