"""Exceptions that ofxpost raises to its callers.

Every error that the public API raises on purpose derives from :class:`OfxpostError`::

    OfxpostError
    ├── ConfigError                 unusable config, arguments or options (CLI exit 2)
    │   ├── PluginError             a plugin could not be found, imported or registered
    │   └── OutputError             output_dir or a log file cannot be used
    │       └── OutputDirLockedError  another run holds output_dir
    └── UnsupportedLoopError        called from an event loop ofxpost cannot run on

A plugin's failure *during* a batch is never raised: it is recorded against the file
(``FileRecord.errors``) or the output (``BatchResult.output_errors``) and reported in
events, and the exit code says so.
"""

from __future__ import annotations


class OfxpostError(Exception):
    """Base class of every error ofxpost raises on purpose."""


class ConfigError(OfxpostError):
    """The config file, the arguments or the options are unusable (CLI exit code 2).

    The message names the file, the key path and the offending value.
    """


class PluginError(ConfigError):
    """A plugin could not be found, imported or registered (CLI exit code 2).

    The message names the plugin, and for an installed plugin its distribution and
    entry point.
    """


class OutputError(ConfigError):
    """``output_dir`` or a log file cannot be used (CLI exit code 2).

    The message names the path and the operating-system error. Nothing was written.
    """


class OutputDirLockedError(OutputError):
    """Another run holds ``output_dir`` (CLI exit code 2).

    The message names the holder: its process id, host and start time.
    """


class UnsupportedLoopError(OfxpostError):
    """ofxpost was called from an event loop it cannot run on.

    ``run()`` cannot be called from inside a running event loop (``await run_batch()``
    instead), and ``run_batch()``/``open_batch()`` need the asyncio backend.
    """
