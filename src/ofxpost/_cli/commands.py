"""The sub-commands besides ``run`` and ``watch``: ``validate``, ``plugins``, ``demo``,
``synth``, ``export``, ``report``, ``migrate`` and ``new-plugin``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ofxpost._cli.parser import usage_error
from ofxpost._cli.progress import say
from ofxpost._cli.run import execute, start_workers_early
from ofxpost._core.printable import escape_controls
from ofxpost._core.result import EXIT_FAILURES, EXIT_OK


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
        return usage_error("--cases must be at least 1")
    if args.workers is not None and args.workers < 1:
        return usage_error("--workers must be at least 1")
    early = start_workers_early(args, None)  # they start while the archives are written
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
    if args.supports < 0:
        return usage_error(f"--supports: {args.supports} must be 0 or more")
    if args.supports:
        options["supports"] = args.supports
    for key in ("duration", "dt", "nodes"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    if args.size:
        try:
            options["target_bytes"] = parse_size(args.size)
        except ValueError as exc:
            return usage_error(f"--size: {exc}")
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
        return usage_error(f"--name {name!r}: a plain file name ending in .html")
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
        return usage_error(f"{args.config}: not a digitalmodel opp config (already native?)")
    native, notices = translate(raw, args.config.absolute())
    sys.stdout.write(yaml.safe_dump(native, sort_keys=False, allow_unicode=True))
    # the same notices as `ofxpost validate` (ignored opp keys ...), on stderr so that
    # stdout stays the YAML to redirect into a file
    for notice in notices:
        say(sys.stderr, f"notice: {escape_controls(notice)}")
    return EXIT_OK


def cmd_new_plugin(args: argparse.Namespace) -> int:
    """``ofxpost new-plugin NAME``: the skeleton of docs/writing-plugins.md."""
    from ofxpost._tools.newplugin import write_skeleton

    out = args.out or Path(f"ofxpost-{args.name.replace('_', '-')}")
    for path in write_skeleton(args.name, out):
        print(path)
    return EXIT_OK
