"""Layer base-class semantics and the spine's core layers, against known values."""
import json
import pathlib

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, ops

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def keras_layer_configs():
    return json.loads((FIXTURES / "keras_configs.json").read_text())["layers"]


# -- Dense -----------------------------------------------------------------


def test_dense_matches_hand_computed_values():
    dense = layers.Dense(2, activation="relu")
    dense.build((None, 3))
    dense.set_weights([np.array([[1, -1], [2, 0], [0, 3]], "float32"), np.array([0.5, -4], "float32")])
    y = ops.convert_to_numpy(dense(np.array([[1, 2, 3], [-1, 0, 1]], "float32")))
    # x @ k + b = [[5.5, 4], [-0.5, 0]] -> relu
    np.testing.assert_allclose(y, [[5.5, 4.0], [0.0, 0.0]])


def test_dense_acts_on_last_axis_of_nd_input():
    dense = layers.Dense(4)
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    y = ops.convert_to_numpy(dense(x))
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(y, x @ kernel + bias, rtol=1e-5)
    assert y.shape == (2, 5, 4)


def test_dense_weight_layout_and_names():
    dense = layers.Dense(5, name="d")
    dense.build((None, 3))
    assert [w.shape for w in dense.weights] == [(3, 5), (5,)]
    assert [w.path for w in dense.weights] == ["d/kernel", "d/bias"]
    assert dense.count_params() == 20


def test_dense_non_fusable_activation_applies_after_bias():
    dense = layers.Dense(3, activation="silu")
    x = np.linspace(-2, 2, 12, dtype="float32").reshape(4, 3)
    dense.build((None, 3))
    kernel, bias = dense.get_weights()
    pre = x @ kernel + bias
    np.testing.assert_allclose(ops.convert_to_numpy(dense(x)), pre / (1 + np.exp(-pre)), rtol=1e-5)


def test_dense_rejects_bad_units_and_wrong_input_width():
    with pytest.raises(ValueError, match="units"):
        layers.Dense(0)
    dense = layers.Dense(2, name="head")
    dense(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match="head.*axis -1.*value 3.*shape \\(1, 4\\)"):
        dense(np.zeros((1, 4), "float32"))
    with pytest.raises(ValueError, match="head.*min_ndim=2"):
        layers.Dense(2, name="head")(np.zeros((3,), "float32"))


def test_dense_rejects_non_numeric_input():
    with pytest.raises(TypeError, match="'head'.*Dense.*dtype <U1.*numeric.*\\(1, 2\\)"):
        layers.Dense(2, name="head")(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="complex128"):
        layers.Dense(2)(np.array([[1 + 2j, 2]]))


def test_dense_config_equals_keras():
    expected = keras_layer_configs()
    assert layers.Dense(4).get_config() == expected["Dense(4)"]
    got = layers.Dense(4, activation="relu", use_bias=False, name="d").get_config()
    assert got == expected['Dense(4, activation="relu", use_bias=False, name="d")']


def test_core_layer_configs_equal_keras():
    expected = keras_layer_configs()
    assert layers.Dropout(0.5, name="dropout").get_config() == expected["Dropout(0.5)"]
    assert layers.Dropout(0.2, noise_shape=(None, 1), seed=3, name="dropout_1").get_config() == \
        expected["Dropout(0.2, noise_shape=(None,1), seed=3)"]
    assert layers.Flatten().get_config() == expected["Flatten()"]
    assert layers.Reshape((2, -1)).get_config() == expected["Reshape((2,-1))"]
    assert layers.Activation("tanh").get_config() == expected['Activation("tanh")']
    assert layers.InputLayer(shape=(3,)).get_config() == expected["InputLayer(shape=(3,))"]


@pytest.mark.parametrize("make", [
    lambda: layers.Dense(3, activation="tanh", use_bias=False, kernel_initializer="he_normal"),
    lambda: layers.Dropout(0.3, noise_shape=(None, 1), seed=7),
    lambda: layers.Flatten(data_format="channels_first"),
    lambda: layers.Reshape((3, -1)),
    lambda: layers.Activation("sigmoid"),
])
def test_from_config_round_trip(make):
    layer = make()
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


# -- weights ---------------------------------------------------------------


def test_set_weights_count_mismatch_is_clear_and_changes_nothing():
    dense = layers.Dense(2, name="dense_a")
    dense.build((None, 3))
    before = dense.get_weights()
    with pytest.raises(ValueError, match="dense_a.*length 1.*expecting 2"):
        dense.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"dense_a.*\(2,\).*\(3,\)"):
        dense.set_weights([np.ones((3, 2)), np.ones(3)])
    for old, new in zip(before, dense.get_weights()):
        np.testing.assert_array_equal(old, new)  # the valid first array was not applied


def test_freezing_moves_weights_to_non_trainable():
    dense = layers.Dense(2)
    dense.build((None, 3))
    dense.trainable = False
    assert dense.trainable_weights == []
    assert len(dense.non_trainable_weights) == 2
    dense.trainable = True
    assert len(dense.trainable_weights) == 2


def test_count_params_before_build_raises():
    with pytest.raises(ValueError, match="isn't built"):
        layers.Dense(2, name="x").count_params()


def test_add_weight_name_must_be_keyword_and_unknown_kwargs_rejected():
    class Custom(layers.Layer):
        def build(self, input_shape):
            self.add_weight("w", (2,))

    with pytest.raises(ValueError, match="keyword"):
        Custom()(np.zeros((1, 2), "float32"))
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense"):
        layers.Dense(2, bogus=1)


