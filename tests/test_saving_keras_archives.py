"""Archives written by Keras 3 itself (torch backend) load here and predict
the same; compiled ones resume training exactly as Keras resumes them.

The archives and expected numbers come from
``tests/fixtures/keras_archives/make_keras_archives.py``.
"""
import os

import numpy as np
import pytest

import brickwork
from brickwork import layers

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "keras_archives")
EXPECTED = np.load(os.path.join(HERE, "expected.npz"))


@brickwork.saving.register_keras_serializable(package="bwtest", name="TwoBlockModel")
class TwoBlockModel(brickwork.Model):
    """Mirror of the Keras-side class (same attribute names, same config)."""

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


def _inputs(case):
    xs = [EXPECTED[f"{case}/x{i}"] for i in range(4) if f"{case}/x{i}" in EXPECTED.files]
    return xs if len(xs) > 1 else xs[0]


def _expected_outputs(case):
    return [EXPECTED[f"{case}/y{i}"] for i in range(4) if f"{case}/y{i}" in EXPECTED.files]


CASES = ["sequential_mlp_dropout", "functional_two_in_two_out", "compiled_adam_after_fit",
         "compiled_sgd_momentum_after_fit", "compiled_rmsprop_after_fit",
         "subclassed_registered"]


@pytest.mark.parametrize("case", CASES)
def test_keras_archive_predicts_as_keras(case):
    model = brickwork.models.load_model(os.path.join(HERE, f"{case}.keras"))
    outputs = model.predict(_inputs(case), verbose=0)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    expected = _expected_outputs(case)
    assert len(outputs) == len(expected)
    for got, want in zip(outputs, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_keras_archive_structure_is_rebuilt():
    model = brickwork.models.load_model(os.path.join(HERE, "functional_two_in_two_out.keras"))
    assert model.name == "two_by_two" and model.input_names == ["a", "b"]
    shared = model.get_layer("shared")
    assert len(shared._inbound_nodes) == 2
    subclassed = brickwork.models.load_model(os.path.join(HERE, "subclassed_registered.keras"))
    assert isinstance(subclassed, TwoBlockModel) and subclassed.name == "two_block"


@pytest.mark.parametrize("case", [c for c in CASES if c.startswith("compiled")])
def test_keras_archive_resumes_training_as_keras(case):
    model = brickwork.models.load_model(os.path.join(HERE, f"{case}.keras"))
    assert model.compiled
    assert int(model.optimizer.iterations.numpy()) == int(EXPECTED[f"{case}/iterations"])
    model.fit(EXPECTED[f"{case}/train_x"], EXPECTED[f"{case}/train_y"], batch_size=8, epochs=1,
              shuffle=False, verbose=0)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, EXPECTED[f"{case}/resume_w{i}"], rtol=1e-5, atol=1e-6)


def test_keras_weights_load_into_a_brickwork_built_model():
    model = brickwork.Sequential([brickwork.Input((4,)), layers.Dense(8, activation="relu"),
                                  layers.Dropout(0.3), layers.Dense(3, activation="softmax")])
    model.load_weights(os.path.join(HERE, "sequential_mlp_dropout.keras"))
    np.testing.assert_allclose(model.predict(_inputs("sequential_mlp_dropout"), verbose=0),
                               _expected_outputs("sequential_mlp_dropout")[0], rtol=1e-5,
                               atol=1e-6)


def test_functional_layer_order_matches_keras():
    """Weight paths ``layers/<class>_N`` count layers in this order, so it must match."""
    import json
    import zipfile
    path = os.path.join(HERE, "functional_two_in_two_out.keras")
    with zipfile.ZipFile(path) as archive:
        keras_order = [c["name"] for c in json.loads(archive.read("config.json"))["config"]["layers"]]
    model = brickwork.models.load_model(path)
    assert [layer.name for layer in model.layers] == keras_order
