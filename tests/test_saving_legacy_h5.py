"""Legacy Keras HDF5 (``.h5``) files: the ones tf.keras 2 and Keras 3's legacy
writer make load and predict as Keras does, weights load by topology and by
name, mismatches name the layer, variable and shapes and leave the model as
it was, and ``model.save("x.h5")`` writes the layout Keras writes.

Fixtures: ``tests/fixtures/make_keras_legacy_h5.py`` (Keras 3, torch backend).
"""
import base64
import json
import marshal
import os
import shutil

import h5py
import numpy as np
import pytest

import brickwork
from brickwork import layers
from brickwork.saving import LoadError

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "keras_legacy_h5")
EXPECTED = np.load(os.path.join(HERE, "expected.npz"))
MODELS = ["k3_sequential_mlp", "k3_functional_cnn", "k3_recurrent", "tf2_functional_mlp",
          "tf2_sequential_rnn", "tf2_sequential_cnn"]


def fixture(name):
    return os.path.join(HERE, name)


def load_quietly(path, **kwargs):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return brickwork.models.load_model(path, **kwargs)


def assert_predicts_as_keras(model, name):
    got = model.predict(EXPECTED[f"{name}/x"], verbose=0)
    np.testing.assert_allclose(got, EXPECTED[f"{name}/y"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_load_model_predicts_as_keras(name):
    assert_predicts_as_keras(load_quietly(fixture(f"{name}.h5")), name)


def test_compiled_model_gets_its_optimizer_state_back():
    model = brickwork.models.load_model(fixture("k3_sequential_mlp.h5"))
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate.numpy() == pytest.approx(0.01)
    with h5py.File(fixture("k3_sequential_mlp.h5"), "r") as f:
        group = f["optimizer_weights"]
        stored = [group[name][()] for name in group.attrs["weight_names"]]
    assert len(stored) == len(model.optimizer.variables)
    for variable, value in zip(model.optimizer.variables, stored):
        np.testing.assert_array_equal(variable.numpy(), value)
    x = EXPECTED["k3_sequential_mlp/x"]
    model.fit(x, np.array([0, 1, 2, 0]), epochs=1, verbose=0)  # trains on from the saved state


def test_tf2_model_compiles_and_reports_the_optimizer_state_it_cannot_use():
    with pytest.warns(UserWarning, match="freshly initialized optimizer"):
        model = brickwork.models.load_model(fixture("tf2_functional_mlp.h5"))
    assert type(model.optimizer).__name__ == "Adam"
    assert model.get_layer("batch_normalization").axis in (-1, 1)
    unc = load_quietly(fixture("tf2_functional_mlp.h5"), compile=False)
    assert getattr(unc, "optimizer", None) is None


def test_tf2_loss_object_wrapped_metric_and_new_optimizer_compile():
    model = load_quietly(fixture("tf2_sequential_cnn.h5"))
    compiled = model.get_compile_config()
    assert compiled["optimizer"]["class_name"] == "Adam"
    assert compiled["optimizer"]["config"]["learning_rate"] == pytest.approx(0.002)
    assert compiled["loss"]["config"]["reduction"] == "sum_over_batch_size"
    assert compiled["metrics"] == ["accuracy"]
    x = EXPECTED["tf2_sequential_cnn/x"]
    history = model.fit(x, np.eye(4, dtype="float32")[[0, 1]], epochs=1, verbose=0)
    assert "accuracy" in history.history


def test_uncompiled_file_warns_that_it_was_not_compiled():
    with pytest.warns(UserWarning, match="not\\* compiled"):
        brickwork.models.load_model(fixture("k3_functional_cnn.h5"))


# -- load_weights -------------------------------------------------------------------


def sequential_mlp(hidden=8):
    return brickwork.Sequential([brickwork.Input((6,)),
                                 layers.Dense(hidden, activation="relu", name="hidden"),
                                 layers.Dropout(0.2),
                                 layers.Dense(3, activation="softmax", name="probs")])


def sequential_rnn():
    return brickwork.Sequential([brickwork.Input((5,), dtype="int32"),
                                 layers.Embedding(20, 4), layers.LSTM(6, return_sequences=True),
                                 layers.GRU(3), layers.Dense(2)])


@pytest.mark.parametrize("name,build", [("k3_sequential_mlp", sequential_mlp),
                                        ("tf2_sequential_rnn", sequential_rnn)])
def test_load_weights_by_topology(name, build):
    model = build()
    model.load_weights(fixture(f"{name}.h5"))
    assert_predicts_as_keras(model, name)


def byname_model(head_inputs=None, tail=False):
    inputs = brickwork.Input((4,))
    x = layers.Dense(5, activation="tanh", name="features")(inputs)
    if head_inputs:
        x = layers.Dense(head_inputs, name="extra")(x)
    x = layers.Dense(3, name="head")(x)
    if tail:
        x = layers.Dense(2, name="custom_tail")(x)
    return brickwork.Model(inputs, x)


def stored(layer, variable):
    return EXPECTED[f"k3_byname/{layer}/{variable}"]


def test_weights_only_file_loads_by_topology():
    model = byname_model()
    model.load_weights(fixture("k3_byname_weights.h5"))
    np.testing.assert_array_equal(model.get_layer("head").kernel.numpy(),
                                  stored("head", "kernel"))


def test_load_weights_by_name_skips_layers_the_file_does_not_have():
    model = byname_model(tail=True)
    tail_before = model.get_layer("custom_tail").get_weights()
    model.load_weights(fixture("k3_byname_weights.h5"), by_name=True)
    for layer in ("features", "head"):
        np.testing.assert_array_equal(model.get_layer(layer).kernel.numpy(),
                                      stored(layer, "kernel"))
        np.testing.assert_array_equal(model.get_layer(layer).bias.numpy(),
                                      stored(layer, "bias"))
    for a, b in zip(tail_before, model.get_layer("custom_tail").get_weights()):
        np.testing.assert_array_equal(a, b)


def test_by_name_shape_mismatch_names_layer_variable_and_shapes_and_changes_nothing():
    model = byname_model(head_inputs=7)
    before = model.get_weights()
    with pytest.raises(LoadError, match=r"'head'.*kernel.*\(7, 3\).*\(5, 3\)") as info:
        model.load_weights(fixture("k3_byname_weights.h5"), by_name=True)
    assert "unchanged" in str(info.value) and "skip_mismatch" in str(info.value)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # 'features' fitted, but nothing was assigned
    with pytest.warns(UserWarning, match=r"'head'.*kernel"):
        model.load_weights(fixture("k3_byname_weights.h5"), by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(model.get_layer("features").kernel.numpy(),
                                  stored("features", "kernel"))
    np.testing.assert_array_equal(model.get_layer("head").kernel.numpy(),
                                  before[-2])  # mismatched: left as it was
    np.testing.assert_array_equal(model.get_layer("head").bias.numpy(),
                                  stored("head", "bias"))  # its bias fits


def test_topological_shape_mismatch_is_refused_then_skipped():
    model = sequential_mlp(hidden=9)
    before = model.get_weights()
    with pytest.raises(LoadError, match=r"'hidden'.*kernel.*\(6, 9\).*\(6, 8\)"):
        model.load_weights(fixture("k3_sequential_mlp.h5"))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="Skipped loading"):
        model.load_weights(fixture("k3_sequential_mlp.h5"), skip_mismatch=True)
    with h5py.File(fixture("k3_sequential_mlp.h5"), "r") as f:
        probs_bias = f["model_weights/probs/sequential/probs/bias"][()]
    np.testing.assert_array_equal(model.get_layer("probs").bias.numpy(), probs_bias)


def test_layer_count_mismatch_suggests_by_name():
    with pytest.raises(LoadError, match="Layer count mismatch.*by_name=True"):
        byname_model(head_inputs=7).load_weights(fixture("k3_byname_weights.h5"))


def test_by_name_is_only_for_legacy_files(tmp_path):
    model = byname_model()
    model.save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match="by_name"):
        model.load_weights(tmp_path / "m.weights.h5", by_name=True)


def test_load_model_of_a_weights_only_file_says_what_to_do():
    with pytest.raises(LoadError, match="only weights.*load_weights"):
        brickwork.models.load_model(fixture("k3_byname_weights.h5"))


# -- saving ---------------------------------------------------------------------------


def layout(path):
    """Every group and dataset of a file with its attribute names and shape."""
    found = {"/": sorted(h5py.File(path, "r").attrs.keys())}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(
            name, (sorted(obj.attrs.keys()), getattr(obj, "shape", None))))
        names = {name: list(f[name].attrs["weight_names"]) for name in found
                 if name != "/" and "weight_names" in f[name].attrs}
    return found, names


