"""Permute, RepeatVector, ZeroPadding1D/2D/3D, Cropping1D/2D/3D and
UpSampling1D/2D/3D: values (bilinear against Keras 3), gradients, shapes,
errors and configs."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import brickwork as bw
from brickwork import layers
from layer_testing import (assert_config_matches_keras, case_arrays, check_layer_gradients,
                           numpy_of)


def arange(*shape):
    return np.arange(np.prod(shape), dtype="float32").reshape(shape)


def test_permute_and_repeat_vector_values():
    x = arange(2, 3, 4)
    assert_array_equal(numpy_of(layers.Permute((2, 1))(x)), x.transpose(0, 2, 1))
    y = arange(2, 3, 4, 5)
    assert_array_equal(numpy_of(layers.Permute((3, 1, 2))(y)), y.transpose(0, 3, 1, 2))
    v = arange(2, 3)
    assert_array_equal(numpy_of(layers.RepeatVector(4)(v)), np.repeat(v[:, None], 4, axis=1))


def test_zero_padding_values():
    x = arange(1, 2, 3)
    assert_array_equal(numpy_of(layers.ZeroPadding1D((1, 2))(x)),
                       np.pad(x, ((0, 0), (1, 2), (0, 0))))
    assert_array_equal(numpy_of(layers.ZeroPadding1D(2, data_format="channels_first")(x)),
                       np.pad(x, ((0, 0), (0, 0), (2, 2))))
    img = arange(1, 2, 3, 2)
    assert_array_equal(numpy_of(layers.ZeroPadding2D(((1, 0), (2, 3)))(img)),
                       np.pad(img, ((0, 0), (1, 0), (2, 3), (0, 0))))
    assert_array_equal(numpy_of(layers.ZeroPadding2D((1, 2), data_format="channels_first")(img)),
                       np.pad(img, ((0, 0), (0, 0), (1, 1), (2, 2))))
    vol = arange(1, 2, 2, 2, 1)
    assert_array_equal(numpy_of(layers.ZeroPadding3D(1)(vol)),
                       np.pad(vol, ((0, 0), (1, 1), (1, 1), (1, 1), (0, 0))))


def test_cropping_values():
    x = arange(2, 6, 3)
    assert_array_equal(numpy_of(layers.Cropping1D((1, 2))(x)), x[:, 1:4])
    assert_array_equal(numpy_of(layers.Cropping1D(2)(x)), x[:, 2:4])
    img = arange(1, 5, 6, 2)
    assert_array_equal(numpy_of(layers.Cropping2D(((1, 0), (2, 1)))(img)), img[:, 1:, 2:5])
    first = arange(1, 2, 5, 6)
    assert_array_equal(numpy_of(layers.Cropping2D(1, data_format="channels_first")(first)),
                       first[:, :, 1:4, 1:5])
    vol = arange(1, 4, 5, 6, 2)
    assert_array_equal(numpy_of(layers.Cropping3D()(vol)), vol[:, 1:3, 1:4, 1:5])
    assert_array_equal(numpy_of(layers.Cropping3D(((0, 1), (2, 0), (1, 1)))(vol)),
                       vol[:, 0:3, 2:5, 1:5])


def test_nearest_upsampling_values():
    x = arange(2, 3, 2)
    assert_array_equal(numpy_of(layers.UpSampling1D(3)(x)), np.repeat(x, 3, axis=1))
    img = arange(1, 2, 3, 2)
    assert_array_equal(numpy_of(layers.UpSampling2D((2, 3))(img)),
                       np.repeat(np.repeat(img, 2, axis=1), 3, axis=2))
    assert_array_equal(numpy_of(layers.UpSampling2D(2, data_format="channels_first")(img)),
                       np.repeat(np.repeat(img, 2, axis=2), 2, axis=3))
    vol = arange(1, 2, 2, 1, 3)
    expected = np.repeat(np.repeat(np.repeat(vol, 1, axis=1), 2, axis=2), 3, axis=3)
    assert_array_equal(numpy_of(layers.UpSampling3D((1, 2, 3))(vol)), expected)


@pytest.mark.parametrize("case, make", [
    ("upsampling2d_bilinear", lambda: layers.UpSampling2D((2, 3), interpolation="bilinear")),
    ("upsampling2d_bilinear_channels_first",
     lambda: layers.UpSampling2D((3, 2), data_format="channels_first", interpolation="bilinear")),
    ("upsampling2d_nearest", lambda: layers.UpSampling2D((2, 3))),
])
def test_upsampling2d_matches_keras(backend_name, case, make):
    (x,) = case_arrays(case, "in", 1)
    assert_allclose(numpy_of(make()(x)), case_arrays(case, "out", 1)[0], rtol=1e-5, atol=1e-6)


def test_bilinear_hand_computed():
    # Half-pixel centres: outputs sample 0, 0.25, 0.75, 1 (clamped) of [0, 4].
    x = np.array([0.0, 4.0], "float32").reshape(1, 2, 1, 1)
    y = numpy_of(layers.UpSampling2D((2, 1), interpolation="bilinear")(x))
    assert_allclose(y.reshape(-1), [0.0, 1.0, 3.0, 4.0])


@pytest.mark.parametrize("make, shape", [
    (lambda: layers.Permute((2, 3, 1), dtype="float64"), (2, 2, 3, 2)),
    (lambda: layers.RepeatVector(3, dtype="float64"), (2, 3)),
    (lambda: layers.ZeroPadding1D((1, 2), dtype="float64"), (2, 3, 2)),
    (lambda: layers.ZeroPadding2D(((1, 0), (0, 2)), dtype="float64"), (1, 2, 3, 2)),
    (lambda: layers.ZeroPadding3D(1, data_format="channels_first", dtype="float64"),
     (1, 1, 2, 2, 2)),
    (lambda: layers.Cropping1D((1, 1), dtype="float64"), (2, 4, 2)),
    (lambda: layers.Cropping2D(((1, 0), (1, 1)), dtype="float64"), (1, 3, 4, 2)),
    (lambda: layers.Cropping3D(((1, 0), (0, 1), (1, 1)), dtype="float64"), (1, 3, 3, 4, 1)),
    (lambda: layers.UpSampling1D(2, dtype="float64"), (2, 3, 2)),
    (lambda: layers.UpSampling2D((2, 3), dtype="float64"), (1, 2, 2, 2)),
    (lambda: layers.UpSampling2D((2, 3), interpolation="bilinear", dtype="float64"), (1, 3, 2, 2)),
    (lambda: layers.UpSampling2D(2, data_format="channels_first", interpolation="bilinear",
                                 dtype="float64"), (1, 2, 3, 2)),
    (lambda: layers.UpSampling3D((1, 2, 2), dtype="float64"), (1, 2, 2, 1, 2)),
])
def test_gradients_match_finite_differences(backend_name, make, shape, rng):
    check_layer_gradients(make(), [rng.normal(size=shape)], rng)


@pytest.mark.parametrize("make, input_shape, expected", [
    (lambda: layers.Permute((2, 1)), (None, 3, 4), (None, 4, 3)),
    (lambda: layers.RepeatVector(5), (None, 3), (None, 5, 3)),
    (lambda: layers.ZeroPadding1D(2), (None, 4, 3), (None, 8, 3)),
    (lambda: layers.ZeroPadding2D(((1, 2), (3, 4))), (None, 5, 6, 3), (None, 8, 13, 3)),
    (lambda: layers.ZeroPadding2D(1, data_format="channels_first"), (None, 3, 5, 6),
     (None, 3, 7, 8)),
    (lambda: layers.ZeroPadding3D(), (None, 2, 3, 4, 1), (None, 4, 5, 6, 1)),
    (lambda: layers.Cropping1D((1, 2)), (None, 6, 3), (None, 3, 3)),
    (lambda: layers.Cropping2D(((1, 2), (0, 1))), (None, 5, 6, 3), (None, 2, 5, 3)),
    (lambda: layers.Cropping3D(), (None, 4, 5, 6, 2), (None, 2, 3, 4, 2)),
    (lambda: layers.UpSampling1D(3), (None, 4, 2), (None, 12, 2)),
    (lambda: layers.UpSampling2D((2, 3), interpolation="bilinear"), (None, 4, 5, 3),
     (None, 8, 15, 3)),
    (lambda: layers.UpSampling3D(2, data_format="channels_first"), (None, 2, 1, 2, 3),
     (None, 2, 2, 4, 6)),
    (lambda: layers.UpSampling2D(), (None, None, 5, 3), (None, None, 10, 3)),
])
def test_symbolic_output_shapes(make, input_shape, expected):
    inputs = bw.Input(batch_shape=input_shape)
    out = make()(inputs)
    assert out.shape == expected
    if None not in input_shape[1:]:
        model = bw.Model(inputs, out)
        y = model(np.zeros((2,) + input_shape[1:], "float32"))
        assert numpy_of(y).shape == (2,) + expected[1:]


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="consecutive and start from 1.*\\(0, 1\\)"):
        layers.Permute((0, 1))
    with pytest.raises(TypeError, match="integer value for `n`"):
        layers.RepeatVector(2.5)
    with pytest.raises(ValueError, match="positive integer.*n=0"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match="padding.*-1"):
        layers.ZeroPadding1D(-1)
    with pytest.raises(ValueError, match="padding.*tuple of 3"):
        layers.ZeroPadding3D((1, 2))
    with pytest.raises(ValueError, match="cropping.*negative"):
        layers.Cropping2D(-1)
    with pytest.raises(ValueError, match="size.*positive"):
        layers.UpSampling2D((2, 0))
    with pytest.raises(TypeError, match="integer value for `size`"):
        layers.UpSampling1D((2,))
    with pytest.raises(ValueError, match="interpolation.*'bicubic'"):
        layers.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match="data_format"):
        layers.ZeroPadding2D(data_format="nhwc")


def test_bad_inputs_name_the_layer():
    with pytest.raises(ValueError, match="'crop'.*smaller than.*\\(1, 3, 2\\)"):
        layers.Cropping1D((2, 1), name="crop")(np.zeros((1, 3, 2), "float32"))
    with pytest.raises(ValueError, match="'crop2'.*smaller than"):
        layers.Cropping2D(((3, 3), (0, 0)), name="crop2")(bw.Input((5, 5, 1)))
    with pytest.raises(ValueError, match="'pad'.*expected ndim=4"):
        layers.ZeroPadding2D(name="pad")(np.zeros((1, 3, 2), "float32"))
    with pytest.raises(ValueError, match="'rv'.*expected ndim=2"):
        layers.RepeatVector(2, name="rv")(np.zeros((1, 3, 2), "float32"))


CONFIG_CASES = {
    "Permute((2, 1))": lambda: layers.Permute((2, 1)),
    "RepeatVector(3)": lambda: layers.RepeatVector(3),
    "ZeroPadding1D()": layers.ZeroPadding1D, "ZeroPadding2D()": layers.ZeroPadding2D,
    "ZeroPadding3D()": layers.ZeroPadding3D, "Cropping1D()": layers.Cropping1D,
    "Cropping2D()": layers.Cropping2D, "Cropping3D()": layers.Cropping3D,
    "UpSampling1D()": layers.UpSampling1D, "UpSampling2D()": layers.UpSampling2D,
    "UpSampling3D()": layers.UpSampling3D,
}


@pytest.mark.parametrize("key", sorted(CONFIG_CASES))
def test_config_equals_keras_and_round_trips(key):
    layer = CONFIG_CASES[key]()
    assert_config_matches_keras(layer, key)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_bilinear_config_round_trips():
    layer = layers.UpSampling2D((2, 3), "channels_first", "Bilinear")
    config = layer.get_config()
    assert config["interpolation"] == "bilinear" and config["size"] == (2, 3)
    assert layers.UpSampling2D.from_config(config).get_config() == config
