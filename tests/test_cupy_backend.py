"""The CuPy backend: availability reporting everywhere, kernels on a GPU.

The first part runs on any machine (CI has no GPU): the backend is listed,
reported unusable with a reason naming the missing package or device, and
selecting it fails clearly; ``import brickwork`` is unaffected. Where CuPy is
importable, the kernel modules' hookimpls are checked against the specs.

The tests marked ``gpu`` need a CUDA device and are skipped, with the
reason, where there is none: they run the kernel conformance checks on cupy
and train a small model on numpy and on cupy from the same weights.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork
from brickwork import backend, hookspecs
from brickwork.backend import BackendError
from brickwork.plugin_manager import kernel_spec_names

import brickwork_cupy
from brickwork_cupy import plugin as cupy_plugin

PACKAGE_DIR = pathlib.Path(brickwork_cupy.__file__).parent
REASON_PREFIXES = ("cupy not installed", "no CUDA device", "cupy failed to import")
#: What of the core a backend may import (DESIGN.md, rule 2).
ALLOWED_CORE = {"brickwork.plugin", "brickwork.reference_kernels"}


def cupy_status():
    return {s.name: s for s in backend.list_backends()}["cupy"]


def _gpu_skip_reason():
    status = cupy_status()
    return None if status.usable else f"cupy backend unusable here: {status.reason}"


requires_gpu = pytest.mark.skipif(_gpu_skip_reason() is not None,
                                  reason=_gpu_skip_reason() or "")


def run_python(code):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRICKWORK_")}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)


# ---------------------------------------------------------------------------
# Availability, on every machine
# ---------------------------------------------------------------------------


def test_cupy_is_listed_and_reports_why_it_cannot_run():
    status = cupy_status()
    if status.usable:
        pytest.skip(f"cupy is usable here (on {status.device})")
    assert status.reason.startswith(REASON_PREFIXES), status.reason
    assert status.device is None
    assert status.reason == cupy_plugin.unavailable_reason()


def test_selecting_unusable_cupy_raises_backend_error_with_the_reason():
    status = cupy_status()
    if status.usable:
        pytest.skip("cupy is usable here")
    previous = backend.get_backend().name
    with pytest.raises(BackendError, match="not usable here") as raised:
        backend.set_backend("cupy")
    assert status.reason in str(raised.value)
    assert backend.get_backend().name == previous


def test_without_cupy_the_backend_is_listed_as_not_installed():
    # A fresh interpreter in which `import cupy` fails, as where it is not installed.
    result = run_python("""
        import sys
        sys.modules["cupy"] = None          # makes `import cupy` raise ImportError
        import brickwork
        from brickwork import backend
        status = {s.name: s for s in backend.list_backends()}
        print(status["cupy"].usable, status["cupy"].reason, sep="|")
        print(status["numpy"].usable)
        try:
            backend.set_backend("cupy")
        except backend.BackendError as exc:
            print("BackendError", exc)
        print(brickwork.ops.convert_to_tensor([1.0]).__class__.__module__)
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "False|cupy not installed"
    assert lines[1] == "True"
    assert lines[2].startswith("BackendError") and "cupy not installed" in lines[2]
    assert lines[3] == "numpy"


def test_listing_backends_does_not_import_the_cupy_kernels():
    result = run_python("""
        import sys
        import brickwork
        from brickwork import backend
        backend.list_backends()
        loaded = sorted(m for m in sys.modules if m.startswith("brickwork_cupy.kernels"))
        print(loaded)
    """)
    assert result.returncode == 0, result.stderr
    # The kernel modules load only when cupy is selected (never where it is unusable).
    if not cupy_status().usable:
        assert result.stdout.strip() == "[]"


def test_no_device_reason_is_short_and_names_the_device():
    cupy = pytest.importorskip("cupy")
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception:
        reason = cupy_plugin.unavailable_reason()
        assert reason.startswith("no CUDA device (") and "\n" not in reason
    else:
        pytest.skip("a CUDA device is present")


def test_the_backend_imports_only_brickwork_plugin_of_the_core():
    # DESIGN.md rule 2: a backend imports nothing of the core but the hook
    # marker, plain data types (brickwork.plugin) and the reference kernels.
    offenders = []
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            for name in names:
                if name.startswith("brickwork.reference_kernels."):
                    name = "brickwork.reference_kernels"
                if name == "brickwork" or (name.startswith("brickwork.") and name not in ALLOWED_CORE):
                    offenders.append(f"{path.relative_to(PACKAGE_DIR)}: {name}")
    assert not offenders, offenders