@pytest.mark.parametrize("name", ["k3_sequential_mlp", "k3_functional_cnn", "k3_recurrent"])
def test_save_writes_the_layout_keras_writes(tmp_path, name):
    model = load_quietly(fixture(f"{name}.h5"))
    with pytest.warns(UserWarning, match="HDF5 file.*legacy"):
        model.save(tmp_path / "again.h5")
    assert os.listdir(tmp_path) == ["again.h5"]  # written to a temp file, then renamed
    assert layout(tmp_path / "again.h5") == layout(fixture(f"{name}.h5"))
    with h5py.File(tmp_path / "again.h5", "r") as ours, \
            h5py.File(fixture(f"{name}.h5"), "r") as keras_file:
        ours_config = json.loads(ours.attrs["model_config"])
        keras_config = json.loads(keras_file.attrs["model_config"])
        assert ours_config["class_name"] == keras_config["class_name"]
        assert [(e["class_name"], sorted(e)) for e in ours_config["config"]["layers"]] == \
            [(e["class_name"], sorted(e)) for e in keras_config["config"]["layers"]]
    assert_predicts_as_keras(load_quietly(tmp_path / "again.h5"), name)


def test_tf2_file_saves_again_in_keras_3_form(tmp_path):
    model = load_quietly(fixture("tf2_sequential_rnn.h5"))
    with pytest.warns(UserWarning, match="legacy"):
        brickwork.saving.save_model(model, tmp_path / "m.hdf5")
    with h5py.File(tmp_path / "m.hdf5", "r") as f:
        config = json.loads(f.attrs["model_config"])
        lstm = f["model_weights/lstm"].attrs["weight_names"]
    assert "time_major" not in json.dumps(config)
    assert list(lstm) == ["sequential/lstm/lstm_cell/kernel",
                          "sequential/lstm/lstm_cell/recurrent_kernel",
                          "sequential/lstm/lstm_cell/bias"]
    assert_predicts_as_keras(load_quietly(tmp_path / "m.hdf5"), "tf2_sequential_rnn")
    model.load_weights(tmp_path / "m.hdf5")  # a full-model file also serves load_weights
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.hdf5", overwrite=False)


