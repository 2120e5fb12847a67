"""A content fingerprint of an input file, for ``--resume``.

Size and modification time alone do not prove that a file is the one a stored
record came from: a file copied over another with its time kept (``cp -p``,
``rsync -t``, an unzip) has a new content under the old size and time. The
fingerprint is a BLAKE2b digest of the file's size and of its content:

* a file up to :data:`WHOLE_LIMIT` (4 MiB) is read whole;
* a larger file is sampled: its first and last MiB and 64 blocks of 16 KiB spread
  evenly between them (about 3 MiB read per file, whatever its size).

A change confined to a part of a large file that no sample covers, with its size and
modification time kept, is not seen; ``ofxpost run`` without ``--resume`` always
reads every file again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

WHOLE_LIMIT = 4 * 1024**2
"""Files up to this size (bytes) are hashed whole."""
EDGE = 1024**2
"""Bytes hashed at each end of a larger file."""
BLOCKS = 64
"""Blocks sampled between the ends of a larger file."""
BLOCK = 16 * 1024
"""Size of one sampled block (bytes)."""


def fingerprint(path: Path) -> str:
    """The fingerprint of the file at ``path`` (``""`` when it cannot be read)."""
    digest = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            digest.update(size.to_bytes(8, "little"))
            handle.seek(0)
            if size <= WHOLE_LIMIT:
                digest.update(handle.read())
            else:
                digest.update(handle.read(EDGE))
                span = size - 2 * EDGE - BLOCK
                for i in range(BLOCKS):
                    handle.seek(EDGE + span * i // (BLOCKS - 1))
                    digest.update(handle.read(BLOCK))
                handle.seek(size - EDGE)
                digest.update(handle.read(EDGE))
    except OSError:
        return ""
    return digest.hexdigest()
