"""Backend parametrization shared by every benchmark.

A backend that is not usable here (for example cupy without a GPU) makes
``setup`` raise NotImplementedError, which asv reports as skipped.
"""
import os

import numpy as np

import brickwork
from brickwork import backend, ops

BACKENDS = ["numpy", "cupy"]

#: Smoke mode (``BRICKWORK_BENCHMARK_SMOKE=1``): every benchmark runs on tiny
#: shapes, to check that the suite still works, not to time anything.
SMOKE = os.environ.get("BRICKWORK_BENCHMARK_SMOKE") == "1"


def size(full, smoke):
    """A benchmark dimension: ``full`` normally, ``smoke`` in smoke mode."""
    return smoke if SMOKE else full


def use(name):
    """Select backend ``name`` for the benchmark, or skip it."""
    statuses = {s.name: s for s in backend.list_backends()}
    status = statuses.get(name)
    if status is None or not status.usable:
        reason = "not installed" if status is None else status.reason
        raise NotImplementedError(f"backend {name} unavailable: {reason}")
    backend.set_backend(name)
    brickwork.utils.set_random_seed(0)
    return backend.get_backend()


def synchronize():
    """Wait for the device so that GPU timings measure the work, not the launch."""
    xp = backend.get_backend().xp
    cuda = getattr(xp, "cuda", None)
    if cuda is not None:
        cuda.Stream.null.synchronize()


def array(rng, shape, dtype="float32", low=None, high=None):
    """A backend array: normal values, or uniform integers in [low, high)."""
    if low is not None:
        return ops.convert_to_tensor(rng.integers(low, high, shape), dtype=dtype)
    return ops.convert_to_tensor(rng.standard_normal(shape).astype(dtype))


def host_rng():
    return np.random.default_rng(0)
