"""numpy for the built-in plugins, imported on first use.

The controller imports every built-in plugin before its first file but needs numpy
only at the finish (the workers need it for every file), so a module-level import
delayed every batch's first file by numpy's import. The built-ins write
``from ofxpost._builtin.support.numpy import np`` and use ``np`` as usual; type
checkers see the real module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
else:
    from ofxpost._core.lazymodule import on_first_use

    np = on_first_use("numpy")

__all__ = ["np"]
