"""Noise layers: identity outside training, Keras' noise formulas in training,
seeds, gradients, configs (against ``fixtures/keras_normalization.json``)."""
import json
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
from brickwork import layers, ops
from brickwork.layers.noise import SELU_ALPHA, SELU_SCALE
from brickwork.masks import get_keras_mask
from brickwork.saving.serialization import deserialize_keras_object, serialize_keras_object

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "keras_normalization.json")
                     .read_text())["noise_configs"]

NOISE_LAYERS = {
    "GaussianNoise": lambda: layers.GaussianNoise(0.1, seed=3),
    "GaussianDropout": lambda: layers.GaussianDropout(0.2),
    "AlphaDropout": lambda: layers.AlphaDropout(0.3, noise_shape=(None, 1)),
    "SpatialDropout1D": lambda: layers.SpatialDropout1D(0.4),
    "SpatialDropout2D": lambda: layers.SpatialDropout2D(0.4, data_format="channels_first"),
    "SpatialDropout3D": lambda: layers.SpatialDropout3D(0.4),
    "ActivityRegularization": lambda: layers.ActivityRegularization(l1=0.1, l2=0.2),
}
INPUT_RANK = {"SpatialDropout1D": 3, "SpatialDropout2D": 4, "SpatialDropout3D": 5}


def numpy_of(x):
    return ops.convert_to_numpy(x)


def comparable_config(layer):
    config = json.loads(json.dumps(layer.get_config()))
    config.pop("name", None)
    return config


@pytest.mark.parametrize("name", list(NOISE_LAYERS))
def test_config_matches_keras_and_round_trips(name):
    layer = NOISE_LAYERS[name]()
    assert comparable_config(layer) == FIXTURE[name]
    clone = deserialize_keras_object(json.loads(json.dumps(serialize_keras_object(layer))))
    assert type(clone) is type(layer) and comparable_config(clone) == FIXTURE[name]


@pytest.mark.parametrize("name", list(NOISE_LAYERS))
def test_identity_outside_training_passes_masks_and_shapes(name):
    layer = NOISE_LAYERS[name]()
    shape = (2, 3, 4, 5, 6)[:INPUT_RANK.get(name, 3)]
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    assert_allclose(numpy_of(layer(x)), x)
    assert_allclose(numpy_of(layer(x, training=False)), x)
    assert layer.supports_masking
    symbolic = layer(bw.Input(shape[1:]))
    assert symbolic.shape == (None,) + shape[1:]


def test_gaussian_noise_adds_noise_of_stddev_reproducibly():
    x = np.ones((200, 100), "float32")
    y = numpy_of(layers.GaussianNoise(0.5, seed=1)(x, training=True))
    assert abs((y - 1).mean()) < 0.01 and abs((y - 1).std() - 0.5) < 0.01
    again = numpy_of(layers.GaussianNoise(0.5, seed=1)(x, training=True))
    assert_allclose(y, again)
    with pytest.raises(ValueError, match=r"`stddev`.*\[0, 1\].*1.5"):
        layers.GaussianNoise(1.5)


def test_gaussian_dropout_multiplies_by_mean_one_noise():
    rate = 0.2
    y = numpy_of(layers.GaussianDropout(rate, seed=2)(np.full((300, 100), 2.0, "float32"),
                                                      training=True))
    assert abs(y.mean() / 2 - 1) < 0.01
    assert abs((y / 2).std() - np.sqrt(rate / (1 - rate))) < 0.01
    with pytest.raises(ValueError, match="rate"):
        layers.GaussianDropout(1.0)


def test_alpha_dropout_formula_and_selu_fixed_point():
    rate = 0.3
    x = np.random.default_rng(3).normal(size=(400, 250)).astype("float32")
    y = numpy_of(layers.AlphaDropout(rate, seed=4)(x, training=True))
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    kept = np.isclose(y, a * x + b, atol=1e-5)
    dropped = np.isclose(y, a * alpha_p + b, atol=1e-5)
    assert np.all(kept | dropped)
    assert abs(dropped.mean() - rate) < 0.01
    # Standard-normal inputs keep mean 0 and variance 1 (the point of AlphaDropout).
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.02


