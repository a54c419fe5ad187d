"""Shared fixtures: every test runs with fresh layer names and a fixed seed."""
import numpy as np
import pytest

import brickwork
from brickwork import backend, naming


def available_backends():
    return [status.name for status in backend.list_backends() if status.usable]


@pytest.fixture(autouse=True)
def _fresh_state():
    naming.reset_names()
    brickwork.utils.set_random_seed(1234)
    yield


@pytest.fixture(params=available_backends())
def backend_name(request):
    """Runs a test once per usable backend, with that backend selected."""
    with backend.use_backend(request.param):
        yield request.param


def _numpy_loop_modes():
    from brickwork_numpy import compiled
    return ["compiled", "ufuncs"] if compiled.enabled() else ["ufuncs"]


@pytest.fixture(params=_numpy_loop_modes())
def numpy_loops(request):
    """Runs a test with the NumPy backend's compiled (numba) loops, and again
    with its pure-NumPy paths; only the latter where numba is missing."""
    from brickwork_numpy import compiled
    if request.param == "compiled":
        yield request.param
        return
    with compiled.disabled():
        yield request.param


@pytest.fixture
def mixed_float16_policy():
    """The global dtype policy set to "mixed_float16" for one test."""
    from brickwork import dtype_policies
    saved = dtype_policies.dtype_policy()
    dtype_policies.set_dtype_policy("mixed_float16")
    yield
    dtype_policies.set_dtype_policy(saved)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
