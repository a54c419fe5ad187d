"""Bidirectional and TimeDistributed: outputs against Keras 3, masks,
configs, symbolic shapes, gradients and bad input."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
from brickwork import layers, ops

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = np.load(os.path.join(HERE, "fixtures", "keras_recurrent.npz"))
META = json.load(open(os.path.join(HERE, "fixtures", "keras_recurrent.json")))
U = META["shapes"]["U"]
KERAS = dict(rtol=1e-5, atol=2e-6)
BIDI = [c for c in META["cases"] if c["layer"] == "bidirectional"]


def _outputs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _weights(key, count):
    return [FIXTURES[f"{key}/w{i}"] for i in range(count)]


@pytest.mark.parametrize("case", BIDI, ids=[c["key"] for c in BIDI])
def test_bidirectional_matches_keras(case):
    layer = layers.Bidirectional(layers.LSTM(U, return_sequences=case["return_sequences"]),
                                 merge_mode=case["merge_mode"])
    layer.build((None, 5, 4))
    layer.set_weights(_weights(case["key"], case["weights"]))
    out = layer(FIXTURES["x"], mask=FIXTURES["mask"]) if case["mask"] else layer(FIXTURES["x"])
    outs = _outputs(out)
    assert len(outs) == case["outputs"]
    for i, got in enumerate(outs):
        assert_allclose(ops.convert_to_numpy(got), FIXTURES[f"{case['key']}/out{i}"], **KERAS)


def test_bidirectional_backward_layer_and_states_match_keras():
    case = next(c for c in META["cases"] if c["layer"] == "bidirectional_gru_backward_layer")
    layer = layers.Bidirectional(
        layers.GRU(U, return_sequences=True, return_state=True),
        backward_layer=layers.GRU(2, return_sequences=True, return_state=True, go_backwards=True))
    layer.build((None, 5, 4))
    layer.set_weights(_weights(case["key"], case["weights"]))
    outs = _outputs(layer(FIXTURES["x"], mask=FIXTURES["mask"]))
    assert [tuple(o.shape) for o in outs] == [(3, 5, U + 2), (3, U), (3, 2)]
    for i, got in enumerate(outs):
        assert_allclose(ops.convert_to_numpy(got), FIXTURES[f"{case['key']}/out{i}"], **KERAS)


def test_bidirectional_names_weights_config_and_shapes():
    layer = layers.Bidirectional(layers.GRU(3, name="g"), merge_mode="sum")
    assert layer.forward_layer.name == "forward_g" and layer.backward_layer.name == "backward_g"
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    inp = bw.Input((7, 2))
    assert layer(inp).shape == (None, 3)
    assert len(layer.weights) == 6
    config = layer.get_config()
    keras_config = META["configs"]["Bidirectional"]
    assert set(config) == set(keras_config)
    assert config["merge_mode"] == "sum"
    assert config["layer"]["class_name"] == "GRU" and config["backward_layer"]["config"]["go_backwards"]
    clone = layers.Bidirectional.from_config(config)
    assert clone.merge_mode == "sum" and clone.backward_layer.go_backwards
    outs = layers.Bidirectional(layers.LSTM(4, return_sequences=True, return_state=True),
                                merge_mode=None)(inp)
    assert [o.shape for o in outs] == [(None, 7, 4), (None, 7, 4)] + [(None, 4)] * 4
    concat = layers.Bidirectional(layers.SimpleRNN(4, return_sequences=True))(inp)
    assert concat.shape == (None, 7, 8)


def test_bidirectional_with_embedding_mask_trains():
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 20, size=(16, 6))
    tokens[:8, :2] = 0
    y = (tokens[:, -1] > 10).astype("float32")[:, None]
    model = bw.Sequential([bw.Input((6,), dtype="int32"), layers.Embedding(20, 4, mask_zero=True),
                           layers.Bidirectional(layers.LSTM(4)),
                           layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(tokens, y, epochs=4, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_bidirectional_bad_arguments():
    with pytest.raises(ValueError, match="merge mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match="Layer` instance"):
        layers.Bidirectional("lstm")


# ---------------------------------------------------------------------------
# TimeDistributed
# ---------------------------------------------------------------------------


def test_time_distributed_dense_values_gradients_and_shapes():
    x = np.random.default_rng(1).normal(size=(2, 4, 3)).astype("float32")
    layer = layers.TimeDistributed(layers.Dense(5))
    y = ops.convert_to_numpy(layer(x))
    kernel, bias = layer.get_weights()
    assert_allclose(y, x @ kernel + bias, rtol=1e-5, atol=1e-6)
    assert layer(bw.Input((None, 3))).shape == (None, None, 5)
    with bw.GradientTape() as tape:
        loss = ops.sum(ops.square(layer(x)))
    dkernel, dbias = tape.gradient(loss, layer.trainable_weights)
    dy = 2 * (x @ kernel + bias)
    assert_allclose(ops.convert_to_numpy(dkernel), x.reshape(-1, 3).T @ dy.reshape(-1, 5),
                    rtol=1e-4, atol=1e-5)
    assert_allclose(ops.convert_to_numpy(dbias), dy.sum(axis=(0, 1)), rtol=1e-4, atol=1e-5)
    config = layer.get_config()
    assert set(config) == set(META["configs"]["TimeDistributed"])
    clone = layers.TimeDistributed.from_config(config)
    assert clone.layer.units == 5


def test_time_distributed_loops_for_layers_with_batch_state():
    """A layer outside the per-sample list runs once per time step (as Keras)."""
    class StepCounter(layers.Layer):
        def call(self, inputs):
            self.calls = getattr(self, "calls", 0) + 1
            return inputs - ops.mean(inputs, axis=0)   # depends on the batch
    x = np.random.default_rng(2).normal(size=(3, 4, 2)).astype("float32")
    layer = layers.TimeDistributed(StepCounter())
    y = ops.convert_to_numpy(layer(x))
    assert layer.layer.calls == 4
    assert_allclose(y, x - x.mean(axis=0, keepdims=True), rtol=1e-6, atol=1e-6)


def test_time_distributed_conv2d():
    if not hasattr(layers, "Conv2D"):
        pytest.skip("Conv2D has not landed")
    x = np.random.default_rng(3).normal(size=(2, 3, 6, 6, 2)).astype("float32")
    layer = layers.TimeDistributed(layers.Conv2D(4, 3, padding="same"))
    y = ops.convert_to_numpy(layer(x))
    assert y.shape == (2, 3, 6, 6, 4)
    conv = layer.layer
    for t in range(3):
        assert_allclose(y[:, t], ops.convert_to_numpy(conv(x[:, t])), rtol=1e-5, atol=1e-5)
    assert layer(bw.Input((5, 8, 8, 1))).shape == (None, 5, 8, 8, 4)


def test_time_distributed_passes_the_mask_and_checks_input():
    x = np.zeros((2, 4, 3), "float32")
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    layer = layers.TimeDistributed(layers.Dense(2))
    assert layer.compute_mask(x, mask) is mask
    with pytest.raises(ValueError, match=r"time_distributed.*at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(2))(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="mask"):
        layer(x, mask=np.ones((2, 5), bool))
    with pytest.raises(ValueError, match="Layer` instance"):
        layers.TimeDistributed("dense")
