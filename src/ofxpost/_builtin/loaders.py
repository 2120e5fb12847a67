"""Built-in loaders: result archives (``*.parquet``) and OrcaFlex files.

Two ``ofxpost_open_simulation`` implementations, :func:`open_archive_simulation`
and :func:`open_orcaflex_simulation` (they claim different suffixes; each returns
``None`` for the other's files):

* :func:`open_archive_file` -- ``*.ofx.parquet`` / ``*.parquet`` through
  :func:`ofxpost._archive.open_archive`; works everywhere.
* :func:`open_orcaflex_file` -- ``.sim``, ``.dat``, ``.yml``, ``.yaml`` through
  ``OrcFxAPI.Model(path, threadCount=N)`` (``N`` =
  ``parallel_processing.orcfxapi_threads``, default 1). OrcFxAPI is imported
  inside the call, never at module import; where it cannot be imported the file
  fails with :class:`OrcaFlexUnavailableError`, telling the user to export
  archives with ``ofxpost export`` on a machine with OrcaFlex.

Both check the model's state before returning it: a simulation that is still
running, stopped unstable, or only in its static state fails with
:class:`SimulationStateError`, unless the config allows it
(``loader: {allow_incomplete: true}`` in the config).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from ofxpost._core.markers import hookimpl
from ofxpost.errors import OrcaFlexUnavailableError, SimulationStateError

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._core.records import Job

ARCHIVE_SUFFIXES: tuple[str, ...] = (".parquet",)
"""Suffixes the archive loader claims (``.ofx.parquet`` ends in ``.parquet``)."""
ORCAFLEX_SUFFIXES: tuple[str, ...] = (".sim", ".dat", ".yml", ".yaml")
"""Suffixes the OrcaFlex loader claims."""

_STOPPED = 4  # ModelState.SimulationStopped
_STATE_NAMES = {
    0: "Reset",
    1: "CalculatingStatics",
    2: "InStaticState",
    3: "RunningSimulation",
    4: "SimulationStopped",
    5: "SimulationStoppedUnstable",
}


class LoaderSection(BaseModel):
    """The ``loader`` section: what the built-in loaders accept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allow_incomplete: bool = False
    """Post-process incomplete, unstable or static-only simulations instead of failing
    them (their results then cover only what was simulated)."""


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``loader`` and ``input_filters`` sections."""
    from ofxpost._config.input_filters import SECTION, InputFilters

    return {"loader": LoaderSection, SECTION: InputFilters}


def allow_incomplete(config: Config) -> bool:
    """Whether the config's ``loader`` section lets incomplete/unstable/static-only
    models through."""
    section = getattr(config, "loader", None)
    return bool(getattr(section, "allow_incomplete", False))


def thread_count(config: Config) -> int:
    """``threadCount`` for ``OrcFxAPI.Model`` (``parallel_processing.orcfxapi_threads``)."""
    parallel = getattr(config, "parallel_processing", None)
    value = getattr(parallel, "orcfxapi_threads", 1)
    return int(value) if value else 1


def check_state(model: Any, path: Path, config: Config) -> None:
    """Fail ``path`` unless ``model`` is a complete, stable dynamic simulation.

    :raises SimulationStateError: naming the file, the state and
        ``simulationComplete`` (skipped when :func:`allow_incomplete`).
    """
    if allow_incomplete(config):
        return
    state = int(model.state)
    name = _STATE_NAMES.get(state, f"UNDEFINED_{state}")
    complete = bool(model.simulationComplete)
    if state == 5:
        raise SimulationStateError(path, name, complete, "the simulation went unstable")
    if state != _STOPPED:
        reason = (
            "the file holds the static state only, no dynamic simulation"
            if state == 2
            else "the simulation is not finished"
            if state == 3
            else "the model has no simulation results"
        )
        raise SimulationStateError(path, name, complete, reason)
    if not complete:
        raise SimulationStateError(path, name, complete, "the simulation did not run to its end")


def _close(model: Any) -> None:
    close = getattr(model, "close", None)
    if callable(close):
        close()


@hookimpl(specname="ofxpost_open_simulation")
def open_archive_simulation(path: Path, job: Job, config: Config) -> Any | None:
    """Loader hook for archives (``*.parquet``); ``None`` for other files."""
    return open_archive_file(path, config)


@hookimpl(specname="ofxpost_open_simulation")
def open_orcaflex_simulation(path: Path, job: Job, config: Config) -> Any | None:
    """Loader hook for OrcaFlex files (``.sim``, ``.dat``, ``.yml``, ``.yaml``)."""
    return open_orcaflex_file(path, config)


def open_archive_file(path: Path, config: Config) -> Any | None:
    """Open a ``*.parquet`` archive and check its state; ``None`` for other suffixes.

    :raises ArchiveError: the file is not a readable archive.
    :raises SimulationStateError: see :func:`check_state`.
    """
    if not Path(path).name.lower().endswith(ARCHIVE_SUFFIXES):
        return None
    from ofxpost._archive import open_archive

    model = open_archive(path)
    try:
        check_state(model, Path(path), config)
    except BaseException:
        _close(model)
        raise
    return model


def open_orcaflex_file(path: Path, config: Config) -> Any | None:
    """Open a ``.sim``/``.dat``/``.yml``/``.yaml`` file with OrcFxAPI; ``None`` otherwise.

    ``.sim`` files get the state check; data files (``.dat``/``.yml``) are
    returned as loaded (they hold no results until calculated).

    :raises OrcaFlexUnavailableError: OrcFxAPI cannot be imported.
    :raises DLLError: OrcFxAPI's own errors (``LicensingError`` 25 ...), unchanged.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in ORCAFLEX_SUFFIXES:
        return None
    try:
        import OrcFxAPI
    except Exception as exc:
        raise OrcaFlexUnavailableError(
            f"{path}: cannot open OrcaFlex files here: OrcFxAPI is not usable "
            f"({type(exc).__name__}: {exc}). Export result archives on a machine with "
            "OrcaFlex (`ofxpost export SIM... --out DIR`) and post-process the "
            "*.ofx.parquet files instead."
        ) from exc
    model = OrcFxAPI.Model(str(path), threadCount=thread_count(config))
    if suffix == ".sim":
        check_state(model, Path(path), config)
    return model
