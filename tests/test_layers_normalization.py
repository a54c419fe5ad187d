"""Normalization layers against Keras 3's numbers (``fixtures/keras_normalization.json``),
finite differences, configs and bad input."""
import json
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
import reference as ref
from brickwork import layers, ops
from brickwork.saving.serialization import deserialize_keras_object, serialize_keras_object

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "keras_normalization.json")
                     .read_text())


def A(x, dtype="float32"):
    return np.asarray(x, dtype=dtype)


def numpy_of(x):
    return ops.convert_to_numpy(x)


def assert_layer_gradients(layer, x, training=None, seed=0):
    """Tape gradients of ``sum(layer(x) * dy)`` with respect to the input and
    every trainable weight equal central finite differences (float64 layer)."""
    rng = np.random.default_rng(seed)
    x = A(x, "float64")
    weights = layer.trainable_weights
    dy = rng.normal(size=numpy_of(layer(x, training=training)).shape)
    x_var = bw.Variable(x, trainable=True)
    with bw.GradientTape() as tape:
        loss = ops.sum(ops.multiply(layer(x_var, training=training), dy))
    grads = tape.gradient(loss, [x_var] + weights)
    saved = [w.numpy() for w in weights]

    def run(inputs, *values):
        for w, v in zip(weights, values):
            w.assign(v)
        return numpy_of(layer(inputs, training=training))
    expected = ref.numerical_vjp(run, [x] + saved, dy)
    for w, v in zip(weights, saved):
        w.assign(v)
    for name, got, want in zip(["x"] + [w.name for w in weights], grads, expected):
        assert_allclose(numpy_of(got), want, rtol=1e-6, atol=1e-7, err_msg=name)


def comparable_config(layer):
    config = json.loads(json.dumps(layer.get_config()))
    config.pop("name", None)
    return config


def round_trip(layer):
    return deserialize_keras_object(json.loads(json.dumps(serialize_keras_object(layer))))


# -- BatchNormalization -----------------------------------------------------------


def keras_batch_norm(**kwargs):
    f = FIXTURE["batch_norm"]
    bn = layers.BatchNormalization(**kwargs)
    bn.build((4, 3, 5))
    bn.set_weights([A(f["gamma"]), A(f["beta"]), np.zeros(5, "float32"), np.ones(5, "float32")])
    return bn


def test_batch_norm_training_matches_keras_and_updates_moving_statistics():
    f = FIXTURE["batch_norm"]
    bn = keras_batch_norm(momentum=0.9)
    assert [w.name for w in bn.weights] == f["weight_names"]
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]
    assert_allclose(numpy_of(bn(A(f["x"]), training=True)), f["y_train"], rtol=1e-5, atol=1e-5)
    assert_allclose(bn.moving_mean.numpy(), f["moving_after_one_step"][0], rtol=1e-5, atol=1e-6)
    assert_allclose(bn.moving_variance.numpy(), f["moving_after_one_step"][1], rtol=1e-5)
    y = numpy_of(bn(A(f["x"]), training=False))
    assert_allclose(y, f["y_inference_after_one_step"], rtol=1e-5, atol=1e-5)


def test_batch_norm_hand_computed_moving_average():
    x = A([[1.0], [3.0]])  # batch mean 2, biased variance 1
    bn = layers.BatchNormalization(momentum=0.5, center=False, scale=False)
    y = numpy_of(bn(x, training=True))
    assert_allclose(y, [[-1 / np.sqrt(1.001)], [1 / np.sqrt(1.001)]], rtol=1e-6)
    assert_allclose(bn.moving_mean.numpy(), [1.0])        # 0 * 0.5 + 2 * 0.5
    assert_allclose(bn.moving_variance.numpy(), [1.0])    # 1 * 0.5 + 1 * 0.5
    bn(x, training=True)
    assert_allclose(bn.moving_mean.numpy(), [1.5])


def test_batch_norm_inference_and_frozen_layer_leave_moving_statistics_alone():
    f = FIXTURE["batch_norm"]
    bn = keras_batch_norm()
    bn(A(f["x"]))  # training=None: inference
    bn(A(f["x"]), training=False)
    assert_allclose(bn.moving_mean.numpy(), np.zeros(5))
    bn.trainable = False  # a frozen BN runs in inference mode even in training
    y = numpy_of(bn(A(f["x"]), training=True))
    assert_allclose(bn.moving_variance.numpy(), np.ones(5))
    expected = (A(f["x"]) / np.sqrt(1.001)) * A(f["gamma"]) + A(f["beta"])
    assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_batch_norm_masked_statistics_match_keras():
    f = FIXTURE["batch_norm"]
    bn = keras_batch_norm(momentum=0.9)
    y = numpy_of(bn(A(f["x"]), training=True, mask=np.array(f["mask"])))
    assert_allclose(y, f["y_masked"], rtol=1e-5, atol=1e-5)
    assert_allclose(bn.moving_mean.numpy(), f["moving_masked"][0], rtol=1e-5, atol=1e-6)
    assert_allclose(bn.moving_variance.numpy(), f["moving_masked"][1], rtol=1e-5)


