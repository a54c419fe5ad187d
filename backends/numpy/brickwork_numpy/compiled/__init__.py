"""Optional compiled loops for the NumPy backend, through numba.

NumPy's ufuncs make one pass over memory per call and, in common builds,
evaluate float32 ``exp``/``tanh`` one element at a time. Where a kernel's
time goes to many small elementwise passes (LSTM/GRU gates, optimizer
updates, Winograd transforms), a compiled loop does the same work in one
vectorized pass. numba is a dependency of brickwork; where it cannot import,
or with ``BRICKWORK_NUMBA=0``, every kernel takes its pure-NumPy path, which
computes the same values.

Kernels ask for a compiled module at call time::

    fused = compiled.module("recurrent")   # None when compiled loops are off
    if fused is not None:
        fused.lstm_step(...)

so tests can run each kernel both ways (:func:`disabled`).

Importing this package does not import numba (0.3 s): it only checks that
numba is installed. :func:`activate`, run when the NumPy backend is first
selected, imports it and drops numba's cache if the package's sources changed
(``cache_stamp``); each compiled module then compiles (or loads from numba's
cache) on first use.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import os
import sys

import numpy as np

_ENV_SWITCH = "BRICKWORK_NUMBA"


def _unavailable_reason() -> str | None:
    if os.environ.get(_ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return f"disabled by {_ENV_SWITCH}={os.environ[_ENV_SWITCH]}"
    if importlib.util.find_spec("numba") is None:
        return "numba not installed (pip install brickwork[fast])"
    return None


UNAVAILABLE_REASON = _unavailable_reason()
_enabled = UNAVAILABLE_REASON is None


def enabled() -> bool:
    return _enabled


def activate() -> None:
    """Import numba (once), so that a broken install turns the compiled
    loops off with its reason instead of failing in the first kernel call."""
    global _enabled, UNAVAILABLE_REASON
    if UNAVAILABLE_REASON is not None or "numba" in sys.modules:
        return
    try:
        import numba  # noqa: F401
    except Exception as exc:  # installed but unusable (e.g. a NumPy it does not support)
        UNAVAILABLE_REASON = f"numba failed to import ({type(exc).__name__}: {exc})"
        _enabled = False
        return
    from brickwork_numpy.compiled import cache_stamp
    cache_stamp.drop_stale_cache()


#: The dtypes compiled loops take; others (float16: numba has no float16
#: arithmetic on the CPU) stay on the NumPy paths.
COMPILED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def module(name: str, *arrays):
    """The compiled module ``brickwork_numpy.compiled.<name>``, or None when
    compiled loops are off or one of ``arrays`` (None entries skipped) is not
    of a :data:`COMPILED_DTYPES` dtype."""
    if not _enabled:
        return None
    for a in arrays:  # a plain loop: kernels ask on every call, and any() costs twice as much
        if a is not None and a.dtype not in COMPILED_DTYPES:
            return None
    found = _modules.get(name)
    if found is None:
        found = _modules[name] = importlib.import_module(f"{__name__}.{name}")
    return found


_modules: dict = {}  # name -> module: a dict lookup, where import_module costs ~1 us


@contextlib.contextmanager
def disabled():
    """Run the pure-NumPy paths inside the block (for tests and benchmarks)."""
    global _enabled
    saved, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = saved


def describe() -> str:
    """One line for ``python -m brickwork info``."""
    if not _enabled:
        return f"compiled loops off: {UNAVAILABLE_REASON}"
    numba = sys.modules.get("numba")
    if numba is None:  # the backend is not selected yet: describing it imports nothing
        return (f"compiled loops: numba {importlib.metadata.version('numba')} "
                f"(loaded when the backend is selected)")
    from .jit import thread_count
    return f"compiled loops: numba {numba.__version__}, {thread_count()} threads"
