"""pandas for the built-in plugins, imported on first use.

Workers register every built-in plugin but use pandas only in the controller's
aggregators and writers (the extractors read archives with pyarrow and numpy), so
importing it at module level cost every worker process about 0.2-0.4 s of start-up
for nothing. The built-ins write ``from ofxpost._builtin.support.pandas import pd`` and use
``pd`` as usual; type checkers see the real module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
else:

    class _OnFirstUse(ModuleType):
        """Stands for a module until an attribute is read, then becomes it."""

        def __getattr__(self, name: str) -> Any:
            module = importlib.import_module(self.__name__)
            self.__dict__.update(module.__dict__)  # later reads skip this method
            return getattr(module, name)

    pd = _OnFirstUse("pandas")

__all__ = ["pd"]