def test_batch_norm_channels_first_matches_keras():
    f = FIXTURE["batch_norm"]
    bn = layers.BatchNormalization(axis=1)
    assert_allclose(numpy_of(bn(A(f["x4"]), training=True)), f["y_channels_first"],
                    rtol=1e-5, atol=1e-5)
    assert bn.gamma.shape == (3,)
    assert_allclose(bn.moving_variance.numpy(), f["moving_channels_first"][1], rtol=1e-5)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_norm_gradients_by_finite_differences(training, axis):
    x = np.random.default_rng(1).normal(size=(3, 4, 2))
    bn = layers.BatchNormalization(axis=axis, dtype="float64",
                                   moving_variance_initializer="ones")
    bn.build(x.shape)
    bn.gamma.assign(np.linspace(0.5, 1.5, bn.gamma.shape[0]))
    bn.beta.assign(np.linspace(-1, 1, bn.beta.shape[0]))
    assert_layer_gradients(bn, x, training=training)


def test_batch_norm_config_matches_keras_and_round_trips():
    assert comparable_config(layers.BatchNormalization()) == FIXTURE["batch_norm"]["config"]
    bn = layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False,
                                   gamma_regularizer="l2", synchronized=True)
    clone = round_trip(bn)
    assert comparable_config(clone) == comparable_config(bn)
    clone.build((None, 3, 4))
    assert [w.name for w in clone.weights] == ["gamma", "moving_mean", "moving_variance"]


def test_batch_norm_symbolic_shapes_and_errors():
    x = bw.Input((7, 3))
    assert layers.BatchNormalization()(x).shape == (None, 7, 3)
    with pytest.raises(ValueError, match=r"batch_norm.*axis 5 is out of bounds.*\(None, 7, 3\)"):
        layers.BatchNormalization(axis=5, name="batch_norm")(x)
    with pytest.raises(TypeError, match="`axis` must be an int"):
        layers.BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match="momentum"):
        layers.BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="renorm"):
        layers.BatchNormalization(renorm=True)
    bn = layers.BatchNormalization(name="bn")
    bn.build((None, 3))
    with pytest.raises(ValueError, match=r"'bn'.*expected axis -1 of input shape to have value 3"):
        bn(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="mask should have one dimension less"):
        bn(np.zeros((2, 3), "float32"), mask=np.ones((2, 3), bool), training=True)


