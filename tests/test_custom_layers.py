"""Custom layers written only with brickwork.ops train without backward code."""
import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, ops


class SimpleDense(layers.Layer):
    """The seeds' SimpleDense: y = x @ w + b, weights made in build."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True, name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True, name="b")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class ComputeSum(layers.Layer):
    """The seeds' ComputeSum: a non-trainable total updated in call."""

    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(shape=(input_dim,), initializer="zeros", trainable=False,
                                     name="total")

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


def test_simple_dense_values_and_auto_config():
    layer = SimpleDense(4)
    x = np.ones((2, 3), "float32")
    y = ops.convert_to_numpy(layer(x))
    w, b = layer.get_weights()
    np.testing.assert_allclose(y, x @ w + b, rtol=1e-6)
    config = layer.get_config()
    assert config["units"] == 4 and config["name"] == layer.name
    assert SimpleDense.from_config(config).units == 4


def test_simple_dense_gradient_matches_analytic():
    layer = SimpleDense(2)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    layer(x)
    with bw.GradientTape() as tape:
        loss = ops.sum(ops.square(layer(x)))
    grad_w, grad_b = tape.gradient(loss, [layer.w, layer.b])
    w, b = layer.get_weights()
    y = x @ w + b
    np.testing.assert_allclose(grad_w, x.T @ (2 * y), rtol=1e-4)
    np.testing.assert_allclose(grad_b, (2 * y).sum(0), rtol=1e-4)


def test_simple_dense_trains_through_fit():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 3)).astype("float32")
    y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3).astype("float32")
    model = bw.Sequential([layers.Input((3,)), SimpleDense(1)])
    model.compile(optimizer=bw.optimizers.SGD(0.1), loss="mse")
    history = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 1e-3 < history.history["loss"][0]
    w, b = model.layers[0].get_weights()
    np.testing.assert_allclose(w.ravel(), [1.5, -2.0, 0.5], atol=0.02)
    np.testing.assert_allclose(b, [0.3], atol=0.02)


def test_compute_sum_accumulates_and_is_not_trainable():
    layer = ComputeSum(2)
    x = np.ones((2, 2), "float32")
    np.testing.assert_array_equal(ops.convert_to_numpy(layer(x)), [2.0, 2.0])
    np.testing.assert_array_equal(ops.convert_to_numpy(layer(x)), [4.0, 4.0])
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 1


def test_compute_sum_inside_training_gets_no_gradient():
    total = ComputeSum(3)
    dense = layers.Dense(3)
    x = np.ones((4, 3), "float32")
    with bw.GradientTape() as tape:
        loss = ops.sum(ops.multiply(dense(x), total(x)))
    grads = tape.gradient(loss, dense.trainable_weights + total.weights)
    assert grads[0] is not None and grads[-1] is None
    np.testing.assert_array_equal(total.get_weights()[0], [4.0, 4.0, 4.0])


def test_inference_returns_plain_arrays_without_tape():
    layer = SimpleDense(2)
    y = layer(np.ones((1, 3), "float32"))
    assert type(y) is np.ndarray or type(y).__name__ == "ndarray"
