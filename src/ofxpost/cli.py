"""The ``ofxpost`` command line.

Exit codes: 0 every file succeeded, 1 some files failed, 2 unusable config or
arguments, 130 cancelled (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio

from ofxpost._version import __version__
from ofxpost.errors import ConfigError
from ofxpost.events import Event, render_json
from ofxpost.result import EXIT_CANCELLED, EXIT_CONFIG, EXIT_FAILURES, EXIT_OK


def _error(message: str) -> int:
    print(f"ofxpost: error: {message}", file=sys.stderr)
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
    run.add_argument("--sequential", action="store_true", help="process files in-process, in order")
    run.add_argument(
        "--resume", action="store_true", help="reuse finished results of an earlier run"
    )
    _add_log_options(run)

    validate = sub.add_parser("validate", help="check a config file and its inputs")
    validate.add_argument("config", type=Path)

    plugins = sub.add_parser("plugins", help="list registered plugins and their hooks")
    plugins.add_argument("config", type=Path, nargs="?", help="also load this config's plugins")

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

    migrate = sub.add_parser("migrate", help="print the native form of a digitalmodel opp config")
    migrate.add_argument("config", type=Path)

    new_plugin = sub.add_parser("new-plugin", help="write the skeleton of a plugin package")
    new_plugin.add_argument("name", help="plugin name (lower-case letters, digits, '_')")
    new_plugin.add_argument("--out", type=Path, help="folder to create (default: ofxpost-NAME)")
    return parser


def _add_log_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-format",
        choices=["auto", "json", "console"],
        default="auto",
        help="json: events on stdout as JSON lines; console: a progress bar (or plain "
        "lines) on stderr; auto (default): JSON lines when stdout is not a terminal, and "
        "a progress bar when stderr is one",
    )
    parser.add_argument("--log-file", type=Path, help="also write JSON events to this file")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ofxpost`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = {
        "run": cmd_run,
        "validate": cmd_validate,
        "plugins": cmd_plugins,
        "demo": cmd_demo,
        "synth": cmd_synth,
        "export": cmd_export,
        "migrate": cmd_migrate,
        "new-plugin": cmd_new_plugin,
    }[args.command]
    try:
        return handler(args)
    except ConfigError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        return EXIT_CANCELLED


# ----------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace) -> int:
    """``ofxpost run CONFIG``."""
    from ofxpost.config import load_config

    if args.workers is not None and args.workers < 1:
        return _error("--workers must be at least 1")
    config = load_config(args.config)
    return execute(
        config, args, workers=args.workers, sequential=args.sequential, resume=args.resume
    )


def execute(config: Any, args: argparse.Namespace, **options: Any) -> int:
    """Run ``config`` with the CLI's event sinks and signal handling."""
    from ofxpost.plan import make_plan

    # Plan once up front so that input errors exit 2 before anything is written.
    make_plan(config, workers=options.get("workers"), sequential=options.get("sequential", False))
    finished: dict[str, Any] = {}
    return anyio.run(_execute, config, args, options, finished, backend="asyncio")


async def _execute(
    config: Any, args: argparse.Namespace, options: dict[str, Any], finished: dict[str, Any]
) -> int:
    from ofxpost.batch import run_batch

    sinks: list[Callable[[Event], None]] = []
    progress = None
    fmt = args.log_format
    stdout_tty, stderr_tty = sys.stdout.isatty(), sys.stderr.isatty()
    if fmt == "json" or (fmt == "auto" and not stdout_tty):
        sinks.append(lambda event: print(render_json(event), flush=True))
    if fmt != "json" and stderr_tty and config.parallel_processing.progress_reporting:
        from ofxpost.progress import ProgressBar

        progress = ProgressBar()
        sinks.append(progress)
    elif fmt == "console" or (fmt == "auto" and stdout_tty):
        from ofxpost.progress import ConsoleLines

        sinks.append(ConsoleLines())

    def remember(event: Event) -> None:
        if event["event"] == "batch_finished":
            finished.update(event)

    sinks.append(remember)
    send, receive = anyio.create_memory_object_stream[str](max_buffer_size=math.inf)
    if args.log_file is not None:
        args.log_file.parent.mkdir(parents=True, exist_ok=True)
        sinks.append(lambda event: send.send_nowait(render_json(event)))

    async with anyio.create_task_group() as tg:
        if args.log_file is not None:
            tg.start_soon(_write_log, args.log_file, receive)
        with anyio.CancelScope() as scope:
            restore = _install_signal_handlers(scope)
            try:
                if progress is not None:
                    with progress:
                        await run_batch(config, sinks=sinks, **options)
                else:
                    await run_batch(config, sinks=sinks, **options)
            finally:
                restore()
        send.close()
    if finished.get("cancelled") or scope.cancelled_caught:
        print(
            "ofxpost: cancelled; finished results are kept (run again with --resume)",
            file=sys.stderr,
        )
        return EXIT_CANCELLED
    _print_summary(finished, config)
    return int(finished.get("exit_code", EXIT_FAILURES))


