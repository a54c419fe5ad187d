"""Atomic file replacement: a save either completes or leaves the old file."""
from __future__ import annotations

import contextlib
import glob
import os
import socket
import tempfile
import time

# Temp files without an owner in their name (written before owners were
# recorded) count as stale after this long.
_UNOWNED_TEMP_MAX_AGE_S = 3600


@contextlib.contextmanager
def atomic_write(path):
    """Yield a binary file in ``path``'s folder; when the block succeeds it is
    flushed to disk and renamed over ``path`` (``os.replace`` is atomic on
    one file system), otherwise it is removed. A process killed inside the
    block leaves ``path`` as it was, and a stray temp file named after its
    host and process id, which the next successful save of the same path
    removes once that process is gone.

    A symbolic link is followed: its target is replaced and the link stays.
    """
    path = os.path.realpath(os.fspath(path))
    folder = os.path.dirname(path)
    handle, temp_path = tempfile.mkstemp(dir=folder, prefix=_temp_prefix(path) + _owner() + ".",
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
    remove_stale_temp_files(path)


def _temp_prefix(path):
    return f".{os.path.basename(path)}."


def _owner():
    return f"{socket.gethostname()}-{os.getpid()}"


def remove_stale_temp_files(path):
    """Remove temp files that interrupted saves of ``path`` left: those of a
    process of this host that no longer runs, and unowned ones older than an
    hour. Files of live processes and of other hosts are kept."""
    prefix = _temp_prefix(path)
    host = socket.gethostname()
    for temp_path in glob.glob(os.path.join(glob.escape(os.path.dirname(path)),
                                            glob.escape(prefix) + "*.tmp")):
        # <prefix><host>-<pid>.<mkstemp's random part>.tmp
        owner = os.path.basename(temp_path)[len(prefix):-len(".tmp")].rpartition(".")[0]
        owner_host, _, pid = owner.rpartition("-")
        stale = False
        if pid.isdigit() and owner_host:
            stale = owner_host == host and not _process_alive(int(pid))
        else:
            with contextlib.suppress(OSError):
                stale = time.time() - os.path.getmtime(temp_path) > _UNOWNED_TEMP_MAX_AGE_S
        if stale:
            with contextlib.suppress(OSError):
                os.unlink(temp_path)


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    return True


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
