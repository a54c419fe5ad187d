"""Atomic file replacement: a save either completes or leaves the old file."""
from __future__ import annotations

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path):
    """Yield a binary file in ``path``'s folder; when the block succeeds it is
    flushed to disk and renamed over ``path`` (``os.replace`` is atomic on
    one file system), otherwise it is removed. A process killed inside the
    block leaves ``path`` as it was (and at worst a stray ``.*.tmp`` file)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temp_path = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w+b") as temp_file:
            yield temp_file
            temp_file.flush()
            os.fsync(temp_file.fileno())
        if os.path.exists(path):
            # mkstemp creates 0600 files; keep the mode the old file had.
            os.chmod(temp_path, os.stat(path).st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp_path, 0o666 & ~umask)
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_path)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder):
    """Make the rename itself durable (where the OS allows opening folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
