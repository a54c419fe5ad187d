"""Keeps numba's on-disk cache of the compiled loops in step with their sources.

numba checks a cached function only against the file it is defined in, so
after a changed helper in another file (an upgrade in place, or a developer's
edit) its callers would load stale machine code. The package's sources are
hashed when the NumPy backend is selected; when they differ from those the
cache was made from, numba's cache files are removed and recompiled on use.
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import tempfile

PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
STAMP_NAME = "brickwork-sources.sha256"


def sources_digest(directory: pathlib.Path = PACKAGE_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def drop_stale_cache(directory: pathlib.Path = PACKAGE_DIR) -> int:
    """Remove numba's cache files (``*.nbi``, ``*.nbc``) in ``directory``'s
    ``__pycache__`` when the sources changed since they were made; returns
    how many were removed. A read-only install is left alone (numba then
    caches elsewhere, keyed the same way)."""
    cache = directory / "__pycache__"
    current = sources_digest(directory)
    stamp = cache / STAMP_NAME
    try:
        if stamp.read_text() == current:
            return 0
    except OSError:
        pass
    removed = 0
    for pattern in ("*.nbi", "*.nbc"):
        for path in cache.glob(pattern):
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass
    try:
        cache.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cache, prefix=".stamp-")
        with os.fdopen(handle, "w") as file:
            file.write(current)
        os.replace(temporary, stamp)  # atomic: processes starting together agree
    except OSError:
        pass
    return removed
