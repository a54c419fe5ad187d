"""Let glibc's malloc reuse freed multi-megabyte arrays instead of handing
them back to the operating system.

A training step allocates and frees the same large arrays every step
(activations, gate buffers, gradients). By default glibc serves blocks above
a threshold (128 KiB, raised as it goes up to 32 MiB) with ``mmap`` and
returns free memory at the top of the heap to the OS beyond a second
threshold, so these arrays come back from the OS each step and every 4 KiB
page of them is faulted in and zeroed again. The LSTM benchmark's train step
took about 6,400 page faults and 94 ms that way, 0 faults and 53-60 ms with
both thresholds raised; PyTorch on the CPU pays the same cost unless the
user preloads jemalloc or tcmalloc.

:func:`tune` raises both thresholds to :data:`THRESHOLD_BYTES` through
``mallopt`` when the NumPy backend is first selected (never when backends
are only listed or described). The process then
keeps its peak heap for reuse rather than returning it. It does nothing
off glibc, with ``BRICKWORK_MALLOC_TUNING=0``, or when the user has set
glibc's own ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or
``GLIBC_TUNABLES`` (their choice stands).
"""
from __future__ import annotations

import ctypes
import os
import platform

THRESHOLD_BYTES = 1 << 30

_ENV_SWITCH = "BRICKWORK_MALLOC_TUNING"
_GLIBC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")

# mallopt parameter numbers, from glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

_state = {"done": False, "status": "not tuned yet (tuned when the backend is selected)"}


def _reason_to_skip() -> str | None:
    if os.environ.get(_ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return f"left as is ({_ENV_SWITCH}={os.environ[_ENV_SWITCH]})"
    user_set = [v for v in _GLIBC_VARIABLES if v in os.environ]
    if user_set:
        return f"left as is ({', '.join(user_set)} set)"
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return "left as is (not glibc)"
    return None


def tune() -> str:
    """Raise glibc's mmap and trim thresholds once per process; returns a
    line saying what was done (also given by :func:`describe`)."""
    if _state["done"]:
        return _state["status"]
    _state["done"] = True
    reason = _reason_to_skip()
    if reason is None:
        mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
        if mallopt is None:
            reason = "left as is (no mallopt)"
        else:
            size = ctypes.c_int(THRESHOLD_BYTES)
            ok = mallopt(_M_MMAP_THRESHOLD, size) == 1 and mallopt(_M_TRIM_THRESHOLD, size) == 1
            reason = (f"glibc keeps freed blocks up to {THRESHOLD_BYTES >> 20} MiB for reuse" if ok
                      else "left as is (mallopt refused the thresholds)")
    _state["status"] = reason
    return reason


def describe() -> str:
    """One line for ``python -m brickwork info``."""
    return f"allocator: {_state['status']}"