def test_save_without_optimizer(tmp_path):
    model = load_quietly(fixture("k3_sequential_mlp.h5"))
    with pytest.warns(UserWarning):
        model.save(tmp_path / "m.h5", include_optimizer=False)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert "optimizer_weights" not in f and "training_config" not in f.attrs


# -- safe mode and hostile files ----------------------------------------------------------


def write_legacy_model(path, layer_configs, layer_names=()):
    config = {"class_name": "Sequential", "config": {"name": "sequential",
                                                     "layers": layer_configs}}
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = np.bytes_(json.dumps(config).encode("utf8"))
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.array([n.encode() for n in layer_names])
        for name in layer_names:
            group.create_group(name).attrs["weight_names"] = np.asarray([])


INPUT = {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3],
                                                "dtype": "float32", "name": "in"}}


def test_legacy_lambda_is_refused_in_safe_mode(tmp_path):
    code = base64.b64encode(marshal.dumps((lambda x: x * 2).__code__)).decode("ascii")
    lam = {"class_name": "Lambda", "config": {"name": "double", "trainable": True,
                                              "dtype": "float32", "function": [code, None, None],
                                              "function_type": "lambda", "module": "__main__",
                                              "output_shape": None,
                                              "output_shape_type": "raw",
                                              "output_shape_module": None, "arguments": {}}}
    write_legacy_model(tmp_path / "lam.h5", [INPUT, lam], ["double"])
    with pytest.raises(LoadError, match="safe_mode=False"):
        brickwork.models.load_model(tmp_path / "lam.h5", compile=False)
    model = brickwork.models.load_model(tmp_path / "lam.h5", compile=False, safe_mode=False)
    np.testing.assert_allclose(model.predict(np.ones((1, 3), "float32"), verbose=0), 2.0)


def test_unknown_legacy_class_is_named(tmp_path):
    write_legacy_model(tmp_path / "u.h5", [INPUT, {"class_name": "MyBlock",
                                                   "config": {"name": "b"}}], ["b"])
    with pytest.raises(LoadError, match="MyBlock.*custom_objects"):
        brickwork.models.load_model(tmp_path / "u.h5", compile=False)


def test_links_in_a_legacy_file_are_refused(tmp_path):
    path = tmp_path / "link.h5"
    shutil.copy(fixture("k3_byname_weights.h5"), path)
    with h5py.File(path, "a") as f:
        del f["head/head/bias"]
        f["head/head/bias"] = h5py.SoftLink("/features/features/bias")
    model = byname_model()
    before = model.get_weights()
    with pytest.raises(LoadError, match="SoftLink"):
        model.load_weights(path)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_missing_dataset_is_named(tmp_path):
    path = tmp_path / "missing.h5"
    shutil.copy(fixture("k3_byname_weights.h5"), path)
    with h5py.File(path, "a") as f:
        del f["head/head/kernel"]
    with pytest.raises(LoadError, match="head/kernel.*missing"):
        byname_model().load_weights(path)


