"""pandas for the built-in plugins, imported on first use.

Workers register every built-in plugin but use pandas only in the controller's
aggregators and writers (the extractors read archives with pyarrow and numpy), so
importing it at module level cost every worker process about 0.2-0.4 s of start-up
for nothing. The built-ins write ``from ofxpost._builtin.support.pandas import pd`` and use
``pd`` as usual; type checkers see the real module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
else:
    from ofxpost._core.lazymodule import on_first_use

    pd = on_first_use("pandas")

__all__ = ["pd"]
