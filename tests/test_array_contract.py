"""The array namespace contract (``brickwork.array_namespace``, declared in
``brickwork.hookspecs``): core uses nothing of an array library beyond it.

* statically: every ``xp.<name>`` and ``backend_xp().<name>`` in core (the
  reference kernels included) is a declared name, and core neither calls a
  ufunc's ``.at`` nor detects CuPy arrays by their ``get`` method;
* NumPy (and CuPy, where it imports) have every declared name, and each
  backend's adapters every declared adapter;
* dynamically: the contract backend (``tests/contract_backend.py``: arrays
  that refuse implicit conversion to NumPy, a namespace of the declared
  names only) trains, predicts, saves and loads a model here; CI runs the
  layer, model, training and saving test files on it
  (``BRICKWORK_TEST_BACKEND=contract``, see ``.ci/run``).

The contract backend checks the contract. It is not CuPy and does not test CuPy.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import brickwork
from brickwork import array_namespace, backend, ops

import contract_backend

CORE = pathlib.Path(brickwork.__file__).parent

#: Ufunc ``.at`` calls allowed, with the reason: a reference kernel's helper
#: is the backend's own code once bound (NumPy and CuPy both have
#: ``add.at``), and a backend whose namespace lacks it overrides the helper
#: (the contract backend uses its ``add_at`` adapter).
UFUNC_AT_ALLOWED = {"brickwork/reference_kernels/indexing.py": "scatter_add_rows"}


def _is_xp(node) -> bool:
    """``xp`` or ``backend_xp()`` / ``ops.backend_xp()``."""
    if isinstance(node, ast.Name):
        return node.id == "xp"
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Name) and func.id == "backend_xp") or (
            isinstance(func, ast.Attribute) and func.attr == "backend_xp")
    return False


#: Helpers of ``brickwork.ops`` that look a namespace function up by the
#: name they are given (``getattr(backend_xp(), name)``).
BY_NAME_HELPERS = {"_xp", "_rounding", "_window"}


def _uses():
    """``(place, name)`` for each ``xp.name``, ``(place, "sub.name")`` for
    each ``xp.sub.name``, and ``(place, "name.at")`` for each ufunc ``.at``;
    also each name given to one of :data:`BY_NAME_HELPERS`."""
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            place = f"{path.relative_to(CORE.parent)}:{getattr(node, 'lineno', 0)}"
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in BY_NAME_HELPERS and node.args
                    and isinstance(node.args[0], ast.Constant)):
                yield place, node.args[0].value
            if not isinstance(node, ast.Attribute):
                continue
            if _is_xp(node.value):
                yield place, node.attr
            elif isinstance(node.value, ast.Attribute) and _is_xp(node.value.value):
                yield place, f"{node.value.attr}.{node.attr}"


def test_core_uses_only_declared_names_of_the_array_namespace():
    declared = set(array_namespace.NAMESPACE_NAMES) | {
        f"{sub}.{name}" for sub, names in array_namespace.SUBMODULES.items() for name in names}
    uses = list(_uses())
    assert len(uses) > 300  # the scan sees core's array code
    undeclared = [f"{place}: xp.{name}" for place, name in uses
                  if name not in declared and not name.endswith(".at")]
    assert not undeclared, "declare these in brickwork.array_namespace or use a declared name: " \
        + ", ".join(undeclared)


def test_core_calls_no_ufunc_at_and_detects_no_array_by_its_get_method():
    ufunc_at = [f"{place}: xp.{name}" for place, name in _uses()
                if name.endswith(".at") and place.rpartition(":")[0] not in UFUNC_AT_ALLOWED]
    assert not ufunc_at, "use ops.array_adapters().add_at (and friends): " + ", ".join(ufunc_at)
    duck = []
    for path in sorted(CORE.rglob("*.py")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            if 'hasattr(' in line and ('"get")' in line or "'get')" in line):
                duck.append(f"{path.relative_to(CORE.parent)}:{lineno}")
    assert not duck, "move arrays to the host with ops.convert_to_numpy: " + ", ".join(duck)


def test_numpy_has_every_declared_name():
    assert array_namespace.missing_names(np) == []


def test_cupy_has_every_declared_name_where_it_imports():
    if importlib.util.find_spec("cupy") is None:
        pytest.skip("cupy not installed")
    try:
        cupy = importlib.import_module("cupy")
    except Exception as exc:  # a broken install: nothing to check here
        pytest.skip(f"cupy does not import: {exc}")
    assert array_namespace.missing_names(cupy) == []


@pytest.mark.parametrize("module", ["brickwork.numpy_adapters", "brickwork_cupy.adapters"])
def test_each_backend_has_every_declared_adapter(module):
    try:
        adapters = importlib.import_module(module)
    except ImportError as exc:
        pytest.skip(f"{module} does not import here: {exc}")
    assert [name for name in array_namespace.ADAPTER_NAMES if not hasattr(adapters, name)] == []


def test_numpy_adapters_scatter_unbuffered():
    from brickwork import numpy_adapters
    out = np.zeros(3)
    numpy_adapters.add_at(out, np.array([0, 0, 2]), np.array([1.0, 2.0, 5.0]))
    np.testing.assert_array_equal(out, [3.0, 0.0, 5.0])
    out = np.ones(2)
    numpy_adapters.multiply_at(out, np.array([1, 1]), np.array([2.0, 3.0]))
    np.testing.assert_array_equal(out, [1.0, 6.0])


# --- the contract backend itself ------------------------------------------------

def test_the_contract_backend_registers_and_unregisters_without_a_trace():
    if contract_backend.NAME in backend.plugin_manager().backends:
        pytest.skip("the session runs on the contract backend")
    contract_backend.register()
    assert contract_backend.NAME in [s.name for s in backend.list_backends() if s.usable]
    contract_backend.unregister()
    assert contract_backend.NAME not in [s.name for s in backend.list_backends()]
    assert not [n for n in sys.modules if n.startswith("brickwork_contract")]


@pytest.fixture(scope="module")
def contract():
    """The contract backend, registered for this module's tests only (unless
    the whole session runs on it)."""
    registered_here = contract_backend.NAME not in backend.plugin_manager().backends
    contract_backend.register()
    yield backend._registry.load(contract_backend.NAME)
    if registered_here:
        contract_backend.unregister()


def test_contract_namespace_has_the_declared_names_and_no_other(contract):
    names = {name for name in vars(contract.xp) if not name.startswith("__")}
    assert names == set(array_namespace.NAMESPACE_NAMES)
    assert array_namespace.missing_names(contract.xp) == []
    assert set(vars(contract.xp.linalg)) - {n for n in vars(contract.xp.linalg)
                                             if n.startswith("__")} \
        == set(array_namespace.SUBMODULES["linalg"])


def test_contract_arrays_refuse_implicit_conversion_to_numpy(contract):
    xp = contract.xp
    a = xp.ones((2, 3), dtype="float32")
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    with pytest.raises(TypeError):
        np.exp(a)
    with pytest.raises(TypeError):
        np.concatenate([a, a])
    with pytest.raises(TypeError):
        a + np.ones((2, 3), dtype="float32")  # a host array does not mix in
    assert not hasattr(a, "get")
    assert isinstance(a.sum(), xp.ndarray) and a.sum().ndim == 0  # 0-d, as on CuPy
    host = contract.adapters.to_host(a * 2)
    assert type(host) is np.ndarray
    np.testing.assert_array_equal(host, np.full((2, 3), 2.0, "float32"))


def test_contract_backend_fits_predicts_saves_and_loads(contract, tmp_path):
    keras = brickwork
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    with backend.use_backend(contract_backend.NAME):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
        predicted = model.predict(x, verbose=0)
        assert type(predicted) is np.ndarray  # predict hands back host arrays
        assert isinstance(model.layers[0].kernel.value, contract.xp.ndarray)
        path = tmp_path / "model.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), predicted, rtol=1e-6)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_a_contract_array_reaching_numpy_moves_through_its_adapters(contract):
    with backend.use_backend(contract_backend.NAME):
        on_contract = ops.convert_to_tensor(np.arange(3.0, dtype="float32"))
    assert isinstance(on_contract, contract.xp.ndarray)
    with backend.use_backend("numpy"):
        moved = ops.convert_to_tensor(on_contract)
        assert type(moved) is np.ndarray
        np.testing.assert_array_equal(ops.convert_to_numpy(on_contract), [0.0, 1.0, 2.0])


#: Core modules that may import CuPy by name, with the reason.
CUPY_IMPORTS_ALLOWED = {
    "brickwork/distribution/nccl.py": "the NCCL transport between GPUs is CuPy's cupy.cuda.nccl",
    "brickwork/distribution/distribution_lib.py": "binds each MPI process to its GPU for NCCL",
}


def test_core_imports_no_array_library_but_numpy():
    assert all((CORE.parent / name).exists() for name in CUPY_IMPORTS_ALLOWED)
    found = []
    for path in sorted(CORE.rglob("*.py")):
        name = str(path.relative_to(CORE.parent))
        if name in CUPY_IMPORTS_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(), name)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                    node.func, "id", None)) == "import_module" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                modules = [str(node.args[0].value)]
            else:
                continue
            found += [f"{name}:{node.lineno}: {m}" for m in modules
                      if m.split(".")[0] in ("cupy", "cupyx")]
    assert not found, "core reaches the array library through the backend: " + ", ".join(found)
