"""Recognising OrcaFlex licence errors without importing OrcFxAPI.

A licence (or licensing-environment) failure is not the file's fault: the batch
retries it with backoff until ``licence_wait`` runs out. OrcFxAPI reports such
failures as ``DLLError`` with one of the status codes below.
"""

from __future__ import annotations

LICENCE_STATUS_CODES = frozenset(
    {
        25,  # LicensingError
        57,  # DLLInitFailed
        2,  # CreateModelError (raised at Model() when no licence can be had)
        1,  # DLLsVersionError
        36,  # RequiredModulesNotEnabled
    }
)
"""``StatusCode`` values that mean "no licence / licensing environment", not "bad file"."""


def is_licence_error(exc: BaseException) -> bool:
    """True when ``exc`` is an OrcFxAPI-style ``DLLError`` with a licensing status."""
    status = getattr(exc, "status", None)
    if status is None or isinstance(status, bool):
        return False
    try:
        code = int(status)
    except (TypeError, ValueError):
        return False
    return code in LICENCE_STATUS_CODES
