"""Initializers: configs as Keras 3.15 writes them, distribution statistics on
large shapes, seeded reproducibility, orthogonality, fans and identifiers."""
from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork
from brickwork import initializers as I
from brickwork import layers

# keras.initializers.X().get_config() in Keras 3.15.1 (key order included).
KERAS_CONFIGS = {
    "Zeros": {}, "Ones": {}, "Constant": {"value": 0.0},
    "RandomNormal": {"seed": None, "mean": 0.0, "stddev": 0.05},
    "TruncatedNormal": {"seed": None, "mean": 0.0, "stddev": 0.05},
    "RandomUniform": {"seed": None, "minval": -0.05, "maxval": 0.05},
    "VarianceScaling": {"seed": None, "scale": 1.0, "mode": "fan_in",
                        "distribution": "truncated_normal", "input_axes": None,
                        "output_axes": None},
    "GlorotUniform": {"seed": None, "input_axes": None, "output_axes": None},
    "GlorotNormal": {"seed": None, "input_axes": None, "output_axes": None},
    "HeUniform": {"seed": None, "input_axes": None, "output_axes": None},
    "HeNormal": {"seed": None, "input_axes": None, "output_axes": None},
    "LecunUniform": {"seed": None, "input_axes": None, "output_axes": None},
    "LecunNormal": {"seed": None, "input_axes": None, "output_axes": None},
    "Orthogonal": {"seed": None, "gain": 1.0},
    "Identity": {},
}


@pytest.mark.parametrize("name", sorted(KERAS_CONFIGS))
def test_default_config_matches_keras(name):
    config = getattr(I, name)().get_config()
    assert config == KERAS_CONFIGS[name]
    assert list(config) == list(KERAS_CONFIGS[name])
    serialized = I.serialize(getattr(I, name)())
    assert (serialized["module"], serialized["class_name"]) == ("keras.initializers", name)


ROUND_TRIP = [I.Constant(2.5), I.RandomNormal(1.0, 2.0, seed=3), I.TruncatedNormal(stddev=0.3, seed=4),
              I.RandomUniform(-1.0, 2.0, seed=5),
              I.VarianceScaling(3.0, "fan_out", "uniform", seed=6, input_axes=[0], output_axes=[1]),
              I.GlorotUniform(seed=7), I.HeNormal(seed=8, input_axes=[0, 1], output_axes=[2]),
              I.Orthogonal(gain=2.0, seed=9), I.Identity(gain=3.0)]


@pytest.mark.parametrize("initializer", ROUND_TRIP, ids=lambda i: type(i).__name__)
def test_config_round_trip_reproduces_values(initializer):
    rebuilt = I.deserialize(I.serialize(initializer))
    assert type(rebuilt) is type(initializer)
    assert rebuilt.get_config() == initializer.get_config()
    shape = (4, 3, 2)[:3 if isinstance(initializer, I.VarianceScaling) else 2]
    np.testing.assert_array_equal(rebuilt(shape), initializer(shape))
    np.testing.assert_array_equal(initializer.clone()(shape), initializer(shape))


BIG = (400, 500)  # fan_in 400, fan_out 500, fan_avg 450


def check_uniform(values, limit, rtol=0.01):
    assert values.min() >= -limit and values.max() <= limit
    assert values.min() < -0.99 * limit and values.max() > 0.99 * limit
    assert abs(values.mean()) < 0.01 * limit
    assert_allclose(values.std(), limit / math.sqrt(3), rtol=rtol)


def check_truncated(values, stddev_target, mean=0.0, bound=None):
    """Truncated at two standard deviations of the underlying normal (``bound``)."""
    assert abs(values.mean() - mean) < 0.01 * stddev_target + 1e-12
    assert_allclose(values.std(), stddev_target, rtol=0.01)
    if bound is not None:
        assert np.all(np.abs(values - mean) <= bound)


@pytest.mark.parametrize("cls,scale,fan", [
    (I.GlorotUniform, 1.0, 450), (I.HeUniform, 2.0, 400), (I.LecunUniform, 1.0, 400)])
def test_uniform_presets(cls, scale, fan):
    values = cls(seed=1)(BIG)
    assert values.dtype == np.float32
    check_uniform(values.astype(np.float64), math.sqrt(3 * scale / fan))


@pytest.mark.parametrize("cls,scale,fan", [
    (I.GlorotNormal, 1.0, 450), (I.HeNormal, 2.0, 400), (I.LecunNormal, 1.0, 400)])
def test_truncated_normal_presets_keep_the_variance(cls, scale, fan):
    values = cls(seed=2)(BIG).astype(np.float64)
    stddev = math.sqrt(scale / fan)
    # The draw is truncated at 2 sigma of a normal whose sigma is stddev / 0.8796...
    check_truncated(values, stddev, bound=2 * stddev / 0.87962566103423978 + 1e-7)


def test_variance_scaling_modes_and_distributions():
    values = I.VarianceScaling(2.0, "fan_out", "untruncated_normal", seed=3)(BIG)
    assert_allclose(values.std(), math.sqrt(2.0 / 500), rtol=0.01)
    assert np.abs(values).max() > 3 * math.sqrt(2.0 / 500)  # untruncated tails
    conv = I.VarianceScaling(1.0, "fan_avg", "uniform", seed=3)((3, 3, 60, 80))
    check_uniform(conv.astype(np.float64), math.sqrt(3.0 / ((9 * 60 + 9 * 80) / 2)), rtol=0.02)
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"


