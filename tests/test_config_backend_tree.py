"""``brickwork.config``, ``brickwork.backend``'s Keras functions and
``brickwork.tree``, against Keras 3 (``fixtures/keras_utils_config_tree.json``,
made by ``fixtures/make_keras_utils_config_tree.py``) and against the
parameter listing of Keras's public API."""
from __future__ import annotations

import collections
import inspect
import json
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

import brickwork
from brickwork import backend, config, layers, tree

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
KERAS = json.loads((FIXTURES / "keras_utils_config_tree.json").read_text())
LISTING = json.loads((FIXTURES / "keras_public_api.json").read_text())["modules"]


def parameters(function):
    """``[[name, kind, default repr], ...]`` as the listing records them."""
    target = function.__init__ if inspect.isclass(function) else function
    out = []
    for p in inspect.signature(target).parameters.values():
        if inspect.isclass(function) and p.name == "self":
            continue
        default = None if p.default is inspect.Parameter.empty else repr(p.default)
        out.append([p.name, p.kind.name, default])
    return out


def assert_signature(module_name, obj, name):
    expected = LISTING[module_name][name]["parameters"]
    assert parameters(getattr(obj, name)) == expected, f"{module_name}.{name}"


@pytest.mark.parametrize("name", [n for n, v in LISTING["config"].items()
                                  if n != "is_nnx_enabled"])
def test_config_names_and_signatures(name):
    assert_signature("config", config, name)


@pytest.mark.parametrize("name", list(LISTING["backend"]))
def test_backend_names_and_signatures(name):
    assert_signature("backend", backend, name)


@pytest.mark.parametrize("name", list(LISTING["tree"]))
def test_tree_names_and_signatures(name):
    assert_signature("tree", tree, name)


# --- tree ----------------------------------------------------------------

Point = collections.namedtuple("Point", ["y", "x"])
STRUCTURES = {
    "leaf": 1,
    "none": None,
    "list": [1, 2, 3],
    "single": [5],
    "single_nested": [[5]],
    "tuple_nested": (1, (2, 3), [4, (5,)]),
    "dict_unsorted": {"b": 1, "a": 2, "c": [3, 4]},
    "with_none": [1, None, {"z": None, "y": 2}],
    "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
    "namedtuple": Point(y=1, x=[2, 3]),
    "empty_list": [],
    "empty_dict": {},
    "nested_empty": [1, [], {}, ()],
    "string": "abc",
}
PAIRS = {
    "same": ([1, (2, 3)], [4, (5, 6)]),
    "list_vs_tuple": ([1, 2], (1, 2)),
    "dict_order": ({"a": 1, "b": 2}, {"b": 3, "a": 4}),
    "dict_keys": ({"a": 1}, {"b": 1}),
    "deeper": ([1, 2], [1, [2, 3]]),
    "lengths": ([1, 2], [1, 2, 3]),
    "none_vs_leaf": ([None, 1], [2, 1]),
}


def answer(function, *args):
    try:
        return repr(function(*args))
    except Exception as exc:  # noqa: BLE001
        return f"error:{type(exc).__name__}"


def times_ten(v):
    return v * 10 if isinstance(v, int) else None


ONE_STRUCTURE = {
    "flatten": tree.flatten,
    "flatten_with_path": tree.flatten_with_path,
    "is_nested": tree.is_nested,
    "map_plus_one": lambda s: tree.map_structure(lambda v: None if v is None else (v, "m"), s),
    "map_none_not_leaf": lambda s: tree.map_structure(lambda v: (v, "m"), s, none_is_leaf=False),
    "lists_to_tuples": tree.lists_to_tuples,
    "pack": lambda s: tree.pack_sequence_as(s, [f"v{i}" for i in range(len(tree.flatten(s)))]),
    "traverse_top": lambda s: tree.traverse(times_ten, s),
    "traverse_bottom": lambda s: tree.traverse(times_ten, s, top_down=False),
}