def test_the_plugin_module_imports_no_gpu_library():
    source = (PACKAGE_DIR / "plugin.py").read_text()
    top_level = [n for n in ast.parse(source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    modules = {a.name for n in top_level if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module for n in top_level if isinstance(n, ast.ImportFrom)}
    assert not {m for m in modules if m and m.split(".")[0] in ("cupy", "cupyx")}


def test_plugin_lists_every_kernel_module():
    listed = set(cupy_plugin.KERNEL_MODULES)
    on_disk = {f"brickwork_cupy.kernels.{p.stem}" for p in (PACKAGE_DIR / "kernels").glob("*.py")
               if not p.stem.startswith("_")}
    assert listed == on_disk and listed


# ---------------------------------------------------------------------------
# Kernel modules against the specs (needs cupy importable, not a GPU)
# ---------------------------------------------------------------------------


def cupy_hookimpls():
    """spec name -> function, from every kernel module (importing needs cupy, not a device)."""
    pytest.importorskip("cupy", reason="cupy not installed")
    impls = {}
    for module_name in cupy_plugin.KERNEL_MODULES:
        module = importlib.import_module(module_name)
        assert module.BRICKWORK_BACKEND == "cupy", module_name
        for name, fn in vars(module).items():
            if callable(fn) and hasattr(fn, "brickwork_impl"):
                assert name not in impls, f"{name} implemented twice"
                impls[name] = fn
    return impls


def test_cupy_kernels_declare_exactly_their_specs_parameters():
    impls = cupy_hookimpls()
    specs = set(kernel_spec_names())
    assert impls and not set(impls) - specs, f"hookimpls without a spec: {set(impls) - specs}"
    problems = []
    for name, fn in impls.items():
        spec = list(inspect.signature(getattr(hookspecs, name)).parameters)
        params = inspect.signature(fn).parameters.values()
        if [p.name for p in params] != spec:
            problems.append(f"{name}: {[p.name for p in params]} != {spec}")
        problems += [f"{name}: {p.name} has a default" for p in params if p.default is not p.empty]
    assert not problems, "\n".join(problems)


def test_the_activation_kernels_cover_every_kernel_activation():
    pytest.importorskip("cupy", reason="cupy not installed")
    from brickwork_cupy.cuda.activations import ACTIVATION_CODES, INPUT_DIFFERENTIATED
    from brickwork_cupy.cuda.fused_activations import ROW_ACTIVATIONS
    assert set(ACTIVATION_CODES) | set(ROW_ACTIVATIONS) == set(hookspecs.KERNEL_ACTIVATIONS)
    assert set(INPUT_DIFFERENTIATED) == (set(hookspecs.KERNEL_ACTIVATIONS)
                                         - set(hookspecs.OUTPUT_DIFFERENTIABLE_ACTIVATIONS))


# ---------------------------------------------------------------------------
# On a GPU
# ---------------------------------------------------------------------------


def _conformance_params():
    from kernel_checks import load_all_checks  # tests/ is on sys.path (rootdir conftest)
    checks = load_all_checks()
    return checks, [pytest.param(name, case, id=name if case is None else f"{name}-{case}")
                    for name in kernel_spec_names() for case in checks.get(name, (None, (None,)))[1]]


CHECKS, CONFORMANCE_PARAMS = _conformance_params()


@pytest.mark.gpu
@requires_gpu
@pytest.mark.parametrize("spec_name, case", CONFORMANCE_PARAMS)
def test_cupy_kernel_conforms(spec_name, case, rng):
    with backend.use_backend("cupy") as current:
        if spec_name in current.missing_kernels:
            pytest.skip(f"cupy has no {spec_name} kernel yet (issue #7)")
        check, _ = CHECKS[spec_name]
        check(current.kernels, rng, case)


def _train(backend_name, optimizer):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1)
    with backend.use_backend(backend_name):
        brickwork.utils.set_random_seed(7)
        model = brickwork.Sequential([
            brickwork.layers.Input((8,)),
            brickwork.layers.Dense(16, activation="tanh"),
            brickwork.layers.Dense(3, activation="softmax"),
        ])
        model.compile(optimizer, "sparse_categorical_crossentropy")
        history = model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
        weights = [np.asarray(w) for w in model.get_weights()]
        prediction = np.asarray(brickwork.ops.convert_to_numpy(model.predict(x, verbose=0)))
    return history.history["loss"], weights, prediction


@pytest.mark.gpu
@requires_gpu
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_small_model_trains_alike_on_numpy_and_cupy(optimizer):
    loss_np, weights_np, pred_np = _train("numpy", optimizer)
    loss_cp, weights_cp, pred_cp = _train("cupy", optimizer)
    assert_allclose(loss_cp, loss_np, rtol=1e-4)
    for a, b in zip(weights_cp, weights_np):
        assert_allclose(a, b, rtol=1e-3, atol=1e-5)
    assert_allclose(pred_cp, pred_np, rtol=1e-3, atol=1e-5)
