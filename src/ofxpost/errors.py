"""Exceptions that ofxpost raises to its callers."""

from __future__ import annotations


class OfxpostError(Exception):
    """Base class of every error ofxpost raises on purpose."""


class ConfigError(OfxpostError):
    """The config file or the arguments are unusable (CLI exit code 2).

    The message names the file, the key path and the offending value.
    """


class PluginError(ConfigError):
    """A plugin could not be loaded or registered (CLI exit code 2)."""
