"""The pluggy markers that plugins use: :data:`hookimpl` and :data:`hookspec`."""

from __future__ import annotations

import pluggy

PROJECT_NAME = "ofxpost"
"""The pluggy project name; also the entry-point group plugins register under."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marker for hook specifications (used by :mod:`ofxpost.hookspecs`)."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marker for hook implementations: decorate plugin functions with ``@ofxpost.hookimpl``."""
