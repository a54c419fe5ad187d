"""Mixed precision ("mixed_float16"): float32 variables read as float16
inside layer calls, float32 gradients, loss scaling, training end to end."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
from brickwork import layers, ops, optimizers
from brickwork.variables import Variable


def test_dense_computes_in_float16_on_float32_weights(mixed_float16_policy):
    layer = layers.Dense(3)
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    y = layer(x)
    assert layer.dtype_policy.name == "mixed_float16"
    assert layer.kernel.dtype == "float32" and ops.dtype_of(y) == "float16"
    want = x.astype(np.float16).astype(np.float32) @ layer.kernel.numpy().astype(np.float16).astype(np.float32)
    assert_allclose(ops.convert_to_numpy(y).astype(np.float32), want, rtol=2e-3, atol=2e-3)


def test_gradients_reach_variables_in_their_dtype(mixed_float16_policy):
    layer = layers.Dense(3)
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    layer.build(x.shape)
    with bw.GradientTape() as tape:
        loss = ops.sum(ops.cast(layer(x), "float32"))
    dkernel, dbias = tape.gradient(loss, [layer.kernel, layer.bias])
    assert dkernel.dtype == np.float32 and dbias.dtype == np.float32
    # d sum(x @ W + b) / dW = x^T @ ones, computed in float16.
    assert_allclose(dkernel, np.repeat(x.sum(0, keepdims=True).T, 3, 1), rtol=2e-3, atol=2e-3)
    assert_allclose(dbias, [4, 4, 4])


def test_float32_layer_inside_mixed_model_and_autocast_off(mixed_float16_policy):
    assert ops.dtype_of(layers.Dense(2, dtype="float32")(np.ones((1, 3), "float32"))) == "float32"

    class Scale(layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(), initializer="ones", autocast=False)

        def call(self, x):
            return ops.multiply(ops.cast(x, "float32"), self.w)
    out = Scale()(np.ones((2,), "float32"))
    assert ops.dtype_of(out) == "float32"


def test_mixed_model_trains_with_loss_scaling(mixed_float16_policy):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 8)).astype("float32")
    y = (x[:, :4].sum(1, keepdims=True) > 0).astype("float32")
    bw.utils.set_random_seed(0)
    model = bw.Sequential([layers.Input((8,)), layers.Dense(16, activation="relu"),
                           layers.Dense(1, activation="sigmoid", dtype="float32")])
    model.compile(optimizer=optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    assert isinstance(model.optimizer, optimizers.LossScaleOptimizer)
    history = model.fit(x, y, epochs=40, batch_size=32, verbose=0).history
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    assert history["accuracy"][-1] > 0.9
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert model.predict(x[:2], verbose=0).dtype == np.float32


def test_autocast_is_off_outside_layer_calls(mixed_float16_policy):
    v = Variable(np.ones(2, "float32"))
    assert ops.dtype_of(ops.add(v, 1.0)) == "float32"


def test_keras_names_for_the_global_policy():
    saved = bw.mixed_precision.global_policy()
    try:
        bw.mixed_precision.set_global_policy("mixed_float16")
        assert bw.config.dtype_policy().name == "mixed_float16"
        assert layers.Dense(2).compute_dtype == "float16"
        bw.config.set_dtype_policy(bw.mixed_precision.Policy("float32"))
        assert layers.Dense(2).compute_dtype == "float32"
        with pytest.raises(ValueError, match="Expected the string name of a policy"):
            bw.config.set_dtype_policy(3)
    finally:
        bw.config.set_dtype_policy(saved)
    assert bw.mixed_precision.LossScaleOptimizer is optimizers.LossScaleOptimizer