def test_forgetting_super_init_is_reported():
    class Broken(layers.Layer):
        def __init__(self):
            self.w = bw.Variable(np.zeros(2, "float32"))

    with pytest.raises(RuntimeError, match="super\\(\\).__init__"):
        Broken()


# -- Dropout ---------------------------------------------------------------


def test_dropout_is_identity_at_inference_and_scales_in_training():
    x = np.ones((200, 50), "float32")
    drop = layers.Dropout(0.4, seed=1)
    np.testing.assert_array_equal(ops.convert_to_numpy(drop(x)), x)
    y = ops.convert_to_numpy(drop(x, training=True))
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.6)}
    assert abs((y == 0).mean() - 0.4) < 0.03


def test_dropout_noise_shape_shares_the_mask():
    y = ops.convert_to_numpy(layers.Dropout(0.5, noise_shape=(None, 1), seed=3)(
        np.ones((64, 10), "float32"), training=True))
    assert all(len(set(row)) == 1 for row in y)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5"])
def test_dropout_rejects_rates_outside_unit_interval(rate):
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(rate)


def test_dropout_seed_reproduces():
    x = np.ones((10, 10), "float32")
    a = ops.convert_to_numpy(layers.Dropout(0.5, seed=42)(x, training=True))
    b = ops.convert_to_numpy(layers.Dropout(0.5, seed=42)(x, training=True))
    np.testing.assert_array_equal(a, b)


# -- reshaping -------------------------------------------------------------


def test_flatten_of_batch_vector_gives_one_column():
    assert ops.shape(layers.Flatten()(np.arange(4, dtype="float32"))) == (4, 1)


def test_flatten_channels_first_moves_channels_last():
    x = np.arange(2 * 3 * 2 * 2, dtype="float32").reshape(2, 3, 2, 2)
    y = ops.convert_to_numpy(layers.Flatten(data_format="channels_first")(x))
    np.testing.assert_array_equal(y, x.transpose(0, 2, 3, 1).reshape(2, -1))


def test_reshape_infers_minus_one_and_reports_mismatch():
    assert ops.shape(layers.Reshape((2, -1))(np.zeros((3, 6), "float32"))) == (3, 2, 3)
    with pytest.raises(ValueError, match="cannot reshape.*\\(3, 7\\)"):
        layers.Reshape((2, -1), name="r")(np.zeros((3, 7), "float32"))
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((-1, -1))


def test_symbolic_shapes():
    x = bw.Input((4, 6))
    assert layers.Flatten()(x).shape == (None, 24)
    assert layers.Reshape((-1, 3))(x).shape == (None, 8, 3)
    assert layers.Dense(5)(x).shape == (None, 4, 5)


# -- graph connectivity ----------------------------------------------------


def test_shared_layer_node_accessors():
    shared = layers.Dense(3)
    a, b = bw.Input((4,)), bw.Input((4,))
    out_a, out_b = shared(a), shared(b)
    assert shared.get_input_at(0) is a and shared.get_input_at(1) is b
    assert shared.get_output_at(1) is out_b
    assert shared.get_input_shape_at(1) == (None, 4)
    assert shared.get_output_shape_at(0) == (None, 3)
    assert shared.input_shape == (None, 4) and shared.output_shape == (None, 3)
    assert shared.input is a and shared.output is out_a
    with pytest.raises(ValueError, match="only 2 inbound nodes"):
        shared.get_input_at(2)


def test_unconnected_layer_has_no_input():
    with pytest.raises(AttributeError, match="not connected"):
        layers.Dense(2).input


def test_shape_inference_for_custom_layer_without_compute_output_shape():
    class Double(layers.Layer):
        def call(self, x):
            return ops.concatenate([x, x], axis=-1)

    assert Double()(bw.Input((None, 3))).shape == (None, None, 6)


def test_build_receives_each_call_argument_shape_and_argument_masks():
    seen = {}

    class Pair(layers.Layer):
        def build(self, query_shape, value_shape):
            seen["shapes"] = (query_shape, value_shape)

        def call(self, query, value, query_mask=None, value_mask=None):
            seen["masks"] = (query_mask, value_mask)
            return ops.add(query, ops.mean(value, axis=1, keepdims=True))

    layer = Pair()
    q, v = bw.Input((4, 3)), bw.Input((6, 3))
    assert layer(q, v).shape == (None, 4, 3)
    assert seen["shapes"] == ((None, 4, 3), (None, 6, 3))
    assert layer.get_build_config() == {"shapes_dict": {"query_shape": [None, 4, 3],
                                                        "value_shape": [None, 6, 3]}}
    value = np.ones((2, 6, 3), "float32")
    mask = np.array([[True] * 6, [True, False] * 3])
    from brickwork.masks import set_keras_mask
    set_keras_mask(value, mask)
    layer(np.ones((2, 4, 3), "float32"), value)
    assert seen["masks"][0] is None and seen["masks"][1] is mask
    clone = Pair.from_config(layer.get_config())
    clone.build_from_config(layer.get_build_config())
    assert clone.built and seen["shapes"] == ((None, 4, 3), (None, 6, 3))


def test_weights_are_c_contiguous_whatever_the_initializer_returns():
    layer = layers.Dense(8, kernel_initializer="orthogonal")
    layer.build((None, 3))
    assert layer.kernel.value.flags["C_CONTIGUOUS"]
    assert bw.Variable(np.asfortranarray(np.ones((3, 4)))).value.flags["C_CONTIGUOUS"]