@pytest.mark.parametrize("function", list(ONE_STRUCTURE))
@pytest.mark.parametrize("structure", list(STRUCTURES))
def test_tree_function_matches_keras(function, structure):
    expected = KERAS["tree"][f"{function}:{structure}"]
    if (function, structure) == ("flatten_with_path", "namedtuple"):
        # Keras's torch-backend tree numbers namedtuple fields by sorted
        # field name; its optree tree (jax, tensorflow, numpy backends) and
        # brickwork use the field's position.
        expected = "[((0,), 1), ((1, 0), 2), ((1, 1), 3)]"
    assert answer(ONE_STRUCTURE[function], STRUCTURES[structure]) == expected


@pytest.mark.parametrize("pair", list(PAIRS))
def test_tree_pairs_match_keras(pair):
    a, b = PAIRS[pair]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert answer(tree.assert_same_structure, a, b) == KERAS["tree"][f"assert_same_structure:{pair}"]
    assert answer(tree.assert_same_paths, a, b) == KERAS["tree"][f"assert_same_paths:{pair}"]
    expected = KERAS["tree"][f"map2:{pair}"]
    if pair == "deeper":
        # Keras's torch tree maps a leaf of the first structure onto a subtree
        # of the second; its optree tree (the other backends) and brickwork
        # refuse structures that differ.
        expected = "error:ValueError"
    assert answer(lambda a, b: tree.map_structure(lambda x, y: (x, y), a, b), a, b) == expected


def test_tree_other_cases_match_keras():
    k = KERAS["tree"]
    assert answer(tree.pack_sequence_as, [1, 2], [1]) == k["pack_too_few"]
    assert answer(tree.pack_sequence_as, [1, 2], [1, 2, 3]) == k["pack_too_many"]
    assert answer(tree.map_structure_up_to, [None, (1, 2)], lambda a, b: (a, b),
                  [[1, 2], (3, 4)], [5, (6, 7)]) == k["map_up_to"]
    assert answer(tree.map_structure_up_to, {"a": 1, "b": 2}, lambda v: len(v),
                  {"b": [1, 2], "a": [1]}) == k["map_up_to_dict"]
    assert answer(tree.map_shape_structure, lambda s: ("shape", s),
                  [(None, 3), {"k": (2, 2), "j": [1]}, [[4, 5], (6,)]]) == k["map_shape"]
    assert answer(tree.map_shape_structure, lambda s: ("shape", s), [(), []]) == k["map_shape_empty"]
    assert answer(tree.traverse, lambda v: tree.MAP_TO_NONE if v == 2 else None,
                  [1, 2, (2, 3)]) == k["traverse_map_to_none"]
    assert answer(tree.map_structure, lambda v: v) == k["map_no_structure"]


def test_tree_check_types_is_deprecated():
    with pytest.warns(DeprecationWarning):
        tree.assert_same_structure([1], [2], check_types=True)


def test_tree_unsortable_keys_keep_insertion_order_and_deque():
    assert tree.flatten({1: "a", "x": "b"}) == ["a", "b"]
    d = collections.deque([1, [2]])
    assert tree.map_structure(lambda v: v + 1, d) == collections.deque([2, [3]])
    dd = collections.defaultdict(list, {"b": 1, "a": 2})
    out = tree.pack_sequence_as(dd, ["x", "y"])
    assert isinstance(out, collections.defaultdict) and out == {"a": "x", "b": "y"}


# --- backend / config --------------------------------------------------------------

WEAK = {"int": int, "float": float, "None": None}


@pytest.fixture
def restore_settings():
    yield
    config.set_floatx("float32")
    config.set_epsilon(1e-7)
    config.set_image_data_format("channels_last")
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(None)
    backend.clear_session()


@pytest.mark.parametrize("floatx", ["float32", "float64"])
def test_result_type_matches_keras_for_every_pair(floatx, restore_settings):
    config.set_floatx(floatx)
    for key, expected in KERAS["result_type"][floatx].items():
        args = [WEAK.get(a, a) for a in key.split(",")] if key else []
        try:
            got = repr(backend.result_type(*args))
        except ValueError:
            got = "error:ValueError"
        assert got == expected, key
    with pytest.raises(ValueError, match="float8"):
        backend.result_type("float8_e4m3fn", "float32")