def test_alpha_dropout_noise_shape_shares_draws():
    y = numpy_of(layers.AlphaDropout(0.5, noise_shape=(None, 1), seed=5)(
        np.ones((50, 6), "float32"), training=True))
    assert np.all(y == y[:, :1])


@pytest.mark.parametrize("layer, shape, shared_axes", [
    (lambda: layers.SpatialDropout1D(0.5, seed=1), (20, 7, 6), (1,)),
    (lambda: layers.SpatialDropout2D(0.5, seed=1), (20, 3, 4, 6), (1, 2)),
    (lambda: layers.SpatialDropout2D(0.5, data_format="channels_first", seed=1), (20, 6, 3, 4),
     (2, 3)),
    (lambda: layers.SpatialDropout3D(0.5, seed=1), (20, 2, 3, 2, 6), (1, 2, 3)),
])
def test_spatial_dropout_drops_whole_feature_maps(layer, shape, shared_axes):
    y = numpy_of(layer()(np.ones(shape, "float32"), training=True))
    assert set(np.unique(y)) <= {0.0, 2.0}
    first = y[tuple(slice(0, 1) if i in shared_axes else slice(None) for i in range(len(shape)))]
    assert np.all(y == first)
    assert 0.3 < (y == 0).mean() < 0.7


def test_spatial_dropout_checks_rank_and_arguments():
    with pytest.raises(ValueError, match="expected ndim=3"):
        layers.SpatialDropout1D(0.5)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="data_format"):
        layers.SpatialDropout2D(0.5, data_format="channels_middle")
    with pytest.raises(ValueError, match="rate"):
        layers.SpatialDropout3D(-0.1)


@pytest.mark.parametrize("make", [lambda: layers.GaussianNoise(0.3, seed=1, dtype="float64"),
                                  lambda: layers.GaussianDropout(0.3, seed=1, dtype="float64"),
                                  lambda: layers.AlphaDropout(0.3, seed=1, dtype="float64"),
                                  lambda: layers.SpatialDropout1D(0.3, seed=1, dtype="float64")])
def test_noise_gradient_is_the_applied_scale(make):
    """With the noise fixed (same seed), the output is affine in the input:
    its gradient is (y(x + h) - y(x)) / h for any step h."""
    x = np.random.default_rng(6).normal(size=(4, 3, 5))
    x_var = bw.Variable(x, trainable=True)
    with bw.GradientTape() as tape:
        loss = ops.sum(make()(x_var, training=True))
    grad = numpy_of(tape.gradient(loss, x_var))
    y0 = numpy_of(make()(x, training=True))
    y1 = numpy_of(make()(x + 1.0, training=True))
    assert_allclose(grad, y1 - y0, rtol=1e-10, atol=1e-10)


def test_activity_regularization_adds_its_penalty_per_sample():
    layer = layers.ActivityRegularization(l1=0.1, l2=0.2)
    x = np.array([[1.0, -2.0], [3.0, 0.0]], "float32")
    assert_allclose(numpy_of(layer(x)), x)
    (loss,) = layer.losses
    # (0.1 * sum|x| + 0.2 * sum x^2) / batch size, as Keras normalizes it.
    assert_allclose(float(numpy_of(loss)), (0.1 * 6 + 0.2 * 14) / 2, rtol=1e-6)
    model = bw.Sequential([bw.Input((2,)), layers.ActivityRegularization(l2=1.0)])
    model(x)
    assert len(model.losses) == 1


def test_noise_layers_pass_masks_through():
    ids = np.array([[1, 2, 0]])
    emb = layers.Embedding(3, 4, mask_zero=True)
    for layer in (layers.GaussianNoise(0.1), layers.GaussianDropout(0.1),
                  layers.AlphaDropout(0.1), layers.SpatialDropout1D(0.1),
                  layers.ActivityRegularization()):
        out = layer(emb(ids), training=True)
        assert numpy_of(get_keras_mask(out)).tolist() == [[True, True, False]]
