"""Operations as functional graph nodes, in Keras 3's saved form.

Keras saves ``x + 3.0``, ``x[:, 1:]``, ``ops.mean(x, axis=1)`` and the mask
of ``Embedding(mask_zero=True)`` as nodes of their own (module
``keras.src.ops.numpy``, ``keras.src.ops.nn``, ...). The fixtures in
keras_op_nodes/ were written by Keras 3.15 (tests/fixtures/make_keras_op_nodes.py);
the models are in tests/fixtures/keras_op_nodes_models.py, which the tests
also build in brickwork.
"""
import copy
import importlib
import inspect
import json
import os
import sys
import zipfile

import numpy as np
import pytest

import brickwork as keras
from brickwork import layers, ops
from brickwork.layers import operation_registry
from brickwork.saving import deserialize_keras_object

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
DATA = os.path.join(HERE, "keras_op_nodes")
sys.path.insert(0, HERE)
from keras_op_nodes_models import BUILDERS, op_sweep  # noqa: E402

OUTPUTS = np.load(os.path.join(DATA, "outputs.npz"))
NAMES = [make.__name__ for make in BUILDERS]


def archive_config(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def same_constants(config):
    """Keras writes a backend-tensor constant as ``__tensor__`` and a NumPy
    one as ``__numpy__``; on the NumPy backend the two are one type. Keras's
    ``shared_object_id`` markers (its dtype policies) are left out."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "shared_object_id"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip(json.loads(json.dumps(config).replace('"__tensor__"', '"__numpy__"')))


def inputs_of(name):
    if name == "op_sweep":
        return [OUTPUTS[f"op_sweep/{k}"] for k in "xyi"]
    return OUTPUTS[f"{name}/x"]


def expected_outputs(name):
    count = sum(1 for key in OUTPUTS.files
                if key.startswith(f"{name}/y") and key[len(name) + 2:].isdigit())
    return [OUTPUTS[f"{name}/y{k}"] for k in range(count)]


def run(model, name):
    outputs = model(inputs_of(name))
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [np.asarray(ops.convert_to_numpy(y)) for y in outputs]


def assert_outputs_match(actual, expected):
    assert len(actual) == len(expected)
    for k, (got, want) in enumerate(zip(actual, expected)):
        assert got.shape == want.shape, f"output {k}"
        assert got.dtype.kind == want.dtype.kind, f"output {k}: {got.dtype} vs {want.dtype}"
        # float32 rounding of Keras's own (torch) arithmetic
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64),
                                   rtol=2e-5, atol=2e-6, err_msg=f"output {k}")


@pytest.mark.parametrize("name", NAMES + ["op_sweep"])
def test_keras_file_loads_predicts_and_saves_back_in_keras_form(name, tmp_path):
    path = os.path.join(DATA, f"{name}.keras")
    model = keras.models.load_model(path)
    assert_outputs_match(run(model, name), expected_outputs(name))

    model.save(tmp_path / "again.keras")
    keras_config = archive_config(path)["config"]
    written = archive_config(tmp_path / "again.keras")["config"]
    for key in ("layers", "input_layers", "output_layers"):
        assert same_constants(written[key]) == same_constants(keras_config[key]), key
    again = keras.models.load_model(tmp_path / "again.keras")
    assert_outputs_match(run(again, name), expected_outputs(name))


def test_embedding_mask_is_a_not_equal_node_passed_as_kwargs_mask():
    model = keras.models.load_model(os.path.join(DATA, "embedding_lstm.keras"))
    config = model.get_config()
    by_name = {layer["name"]: layer for layer in config["layers"]}
    assert by_name["not_equal"]["module"] == "keras.src.ops.numpy"
    assert by_name["not_equal"]["class_name"] == "NotEqual"
    assert by_name["not_equal"]["inbound_nodes"][0]["args"][1] == 0
    kwargs = by_name["lstm"]["inbound_nodes"][0]["kwargs"]
    assert kwargs["mask"]["config"]["keras_history"] == ["not_equal", 0, 0]
    assert kwargs["training"] is False


def _op_entries(config):
    return {layer["name"]: layer for layer in config["layers"]
            if operation_registry.is_operation_module(layer["module"])}


@pytest.mark.parametrize("make", BUILDERS + (op_sweep,), ids=NAMES + ["op_sweep"])
def test_brickwork_built_model_writes_keras_op_nodes(make, tmp_path):
    keras.backend.clear_session()
    built = make(keras)
    model = built[0] if isinstance(built, tuple) else built
    name = model.name
    reference = keras.models.load_model(os.path.join(DATA, f"{name}.keras"))
    model.set_weights(reference.get_weights())
    model.save(tmp_path / "built.keras")
    written = archive_config(tmp_path / "built.keras")["config"]
    keras_config = archive_config(os.path.join(DATA, f"{name}.keras"))["config"]

    # Every op node as Keras wrote it: module, class, config, arguments.
    keras_ops, our_ops = _op_entries(keras_config), _op_entries(written)
    if name == "embedding_lstm":
        # Keras's mask node; brickwork carries the mask on the tensor instead.
        assert set(keras_ops) - set(our_ops) == {"not_equal"}
        keras_ops.pop("not_equal")
    assert sorted(our_ops) == sorted(keras_ops)
    assert same_constants(our_ops) == same_constants(keras_ops)
    # Layer nodes take the same tensors (their recorded kwargs may differ:
    # Keras also writes the implicit `training`/`mask` values).
    keras_layers = {layer["name"]: layer for layer in keras_config["layers"]}
    for layer in written["layers"]:
        assert same_constants([n["args"] for n in layer["inbound_nodes"]]) == same_constants(
            [n["args"] for n in keras_layers[layer["name"]]["inbound_nodes"]]), layer["name"]
    assert written["output_layers"] == keras_config["output_layers"]

    again = keras.models.load_model(tmp_path / "built.keras")
    assert_outputs_match(run(again, name), expected_outputs(name))


def test_operators_and_activations_record_keras_ops():
    keras.backend.clear_session()
    x = keras.Input((3,))
    outputs = [x / 2.0, round(x), keras.activations.relu(x, max_value=1.0), 1.0 - x, x[..., 0],
               x != 0.0]
    config = keras.Model(x, outputs).get_config()
    entries = [(layer["module"], layer["class_name"], layer["config"])
               for layer in config["layers"][1:]]
    assert entries == [
        ("keras.src.ops.numpy", "TrueDivide", {"name": "true_divide"}),
        ("keras.src.ops.numpy", "Round", {"name": "round", "decimals": 0}),
        ("keras.src.activations.activations", "ReLU",
         {"name": "re_lu", "negative_slope": 0.0, "max_value": 1.0, "threshold": 0.0}),
        ("keras.src.ops.numpy", "Subtract", {"name": "subtract"}),
        ("keras.src.ops.numpy", "GetItem", {"name": "get_item"}),
        ("keras.src.ops.numpy", "NotEqual", {"name": "not_equal"}),
    ]
    assert config["layers"][4]["inbound_nodes"][0]["args"][0] == 1.0
    assert config["layers"][5]["inbound_nodes"][0]["args"][1] == [
        {"class_name": "__ellipsis__", "config": {}}, 0]


def test_brickwork_only_op_round_trips_in_brickwork(tmp_path):
    keras.backend.clear_session()
    x = keras.Input((4,))
    y = ops.l2_normalize(x, axis=-1)  # no Keras operation of that name
    model = keras.Model(x, y)
    entry = model.get_config()["layers"][1]
    assert (entry["module"], entry["class_name"]) == ("brickwork.ops", "l2_normalize")
    model.save(tmp_path / "m.keras")
    data = np.arange(8, dtype="float32").reshape(2, 4)
    again = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again.predict(data, verbose=0), model.predict(data, verbose=0))


def test_a_function_that_is_no_op_runs_but_cannot_be_saved():
    def double(t):
        return ops.multiply(t, 2.0)
    keras.backend.clear_session()
    x = keras.Input((2,))
    model = keras.Model(x, ops.symbolic_op(double)(x))
    np.testing.assert_allclose(model.predict(np.ones((1, 2), "float32"), verbose=0), [[2, 2]])
    with pytest.raises(ValueError, match="'double'.*register_keras_serializable"):
        model.get_config()


def _fixture_with_op(class_name, module="keras.src.ops.numpy"):
    config = archive_config(os.path.join(DATA, "convnext_block.keras"))
    config = copy.deepcopy(config)
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "Multiply" and layer["module"] == "keras.src.ops.numpy":
            layer["class_name"] = layer["registered_name"] = class_name
            layer["module"] = module
            return config
    raise AssertionError("no Multiply op in the fixture")


def test_unknown_operation_names_module_and_fix():
    with pytest.raises(TypeError) as info:
        deserialize_keras_object(_fixture_with_op("Frobnicate"))
    message = str(info.value)
    assert "'Frobnicate'" in message and "'keras.src.ops.numpy'" in message
    assert "custom_objects" in message and "plugin" in message


def test_custom_objects_supply_an_unknown_operation(tmp_path):
    class Frobnicate(layers.Layer):
        def call(self, a, b):
            return ops.multiply(a, b)
    path = tmp_path / "custom.keras"
    with zipfile.ZipFile(os.path.join(DATA, "convnext_block.keras")) as source, \
            zipfile.ZipFile(path, "w") as target:
        for item in source.namelist():
            data = source.read(item)
            if item == "config.json":
                data = json.dumps(_fixture_with_op("Frobnicate")).encode()
            target.writestr(item, data)
    model = keras.models.load_model(path, custom_objects={"Frobnicate": Frobnicate})
    assert type(model.get_layer("multiply")) is Frobnicate
    name = "convnext_block"
    assert_outputs_match(run(model, name), expected_outputs(name))


@pytest.mark.parametrize("module,class_name", [
    ("keras.src.ops.numpy", "__import__"),
    ("keras.src.ops.core", "Map"),          # takes a Python function: not loadable
    ("os", "system"),
    ("brickwork.ops", "convert_to_numpy"),  # a brickwork.ops name that is no op
    ("brickwork.ops", "_wrap_for_symbolic_tensors"),
])
def test_operation_lookup_is_data_only(module, class_name, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("loading imported a module named by the file")
    monkeypatch.setattr(importlib, "import_module", refuse)
    with pytest.raises(TypeError, match="Could not locate|Unknown operation"):
        deserialize_keras_object(_fixture_with_op(class_name, module), safe_mode=True)


def test_operation_nodes_load_in_safe_mode(monkeypatch):
    monkeypatch.setattr(importlib, "import_module", lambda *a, **k: 1 / 0)
    model = keras.models.load_model(os.path.join(DATA, "get_item.keras"), safe_mode=True)
    assert_outputs_match(run(model, "get_item"), expected_outputs("get_item"))


def test_a_run_with_a_training_value_overrides_the_recorded_one():
    keras.backend.clear_session()
    x = keras.Input((200,))
    model = keras.Model(x, layers.Dropout(0.5)(x))
    config = model.get_config()
    config["layers"][1]["inbound_nodes"][0]["kwargs"] = {"training": False}  # as Keras writes
    loaded = keras.Model.from_config(config)
    data = np.ones((1, 200), "float32")
    np.testing.assert_array_equal(np.asarray(loaded(data)), data)  # the recorded value
    trained = np.asarray(loaded(data, training=True))
    assert (trained == 0).sum() > 50


def test_registry_names_match_the_functions():
    for (module, class_name), spec in operation_registry._BY_CLASS.items():
        parameters = inspect.signature(spec.function).parameters
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        for name in spec.init + spec.positional + spec.keywords:
            assert name.lstrip("*") in parameters or takes_kwargs, (class_name, name)


def test_models_with_operation_nodes_pickle_and_deepcopy():
    import pickle
    keras.backend.clear_session()
    x = keras.Input((3,))
    h = layers.Dense(2)(x)
    model = keras.Model(x, [ops.mean(h + 1.0, axis=-1), ops.relu(h), h[:, 0],
                            ops.l2_normalize(h)])
    data = np.array([[1.0, -2.0, 0.5]], "float32")
    expected = model.predict(data, verbose=0)
    for copied in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        for got, want in zip(copied.predict(data, verbose=0), expected):
            np.testing.assert_array_equal(got, want)
        assert copied.get_config() == model.get_config()
