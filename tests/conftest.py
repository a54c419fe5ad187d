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


@pytest.fixture
def rng():
    return np.random.default_rng(0)
