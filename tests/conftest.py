"""Shared fixtures: every test runs with fresh layer names and a fixed seed."""
import inspect
import os
import sys
import types

import numpy as np
import pytest

import brickwork
from brickwork import backend, naming


# BRICKWORK_TEST_BACKEND=contract runs the session on the contract backend
# (tests/contract_backend.py: only what brickwork.array_namespace declares).
if os.environ.get("BRICKWORK_TEST_BACKEND") == "contract":
    import contract_backend
    contract_backend.register()
    backend.set_backend(contract_backend.NAME)


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


def _delegating_kernel_module(module_name, backend_name):
    """Every core kernel, with the spec's exact parameters, delegating to NumPy's."""
    from brickwork import hookspecs
    from brickwork.plugin import hookimpl
    from brickwork.plugin_manager import kernel_spec_names
    numpy_table = backend._registry.load("numpy").kernels
    namespace = {"numpy_table": numpy_table, "hookimpl": hookimpl}
    module = types.ModuleType(module_name)
    module.BRICKWORK_BACKEND = backend_name
    for name in kernel_spec_names():
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        exec(f"@hookimpl\ndef {name}({params}):\n    return numpy_table.{name}({params})\n",
             namespace)
        setattr(module, name, namespace[name])
    return module


@pytest.fixture
def twin_backend(monkeypatch):
    """A second, complete backend named "twin" (NumPy arrays, NumPy's kernels)
    registered for one test, so that moving between backends and refusing to
    mix them is tested without a GPU. Yields its name; the backend selected
    before is selected again after, and the plugin is gone."""
    from brickwork.plugin import BackendInfo, hookimpl
    manager = backend.plugin_manager()
    previous = backend.get_backend().name
    kernels = _delegating_kernel_module("twin_backend_kernels", "twin")
    monkeypatch.setitem(sys.modules, kernels.__name__, kernels)
    plugin = types.ModuleType("twin_backend_plugin")
    plugin.brickwork_backend = hookimpl(lambda: BackendInfo(
        name="twin", array_module="numpy", kernel_modules=(kernels.__name__,),
        device_name=lambda: "twin cpu"))
    assert manager.register(plugin, "twin-backend")
    yield "twin"
    backend.set_backend(previous)  # before refresh(), which reloads the selected one
    manager.unregister("twin-backend")
    if manager.pm.get_plugin(kernels.__name__) is not None:
        manager.pm.unregister(name=kernels.__name__)
    backend.refresh()
