"""Write, staged: every writer into its own folder; what they leave is checked.

Each writer gets its own empty folder under ``output_dir/.ofxpost/staging/`` as
``output_dir``. A writer that raises loses the files it wrote there, and only
those; a :class:`~ofxpost.errors.TablesNotWritten` it raises blames each table it
could not write on the aggregator that made it. Writers are independent, so they
run at the same time, each in its own thread; their results are checked in
registration order. Every staged file's path must be confined and portable
(:mod:`ofxpost._core.names`), not already taken by an earlier writer or a per-file
artifact, and not the path of a file that ofxpost did not write (see
:mod:`ofxpost._store.manifest`).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from ofxpost._config.plan import Plan
from ofxpost._core.names import name_key, relative_path_problem
from ofxpost._finish import checkpoints
from ofxpost._finish.blame import OutputFailures, describe, registration_order, type_name
from ofxpost._finish.publish import Staged, blocked_by_file
from ofxpost._plugins.manager import ImplOutcome, call_each
from ofxpost._store.manifest import MANIFEST, PARTIAL_MARKER, OutputLedger
from ofxpost.errors import TablesNotWritten

if TYPE_CHECKING:  # the controller imports pandas when a table is made
    import pandas as pd

__all__ = ["STAGING_DIR", "Writing"]

STAGING_DIR = Path(".ofxpost") / "staging"
"""Where writers write (``output_dir``-relative) before their files are placed."""


class Writing:
    """Runs the writers into staging folders and checks what they wrote."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        failures: OutputFailures,
        plan: Plan,
        *,
        producers: Mapping[str, str],
        artifact_keys: set[str],
    ) -> None:
        """:param producers: the aggregator of each table (by name key), blamed for a
            table a writer could not write (filled in by the aggregation).
        :param artifact_keys: the name keys of the per-file artifacts placed (filled
            in while files run).
        """
        self.pm = pm
        self._failures = failures
        self.output_dir = plan.output_dir
        self.config = plan.config
        self._producers = producers
        self._artifact_keys = artifact_keys

    def run(
        self, ledger: OutputLedger, tables: Mapping[str, pd.DataFrame], cancelled: bool
    ) -> list[Staged]:
        """Call each writer into its own staging folder; return the files to place."""
        staging = self.output_dir / STAGING_DIR
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a full disk: no writer can run
            self._failures.output(f"no output was written: {STAGING_DIR} cannot be made: {exc}")
            return []
        caller_name = "ofxpost_write_outputs"
        impls = getattr(self.pm.hook, caller_name).get_hookimpls()
        writers = sorted(
            {i.plugin_name for i in impls if not (i.hookwrapper or i.wrapper)},
            key=registration_order(self.pm),
        )
        staged: list[Staged] = []
        taken: dict[str, str] = {}
        folders = [staging / f"w{number:03d}" for number in range(len(writers))]

        def run_writer(number: int) -> list[ImplOutcome]:
            writer, folder = writers[number], folders[number]
            folder.mkdir()
            others = [self.pm.get_plugin(w) for w in writers if w != writer]
            caller = self.pm.subset_hook_caller(caller_name, remove_plugins=others)
            outcomes = call_each(
                caller, tables=tables, output_dir=folder, config=self.config, partial=cancelled
            )
            checkpoints.checkpoint(f"wrote:{writer}")
            return outcomes

        # Writers are independent (each has its own folder and only reads the
        # tables): they run at the same time, in threads (pandas/pyarrow and the
        # PNG encoder release the GIL for much of the work). Their results are then
        # checked and staged in registration order, as if they had run one by one.
        if len(writers) > 1:
            with ThreadPoolExecutor(len(writers), thread_name_prefix="ofxpost-writer") as pool:
                results = list(pool.map(run_writer, range(len(writers))))
        else:
            results = [run_writer(number) for number in range(len(writers))]
        for writer, folder, outcomes in zip(writers, folders, results, strict=True):
            error = next((o.error for o in outcomes if o.error is not None), None)
            if isinstance(error, TablesNotWritten):
                self._tables_not_written(writer, error)
                error = None
            if error is not None:
                self._failures.plugin(
                    "writer",
                    writer,
                    f"raised {describe(error)}; the files it wrote were discarded",
                    error=error,
                )
                continue
            for outcome in outcomes:
                self._check_returned(writer, folder, outcome.value)
            for source in sorted(p for p in folder.rglob("*") if p.is_file()):
                rel = source.relative_to(folder).as_posix()
                if self._placeable(ledger, writer, rel, taken):
                    taken[name_key(rel)] = writer
                    staged.append(Staged(rel, source, writer))
        return staged

    def _tables_not_written(self, writer: str, error: TablesNotWritten) -> None:
        """Blame each table a writer could not write on the aggregator that made it."""
        for what, exc in error.failed.items():
            table = what.split(" ")[0]
            producer = self._producers.get(name_key(table))
            self._failures.plugin(
                "output",
                producer or writer,
                f"table {what} could not be written by writer {writer!r}: {describe(exc)}",
                error=exc,
                target=table,
            )

    def _check_returned(self, writer: str, folder: Path, value: Any) -> None:
        """A writer's returned paths must lie in the folder it was given."""
        try:
            paths = [Path(p) for p in (value or ())]
        except TypeError:
            self._failures.plugin(
                "writer", writer, f"returned a {type_name(value)}, not a list of paths"
            )
            return
        root = folder.resolve()
        for path in paths:
            full = (path if path.is_absolute() else folder / path).resolve()
            if not full.is_relative_to(root):
                self._failures.plugin(
                    "writer",
                    writer,
                    f"returned {str(path)!r}, outside the output_dir it was given; "
                    "writers must write only under the output_dir they receive",
                    target=str(path),
                )

    def _placeable(
        self, ledger: OutputLedger, writer: str, rel: str, taken: Mapping[str, str]
    ) -> bool:
        """Whether the staged file ``rel`` may be placed; a refusal is the writer's error."""
        problem = relative_path_problem(rel)
        reason: str | None = None
        if problem is None and rel.split("/")[0] in (".ofxpost", MANIFEST, PARTIAL_MARKER):
            problem = "is reserved for ofxpost itself"
        if problem is not None:
            reason = f"output {rel!r} {problem}; it was not written"
        elif name_key(rel) in self._artifact_keys:
            reason = f"output {rel!r} is a per-file artifact of this run; it was not written"
        elif name_key(rel) in taken:
            reason = (
                f"output {rel!r} is already written by plugin {taken[name_key(rel)]!r}; "
                "this plugin's file was not written"
            )
        elif ledger.foreign(rel) or blocked_by_file(self.output_dir, rel):
            reason = (
                f"output {rel!r} not written: output_dir already holds "
                f"{str(ledger.path(rel))!r}, which ofxpost did not write (it was left as it "
                "is; move it away or choose another output_dir)"
            )
        if reason is None:
            return True
        self._failures.plugin("output", writer, reason, target=rel)
        return False