def test_promote_types_keeps_64_bits():
    from brickwork.dtypes import promote_types
    assert promote_types("int32", "float32") == np.float32
    assert promote_types("float64", "float32") == np.float64
    assert promote_types("uint8", "int8") == np.int16
    assert promote_types(np.dtype("int64"), np.dtype("float16")) == np.float16


def test_is_float_and_int_dtype_match_keras():
    for name, (is_float, is_int) in KERAS["is_float_int"].items():
        assert (backend.is_float_dtype(name), backend.is_int_dtype(name)) == (is_float, is_int)


def test_defaults_match_keras():
    assert config.floatx() == backend.floatx() == KERAS["floatx"]
    assert config.epsilon() == backend.epsilon() == KERAS["epsilon"]
    assert config.image_data_format() == backend.image_data_format() == KERAS["image_data_format"]
    assert config.backend() == backend.backend() == "numpy"
    assert config.max_epochs() is None and config.max_steps_per_epoch() is None
    assert config.is_traceback_filtering_enabled() is True
    assert config.is_flash_attention_enabled() is None


def test_setters_validate(restore_settings):
    with pytest.raises(ValueError, match="Unknown `floatx`"):
        config.set_floatx("int32")
    with pytest.raises(ValueError, match="data_format"):
        config.set_image_data_format("channels_middle")
    config.set_image_data_format("CHANNELS_FIRST")
    assert config.image_data_format() == "channels_first"
    backend.set_epsilon(1e-4)
    assert config.epsilon() == 1e-4


def test_floatx_reaches_layers_through_the_policy_after_clear_session(restore_settings):
    backend.clear_session()
    config.set_floatx("float64")
    backend.clear_session()
    layer = layers.Dense(2)
    out = layer(np.ones((1, 3)))
    assert layer.dtype == "float64" and layer.kernel.dtype == "float64"
    assert brickwork.ops.convert_to_numpy(out).dtype == np.float64
    assert backend.standardize_dtype(None) == "float64"
    assert config.dtype_policy().name == "float64"
    # clear_session keeps floatx (configuration), forgets the policy (session state)
    config.set_dtype_policy("float16")
    backend.clear_session()
    assert config.dtype_policy().name == "float64" and config.floatx() == "float64"


def test_image_data_format_reaches_layers(restore_settings):
    config.set_image_data_format("channels_first")
    for layer in (layers.Conv2D(2, 3), layers.MaxPooling2D(), layers.GlobalAveragePooling1D(),
                  layers.ZeroPadding2D(), layers.UpSampling2D(), layers.Cropping2D(),
                  layers.SpatialDropout2D(0.1), layers.Conv1DTranspose(2, 3)):
        assert layer.data_format == "channels_first", type(layer).__name__
    out = layers.Conv2D(4, 3)(np.zeros((1, 2, 8, 8), "float32"))
    assert out.shape == (1, 4, 6, 6)
    assert layers.Conv2D(2, 3, data_format="channels_last").data_format == "channels_last"


def test_clear_session_and_get_uid(restore_settings):
    backend.clear_session()
    assert [backend.get_uid("x"), backend.get_uid("x"), backend.get_uid("y")] == KERAS["get_uid"]
    assert backend.get_uid() == 1
    assert layers.Dense(1).name == "dense" and layers.Dense(1).name == "dense_1"
    config.disable_traceback_filtering()
    config.disable_flash_attention()
    assert not config.is_traceback_filtering_enabled()
    assert config.is_flash_attention_enabled() is False
    config.enable_flash_attention()
    assert config.is_flash_attention_enabled() is None
    config.disable_flash_attention()
    config.set_epsilon(1e-3)
    backend.clear_session()
    assert layers.Dense(1).name == "dense" and backend.get_uid("x") == 1
    assert config.is_traceback_filtering_enabled() and config.is_flash_attention_enabled() is None
    assert config.epsilon() == 1e-3  # configuration survives, as in Keras
    config.enable_traceback_filtering()
    assert config.is_traceback_filtering_enabled()