def test_random_normal_uniform_and_truncated_normal():
    normal = I.RandomNormal(mean=1.0, stddev=0.5, seed=4)(BIG).astype(np.float64)
    assert abs(normal.mean() - 1.0) < 0.005
    assert_allclose(normal.std(), 0.5, rtol=0.01)
    uniform = I.RandomUniform(-2.0, 1.0, seed=4)(BIG).astype(np.float64)
    assert uniform.min() >= -2.0 and uniform.max() <= 1.0
    assert abs(uniform.mean() + 0.5) < 0.01
    truncated = I.TruncatedNormal(mean=0.5, stddev=0.2, seed=4)(BIG).astype(np.float64)
    assert np.all(np.abs(truncated - 0.5) <= 0.4 + 1e-7)
    # A standard normal truncated at +-2 has standard deviation 0.8796...
    assert_allclose(truncated.std(), 0.2 * 0.87962566103423978, rtol=0.01)


def test_fans_with_input_and_output_axes():
    assert I.compute_fans((3, 3, 8, 16)) == (72, 144)
    assert I.compute_fans((5,)) == (5, 5) and I.compute_fans(()) == (1, 1)
    assert I.compute_fans((4, 6, 10), input_axes=[0], output_axes=[1, 2]) == (4, 60)
    values = I.GlorotUniform(seed=0, input_axes=[0], output_axes=[1, 2])((40, 6, 10))
    limit = math.sqrt(6.0 / (40 + 60))
    assert values.max() <= limit and values.max() > 0.99 * limit


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (2, 3, 5), (7, 7)])
def test_orthogonal(shape):
    values = I.Orthogonal(gain=1.5, seed=5)(shape, dtype="float64")
    flat = values.reshape(-1, shape[-1])
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    assert_allclose(gram, 2.25 * np.eye(min(flat.shape)), atol=1e-12)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        I.Orthogonal()((5,))


def test_constant_zeros_ones_identity():
    assert_allclose(I.Constant(2.5)((2, 3)), np.full((2, 3), 2.5))
    assert I.Zeros()((2,), dtype="float64").dtype == np.float64
    assert_allclose(I.Ones()((3,)), [1, 1, 1])
    assert_allclose(I.Identity(gain=2.0)((2, 3)), [[2, 0, 0], [0, 2, 0]])
    with pytest.raises(ValueError, match="only be used for 2D matrices"):
        I.Identity()((2, 2, 2))


@pytest.mark.parametrize("cls", [I.RandomNormal, I.RandomUniform, I.TruncatedNormal,
                                 I.VarianceScaling, I.GlorotUniform, I.GlorotNormal,
                                 I.HeUniform, I.HeNormal, I.LecunUniform, I.LecunNormal,
                                 I.Orthogonal])
def test_seeds_make_draws_reproducible(cls):
    np.testing.assert_array_equal(cls(seed=11)((8, 6)), cls(seed=11)((8, 6)))
    assert not np.array_equal(cls(seed=11)((8, 6)), cls(seed=12)((8, 6)))
    brickwork.utils.set_random_seed(3)
    first = cls()((8, 6))
    brickwork.utils.set_random_seed(3)
    np.testing.assert_array_equal(cls()((8, 6)), first)
    with pytest.raises(ValueError, match="seed"):
        cls(seed="x")


def test_seeded_layers_are_reproducible():
    def build():
        layer = layers.Dense(5, kernel_initializer=I.GlorotUniform(seed=1))
        layer.build((None, 4))
        return layer.kernel.numpy()
    np.testing.assert_array_equal(build(), build())


def test_get_accepts_keras_identifiers():
    for name, cls in (("glorot_uniform", I.GlorotUniform), ("GlorotUniform", I.GlorotUniform),
                      ("uniform", I.RandomUniform), ("normal", I.RandomNormal),
                      ("zero", I.Zeros), ("one", I.Ones), ("he_normal", I.HeNormal),
                      ("variance_scaling", I.VarianceScaling), ("orthogonal", I.Orthogonal),
                      ("OrthogonalInitializer", I.Orthogonal),
                      ("IdentityInitializer", I.Identity), ("truncated_normal", I.TruncatedNormal)):
        assert type(I.get(name)) is cls, name
    assert type(I.get({"class_name": "Ones", "config": {}})) is I.Ones
    assert type(I.get(I.Zeros)) is I.Zeros
    given = np.arange(6.0).reshape(2, 3)
    assert_allclose(I.get(given)((2, 3), dtype="float32"), given)
    with pytest.raises(ValueError, match="shape must match"):
        I.get(given)((3, 2))
    with pytest.raises(ValueError, match="Could not interpret"):
        I.get("no_such_initializer")


def test_bad_variance_scaling_arguments():
    with pytest.raises(ValueError, match="`scale` must be positive"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="Invalid `mode`"):
        I.VarianceScaling(mode="fan_max")
    with pytest.raises(ValueError, match="Invalid `distribution`"):
        I.VarianceScaling(distribution="cauchy")
