"""The argument parser of the ``ofxpost`` command: every sub-command and its options.

A usage error is one line on stderr and exit code 2 (:func:`usage_error`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from ofxpost._cli.progress import LEVELS, say
from ofxpost._core.printable import escape_controls
from ofxpost._core.result import EXIT_CONFIG
from ofxpost._version import __version__


def usage_error(message: str) -> int:
    say(sys.stderr, f"ofxpost: error: {escape_controls(message)}")  # never into stdout
    return EXIT_CONFIG


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # exit code 2 with one clear line
        self.print_usage(sys.stderr)
        raise SystemExit(usage_error(message))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (all sub-commands)."""
    parser = _Parser(
        prog="ofxpost",
        description="Post-process batches of OrcaFlex simulation files in parallel. "
        "Exit codes: 0 all files succeeded, 1 some failed, 2 unusable config or "
        "arguments, 130 cancelled.",
    )
    parser.add_argument("--version", action="version", version=f"ofxpost {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run a batch from a config file")
    run.add_argument("config", type=Path)
    run.add_argument("--workers", type=int, help="worker processes (overrides max_workers)")
    run.add_argument(
        "--sequential",
        action="store_true",
        help="process files one at a time, in order, in one worker process",
    )
    run.add_argument(
        "--in-process",
        action="store_true",
        help="debugging only: run plugin code in this process, in order (a plugin that "
        "exits or crashes ends the run; timeout_per_file is not enforced)",
    )
    run.add_argument(
        "--resume", action="store_true", help="reuse finished results of an earlier run"
    )
    _add_log_options(run)
    _add_disable_option(run)

    watch = sub.add_parser(
        "watch", help="post-process a running campaign: each input as it completes"
    )
    watch.add_argument("config", type=Path)
    watch.add_argument("--workers", type=int, help="worker processes (overrides max_workers)")
    watch.add_argument("--sequential", action="store_true", help="process files in-process")
    watch.add_argument(
        "--idle-exit",
        type=float,
        metavar="SECONDS",
        help="end once nothing new has appeared and nothing is being written for SECONDS",
    )
    watch.add_argument(
        "--max-files", type=int, metavar="N", help="end once N files have been processed"
    )
    watch.add_argument(
        "--refresh-every",
        type=float,
        metavar="SECONDS",
        help="refresh the outputs at most every SECONDS (default: watch.refresh_s; 0: "
        "after each completed file)",
    )
    _add_disable_option(watch)
    _add_log_options(watch)

    validate = sub.add_parser("validate", help="check a config file and its inputs")
    validate.add_argument("config", type=Path)
    _add_disable_option(validate)

    plugins = sub.add_parser(
        "plugins", help="list registered plugins and their hooks (exit 1 if one is broken)"
    )
    plugins.add_argument("config", type=Path, nargs="?", help="also load this config's plugins")
    _add_disable_option(plugins)

    demo = sub.add_parser("demo", help="generate synthetic simulations and post-process them")
    demo.add_argument("--cases", type=int, default=24)
    demo.add_argument("--out", type=Path, help="folder (default: a fresh temporary folder)")
    demo.add_argument("--workers", type=int)
    _add_log_options(demo)

    synth = sub.add_parser("synth", help="write synthetic simulation archives")
    synth.add_argument("--cases", type=int, default=24)
    synth.add_argument("--out", type=Path, required=True)
    synth.add_argument("--duration", type=float, help="simulated seconds after build-up")
    synth.add_argument("--dt", type=float, help="log sample interval (s)")
    synth.add_argument("--nodes", type=int, help="riser nodes")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--size", help="approximate size per file, e.g. 20MB")
    synth.add_argument(
        "--supports",
        type=int,
        default=0,
        help="add a 6D buoy Bellmouth with this many supports (support results)",
    )

    export = sub.add_parser("export", help="export simulations to portable result archives")
    export.add_argument("sims", type=Path, nargs="+")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--select", type=Path, help="YAML file naming objects/variables to keep")

    report = sub.add_parser(
        "report", help="write report.html from an existing output folder (no recomputation)"
    )
    report.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR")
    report.add_argument("--name", default="report.html", help="file name (default report.html)")

    migrate = sub.add_parser("migrate", help="print the native form of a digitalmodel opp config")
    migrate.add_argument("config", type=Path)

    new_plugin = sub.add_parser("new-plugin", help="write the skeleton of a plugin package")
    new_plugin.add_argument("name", help="plugin name (lower-case letters, digits, '_')")
    new_plugin.add_argument("--out", type=Path, help="folder to create (default: ofxpost-NAME)")
    return parser


def _add_disable_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--disable-plugin",
        action="append",
        default=[],
        metavar="NAME",
        help="do not load this plugin (as 'ofxpost plugins' names it, or a distribution "
        "name); repeatable. OFXPOST_DISABLE_PLUGIN_AUTOLOAD=1 skips every installed plugin",
    )


def _add_log_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-format",
        choices=["auto", "json", "console", "ecs"],
        default=None,
        help="json: events as JSON lines on stdout; ecs: the same as Elastic Common Schema "
        "records; console: a progress bar (or plain lines) on stderr; auto (default): JSON "
        "lines on stdout whenever stdout is not a terminal, and a progress bar on stderr "
        "when stderr is one (config: logging.format)",
    )
    parser.add_argument(
        "--log-file",
        type=Path,
        help="also write the events as JSON lines to this file "
        "(env OFXPOST_LOG_FILE, config: logging.file)",
    )
    parser.add_argument(
        "--log-level",
        choices=list(LEVELS),
        default=None,
        help="least severe event level shown and written: debug, info (default), warning "
        "or error (env OFXPOST_LOG_LEVEL, config: logging.level)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="PORT",
        help="serve Prometheus metrics of the batch on http://127.0.0.1:PORT/metrics "
        "while it runs (needs ofxpost[metrics]; see docs/metrics.md)",
    )
    parser.add_argument(
        "--metrics-textfile",
        type=Path,
        default=None,
        metavar="PATH",
        help="write Prometheus metrics to this file after each file and at the end "
        "(node-exporter's textfile collector)",
    )
    parser.add_argument(
        "--metrics-otel",
        action="store_true",
        help="report the metrics through the global OpenTelemetry MeterProvider (meter "
        "'ofxpost'; the provider and exporter are yours, e.g. opentelemetry-instrument; "
        "needs ofxpost[otel]; see docs/metrics.md)",
    )
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress bar, event lines or summary on stderr (errors still show; JSON "
        "events on stdout and in the log file are unchanged)",
    )
