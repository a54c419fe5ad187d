"""Activation layers (ReLU, LeakyReLU, PReLU, ELU, Softmax) against Keras 3
values, hand-computed values and finite differences."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
from brickwork import layers
from layer_testing import (assert_config_matches_keras, case_arrays, check_layer_gradients, keras_reference,
                           numpy_of)

KERAS_CASES = {
    "relu_params": lambda: layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
    "relu_leaky_max": lambda: layers.ReLU(max_value=4.0, negative_slope=0.2),
    "leaky_relu": lambda: layers.LeakyReLU(),
    "elu_alpha": lambda: layers.ELU(alpha=0.7),
    "prelu_shared": lambda: layers.PReLU(shared_axes=[1]),
    "softmax_axes": lambda: layers.Softmax(axis=(1, 2)),
}


@pytest.mark.parametrize("case", sorted(KERAS_CASES))
def test_matches_keras(backend_name, case):
    meta = keras_reference()[0][case]
    layer = KERAS_CASES[case]()
    (x,) = case_arrays(case, "in", 1)
    layer(x)
    layer.set_weights(case_arrays(case, "w", meta["n_weights"]))
    assert_allclose(numpy_of(layer(x)), case_arrays(case, "out", 1)[0], rtol=1e-5, atol=1e-6)


def test_softmax_mask_matches_keras(backend_name):
    (x,) = case_arrays("softmax_mask", "in", 1)
    mask = keras_reference()[2]["softmax_mask/kw/mask"]
    y = numpy_of(layers.Softmax()(x, mask=mask))
    assert_allclose(y, case_arrays("softmax_mask", "out", 1)[0], rtol=1e-5, atol=1e-7)
    assert np.all(y[~mask] == 0)


def test_hand_computed_values():
    x = np.array([[-2.0, -0.5, 0.0, 1.0, 7.0]], "float32")
    assert_allclose(numpy_of(layers.ReLU()(x)), [[0, 0, 0, 1, 7]])
    assert_allclose(numpy_of(layers.ReLU(max_value=6)(x)), [[0, 0, 0, 1, 6]])
    assert_allclose(numpy_of(layers.ReLU(max_value=3.0)(x)), [[0, 0, 0, 1, 3]])
    assert_allclose(numpy_of(layers.ReLU(threshold=1.0)(x)), [[0, 0, 0, 0, 7]])
    assert_allclose(numpy_of(layers.ReLU(negative_slope=0.5)(x)), [[-1, -0.25, 0, 1, 7]])
    assert_allclose(numpy_of(layers.LeakyReLU(0.1)(x)), [[-0.2, -0.05, 0, 1, 7]], rtol=1e-6)
    assert_allclose(numpy_of(layers.ELU(2.0)(x)), [[2 * np.expm1(-2), 2 * np.expm1(-0.5), 0, 1, 7]],
                    rtol=1e-6)
    assert_allclose(numpy_of(layers.ELU()(x)), [[np.expm1(-2), np.expm1(-0.5), 0, 1, 7]], rtol=1e-6)


def test_leaky_relu_accepts_keras2_alpha():
    with pytest.warns(UserWarning, match="negative_slope"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    assert layer.get_config()["negative_slope"] == 0.1


def test_prelu_weight_shape_and_shared_axes():
    layer = layers.PReLU(shared_axes=[1, 2], name="p")
    layer.build((None, 5, 6, 3))
    assert [(w.path, w.shape) for w in layer.weights] == [("p/alpha", (1, 1, 3))]
    assert np.all(layer.get_weights()[0] == 0)
    full = layers.PReLU()
    full.build((None, 4, 2))
    assert full.weights[0].shape == (4, 2)
    y = numpy_of(layers.PReLU(alpha_initializer="ones")(np.array([[-2.0, 3.0]], "float32")))
    assert_allclose(y, [[-2.0, 3.0]])


@pytest.mark.parametrize("make, x", [
    (lambda: layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5, dtype="float64"),
     [[-3.0, -0.7, 0.3, 0.7, 2.0, 7.0]]),
    (lambda: layers.ReLU(max_value=4.0, dtype="float64"), [[-1.0, 0.5, 3.0, 5.0]]),
    (lambda: layers.LeakyReLU(dtype="float64"), [[-2.0, -0.1, 0.3, 4.0]]),
    (lambda: layers.ELU(alpha=0.7, dtype="float64"), [[-2.0, -0.1, 0.3, 4.0]]),
    (lambda: layers.PReLU(alpha_initializer="random_uniform", shared_axes=2, dtype="float64"),
     [[[-2.0, 0.4], [1.0, -0.3], [0.2, -1.5]]]),
    (lambda: layers.Softmax(axis=(1, 2), dtype="float64"), [[[0.1, -0.3], [1.2, 0.5]]]),
])
def test_gradients_match_finite_differences(backend_name, make, x, rng):
    check_layer_gradients(make(), [np.array(x)], rng)


def test_masked_softmax_gradient(backend_name, rng):
    mask = np.array([[True, False, True, True], [False, True, True, False]])
    check_layer_gradients(layers.Softmax(dtype="float64"), [rng.normal(size=(2, 4))], rng,
                          call=lambda layer, x: layer(x, mask=mask))


def test_bad_arguments_raise_at_construction():
    with pytest.raises(ValueError, match="max_value"):
        layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="negative_slope"):
        layers.ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="threshold"):
        layers.ReLU(threshold=None)
    with pytest.raises(ValueError, match="negative_slope"):
        layers.LeakyReLU(negative_slope=-1)
    with pytest.raises(ValueError, match="shared_axes"):
        layers.PReLU(shared_axes=[0])


def test_bad_inputs_name_the_layer():
    with pytest.raises(ValueError, match="'sm'.*broadcastable.*\\(2, 3\\).*\\(2, 4\\)"):
        layers.Softmax(name="sm")(np.zeros((2, 3), "float32"), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="'sm'.*axis 2.*rank 2"):
        layers.Softmax(axis=2, name="sm")(np.zeros((2, 3), "float32"))
    prelu = layers.PReLU(name="pr")
    prelu(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match="'pr'.*axis 1.*value 3"):
        prelu(np.zeros((1, 4), "float32"))


CONFIG_CASES = {
    "ReLU()": lambda: layers.ReLU(),
    "LeakyReLU()": lambda: layers.LeakyReLU(),
    "PReLU()": lambda: layers.PReLU(),
    "PReLU(shared_axes=[1, 2])": lambda: layers.PReLU(shared_axes=[1, 2]),
    "ELU()": lambda: layers.ELU(),
    "Softmax()": lambda: layers.Softmax(),
}


@pytest.mark.parametrize("key", sorted(CONFIG_CASES))
def test_config_equals_keras_and_round_trips(key):
    layer = CONFIG_CASES[key]()
    assert_config_matches_keras(layer, key)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_symbolic_use_and_mask_passthrough():
    inputs = bw.Input((5, 3))
    x = layers.PReLU()(inputs)
    x = layers.ReLU(max_value=2.0)(x)
    x = layers.LeakyReLU()(x)
    x = layers.ELU()(x)
    out = layers.Softmax()(x)
    assert out.shape == (None, 5, 3)
    model = bw.Model(inputs, out)
    y = numpy_of(model(np.ones((2, 5, 3), "float32")))
    assert_allclose(y.sum(-1), 1.0, rtol=1e-6)
    mask = np.array([[True, False]])
    for layer in (layers.ReLU(), layers.LeakyReLU(), layers.ELU(), layers.PReLU(), layers.Softmax()):
        assert layer.supports_masking
        assert layer.compute_mask(np.zeros((1, 2, 3)), mask) is mask
