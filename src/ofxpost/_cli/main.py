"""The ``ofxpost`` command line.

Exit codes: 0 every file succeeded, 1 some files failed, 2 unusable config or
arguments, 130 cancelled (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ofxpost._cli.exits import exit_code_for
from ofxpost._cli.progress import (
    LEVELS,
    ConsoleLines,
    LineWriter,
    OriginalStreams,
    say,
)
from ofxpost._core.printable import escape_controls
from ofxpost._core.result import EXIT_CANCELLED, EXIT_CONFIG, EXIT_FAILURES, EXIT_OK
from ofxpost._version import __version__
from ofxpost.errors import ConfigError, OutputError

if TYPE_CHECKING:
    import anyio

    from ofxpost._events.emitter import Event
    from ofxpost._executors.prestart import Prestart


def _error(message: str) -> int:
    say(sys.stderr, f"ofxpost: error: {escape_controls(message)}")  # never into stdout
    return EXIT_CONFIG


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit code 2 with one clear line
        self.print_usage(sys.stderr)
        raise SystemExit(_error(message))


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
        "--quiet",
        "-q",
        action="store_true",
        help="no progress bar, event lines or summary on stderr (errors still show; JSON "
        "events on stdout and in the log file are unchanged)",
    )


LOG_FILE_ENV = "OFXPOST_LOG_FILE"
"""Environment variable naming a JSON-lines log file (below ``--log-file``)."""

LOG_LEVEL_ENV = "OFXPOST_LOG_LEVEL"
"""Environment variable with the least severe level reported (below ``--log-level``)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ofxpost`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = {
        "run": cmd_run,
        "watch": cmd_watch,
        "validate": cmd_validate,
        "plugins": cmd_plugins,
        "demo": cmd_demo,
        "synth": cmd_synth,
        "export": cmd_export,
        "report": cmd_report,
        "migrate": cmd_migrate,
        "new-plugin": cmd_new_plugin,
    }[args.command]
    # Events go to duplicates of the streams as they are now, so that descriptor-level
    # redirections made later (around plugin code) never reach them.
    streams = OriginalStreams.capture()
    args.streams = streams
    try:
        return handler(args)
    except BaseExceptionGroup as group:  # raised through a task group
        ours, rest = group.split(lambda exc: exit_code_for(exc) is not None)
        if rest is None and ours is not None:
            return _exit_with(_first_leaf(ours))
        raise
    except BaseException as exc:
        if exit_code_for(exc) is None:
            raise
        return _exit_with(exc)
    finally:
        streams.close()


def _exit_with(exc: BaseException) -> int:
    """Report ``exc`` in one line (none for a cancel) and return its exit code."""
    code = exit_code_for(exc)
    assert code is not None
    if code != EXIT_CANCELLED:
        say(sys.stderr, f"ofxpost: error: {escape_controls(str(exc))}")  # never into stdout
    return code


def _first_leaf(group: BaseExceptionGroup[Any]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


# ----------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace) -> int:
    """``ofxpost run CONFIG``."""
    if args.workers is not None and args.workers < 1:
        return _error("--workers must be at least 1")
    early = _start_workers_early(args, args.config)
    try:
        from ofxpost._plugins.loading import load_config

        config = load_config(args.config, disable_plugins=args.disable_plugin)
        if early is not None:
            early.bind(
                config,
                workers=args.workers,
                sequential=args.sequential,
                in_process=args.in_process,
            )
        return execute(
            config,
            args,
            workers=args.workers,
            sequential=args.sequential,
            in_process=args.in_process,
            resume=args.resume,
        )
    finally:
        if early is not None:
            early.discard()


def cmd_watch(args: argparse.Namespace) -> int:
    """``ofxpost watch CONFIG``: see :mod:`ofxpost._watch.watcher`."""
    import anyio

    from ofxpost._plugins.loading import load_config
    from ofxpost._watch.watcher import watch_batch

    if args.workers is not None and args.workers < 1:
        return _error("--workers must be at least 1")
    if args.idle_exit is not None and args.idle_exit < 0:
        return _error("--idle-exit must be 0 or more seconds")
    if args.max_files is not None and args.max_files < 1:
        return _error("--max-files must be at least 1")
    if args.refresh_every is not None and args.refresh_every < 0:
        return _error("--refresh-every must be 0 or more seconds")
    config = load_config(args.config, disable_plugins=args.disable_plugin)
    settings = log_settings(args, config)
    streams: OriginalStreams = args.streams
    log_handle = open_log_file(settings.file) if settings.file is not None else None
    # the progress bar follows one batch: a watch reports event lines instead
    threaded, _ = _threaded_outputs(settings, streams, log_handle, progress_reporting=False)
    sinks: list[Callable[[Event], None]] = [*threaded]
    finished: dict[str, Any] = {}

    def remember(event: Event) -> None:
        if event["event"] == "watch_finished":
            finished.update(event)

    sinks.append(remember)

    async def main() -> int:
        with anyio.CancelScope() as scope:
            restore = _install_signal_handlers(scope)
            try:
                result = await watch_batch(
                    config,
                    idle_exit_s=args.idle_exit,
                    max_files=args.max_files,
                    workers=args.workers,
                    sequential=args.sequential,
                    refresh_s=args.refresh_every,
                    sinks=sinks,
                )
                return result.exit_code
            finally:
                restore()
        return EXIT_CANCELLED

    try:
        code = anyio.run(main, backend="asyncio")
    finally:
        _drain(threaded)  # every event is written before the summary and the exit
        if log_handle is not None:
            log_handle.close()
    if finished and not settings.quiet:
        with contextlib.suppress(OSError):
            print(
                f"ofxpost watch: {finished.get('reason')}: {finished.get('done')} file(s), "
                f"{finished.get('failed')} not ok, {finished.get('breaches')} breach(es), "
                f"{finished.get('refreshes')} refresh(es)",
                file=streams.err,
                flush=True,
            )
    return code


def _start_workers_early(args: argparse.Namespace, config_path: Path | None) -> Prestart | None:
    """Start the local pool's workers now, while this process reads the config and plans.

    The batch takes them over (see :mod:`ofxpost._executors.prestart`); the caller discards
    them if it does not. ``None`` for ``--in-process`` or a config that needs none; one
    worker for ``--sequential``.
    """
    if getattr(args, "in_process", False):
        return None
    from ofxpost._executors.prestart import Prestart, early_count

    count = 1 if getattr(args, "sequential", False) else early_count(config_path, args.workers)
    return Prestart.begin(count) if count > 0 else None


@dataclass(frozen=True)
class LogSettings:
    """Where and how ``ofxpost run`` reports events, after applying the precedence
    command line > environment > config ``logging:`` > default."""

    format: str = "auto"
    level: str = "info"
    file: Path | None = None
    quiet: bool = False
    metrics_port: int | None = None
    metrics_textfile: Path | None = None


def log_settings(
    args: argparse.Namespace, config: Any, environ: Mapping[str, str] | None = None
) -> LogSettings:
    """Resolve the log settings of a run (see :class:`LogSettings`).

    :raises ConfigError: for an unknown level in ``OFXPOST_LOG_LEVEL``.
    """
    env = os.environ if environ is None else environ
    section = getattr(config, "logging", None)
    level = args.log_level or env.get(LOG_LEVEL_ENV, "").strip().lower() or None
    if level is not None and level not in LEVELS:
        raise ConfigError(
            f"environment variable {LOG_LEVEL_ENV}: {level!r} is not a level "
            f"(one of {', '.join(LEVELS)})"
        )
    file: Path | None = args.log_file
    if file is None and env.get(LOG_FILE_ENV):
        file = Path(env[LOG_FILE_ENV]).expanduser()
    if file is None and section is not None and section.file:
        file = config.resolve(section.file)
    return LogSettings(
        format=args.log_format or (section.format if section is not None else None) or "auto",
        level=level or (section.level if section is not None else None) or "info",
        file=file,
        quiet=bool(getattr(args, "quiet", False)),
        metrics_port=getattr(args, "metrics_port", None),
        metrics_textfile=getattr(args, "metrics_textfile", None),
    )


def open_log_file(path: Path) -> IO[str]:
    """Open (truncate) the JSON-lines log file, creating its folders.

    :raises OutputError: naming the path and the operating-system error.
    """
    try:
        if path.exists() and path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "Is a directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"log file {path}: cannot write it: {exc.strerror or exc}") from None


def execute(config: Any, args: argparse.Namespace, **options: Any) -> int:
    """Run ``config`` with the CLI's event sinks and signal handling."""
    import anyio

    from ofxpost._config.plan import make_plan

    settings = log_settings(args, config)
    # Plan up front so that input and output_dir errors exit 2 before anything is written.
    plan = make_plan(
        config,
        workers=options.get("workers"),
        sequential=options.get("sequential", False),
        in_process=options.get("in_process", False),
    )
    streams: OriginalStreams | None = getattr(args, "streams", None)
    own_streams = streams is None
    if streams is None:
        streams = OriginalStreams.capture()
    log_handle = None
    try:
        if settings.file is not None:
            log_handle = open_log_file(settings.file)
        finished: dict[str, Any] = {}
        return anyio.run(
            _execute,
            plan,
            settings,
            streams,
            log_handle,
            bool(options.get("resume", False)),
            finished,
            backend="asyncio",
        )
    finally:
        if log_handle is not None:
            log_handle.close()
        if own_streams:
            streams.close()


def _sinks(
    settings: LogSettings, streams: OriginalStreams, progress_reporting: bool
) -> tuple[list[Callable[[Event], None]], Any]:
    """The terminal sinks for ``settings`` (see "Where events go" in docs/events.md)."""
    from ofxpost._events.ecs import render_ecs
    from ofxpost._events.emitter import render_json

    sinks: list[Callable[[Event], None]] = []
    fmt = settings.format
    render = render_ecs if fmt == "ecs" else render_json
    events_out = fmt in ("json", "ecs") or (fmt == "auto" and not streams.out_tty)
    if events_out and streams.out_closed:
        say(
            streams.err,
            "ofxpost: stdout is closed: the JSON events are not written there "
            "(--log-file PATH keeps them; the batch goes on)",
        )
    elif events_out:
        sinks.append(
            LineWriter(
                render,
                fd=streams.out_fd,
                stream=streams.out,
                notice=streams.err,
                min_level=settings.level,
                label="stdout (the event output)",
            )
        )
    progress = None
    if settings.quiet:
        return sinks, progress
    terminal_taken = events_out and streams.out_tty
    if streams.err_tty and progress_reporting and not terminal_taken:
        from ofxpost._cli.progress import ProgressBar

        progress = ProgressBar(streams.err, min_level=settings.level)
        sinks.append(progress)
    elif fmt == "console" or (fmt == "auto" and streams.out_tty):
        sinks.append(ConsoleLines(streams.err, min_level=settings.level))
    return sinks, progress


def _threaded_outputs(
    settings: LogSettings,
    streams: OriginalStreams,
    log_handle: IO[str] | None,
    progress_reporting: bool,
) -> tuple[list[Any], Any]:
    """The CLI's event outputs (terminal, JSON lines, the log file), each on a thread
    of its own, and the progress bar if there is one.

    A reader that does not read, a slow disk or a stopped terminal never delays the
    dispatch of files or their timeouts. :func:`_drain` waits for them at the end.
    """
    from ofxpost._events.ecs import render_ecs
    from ofxpost._events.emitter import render_json
    from ofxpost._events.sink_thread import ThreadedSink

    outputs, progress = _sinks(settings, streams, progress_reporting)
    if log_handle is not None:
        outputs.append(
            LineWriter(
                render_ecs if settings.format == "ecs" else render_json,
                stream=log_handle,
                notice=streams.err,
                min_level=settings.level,
                label=f"the log file {settings.file}",
            )
        )
    if settings.metrics_port is not None or settings.metrics_textfile is not None:
        from ofxpost._events.metrics import MetricsSink

        outputs.append(MetricsSink(settings.metrics_port, textfile=settings.metrics_textfile))
    return [ThreadedSink(sink, notice=streams.err) for sink in outputs], progress


async def _execute(
    plan: Any,
    settings: LogSettings,
    streams: OriginalStreams,
    log_handle: IO[str] | None,
    resume: bool,
    finished: dict[str, Any],
) -> int:
    import anyio

    from ofxpost._engine.batch import run_batch

    config = plan.config
    threaded, progress = _threaded_outputs(
        settings, streams, log_handle, config.parallel_processing.progress_reporting
    )
    mode: dict[str, Any] = {}

    def remember(event: Event) -> None:  # on the loop: quick, and never blocks
        if event["event"] == "batch_finished":
            finished.update(event)
        elif event["event"] == "mode_selected":
            mode.update(event)

    sinks: list[Callable[[Event], None]] = [*threaded, remember]
    try:
        with anyio.CancelScope() as scope:
            restore = _install_signal_handlers(scope)
            try:
                if progress is not None:
                    with progress:
                        try:
                            await run_batch(plan, sinks=sinks, resume=resume)
                        finally:
                            _drain(threaded)  # the bar's last update before it stops
                else:
                    await run_batch(plan, sinks=sinks, resume=resume)
            finally:
                restore()
    finally:
        _drain(threaded)  # every event is written before the summary and the exit
    # stderr may be a pipe whose reader has gone too: the exit code still tells
    if finished.get("cancelled") or scope.cancelled_caught:
        say(streams.err, "ofxpost: cancelled; finished results are kept (run again with --resume)")
        return EXIT_CANCELLED
    if not settings.quiet:
        with contextlib.suppress(OSError, ValueError):
            _print_summary(finished, config, streams.err, fallback=_fallback(mode))
    return int(finished.get("exit_code", EXIT_FAILURES))


def _drain(threaded: Sequence[Any]) -> None:
    """Wait until every threaded output has written its queued events."""
    for sink in threaded:
        sink.close()


def _fallback(mode: Mapping[str, Any]) -> str | None:
    """The reason of a fall-back to sequential mode, from ``mode_selected``."""
    return str(mode["reason"]) if mode.get("fallback") else None


def _install_signal_handlers(scope: anyio.CancelScope) -> Callable[[], None]:
    """Cancel ``scope`` on SIGINT/SIGTERM; return a function that restores handlers."""
    import asyncio

    from ofxpost._core.loop_bridge import LoopBridge

    loop = asyncio.get_running_loop()
    bridge = LoopBridge.current()
    signals = [signal.SIGINT, signal.SIGTERM]
    try:
        for sig in signals:
            loop.add_signal_handler(sig, scope.cancel)
    except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
        previous = {sig: signal.getsignal(sig) for sig in signals}

        def handler(signum: int, frame: Any) -> None:
            bridge.call_soon(scope.cancel)

        for sig in signals:
            signal.signal(sig, handler)

        def restore_plain() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore_plain

    def restore() -> None:
        for sig in signals:
            loop.remove_signal_handler(sig)

    return restore


def _print_summary(
    finished: dict[str, Any], config: Any, stream: IO[str], fallback: str | None = None
) -> None:
    if not finished:
        return
    print(summary_line(finished, config.output_dir, fallback), file=stream, flush=True)


def summary_line(finished: dict[str, Any], output_dir: Any, fallback: str | None = None) -> str:
    """The one-line summary of ``ofxpost run`` from its ``batch_finished`` event.

    Output failures are named with the files
    (``32 ok, 0 partial, 0 failed; 16 outputs failed (see ...)``), and a fall-back to
    sequential mode with its reason.
    """
    line = (
        f"ofxpost: {finished['total']} files: {finished['succeeded']} ok, "
        f"{finished['partial']} partial, {finished['failed']} failed"
    )
    failed_outputs = int(finished.get("output_errors") or 0)
    if failed_outputs:
        noun = "output" if failed_outputs == 1 else "outputs"
        manifest = Path(output_dir) / "ofxpost-run.json"
        line += (
            f"; {failed_outputs} {noun} failed (see the output_failed events and "
            f"'output_errors' in {manifest})"
        )
    mode = f"; fell back to sequential: {fallback}" if fallback else ""
    where = escape_controls(str(output_dir))
    return f"{line} in {finished['wall_s']:.1f} s; outputs in {where}{mode}"


# ------------------------------------------------------------------------ validate


def cmd_validate(args: argparse.Namespace) -> int:
    """``ofxpost validate CONFIG``: check the config and resolve its inputs."""
    from ofxpost._config.plan import make_plan
    from ofxpost._plugins.loading import load_config

    config = load_config(args.config, disable_plugins=args.disable_plugin)
    plan = make_plan(config)
    for notice in config.notices:
        print(f"notice: {escape_controls(notice)}")
    for warning in plan.warnings:  # dropped duplicates, symbolic-link loops ...
        print(f"warning: {escape_controls(warning)}")
    print(f"{escape_controls(str(args.config))}: OK")
    print(f"  inputs: {plan.total} files")
    print(f"  workers: {plan.workers} ({plan.mode}: {plan.mode_reason})")
    print(f"  output_dir: {escape_controls(str(plan.output_dir))}")
    print(f"  sections: {', '.join(sorted(config.sections)) or '(none)'}")
    return EXIT_OK


# ------------------------------------------------------------------------- plugins


def cmd_plugins(args: argparse.Namespace) -> int:
    """``ofxpost plugins [CONFIG]``: registered plugins, their hooks and distributions.

    A plugin that cannot be loaded is listed as ``BROKEN`` with the reason, and the
    exit code is 1.
    """
    from ofxpost._config.model import read_yaml
    from ofxpost._config.plugin_spec import PluginSpec, plugin_spec
    from ofxpost._plugins.manager import BrokenPlugin, build_plugin_manager

    if args.config is not None:  # the plugin keys only: a broken plugin must not stop us
        path = args.config.expanduser().absolute()
        raw = read_yaml(path)
        modules = raw.get("plugins") or []
        disabled = [*(raw.get("disable_plugins") or []), *args.disable_plugin]
        spec = plugin_spec([str(m) for m in modules], path, [str(d) for d in disabled])
    else:
        spec = PluginSpec(disabled=tuple(args.disable_plugin))
    broken: list[BrokenPlugin] = []
    pm = build_plugin_manager(spec, broken=broken)
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        dist = dists.get(id(plugin))
        origin = f"{dist.project_name} {dist.version}" if dist is not None else "ofxpost (built-in)"
        if not name.startswith("ofxpost.") and dist is None:
            origin = "config" if not name.endswith(".py") else "local file"
        print(f"{name}  [{origin}]")
        for hook in hooks:
            print(f"    {hook}")
    for problem in broken:
        print(f"{problem.name}  [{problem.origin}]  BROKEN")
        print(f"    {problem.reason}")
    return EXIT_FAILURES if broken else EXIT_OK


# ---------------------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    """``ofxpost demo``: synthetic batch → the full post-processing run."""
    from ofxpost._tools.demo import prepare_demo

    if args.cases < 1:
        return _error("--cases must be at least 1")
    if args.workers is not None and args.workers < 1:
        return _error("--workers must be at least 1")
    early = _start_workers_early(args, None)  # they start while the archives are written
    try:
        config_path = prepare_demo(args.out, cases=args.cases)
        say(
            sys.stderr,
            f"ofxpost demo: {args.cases} synthetic simulations and a config in "
            f"{config_path.parent}",
        )
        from ofxpost._plugins.loading import load_config

        config = load_config(config_path)
        if early is not None:
            early.bind(config, workers=args.workers, sequential=False)
        code = execute(config, args, workers=args.workers)
    finally:
        if early is not None:
            early.discard()
    from ofxpost._tools.demo import describe_outputs

    say(sys.stderr, describe_outputs(config.output_dir))
    return code


def cmd_synth(args: argparse.Namespace) -> int:
    """``ofxpost synth --cases N --out DIR``."""
    from ofxpost._core.sizes import parse_size
    from ofxpost._tools.synth import generate_batch

    options: dict[str, Any] = {"cases": args.cases, "out_dir": args.out, "seed": args.seed}
    for key in ("duration", "dt", "nodes"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    if args.size:
        try:
            options["target_bytes"] = parse_size(args.size)
        except ValueError as exc:
            return _error(f"--size: {exc}")
    batch = generate_batch(**options)
    print(f"wrote {len(batch.paths)} archives and {batch.load_matrix} to {args.out}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """``ofxpost export SIM... --out DIR``: write a result archive per simulation."""
    from ofxpost._tools.export import export_files

    failures = export_files(args.sims, args.out, select=args.select)
    return EXIT_FAILURES if failures else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """``ofxpost report OUTPUT_DIR``: ``report.html`` from the written tables and manifest."""
    from ofxpost._builtin.report import report_folder

    name = str(args.name)
    if Path(name).name != name or not name.lower().endswith(".html"):
        return _error(f"--name {name!r}: a plain file name ending in .html")
    path = report_folder(args.output_dir, name)
    print(path)
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    """``ofxpost migrate OLD.yml``: print the native YAML of an opp config."""
    import yaml

    from ofxpost._builtin.opp.plugin import is_opp_config, translate
    from ofxpost._config.model import read_yaml

    raw = read_yaml(args.config.absolute())
    if not is_opp_config(raw):
        return _error(f"{args.config}: not a digitalmodel opp config (already native?)")
    native, _ = translate(raw, args.config.absolute())
    sys.stdout.write(yaml.safe_dump(native, sort_keys=False, allow_unicode=True))
    return EXIT_OK


def cmd_new_plugin(args: argparse.Namespace) -> int:
    """``ofxpost new-plugin NAME``: the skeleton of docs/writing-plugins.md."""
    from ofxpost._tools.newplugin import write_skeleton

    out = args.out or Path(f"ofxpost-{args.name.replace('_', '-')}")
    for path in write_skeleton(args.name, out):
        print(path)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
