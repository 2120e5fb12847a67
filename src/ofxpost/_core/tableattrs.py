"""Keys of ``DataFrame.attrs`` through which an aggregator speaks about its table.

The controller's finish step reads them (:mod:`ofxpost._finish.aggregate`); plugins
set them with :func:`ofxpost.plugin.add_warning` and :func:`ofxpost.plugin.add_problem`.
"""

from __future__ import annotations

WARNINGS_ATTR = "ofxpost.warnings"
"""Warnings an aggregator raises about its table (each becomes a ``warning`` event)."""

PROBLEMS_ATTR = "ofxpost.problems"
"""Values an aggregator could not compute: the table is written with them empty, and
each is an ``output_failed`` of the aggregator naming the table (the batch exits 1)."""