def test_is_keras_tensor():
    assert backend.is_keras_tensor(layers.Input((2,)))
    assert not backend.is_keras_tensor(np.zeros(2))
    assert not backend.is_keras_tensor(brickwork.ops.convert_to_tensor(np.zeros(2)))


def test_max_epochs_and_steps_cap_fit(restore_settings):
    model = brickwork.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.zeros((40, 2), "float32"), np.zeros((40, 1), "float32")
    config.set_max_epochs(2)
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = model.fit(x, y, epochs=5, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 2
    config.set_max_epochs(None)
    config.set_max_steps_per_epoch(3)
    seen = []
    callback = brickwork.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        model.fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[callback])
    assert seen == [0, 1, 2]
    seen.clear()
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, steps_per_epoch=2, callbacks=[callback])
    assert seen == [0, 1]


def test_max_epochs_from_the_environment():
    code = ("from brickwork import config; print(config.max_epochs(), "
            "config.max_steps_per_epoch())")
    env = dict(__import__("os").environ, BRICKWORK_MAX_EPOCHS="3", KERAS_MAX_STEPS_PER_EPOCH="7")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=str(FIXTURES.parent.parent / "tests"), check=True)
    assert out.stdout.split() == ["3", "7"]


def test_enable_unsafe_deserialization_switch():
    from brickwork.saving import safe_mode
    before = safe_mode._global["safe_mode"]
    try:
        config.enable_unsafe_deserialization()
        assert safe_mode.in_safe_mode() is False
    finally:
        safe_mode._global["safe_mode"] = before


def test_config_set_backend():
    config.set_backend("numpy")
    assert config.backend() == "numpy"


def test_backend_module_imports_nothing_heavy():
    import ast
    source = pathlib.Path(backend.__file__).read_text()
    top = [node for node in ast.parse(source).body if isinstance(node, (ast.Import, ast.ImportFrom))]
    modules = {alias.name for node in top if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in top if isinstance(node, ast.ImportFrom)}
    assert modules <= {"__future__", "contextlib", "contextvars", "importlib", "os", "threading",
                       "types", "dataclasses", "brickwork", "brickwork.plugin_manager"}
    assert {a.name for node in top if isinstance(node, ast.ImportFrom) and node.module == "brickwork"
            for a in node.names} <= {"global_state", "naming"}


# --- top level (module "keras" of the listing) --------------------------------------

TOP_LEVEL_CHECKED = ["DTypePolicy", "FloatDTypePolicy", "Function", "Initializer", "Input",
                     "InputSpec", "Layer", "Loss", "Metric", "Model", "Operation", "Optimizer",
                     "Regularizer", "Sequential", "device", "name_scope", "version"]


@pytest.mark.parametrize("name", TOP_LEVEL_CHECKED)
def test_top_level_names_and_signatures(name):
    assert_signature("keras", brickwork, name)


@pytest.mark.parametrize("name", ["DTypePolicy", "DTypePolicyMap", "FloatDTypePolicy",
                                  "deserialize", "get", "serialize"])
def test_dtype_policies_names_and_signatures(name):
    assert_signature("dtype_policies", brickwork.dtype_policies, name)


def test_float_dtype_policy_and_deserialize():
    policy = brickwork.FloatDTypePolicy("mixed_float16")
    assert isinstance(policy, brickwork.DTypePolicy) and policy == brickwork.DTypePolicy("mixed_float16")
    assert (policy.compute_dtype, policy.variable_dtype) == ("float16", "float32")
    config_ = brickwork.dtype_policies.serialize(policy)
    assert brickwork.dtype_policies.deserialize(config_) == policy
    assert brickwork.dtype_policies.deserialize("float64").compute_dtype == "float64"


