"""Shared helpers and the registry of kernel conformance checks.

Every spec in ``brickwork/hookspecs.py`` has a check registered in ``CHECKS``
by one module of this package (one module per kernel family); a test in
``test_kernel_conformance.py`` fails when a spec has none. Forward kernels run in float32 and are
compared with the float64 references of ``reference.py`` at ~1e-5 relative
tolerance, and run again in float64 and compared tightly. Backward kernels
run in float64 and are compared with central finite differences of the
reference forward. Optimizer kernels are compared step by step with a
float64 transcription of their spec, state arrays included.
"""
from __future__ import annotations

import numpy as np
from numpy.testing import assert_array_equal

from brickwork import backend, ops

F32 = dict(rtol=1e-5, atol=1e-6)    # float32 kernel vs float64 reference
F64 = dict(rtol=1e-12, atol=1e-13)  # float64 kernel vs float64 reference
FD = dict(rtol=1e-6, atol=1e-8)     # float64 analytic vs finite differences
GRAD32 = dict(rtol=1e-4, atol=1e-5)  # float32 backward vs float64 backward


def T(a, dtype=None):
    """A backend array (None stays None)."""
    return None if a is None else ops.convert_to_tensor(a, dtype=dtype)


def N(a):
    return None if a is None else ops.convert_to_numpy(a)


def call(kernel, *args):
    """Call a kernel, asserting that it leaves its array arguments untouched."""
    before = [np.array(N(a)) if hasattr(a, "shape") else None for a in args]
    result = kernel(*args)
    for position, (arg, saved) in enumerate(zip(args, before)):
        if saved is not None:
            assert_array_equal(N(arg), saved, err_msg=f"{kernel.__name__} modified argument {position}")
    return result


def assert_dtype(array, dtype):
    assert N(array).dtype == np.dtype(dtype), f"expected {dtype}, got {N(array).dtype}"


# ---------------------------------------------------------------------------
# The registry: spec name -> (check function, cases)
# ---------------------------------------------------------------------------

CHECKS: dict = {}


def conformance(spec_name, cases=(None,)):
    """Register ``fn(kernels, rng, case)`` as the check of ``spec_name``."""
    def register(fn):
        assert spec_name not in CHECKS, f"two checks for {spec_name}"
        CHECKS[spec_name] = (fn, tuple(cases))
        return fn
    return register


def kernels():
    return backend.get_backend().kernels




def load_all_checks():
    """Import every check module of this package (each registers its checks)."""
    import importlib
    import pkgutil
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return CHECKS
