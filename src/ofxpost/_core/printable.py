"""Names from the outside world made safe to show.

File names are chosen by whoever made the files. A name may hold an escape sequence
(``ESC [ 2 J`` clears a terminal, ``ESC ] ...`` sets its title or a hyperlink), a
newline (which would forge a line of ofxpost's summary) or bytes that are not UTF-8
(POSIX file names are bytes; Python holds the odd ones as lone surrogates,
``\\udcff``, which no UTF-8 writer accepts). Two functions make such text safe:

:func:`shown`
    for tables and workbooks: bytes that are not UTF-8 are written ``\\xff``
    (``case_\\xff.sim``); everything else is kept.
:func:`escape_controls`
    for human-readable lines: :func:`shown`, and every control character (C0, DEL,
    C1, the Unicode line and paragraph separators) written as ``\\x1b``, ``\\n``,
    ``\\u2028`` ...; so one event is one line, and nothing reaches the terminal as a
    command.

JSON output (``--log-format json``) keeps the names exactly; JSON escapes controls
itself, and lone surrogates as ``\\udcff``.
"""

from __future__ import annotations

import re

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def shown(text: str) -> str:
    """``text`` with undecodable file-name bytes (lone surrogates) written ``\\xNN``."""
    return _SURROGATES.sub(_escape_surrogate, text) if _SURROGATES.search(text) else text


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` fit for one human-readable line (see the module docs).

    :param keep: control characters to leave as they are (a workbook cell keeps
        ``"\n\t"``).
    """
    text = shown(text)
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub(lambda m: m.group() if m.group() in keep else _escape_control(m), text)