def test_dtype_policy_map():
    policies = brickwork.dtype_policies
    policy_map = policies.DTypePolicyMap("mixed_float16", {"encoder/.*": "float64",
                                                           "head": "float32"})
    assert policy_map["head"].name == "float32"
    assert policy_map["encoder/dense_1"].compute_dtype == "float64"
    assert policy_map["decoder"] == brickwork.DTypePolicy("mixed_float16")
    assert (policy_map.compute_dtype, policy_map.variable_dtype) == ("float16", "float32")
    assert policy_map.name == "map_mixed_float16" and len(policy_map) == 2 and "head" in policy_map
    with pytest.raises(ValueError, match="already exist"):
        policy_map["head"] = "float16"
    policy_map["enc.*"] = "float16"
    with pytest.raises(ValueError, match="matches multiple"):
        policy_map["encoder/x"]
    del policy_map["enc.*"]
    restored = policies.deserialize(policies.serialize(policy_map))
    assert isinstance(restored, policies.DTypePolicyMap) and restored == policy_map
    assert policies.get(policies.serialize(policy_map)) == policy_map
    with pytest.raises(ValueError, match="cannot be a `DTypePolicyMap`"):
        policies.DTypePolicyMap(policy_map)
    with pytest.raises(TypeError, match="must be a dict"):
        policies.DTypePolicyMap(None, [("a", "float32")])


class Scale(brickwork.Operation):
    def __init__(self, factor, name=None):
        super().__init__(name=name)
        self.factor = factor

    def call(self, x):
        return brickwork.ops.multiply(x, self.factor)


def test_operation_runs_eagerly_and_in_a_functional_model():
    op = Scale(3.0)
    assert op.name.startswith("scale")
    np.testing.assert_allclose(brickwork.ops.convert_to_numpy(op(np.ones(2, "float32"))), [3, 3])
    inputs = layers.Input((2,))
    symbolic = op(inputs)
    assert isinstance(symbolic, brickwork.KerasTensor) and symbolic.shape == (None, 2)
    assert op.input is inputs and op.output is symbolic
    model = brickwork.Model(inputs, layers.Dense(1, kernel_initializer="ones")(symbolic))
    out = brickwork.ops.convert_to_numpy(model(np.ones((4, 2), "float32")))
    np.testing.assert_allclose(out, np.full((4, 1), 6.0))
    assert isinstance(layers.Dense(1), brickwork.Operation)
    with pytest.raises(ValueError, match="name"):
        Scale(1.0, name="a/b")
    with pytest.raises(NotImplementedError):
        brickwork.Operation()(np.ones(1))


def test_function_runs_a_graph():
    a = layers.Input((3,), name="fa")
    b = layers.Input((3,), name="fb")
    dense = layers.Dense(2)
    outputs = {"sum": layers.Add()([dense(a), dense(b)]), "a": dense(a)}
    function = brickwork.Function([a, b], outputs, name="f")
    assert function.inputs == [a, b] and function.name == "f"
    assert dense in function.operations
    x = np.ones((4, 3), "float32")
    result = function([x, 2 * x])
    np.testing.assert_allclose(brickwork.ops.convert_to_numpy(result["sum"]),
                               3 * brickwork.ops.convert_to_numpy(result["a"]), rtol=1e-6)
    spec = function.compute_output_spec([a, b])
    assert spec["sum"].shape == (None, 2)
    with pytest.raises(ValueError, match="KerasTensors"):
        brickwork.Function(np.ones(2), outputs)


def test_name_scope_paths():
    from brickwork.scopes import current_path
    assert current_path() == ""
    with brickwork.name_scope("outer"):
        with brickwork.name_scope("inner") as scope:
            assert current_path() == "outer/inner" and scope.name == "inner"
        with brickwork.name_scope("other", override_parent="root/x"):
            assert current_path() == "root/x/other"
        caller = object()
        with brickwork.name_scope("c", caller=caller):
            with brickwork.name_scope("c", caller=caller):
                assert current_path() == "outer/c"  # deduplicated
    assert current_path() == ""
    with pytest.raises(ValueError):
        brickwork.name_scope("a/b")


def test_device_accepts_names_and_selects_nothing_on_numpy():
    for name in ("cpu", "CPU:0", "gpu:1", "/device:GPU:0", "cuda:0"):
        with brickwork.device(name):
            out = layers.Dense(1)(np.ones((1, 2), "float32"))
        assert brickwork.ops.convert_to_numpy(out).shape == (1, 1)
    with pytest.raises(ValueError, match="Invalid device name"):
        with brickwork.device("toaster"):
            pass


def test_version():
    assert brickwork.version() == brickwork.__version__
