"""Saving and loading: `.keras` archives, weights files, configs, custom objects."""
import io
import json
import weakref
import zipfile

import h5py
import numpy as np
import pytest

import brickwork
from brickwork import layers
from brickwork.saving import saving_lib


def _h5_tree(path_or_bytes):
    """{path: shape or attrs} of every dataset/group in a weights file."""
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    found = {}
    with h5py.File(source, "r") as h5:
        h5.visititems(lambda name, obj: found.__setitem__(
            name, obj.shape if isinstance(obj, h5py.Dataset) else dict(obj.attrs)))
    return found


def _archive(path):
    with zipfile.ZipFile(path) as archive:
        return ({i.filename: i.compress_type for i in archive.infolist()},
                json.loads(archive.read("config.json")), json.loads(archive.read("metadata.json")),
                _h5_tree(archive.read("model.weights.h5")))


def _mlp(dropout=True):
    stack = [brickwork.Input((4,)), layers.Dense(8, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(0.5))
    stack.append(layers.Dense(2))
    return brickwork.Sequential(stack)


def _data(rng, n=16):
    return rng.standard_normal((n, 4)).astype("float32"), rng.standard_normal((n, 2)).astype(
        "float32")


def _assert_same_predictions(a, b, x):
    for pa, pb in zip(np.atleast_1d(a.predict(x, verbose=0)), np.atleast_1d(b.predict(x, verbose=0))):
        np.testing.assert_array_equal(pa, pb)


# -- the archive format -------------------------------------------------------------


def test_sequential_archive_matches_keras_layout(tmp_path, rng):
    model = _mlp()
    model.compile(optimizer="adam", loss="mse")
    model.fit(*_data(rng), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    members, config, metadata, tree = _archive(tmp_path / "m.keras")
    assert list(members) == ["metadata.json", "config.json", "model.weights.h5"]
    assert set(members.values()) == {zipfile.ZIP_STORED}
    assert set(metadata) >= {"keras_version", "date_saved"}
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        "keras", "Sequential", None)
    assert config["build_config"] == {"input_shape": [None, 4]}
    assert config["compile_config"]["loss"] == "mse"
    inner = config["config"]["layers"]
    assert [(c["module"], c["class_name"]) for c in inner] == [
        ("keras.layers", "InputLayer"), ("keras.layers", "Dense"), ("keras.layers", "Dropout"),
        ("keras.layers", "Dense")]
    datasets = {k: v for k, v in tree.items() if isinstance(v, tuple)}
    assert datasets == {
        "layers/dense/vars/0": (4, 8), "layers/dense/vars/1": (8,),
        "layers/dense_1/vars/0": (8, 2), "layers/dense_1/vars/1": (2,),
        "optimizer/vars/0": (), "optimizer/vars/1": (),
        "optimizer/vars/2": (4, 8), "optimizer/vars/3": (4, 8),
        "optimizer/vars/4": (8,), "optimizer/vars/5": (8,),
        "optimizer/vars/6": (8, 2), "optimizer/vars/7": (8, 2),
        "optimizer/vars/8": (2,), "optimizer/vars/9": (2,)}
    assert tree["vars"] == {"name": "sequential"}
    assert tree["layers/dropout/vars"] == {"name": "dropout"}
    assert tree["optimizer/vars"] == {"name": "adam"}


def test_functional_archive_paths_and_config(tmp_path):
    a, b = brickwork.Input((3,), name="a"), brickwork.Input((5,), name="b")
    out1 = layers.Dense(2, name="out1")(layers.Dense(4)(a))
    out2 = layers.Dense(1, name="out2")(b)
    model = brickwork.Model([a, b], [out1, out2])
    model.save(tmp_path / "f.keras")
    _, config, _, tree = _archive(tmp_path / "f.keras")
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        "keras.src.models.functional", "Functional", "Functional")
    assert config["compile_config"] == {}
    assert config["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    groups = sorted(k for k, v in tree.items() if k.endswith("/vars"))
    assert groups == ["layers/dense/vars", "layers/dense_1/vars", "layers/dense_2/vars",
                      "layers/input_layer/vars", "layers/input_layer_1/vars"]
    assert tree["layers/input_layer_1/vars"] == {"name": "b"}


class _Blocks(brickwork.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.blocks = [layers.Dense(units, activation="relu"), layers.Dense(units)]
        self.out = layers.Dense(1)

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return self.out(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_paths_follow_attribute_names(tmp_path, rng):
    model = _Blocks(name="blocks_model")
    x = rng.standard_normal((2, 4)).astype("float32")
    model(x)
    model.save(tmp_path / "s.keras")
    _, config, _, tree = _archive(tmp_path / "s.keras")
    assert config["registered_name"] == "_Blocks" and config["build_config"] == {
        "input_shape": [2, 4]}
    assert {k for k, v in tree.items() if isinstance(v, tuple)} == {
        "blocks/dense/vars/0", "blocks/dense/vars/1", "blocks/dense_1/vars/0",
        "blocks/dense_1/vars/1", "layers/dense_2/vars/0", "layers/dense_2/vars/1"}
    with pytest.raises(TypeError, match="Could not locate"):
        brickwork.models.load_model(tmp_path / "s.keras")
    loaded = brickwork.models.load_model(tmp_path / "s.keras", custom_objects={"_Blocks": _Blocks})
    assert loaded.units == 3
    _assert_same_predictions(model, loaded, x)


class _TrackedList(list):
    """A list that can be weakly referenced."""


class _ListProperties(layers.Layer):
    """Eight sub-layers, each reachable only through a property that builds a
    new one-item list on every access (as ``model.layers`` does); the lists
    handed out are tracked by weak references."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._inner = [layers.Dense(i + 1) for i in range(8)]
        self._handed_out = []

    def build(self, input_shape):
        for dense in self._inner:
            dense.build(input_shape)

    def _fresh_list(self, i):
        fresh = _TrackedList([self._inner[i]])
        self._handed_out.append(weakref.ref(fresh))
        return fresh


for _i in range(8):
    setattr(_ListProperties, f"p{_i}", property(lambda self, i=_i: self._fresh_list(i)))


def test_the_walk_keeps_transient_lists_alive_so_their_ids_stay_unique():
    """A freed list's id can be given to a later list, which the walk then
    skipped as already visited (its layers saved under a later path, as
    Keras would not). The walk must hold every list it has seen."""
    from brickwork.saving import state_walk

    class Paths:
        def __init__(self):
            self.paths = []

        def make(self, path, metadata=None):
            alive = [ref() is not None for ref in holder._handed_out]
            assert all(alive), f"a list seen earlier in the walk was freed: {alive}"
            self.paths.append(path)
            return {}

    holder = _ListProperties(name="holder")
    holder.build((None, 4))
    store = Paths()
    state_walk.save_state(holder, store)
    assert store.paths == [""] + [f"p{i}/dense" for i in range(8)]


# -- round trips --------------------------------------------------------------------


@pytest.mark.parametrize("make_layers", [
    lambda: [brickwork.Input((4,)), layers.Dense(3, activation="tanh", use_bias=False)],
    lambda: [brickwork.Input((4,)), layers.Dropout(0.2, seed=3), layers.Dense(2)],
    lambda: [brickwork.Input((2, 3)), layers.Flatten(), layers.Dense(2)],
    lambda: [brickwork.Input((6,)), layers.Reshape((2, 3)), layers.Activation("softmax")],
    lambda: [brickwork.Input((6,)), layers.Dense(4, kernel_regularizer="l2",
                                                  bias_constraint="non_neg"),
             layers.Activation("relu")],
], ids=["dense", "dropout", "flatten", "reshape-activation", "regularizer-constraint"])
def test_every_layer_round_trips(tmp_path, rng, make_layers):
    model = brickwork.Sequential(make_layers())
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = brickwork.models.load_model(path)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert [layer.get_config() for layer in loaded.layers] == [
        layer.get_config() for layer in model.layers]
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    shape = (3,) + tuple(model.inputs[0].shape[1:])
    _assert_same_predictions(model, loaded, rng.standard_normal(shape).astype("float32"))


def test_functional_round_trip_with_shared_layer(tmp_path, rng):
    a, b = brickwork.Input((4,), name="a"), brickwork.Input((4,), name="b")
    shared = layers.Dense(3, activation="tanh")
    out = [layers.Dense(2)(shared(a)), layers.Dense(1)(shared(b))]
    model = brickwork.Model([a, b], out)
    model.save(tmp_path / "f.keras")
    loaded = brickwork.models.load_model(tmp_path / "f.keras")
    xs = [rng.standard_normal((5, 4)).astype("float32") for _ in range(2)]
    for pa, pb in zip(model.predict(xs, verbose=0), loaded.predict(xs, verbose=0)):
        np.testing.assert_array_equal(pa, pb)
    assert len(loaded.weights) == len(model.weights) == 6


def test_model_get_config_from_config_and_json(rng):
    model = _mlp()
    x = rng.standard_normal((3, 4)).astype("float32")
    clone = brickwork.Sequential.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    rebuilt = brickwork.models.model_from_json(model.to_json())
    assert json.loads(rebuilt.to_json()) == json.loads(model.to_json())
    rebuilt.set_weights(model.get_weights())
    _assert_same_predictions(model, rebuilt, x)


def test_to_json_is_keras_form():
    a = brickwork.Input((3,), name="a")
    model = brickwork.Model(a, layers.Dense(2, name="d")(a))
    config = json.loads(model.to_json())
    assert set(config) == {"module", "class_name", "config", "registered_name", "build_config",
                           "compile_config"}
    dense = config["config"]["layers"][1]
    assert dense["inbound_nodes"] == [{"args": [{"class_name": "__keras_tensor__", "config": {
        "shape": [None, 3], "dtype": "float32", "keras_history": ["a", 0, 0]}}], "kwargs": {}}]
    assert dense["config"]["kernel_initializer"]["class_name"] == "GlorotUniform"


# -- compile state and optimizer state ----------------------------------------------


@pytest.mark.parametrize("optimizer", [
    lambda: brickwork.optimizers.Adam(learning_rate=0.01),
    lambda: brickwork.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    lambda: brickwork.optimizers.RMSprop(learning_rate=0.01, centered=True),
], ids=["adam", "sgd-momentum", "rmsprop"])
def test_resumed_training_equals_uninterrupted(tmp_path, rng, optimizer):
    x, y = _data(rng, 24)
    brickwork.utils.set_random_seed(7)
    straight = _mlp(dropout=False)
    start = straight.get_weights()
    straight.compile(optimizer=optimizer(), loss="mse", metrics=["mae"])
    straight.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)

    first = _mlp(dropout=False)
    first.set_weights(start)
    first.compile(optimizer=optimizer(), loss="mse", metrics=["mae"])
    first.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    first.save(tmp_path / "m.keras")
    resumed = brickwork.models.load_model(tmp_path / "m.keras")
    assert resumed.compiled and type(resumed.optimizer) is type(first.optimizer)
    assert int(resumed.optimizer.iterations.numpy()) == 6
    resumed.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_without_compile(tmp_path, rng):
    model = _mlp()
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    loaded = brickwork.models.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled and loaded.optimizer is None


# -- weights files ------------------------------------------------------------------


def test_save_and_load_weights_with_optimizer_state(tmp_path, rng):
    model = _mlp()
    model.compile(optimizer="adam", loss="mse")
    model.fit(*_data(rng), epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    tree = _h5_tree(str(tmp_path / "w.weights.h5"))
    assert tree["layers/dense/vars/0"] == (4, 8) and tree["optimizer/vars/9"] == (2,)
    other = _mlp()
    other.compile(optimizer="adam", loss="mse")
    other.optimizer.build(other.trainable_weights)
    other.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.variables, other.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # A .keras archive is also a source of weights.
    model.save(tmp_path / "m.keras")
    third = _mlp()
    third.load_weights(tmp_path / "m.keras")
    for a, b in zip(model.get_weights(), third.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_shape_mismatch_changes_nothing(tmp_path):
    model = _mlp()
    model.save_weights(tmp_path / "w.weights.h5")
    other = brickwork.Sequential([brickwork.Input((4,)), layers.Dense(8), layers.Dense(3)])
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"Dense 'dense_\d+' at 'layers/dense_1'.*\(8, 3\)"):
        other.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="Skipped loading"):
        other.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].get_weights()[0],
                                  model.layers[0].get_weights()[0])


def test_file_name_rules(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "m.zip")
    with pytest.warns(UserWarning, match="legacy"):  # the legacy format, as Keras
        model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights(tmp_path / "m.h5")
    with pytest.raises(ValueError, match="File not found"):
        brickwork.models.load_model(tmp_path / "missing.keras")
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)
    unbuilt = brickwork.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.save_weights(tmp_path / "u.weights.h5")


def test_file_objects_and_save_model_aliases(tmp_path, rng):
    model = _mlp()
    buffer = io.BytesIO()
    brickwork.saving.save_model(model, buffer)
    buffer.seek(0)
    loaded = brickwork.saving.load_model(buffer)
    _assert_same_predictions(model, loaded, rng.standard_normal((2, 4)).astype("float32"))
    brickwork.models.save_model(model, tmp_path / "a.keras")
    assert brickwork.models.load_model(tmp_path / "a.keras").count_params() == \
        model.count_params()


# -- custom objects -----------------------------------------------------------------


def test_registered_layer_saves_under_package_name(tmp_path, rng):
    @brickwork.saving.register_serializable(package="bwtests", name="Scale")
    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                        name="gain")

        def call(self, x):
            return brickwork.ops.multiply(x, self.gain) * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    model = brickwork.Sequential([brickwork.Input((3,)), Scale(3.0), layers.Dense(1)])
    model.save(tmp_path / "c.keras")
    _, config, _, tree = _archive(tmp_path / "c.keras")
    scale = config["config"]["layers"][1]
    assert scale["registered_name"] == "bwtests>Scale"
    assert scale["module"] == __name__
    assert tree["layers/scale/vars/0"] == (3,)
    assert brickwork.saving.get_registered_name(Scale) == "bwtests>Scale"
    assert brickwork.saving.get_registered_object("bwtests>Scale") is Scale
    loaded = brickwork.models.load_model(tmp_path / "c.keras")
    assert type(loaded.layers[0]) is Scale and loaded.layers[0].factor == 3.0
    _assert_same_predictions(model, loaded, rng.standard_normal((2, 3)).astype("float32"))


def test_custom_object_scope_and_custom_objects(tmp_path):
    class Doubler(layers.Layer):
        def call(self, x):
            return x * 2.0

    model = brickwork.Sequential([brickwork.Input((2,)), Doubler(), layers.Dense(1)])
    model.save(tmp_path / "d.keras")
    with pytest.raises(TypeError, match="Could not locate.*Doubler.*register_keras_serializable"):
        brickwork.models.load_model(tmp_path / "d.keras")
    with brickwork.saving.CustomObjectScope({"Doubler": Doubler}):
        assert type(brickwork.models.load_model(tmp_path / "d.keras").layers[0]) is Doubler
    assert type(brickwork.models.load_model(
        tmp_path / "d.keras", custom_objects={"Doubler": Doubler}).layers[0]) is Doubler


def test_register_requires_get_config():
    with pytest.raises(ValueError, match="get_config"):
        brickwork.saving.register_keras_serializable("bwtests")(type("NoConfig", (), {}))


def test_config_never_imports_modules():
    config = {"module": "os", "class_name": "system", "config": {}, "registered_name": None}
    with pytest.raises(TypeError, match="Could not locate"):
        brickwork.saving.deserialize_keras_object(config)
    config = {"module": "subprocess", "class_name": "Popen", "config": {"args": ["true"]},
              "registered_name": "Popen"}
    with pytest.raises(TypeError, match="Could not locate"):
        brickwork.saving.deserialize_keras_object(config)


def test_lambda_bytecode_needs_safe_mode_off():
    import base64
    import marshal
    encoded = base64.b64encode(marshal.dumps((lambda x: x + 1).__code__)).decode("ascii")
    config = {"class_name": "__lambda__", "config": {"value": encoded}}
    with pytest.raises(ValueError, match="safe_mode=False"):
        brickwork.saving.deserialize_keras_object(config)
    with pytest.raises(ValueError, match="safe_mode=False"):
        brickwork.saving.deserialize_keras_object(config, safe_mode=True)
    fn = brickwork.saving.deserialize_keras_object(config, safe_mode=False)
    assert fn(1) == 2


def test_special_values_round_trip():
    from brickwork.saving import deserialize_keras_object as load, serialize_keras_object as dump
    array = np.arange(6, dtype="int32").reshape(2, 3)
    restored = load(json.loads(json.dumps(dump(array))))
    assert restored.dtype == np.int32 and np.array_equal(restored, array)
    assert load(json.loads(json.dumps(dump(slice(1, 5, 2))))) == slice(1, 5, 2)
    assert load(json.loads(json.dumps(dump(b"abc")))) == b"abc"
    assert load(json.loads(json.dumps(dump(Ellipsis)))) is Ellipsis


def test_keras_format_version_recorded(tmp_path):
    model = _mlp()
    model.save(tmp_path / "m.keras")
    _, _, metadata, _ = _archive(tmp_path / "m.keras")
    assert metadata["keras_version"] == saving_lib.KERAS_FORMAT_VERSION
    assert metadata["brickwork_version"] == brickwork.__version__


def test_multi_output_compile_config_round_trips(rng):
    a = brickwork.Input((3,), name="a")
    hidden = layers.Dense(4)(a)
    model = brickwork.Model(a, [layers.Dense(1, name="o1")(hidden), layers.Dense(2, name="o2")(hidden)])
    model.compile(optimizer=brickwork.optimizers.RMSprop(0.01),
                  loss={"o1": brickwork.losses.MeanSquaredError(), "o2": "mae"},
                  loss_weights={"o1": 1.0, "o2": 0.5}, metrics={"o2": ["mse"]})
    x = rng.standard_normal((8, 3)).astype("float32")
    y = [rng.standard_normal((8, 1)).astype("float32"), rng.standard_normal((8, 2)).astype("float32")]
    model.fit(x, y, epochs=1, verbose=0)
    buffer = io.BytesIO()
    brickwork.saving.save_model(model, buffer)
    buffer.seek(0)
    loaded = brickwork.saving.load_model(buffer)
    assert loaded.get_compile_config()["loss_weights"] == {"o1": 1.0, "o2": 0.5}
    assert type(loaded.optimizer).__name__ == "RMSprop"
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(
        model.evaluate(x, y, verbose=0, return_dict=True))