async def _write_log(path: Path, receive: Any) -> None:
    """Write JSON event lines to ``path`` without blocking the event loop."""
    import aiofiles

    async with aiofiles.open(path, "w", encoding="utf-8") as handle, receive:
        async for line in receive:
            await handle.write(line + "\n")
            await handle.flush()


def _install_signal_handlers(scope: anyio.CancelScope) -> Callable[[], None]:
    """Cancel ``scope`` on SIGINT/SIGTERM; return a function that restores handlers."""
    import asyncio

    loop = asyncio.get_running_loop()
    signals = [signal.SIGINT, signal.SIGTERM]
    try:
        for sig in signals:
            loop.add_signal_handler(sig, scope.cancel)
    except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
        previous = {sig: signal.getsignal(sig) for sig in signals}

        def handler(signum: int, frame: Any) -> None:
            loop.call_soon_threadsafe(scope.cancel)

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


def _print_summary(finished: dict[str, Any], config: Any) -> None:
    if not finished:
        return
    print(
        f"ofxpost: {finished['total']} files: {finished['succeeded']} ok, "
        f"{finished['partial']} partial, {finished['failed']} failed "
        f"in {finished['wall_s']:.1f} s; outputs in {config.output_dir}",
        file=sys.stderr,
    )


# ------------------------------------------------------------------------ validate


def cmd_validate(args: argparse.Namespace) -> int:
    """``ofxpost validate CONFIG``: check the config and resolve its inputs."""
    from ofxpost.config import load_config
    from ofxpost.plan import make_plan

    config = load_config(args.config)
    plan = make_plan(config)
    for notice in config.notices:
        print(f"notice: {notice}")
    print(f"{args.config}: OK")
    print(f"  inputs: {plan.total} files")
    print(f"  workers: {plan.workers} ({plan.mode}: {plan.mode_reason})")
    print(f"  output_dir: {plan.output_dir}")
    print(f"  sections: {', '.join(sorted(config.sections)) or '(none)'}")
    return EXIT_OK


# ------------------------------------------------------------------------- plugins


def cmd_plugins(args: argparse.Namespace) -> int:
    """``ofxpost plugins [CONFIG]``: registered plugins, their hooks and distributions."""
    from ofxpost.config import load_config
    from ofxpost.plugins import PluginSpec, get_plugin_manager

    if args.config is not None:
        config = load_config(args.config)
        spec = PluginSpec(modules=tuple(config.plugins), local_file=config.local_plugin_file)
    else:
        spec = PluginSpec()
    pm = get_plugin_manager(spec)
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    for name, plugin in pm.list_name_plugin():
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        dist = dists.get(id(plugin))
        origin = f"{dist.project_name} {dist.version}" if dist is not None else "ofxpost (built-in)"
        if not name.startswith("ofxpost.") and dist is None:
            origin = "config" if not name.endswith(".py") else "local file"
        print(f"{name}  [{origin}]")
        for hook in hooks:
            print(f"    {hook}")
    return EXIT_OK


# ---------------------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    """``ofxpost demo``: synthetic batch → the full post-processing run."""
    from ofxpost.demo import prepare_demo

    if args.cases < 1:
        return _error("--cases must be at least 1")
    config_path = prepare_demo(args.out, cases=args.cases)
    print(
        f"ofxpost demo: {args.cases} synthetic simulations and a config in {config_path.parent}",
        file=sys.stderr,
    )
    from ofxpost.config import load_config

    config = load_config(config_path)
    code = execute(config, args, workers=args.workers)
    from ofxpost.demo import describe_outputs

    print(describe_outputs(config.output_dir), file=sys.stderr)
    return code


def cmd_synth(args: argparse.Namespace) -> int:
    """``ofxpost synth --cases N --out DIR``."""
    from ofxpost.sizes import parse_size
    from ofxpost.synth import generate_batch

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
    from ofxpost.export import export_files

    failures = export_files(args.sims, args.out, select=args.select)
    return EXIT_FAILURES if failures else EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    """``ofxpost migrate OLD.yml``: print the native YAML of an opp config."""
    import yaml

    from ofxpost.config import read_yaml
    from ofxpost.opp_detect import is_opp_config, translate

    raw = read_yaml(args.config.absolute())
    if not is_opp_config(raw):
        return _error(f"{args.config}: not a digitalmodel opp config (already native?)")
    native, _ = translate(raw, args.config.absolute())
    sys.stdout.write(yaml.safe_dump(native, sort_keys=False, allow_unicode=True))
    return EXIT_OK


def cmd_new_plugin(args: argparse.Namespace) -> int:
    """``ofxpost new-plugin NAME``: the skeleton of docs/writing-plugins.md."""
    from ofxpost.newplugin import write_skeleton

    out = args.out or Path(f"ofxpost-{args.name.replace('_', '-')}")
    for path in write_skeleton(args.name, out):
        print(path)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
