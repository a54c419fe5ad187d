"""``brickwork.models.clone_model``, with Keras 3's semantics: new layers
with new weights (initialized afresh, not copied), compile config carried
over, shared layers cloned once, ``clone_function`` / ``call_function`` /
``input_tensors`` / ``recursive``, and subclassed models through their
config."""
from __future__ import annotations

import inspect
import json
import pathlib

import numpy as np
import pytest

import brickwork
from brickwork import layers, models, saving

LISTING = json.loads((pathlib.Path(__file__).parent / "fixtures" /
                      "keras_public_api.json").read_text())["modules"]


def test_signature_matches_keras():
    expected = LISTING["models"]["clone_model"]["parameters"]
    got = [[p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
           for p in inspect.signature(models.clone_model).parameters.values()]
    assert got == expected


def predict(model, x):
    return brickwork.ops.convert_to_numpy(model(x))


def sequential():
    return brickwork.Sequential([layers.Input((4,), name="features"), layers.Dense(8, name="hidden"),
                                 layers.Dropout(0.1), layers.Dense(2, name="head")], name="seq")


def test_sequential_clone_has_new_layers_and_new_weights():
    model = sequential()
    clone = models.clone_model(model)
    assert isinstance(clone, brickwork.Sequential) and clone.name == "seq"
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])
    assert clone._input_layer.name == "features" and clone.built
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(predict(clone, x), predict(model, x), rtol=1e-6)
    assert clone.get_config()["layers"][1:] == model.get_config()["layers"][1:]


