"""Merge layers against Keras 3 values, hand-computed values and finite
differences; shape errors, masks, configs and symbolic use."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
from brickwork import layers
from layer_testing import (assert_config_matches_keras, case_arrays, check_layer_gradients,
                           keras_reference, numpy_of)

KERAS_CASES = {
    "dot_normalize": lambda: layers.Dot(axes=(1, 2), normalize=True),
    "dot_2d": lambda: layers.Dot(axes=1),
    "dot_default": lambda: layers.Dot(axes=-1),
    "concatenate_axis1": lambda: layers.Concatenate(axis=1),
    "add_broadcast": lambda: layers.Add(),
    "subtract_rank": lambda: layers.Subtract(),
}


@pytest.mark.parametrize("case", sorted(KERAS_CASES))
def test_matches_keras(backend_name, case):
    inputs = case_arrays(case, "in", 2)
    y = numpy_of(KERAS_CASES[case]()(inputs))
    assert_allclose(y, case_arrays(case, "out", 1)[0], rtol=1e-5, atol=1e-6)


def test_elementwise_values():
    a = np.array([[1.0, -2.0, 3.0]], "float32")
    b = np.array([[4.0, 5.0, -6.0]], "float32")
    c = np.array([[0.5, 0.5, 0.5]], "float32")
    assert_allclose(numpy_of(layers.Add()([a, b, c])), [[5.5, 3.5, -2.5]])
    assert_allclose(numpy_of(layers.Subtract()([a, b])), [[-3, -7, 9]])
    assert_allclose(numpy_of(layers.Multiply()([a, b, c])), [[2, -5, -9]])
    assert_allclose(numpy_of(layers.Average()([a, b])), [[2.5, 1.5, -1.5]])
    assert_allclose(numpy_of(layers.Maximum()([a, b, c])), [[4, 5, 3]])
    assert_allclose(numpy_of(layers.Minimum()([a, b, c])), [[0.5, -2, -6]])
    assert_allclose(numpy_of(layers.Concatenate()([a, b])), [[1, -2, 3, 4, 5, -6]])
    assert_allclose(numpy_of(layers.Dot(axes=1)([a, b])), [[4 - 10 - 18]])
    # Functional helpers build the same layers.
    assert_allclose(numpy_of(layers.add([a, b])), numpy_of(layers.Add()([a, b])))
    assert_allclose(numpy_of(layers.subtract([a, b])), [[-3, -7, 9]])
    assert_allclose(numpy_of(layers.multiply([a, b])), [[4, -10, -18]])
    assert_allclose(numpy_of(layers.average([a, c])), [[0.75, -0.75, 1.75]])
    assert_allclose(numpy_of(layers.maximum([a, b])), [[4, 5, 3]])
    assert_allclose(numpy_of(layers.minimum([a, b])), [[1, -2, -6]])
    assert_allclose(numpy_of(layers.concatenate([a, b], axis=0)), np.concatenate([a, b]))
    assert_allclose(numpy_of(layers.dot([a, b], axes=-1)), [[-24]])


def test_dot_normalize_is_cosine_similarity():
    a = np.array([[3.0, 4.0], [0.0, 0.0]], "float32")
    b = np.array([[4.0, 3.0], [1.0, 2.0]], "float32")
    assert_allclose(numpy_of(layers.Dot(axes=1, normalize=True)([a, b])), [[24 / 25], [0.0]],
                    rtol=1e-6)


def test_dot_shapes_follow_batch_dot():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 5))
    out = numpy_of(layers.Dot(axes=(2, 1))([x, y]))
    assert_allclose(out, np.einsum("bij,bjk->bik", x, y), rtol=1e-5)
    assert layers.Dot(axes=(2, 1)).compute_output_shape([(None, 3, 4), (None, 4, 5)]) == (None, 3, 5)
    assert layers.Dot(axes=1).compute_output_shape([(None, 4), (None, 4)]) == (None, 1)
    v = rng.normal(size=(2, 4))
    assert numpy_of(layers.Dot(axes=(1, 2))([v, x])).shape == (2, 3)


@pytest.mark.parametrize("make, shapes", [
    (layers.Add, [(2, 3, 4), (2, 1, 4), (2, 3, 1)]),
    (layers.Subtract, [(2, 3, 4), (2, 4)]),
    (layers.Multiply, [(2, 3), (2, 3), (2, 3)]),
    (layers.Average, [(2, 3), (2, 3)]),
    (layers.Maximum, [(2, 3), (2, 3), (2, 3)]),
    (layers.Minimum, [(2, 3), (2, 3)]),
    (lambda **kw: layers.Concatenate(axis=1, **kw), [(2, 3, 2), (2, 1, 2)]),
    (lambda **kw: layers.Dot(axes=(1, 2), **kw), [(2, 3, 4), (2, 5, 3)]),
    (lambda **kw: layers.Dot(axes=1, normalize=True, **kw), [(2, 4), (2, 4)]),
])
def test_gradients_match_finite_differences(backend_name, make, shapes, rng):
    inputs = [rng.normal(size=s) for s in shapes]
    check_layer_gradients(make(dtype="float64"), inputs, rng, call=lambda layer, *xs: layer(list(xs)))


def test_incompatible_shapes_raise_at_build_naming_the_shapes():
    a, b = bw.Input((3, 4)), bw.Input((5, 4))
    with pytest.raises(ValueError, match="'adder'.*incompatible shapes.*\\(3, 4\\).*\\(5, 4\\)"):
        layers.Add(name="adder")([a, b])
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Add()([np.zeros((2, 3), "float32"), np.zeros((3, 3), "float32")])
    with pytest.raises(ValueError, match="Concatenate.*matching shapes.*axis=-1"):
        layers.Concatenate()([a, bw.Input((2, 4))])
    with pytest.raises(ValueError, match="Dot.*axis values 4 \\(at axis 2\\) != 5"):
        layers.Dot(axes=(2, 1))([a, b])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([a, a, a])
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Add()(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match="axes"):
        layers.Dot(axes="x")
    with pytest.raises(ValueError, match="two elements"):
        layers.Dot(axes=(1, 2, 3))


def test_symbolic_shapes():
    a, b, v = bw.Input((3, 4)), bw.Input((1, 4)), bw.Input((4,))
    assert layers.Add()([a, b]).shape == (None, 3, 4)
    assert layers.Subtract()([a, v]).shape == (None, 3, 4)
    assert layers.Concatenate(axis=1)([a, b]).shape == (None, 4, 4)
    assert layers.Concatenate()([a, a]).shape == (None, 3, 8)
    assert layers.Dot(axes=(2, 1))([a, v]).shape == (None, 3)
    out = layers.Maximum()([layers.Multiply()([a, b]), layers.Average()([a, a])])
    model = bw.Model([a, b], out)
    x, y = np.ones((2, 3, 4), "float32"), np.full((2, 1, 4), 2.0, "float32")
    assert_allclose(numpy_of(model([x, y])), np.full((2, 3, 4), 2.0))


def test_compute_mask_or_and_concatenate():
    m1 = np.array([[True, False, False]])
    m2 = np.array([[False, False, True]])
    x = np.zeros((1, 3, 2), "float32")
    assert_allclose(numpy_of(layers.Add().compute_mask([x, x], [m1, m2])), [[True, False, True]])
    assert layers.Add().compute_mask([x, x], [m1, None]) is None
    assert layers.Add().compute_mask([x, x], None) is None
    concat = layers.Concatenate(axis=1).compute_mask([x, x], [m1, None])
    assert_allclose(numpy_of(concat), [[True, False, False, True, True, True]])
    assert_allclose(numpy_of(layers.Concatenate().compute_mask([x, x], [m1, m2])),
                    [[True, False, True]])
    assert layers.Dot(axes=2).compute_mask([x, x], [m1, m2]) is None


def test_masked_maximum_minimum_multiply_as_keras():
    a = np.array([[[1.0], [5.0], [-3.0]]], "float32")
    b = np.array([[[4.0], [2.0], [-1.0]]], "float32")
    ma = np.array([[True, True, False]])
    mb = np.array([[False, True, False]])
    # A masked entry never wins; positions masked everywhere keep the first input.
    assert_allclose(numpy_of(layers.Maximum()([a, b], mask=[ma, mb])), [[[1], [5], [-3]]])
    assert_allclose(numpy_of(layers.Minimum()([a, b], mask=[ma, mb])), [[[1], [2], [-3]]])
    # Multiply: masked entries count as 1, fully masked positions give 0.
    assert_allclose(numpy_of(layers.Multiply()([a, b], mask=[ma, mb])), [[[1], [10], [0]]])


CONFIG_CASES = {
    "Add()": layers.Add, "Subtract()": layers.Subtract, "Multiply()": layers.Multiply,
    "Average()": layers.Average, "Maximum()": layers.Maximum, "Minimum()": layers.Minimum,
    "Concatenate()": layers.Concatenate,
    "Dot(axes=(1, 2), normalize=True)": lambda: layers.Dot(axes=(1, 2), normalize=True),
}


@pytest.mark.parametrize("key", sorted(CONFIG_CASES))
def test_config_equals_keras_and_round_trips(key):
    layer = CONFIG_CASES[key]()
    assert_config_matches_keras(layer, key)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
