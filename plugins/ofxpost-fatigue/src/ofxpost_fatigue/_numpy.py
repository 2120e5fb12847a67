"""numpy, imported on first use (see :func:`ofxpost.plugin.on_first_use`).

The controller registers this plugin before its first file but needs numpy only at
the finish; the workers need it for every file. The modules here write
``from ofxpost_fatigue._numpy import np`` and use ``np`` as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
else:
    from ofxpost.plugin import on_first_use

    np = on_first_use("numpy")

__all__ = ["np"]