def test_tf2_multi_input_nodes_are_wired_as_saved(tmp_path, rng):
    """tf.keras 2 lists a merge layer's inputs in one node:
    ``[[["a", 0, 0, {}], ["b", 0, 0, {}]]]``."""
    def input_layer(name, width):
        return {"class_name": "InputLayer", "name": name, "inbound_nodes": [],
                "config": {"batch_input_shape": [None, width], "dtype": "float32",
                           "sparse": False, "ragged": False, "name": name}}
    dense = {"name": "dense", "trainable": True, "dtype": "float32", "units": 1,
             "activation": "linear", "use_bias": True,
             "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
             "bias_initializer": {"class_name": "Zeros", "config": {}}}
    config = {"class_name": "Functional", "config": {
        "name": "model", "layers": [
            input_layer("b", 3), input_layer("a", 2),
            {"class_name": "Concatenate", "name": "concatenate",
             "config": {"name": "concatenate", "trainable": True, "dtype": "float32",
                        "axis": -1},
             "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]},
            {"class_name": "Dense", "name": "dense", "config": dense,
             "inbound_nodes": [[["concatenate", 0, 0, {}]]]}],
        "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["dense", 0, 0]]}}
    kernel = rng.normal(size=(5, 1)).astype("float32")
    bias = np.array([0.5], "float32")
    with h5py.File(tmp_path / "two.h5", "w") as f:
        f.attrs["keras_version"] = "2.9.0"
        f.attrs["model_config"] = np.bytes_(json.dumps(config).encode("utf8"))
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.array([b"b", b"a", b"concatenate", b"dense"])
        for name in ("a", "b", "concatenate"):
            group.create_group(name).attrs["weight_names"] = np.asarray([])
        dense_group = group.create_group("dense")
        dense_group.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
        dense_group["dense/kernel:0"] = kernel
        dense_group["dense/bias:0"] = bias
    model = load_quietly(tmp_path / "two.h5")
    xa = rng.normal(size=(4, 2)).astype("float32")
    xb = rng.normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(model.predict([xa, xb], verbose=0),
                               np.concatenate([xa, xb], axis=1) @ kernel + bias, rtol=1e-5,
                               atol=1e-6)


def test_a_model_config_too_costly_to_parse_is_refused(tmp_path):
    shutil.copy(fixture("k3_functional_cnn.h5"), tmp_path / "big.h5")
    with h5py.File(tmp_path / "big.h5", "a") as f:
        f.attrs["model_config"] = "[" + "[]," * 200_000 + "[]]"
    previous = brickwork.saving.get_max_load_bytes()
    brickwork.saving.set_max_load_bytes(4 << 20)
    try:
        with pytest.raises(brickwork.saving.LoadLimitError, match="model_config"):
            brickwork.models.load_model(tmp_path / "big.h5")
    finally:
        brickwork.saving.set_max_load_bytes(previous)


def test_a_trained_model_with_a_nested_model_round_trips(tmp_path, rng):
    inner = brickwork.Sequential([brickwork.Input((4,)), layers.Dense(5, name="i1"),
                                  layers.BatchNormalization(name="ibn")], name="inner")
    inputs = brickwork.Input((4,))
    model = brickwork.Model(inputs, layers.Dense(2, name="top")(inner(inputs)))
    model.compile("adam", brickwork.losses.MeanSquaredError(), metrics=["mae"])
    x = rng.normal(size=(8, 4)).astype("float32")
    model.fit(x, rng.normal(size=(8, 2)), epochs=2, verbose=0)
    with pytest.warns(UserWarning, match="legacy"):
        model.save(tmp_path / "nested.h5")
    with h5py.File(tmp_path / "nested.h5", "r") as f:
        assert list(f["model_weights/inner"].attrs["weight_names"]) == [
            "inner/i1/kernel", "inner/i1/bias", "inner/ibn/gamma", "inner/ibn/beta",
            "inner/ibn/moving_mean", "inner/ibn/moving_variance"]
        assert list(f["optimizer_weights"].attrs["weight_names"])[2] == \
            "adam/inner_i1_kernel_momentum"
    again = brickwork.models.load_model(tmp_path / "nested.h5")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(model.optimizer.variables, again.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    compiled = again.get_compile_config()
    assert compiled["loss"]["class_name"] == "MeanSquaredError"
    assert compiled["metrics"] == ["mae"]