def test_batch_norm_trains_in_a_model():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(64, 4)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 12).astype("float32")
    model = bw.Sequential([bw.Input((4,)), layers.BatchNormalization(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    bn = model.layers[0]
    assert not np.allclose(bn.moving_mean.numpy(), 0)  # updated by fit
    assert not np.allclose(bn.gamma.numpy(), 1)        # trained by fit


# -- LayerNormalization ----------------------------------------------------------


def test_layer_norm_matches_keras():
    f, x = FIXTURE["layer_norm"], A(FIXTURE["batch_norm"]["x"])
    ln = layers.LayerNormalization()
    assert comparable_config(ln) == f["config_unbuilt"]
    assert_allclose(numpy_of(ln(x)), f["y_default"], rtol=1e-5, atol=1e-5)
    assert comparable_config(ln) == f["config_built"]  # Keras keeps axis as a list once built
    ln2 = layers.LayerNormalization(axis=[2, 1], epsilon=1e-5)
    ln2.build(x.shape)
    ln2.set_weights([A(f["gamma_two_axes"]), A(f["beta_two_axes"])])
    assert ln2.gamma.shape == (3, 5)
    assert_allclose(numpy_of(ln2(x)), f["y_two_axes"], rtol=1e-5, atol=1e-5)


def test_layer_norm_rms_scaling_is_keras_deprecated_variant():
    f, x = FIXTURE["layer_norm"], A(FIXTURE["batch_norm"]["x"])
    with pytest.warns(UserWarning, match="rms_scaling=True"):
        ln = layers.LayerNormalization(rms_scaling=True)
    assert_allclose(numpy_of(ln(x)), f["y_rms_scaling"], rtol=1e-5, atol=1e-5)
    assert [w.name for w in ln.weights] == f["rms_weight_names"]
    assert comparable_config(ln) == f["rms_config"]


@pytest.mark.parametrize("kwargs", [{}, {"axis": [1, 2]}, {"rms_scaling": True},
                                    {"center": False}, {"scale": False}])
def test_layer_norm_gradients_by_finite_differences(kwargs):
    x = np.random.default_rng(2).normal(size=(2, 3, 4))
    with pytest.warns(UserWarning) if kwargs.get("rms_scaling") else _no_warning():
        ln = layers.LayerNormalization(dtype="float64", **kwargs)
    ln.build(x.shape)
    for w in ln.trainable_weights:
        w.assign(np.random.default_rng(3).uniform(0.5, 1.5, w.shape))
    assert_layer_gradients(ln, x)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_layer_norm_round_trip_symbolic_and_errors():
    ln = layers.LayerNormalization(axis=(1, 2), epsilon=1e-4, beta_constraint="non_neg")
    clone = round_trip(ln)
    assert comparable_config(clone) == comparable_config(ln)
    assert layers.LayerNormalization()(bw.Input((5, 6))).shape == (None, 5, 6)
    with pytest.raises(ValueError, match=r"'ln'.*axis 3 is out of bounds"):
        layers.LayerNormalization(axis=3, name="ln")(bw.Input((5, 6)))
    with pytest.raises(TypeError, match="int or a list/tuple of ints"):
        layers.LayerNormalization(axis="last")
    assert layers.LayerNormalization().supports_masking


# -- GroupNormalization ------------------------------------------------------------


def test_group_norm_matches_keras():
    f = FIXTURE["group_norm"]
    gn = layers.GroupNormalization(groups=2)
    gn.build((2, 3, 6))
    gn.set_weights([A(f["gamma"]), A(f["beta"])])
    assert_allclose(numpy_of(gn(A(f["x"]))), f["y"], rtol=1e-5, atol=1e-5)
    gn_cf = layers.GroupNormalization(groups=2, axis=1)
    assert_allclose(numpy_of(gn_cf(A(f["x_channels_first"]))), f["y_channels_first"],
                    rtol=1e-5, atol=1e-5)
    instance = layers.GroupNormalization(groups=-1)
    assert_allclose(numpy_of(instance(A(f["x"]))), f["y_instance"], rtol=1e-5, atol=1e-5)
    assert instance.groups == 6
    assert comparable_config(layers.GroupNormalization()) == f["config"]


@pytest.mark.parametrize("axis", [-1, 1])
def test_group_norm_gradients_by_finite_differences(axis):
    x = np.random.default_rng(4).normal(size=(2, 4, 3, 4))
    gn = layers.GroupNormalization(groups=2, axis=axis, dtype="float64")
    gn.build(x.shape)
    gn.gamma.assign(np.linspace(0.5, 1.5, 4))
    gn.beta.assign(np.linspace(-1, 1, 4))
    assert_layer_gradients(gn, x)


def test_group_norm_errors_and_round_trip():
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=0)
    with pytest.raises(ValueError, match=r"'gn'.*channels \(6\) must be a multiple .* \(4\)"):
        layers.GroupNormalization(groups=4, name="gn")(bw.Input((3, 6)))
    with pytest.raises(ValueError, match=r"groups \(8\) cannot be more than .* channels \(6\)"):
        layers.GroupNormalization(groups=8)(bw.Input((3, 6)))
    gn = layers.GroupNormalization(groups=3, epsilon=1e-4, center=False)
    assert comparable_config(round_trip(gn)) == comparable_config(gn)
    assert layers.GroupNormalization(groups=3)(bw.Input((5, 6))).shape == (None, 5, 6)


# -- UnitNormalization -----------------------------------------------------------


def test_unit_norm_matches_keras_including_zero_vectors():
    f = FIXTURE["unit_norm"]
    x = A(f["x"])
    assert_allclose(numpy_of(layers.UnitNormalization()(x)), f["y_last"], rtol=1e-5, atol=1e-7)
    unit = layers.UnitNormalization(axis=[1, 2])
    assert_allclose(numpy_of(unit(x)), f["y_two_axes"], rtol=1e-5, atol=1e-7)
    assert comparable_config(unit) == f["config"]
    assert comparable_config(round_trip(unit)) == f["config"]


def test_unit_norm_gradients_and_errors():
    x = np.random.default_rng(5).normal(size=(2, 3, 4))
    assert_layer_gradients(layers.UnitNormalization(axis=[1, 2], dtype="float64"), x)
    with pytest.raises(TypeError, match="axis"):
        layers.UnitNormalization(axis=1.5)
    with pytest.raises(ValueError, match="out of bounds"):
        layers.UnitNormalization(axis=4)(bw.Input((3, 4)))
