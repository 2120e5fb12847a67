"""A module imported on first use.

The controller registers every plugin before it plans and dispatches, and a plugin
module that imports numpy or pandas at its top made every ``ofxpost run`` pay those
imports (numpy alone about 0.1-0.2 s, on two CPUs shared with the starting workers)
before its first file, though the controller needs them only at the finish.
:func:`on_first_use` gives a stand-in that becomes the real module the first time
one of its attributes is read.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _OnFirstUse(ModuleType):
    """Stands for a module until an attribute is read, then becomes it."""

    def __getattr__(self, name: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)  # later reads skip this method
        return getattr(module, name)


def on_first_use(name: str) -> ModuleType:
    """A stand-in for module ``name`` that imports it when an attribute is first read.

    Use it with the real import for type checkers::

        if TYPE_CHECKING:
            import numpy as np
        else:
            np = on_first_use("numpy")

    ``isinstance(x, np.ndarray)``, ``np.asarray(...)`` and every other attribute
    read work as usual; the first one imports numpy.
    """
    return _OnFirstUse(name)


__all__ = ["on_first_use"]