def test_sequential_clone_keeps_compile_config_and_trains():
    model = sequential()
    model.compile(optimizer=brickwork.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    clone = models.clone_model(model)
    assert clone.compiled and clone.get_compile_config() == model.get_compile_config()
    assert clone.optimizer is not model.optimizer
    x, y = np.zeros((8, 4), "float32"), np.zeros((8, 2), "float32")
    history = clone.fit(x, y, epochs=1, verbose=0)
    assert "mae" in history.history
    assert not models.clone_model(sequential()).compiled


def test_sequential_without_input_and_with_input_tensors():
    model = brickwork.Sequential([layers.Dense(3), layers.Dense(1)])
    clone = models.clone_model(model)
    assert not clone.built
    assert predict(clone, np.ones((2, 5), "float32")).shape == (2, 1)
    inputs = layers.Input((6,), name="given")
    clone = models.clone_model(model, input_tensors=inputs)
    assert clone.inputs[0] is inputs and clone.layers[0].kernel.shape == (6, 3)
    clone = models.clone_model(model, input_tensors=[layers.Input((2,))])
    assert clone.built
    with pytest.raises(ValueError, match="single tensor"):
        models.clone_model(model, input_tensors=[layers.Input((2,)), layers.Input((2,))])
    with pytest.raises(ValueError, match="KerasTensor"):
        models.clone_model(model, input_tensors=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="not supported with Sequential"):
        models.clone_model(model, call_function=lambda layer, *a, **k: layer(*a, **k))


def functional():
    a = layers.Input((4,), name="a")
    b = layers.Input((4,), name="b")
    shared = layers.Dense(3, name="shared")
    merged = layers.Concatenate(name="concat")([shared(a), shared(b)])
    out = layers.Dense(1, name="out")(merged)
    aux = layers.Dense(2, name="aux")(merged)
    return brickwork.Model({"a": a, "b": b}, {"out": out, "aux": aux}, name="func")


def test_functional_clone_new_weights_shared_layer_cloned_once():
    model = functional()
    clone = models.clone_model(model)
    assert type(clone) is type(model) and clone.name == "func"
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert len([l for l in clone.layers if l.name == "shared"]) == 1
    assert clone.get_layer("shared")._inbound_nodes and len(clone.get_layer("shared")._inbound_nodes) == 2
    assert clone.input_names == ["a", "b"]
    assert not np.allclose(clone.get_layer("shared").kernel.numpy(),
                           model.get_layer("shared").kernel.numpy())
    clone.set_weights(model.get_weights())
    rng = np.random.default_rng(1)
    data = {"a": rng.normal(size=(2, 4)).astype("float32"),
            "b": rng.normal(size=(2, 4)).astype("float32")}
    got, want = clone(data), model(data)
    assert set(got) == {"out", "aux"}
    for key in want:
        np.testing.assert_allclose(brickwork.ops.convert_to_numpy(got[key]),
                                   brickwork.ops.convert_to_numpy(want[key]), rtol=1e-6)


def test_functional_clone_function_sharing_and_input_tensors():
    model = functional()
    clone = models.clone_model(model, clone_function=lambda layer: layer)
    assert clone.get_layer("shared") is model.get_layer("shared")

    def widen(layer):
        config = layer.get_config()
        if isinstance(layer, layers.Dense) and layer.name == "shared":
            config["units"] = 5
        return layer.__class__.from_config(config)
    clone = models.clone_model(model, clone_function=widen)
    assert clone.get_layer("shared").kernel.shape == (4, 5)

    inputs = {"a": layers.Input((4,), name="x1"), "b": layers.Input((4,), name="x2")}
    clone = models.clone_model(model, input_tensors=inputs)
    assert clone.inputs[0] is inputs["a"]
    with pytest.raises(ValueError, match="same structure"):
        models.clone_model(model, input_tensors=[inputs["a"], inputs["b"]])
    with pytest.raises(ValueError, match="KerasTensors"):
        models.clone_model(model, input_tensors={"a": np.zeros(4), "b": np.zeros(4)})


def test_functional_call_function_inserts_layers():
    inputs = layers.Input((3,))
    x = layers.Dense(4, name="d1")(inputs)
    outputs = layers.Dense(1, name="d2")(x)
    model = brickwork.Model(inputs, outputs)

    def call_function(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        if isinstance(layer, layers.Dense) and layer.name == "d1":
            return layers.Dropout(0.5, name="inserted")(out)
        return out
    clone = models.clone_model(model, call_function=call_function)
    assert [l.name for l in clone.layers][-3:] == ["d1", "inserted", "d2"]


def test_recursive_clones_nested_models_layer_by_layer():
    inner = brickwork.Sequential([layers.Input((3,)), layers.Dense(3, name="inner_dense")],
                                 name="inner")
    inputs = layers.Input((3,))
    outputs = layers.Dense(1, name="top")(inner(inputs))
    model = brickwork.Model(inputs, outputs)
    seen = []

    def clone_function(layer):
        seen.append(layer.name)
        return layer.__class__.from_config(layer.get_config())
    models.clone_model(model, clone_function=clone_function)
    assert "inner" in seen and "inner_dense" not in seen
    seen.clear()
    clone = models.clone_model(model, clone_function=clone_function, recursive=True)
    assert "inner_dense" in seen and "inner" not in seen
    assert clone.get_layer("inner").layers[0] is not inner.layers[0]


@saving.register_keras_serializable(package="CloneTest")
class Residual(brickwork.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = layers.Dense(units)

    def call(self, x):
        return x + self.dense(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_is_cloned_from_its_config():
    model = Residual(units=3, name="res")
    model(np.ones((1, 3), "float32"))
    clone = models.clone_model(model)
    assert isinstance(clone, Residual) and clone is not model and clone.units == 3
    assert clone.name == "res"
    assert predict(clone, np.ones((1, 3), "float32")).shape == (1, 3)
    with pytest.raises(ValueError, match="only supported for Sequential"):
        models.clone_model(model, clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="only supported for Functional"):
        models.clone_model(model, call_function=lambda layer, *a, **k: layer(*a, **k))
    with pytest.raises(ValueError, match="Unexpected keyword"):
        models.clone_model(model, something=1)
