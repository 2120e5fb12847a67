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


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status", None)
    if status is None or isinstance(status, bool):
        return None
    try:
        return int(status)
    except (TypeError, ValueError):
        return None


def is_licence_error(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is a licence error.

    True when its ``status`` is one of :data:`LICENCE_STATUS_CODES`; works for
    OrcFxAPI's ``DLLError``, the fallback's and any look-alike, without importing
    OrcFxAPI.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        status = _status_of(current)
        if status is not None and status in LICENCE_STATUS_CODES:
            return True
        current = current.__cause__
    return False
