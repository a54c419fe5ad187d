"""Embedding, Masking and Lambda against Keras 3's numbers and configs
(``fixtures/keras_normalization.json``), gradients, serialization and safe mode."""
import json
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import brickwork as bw
from brickwork import layers, ops
from brickwork.masks import get_keras_mask
from brickwork.saving import object_registration
from brickwork.saving.safe_mode import SafeModeScope
from brickwork.saving.serialization import deserialize_keras_object, serialize_keras_object

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "keras_normalization.json")
                     .read_text())


def numpy_of(x):
    return ops.convert_to_numpy(x)


def comparable_config(layer):
    config = json.loads(json.dumps(layer.get_config()))
    config.pop("name", None)
    return config


def round_trip(layer, **kwargs):
    return deserialize_keras_object(json.loads(json.dumps(serialize_keras_object(layer))),
                                    **kwargs)


# -- Embedding ------------------------------------------------------------------------


def test_embedding_lookup_and_mask_match_keras():
    f = FIXTURE["embedding"]
    emb = layers.Embedding(6, 3, mask_zero=True, weights=[np.array(f["table"], "float32")])
    out = emb(np.array(f["ids"]))
    assert_allclose(numpy_of(out), f["y"])
    assert_array_equal(numpy_of(get_keras_mask(out)), f["mask"])
    assert numpy_of(out).dtype == np.float32
    assert [w.name for w in emb.weights] == ["embeddings"] and emb.embeddings.shape == (6, 3)


def test_embedding_config_matches_keras_and_round_trips():
    f = FIXTURE["embedding"]
    assert comparable_config(layers.Embedding(10, 4)) == f["config"]
    assert comparable_config(layers.Embedding(10, 4, lora_rank=2, mask_zero=True)) == f["config_lora"]
    emb = layers.Embedding(7, 2, mask_zero=True, embeddings_regularizer="l2")
    clone = round_trip(emb)
    assert comparable_config(clone) == comparable_config(emb)
    assert clone.supports_masking and clone.mask_zero


def test_embedding_default_initializer_is_uniform_005():
    emb = layers.Embedding(200, 50)
    emb.build()
    values = emb.embeddings.numpy()
    assert values.min() >= -0.05 and values.max() <= 0.05 and values.std() > 0.02


def test_embedding_gradient_scatter_adds_repeated_indices():
    emb = layers.Embedding(5, 2, dtype="float64")
    emb.build()
    ids = np.array([[1, 3, 1], [0, 1, 4]])
    dy = np.arange(12, dtype="float64").reshape(2, 3, 2)
    with bw.GradientTape() as tape:
        loss = ops.sum(ops.multiply(emb(ids), dy))
    grad = numpy_of(tape.gradient(loss, emb.embeddings))
    expected = np.zeros((5, 2))
    np.add.at(expected, ids.reshape(-1), dy.reshape(-1, 2))
    assert_allclose(grad, expected)
    assert_allclose(grad[1], dy[0, 0] + dy[0, 2] + dy[1, 1])


def test_embedding_accepts_input_length_and_float_indices_and_symbolic_inputs():
    with pytest.warns(UserWarning, match="input_length"):
        emb = layers.Embedding(10, 3, input_length=4)
    out = emb(np.array([[1.0, 2.0]], "float32"))
    assert numpy_of(out).shape == (1, 2, 3)
    x = bw.Input((4,), dtype="int32")
    y = layers.Embedding(10, 3, mask_zero=True)(x)
    assert y.shape == (None, 4, 3)
    assert get_keras_mask(y).shape == (None, 4)
    assert get_keras_mask(layers.Embedding(10, 3)(x)) is None


def test_embedding_bad_arguments_and_indices():
    with pytest.raises(ValueError, match=r"`input_dim` must be a positive integer.*0"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim"):
        layers.Embedding(3, 2.5)
    emb = layers.Embedding(4, 2, name="words")
    with pytest.raises(ValueError, match=r"'words'.*\[0, input_dim=4\).*from 0 to 4"):
        emb(np.array([[0, 4]]))
    with pytest.raises(ValueError, match="from -1 to 1"):
        emb(np.array([[-1, 1]]))


def test_embedding_lora_trains_a_low_rank_update_and_saves_merged():
    emb = layers.Embedding(6, 4, lora_rank=2)
    emb.build()
    assert [w.name for w in emb.trainable_weights] == ["lora_embeddings_a", "lora_embeddings_b"]
    base = emb._embeddings.numpy().copy()
    emb.lora_embeddings_b.assign(np.ones((2, 4), "float32"))
    expected = base + emb.lora_embeddings_a.numpy() @ np.ones((2, 4))
    assert_allclose(numpy_of(emb(np.array([[0, 5]])))[0], expected[[0, 5]], rtol=1e-5)
    store = {}
    emb.save_own_variables(store)
    assert list(store) == ["0"]
    assert_allclose(store["0"], expected, rtol=1e-5)
    fresh = layers.Embedding(6, 4)
    fresh.build()
    fresh.load_own_variables(store)
    assert_allclose(fresh.embeddings.numpy(), expected, rtol=1e-5)


# -- Masking -------------------------------------------------------------------------------


def test_masking_zeroes_masked_steps_and_sets_mask_as_keras():
    f = FIXTURE["masking"]
    out = layers.Masking()(np.array(f["x"], "float32"))
    assert_allclose(numpy_of(out), f["y"])
    assert_array_equal(numpy_of(get_keras_mask(out)), f["mask"])
    out = layers.Masking(-1.0)(np.array(f["x_minus_one"], "float32"))
    assert_array_equal(numpy_of(get_keras_mask(out)), f["mask_minus_one"])
    assert comparable_config(layers.Masking(mask_value=-1.0)) == f["config"]
    assert comparable_config(round_trip(layers.Masking(mask_value=-1.0))) == f["config"]


def test_masking_gradient_passes_kept_steps_only():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
    x_var = bw.Variable(x, trainable=True)
    with bw.GradientTape() as tape:
        loss = ops.sum(layers.Masking(dtype="float64")(x_var))
    assert_allclose(numpy_of(tape.gradient(loss, x_var)), [[[1, 1], [0, 0], [1, 1]]])


def test_masking_symbolic_mask_shape():
    y = layers.Masking()(bw.Input((None, 3)))
    assert y.shape == (None, None, 3)
    assert get_keras_mask(y).shape == (None, None)


# -- Lambda ----------------------------------------------------------------------------------


def double(t):
    return ops.multiply(t, 2.0)


def test_lambda_calls_its_function_with_arguments_and_infers_shapes():
    scale = layers.Lambda(lambda t, factor: ops.multiply(t, factor), arguments={"factor": 3.0})
    assert_allclose(numpy_of(scale(np.ones((2, 2), "float32"))), 3 * np.ones((2, 2)))
    y = layers.Lambda(lambda t: ops.sum(t, axis=-1))(bw.Input((5, 4)))
    assert y.shape == (None, 5)
    fixed = layers.Lambda(double, output_shape=(4,))
    assert fixed(bw.Input((4,))).shape == (None, 4)
    assert fixed.compute_output_shape((None, 7)) == (None, 4)
    assert layers.Lambda(double, output_shape=lambda s: s[:1] + (9,)).compute_output_shape(
        (None, 2)) == (None, 9)


def test_lambda_receives_mask_and_training_and_produces_its_mask():
    seen = {}

    def fn(t, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return t
    ids = np.array([[1, 0]])
    emb = layers.Embedding(3, 2, mask_zero=True)
    with pytest.warns(UserWarning, match="does not support masking"):  # Keras 3 warns too
        out = layers.Lambda(fn)(emb(ids), training=True)
    assert_array_equal(numpy_of(seen["mask"]), [[True, False]]) and seen["training"] is True
    masked = layers.Lambda(double, mask=lambda inputs, mask: ops.greater(inputs[..., 0], 0))
    m = get_keras_mask(masked(np.array([[[1.0], [-1.0]]], "float32")))
    assert_array_equal(numpy_of(m), [[True, False]])
    assert out is not None and not layers.Lambda(double).supports_masking


def test_lambda_named_function_round_trips_through_registration():
    registered = object_registration.register_keras_serializable("tests")(double)
    layer = layers.Lambda(registered, output_shape=[4])
    config = layer.get_config()
    assert config["function"]["class_name"] == "function"
    assert config["output_shape"] == (4,) or config["output_shape"] == [4]
    clone = round_trip(layer)
    assert clone.function is double
    assert_allclose(numpy_of(clone(np.ones((1, 4), "float32"))), 2 * np.ones((1, 4)))


def scale_or_shift(t, mode, amount):
    return ops.multiply(t, amount) if mode == "mul" else ops.add(t, amount)


def test_lambda_arguments_holding_strings_round_trip():
    registered = object_registration.register_keras_serializable("tests")(scale_or_shift)
    layer = layers.Lambda(registered, arguments={"mode": "mul", "amount": 3.0})
    clone = round_trip(layer)
    assert clone.arguments == {"mode": "mul", "amount": 3.0}
    assert_allclose(numpy_of(clone(np.ones((1, 2), "float32"))), [[3.0, 3.0]])


def test_python_lambda_serializes_as_keras_and_loads_only_outside_safe_mode():
    offset = 5.0
    layer = layers.Lambda(lambda t, k=2.0: ops.add(ops.multiply(t, k), offset))
    config = serialize_keras_object(layer)
    function = config["config"]["function"]
    assert function["class_name"] == FIXTURE["lambda"]["config_lambda_class"] == "__lambda__"
    assert sorted(function["config"]) == FIXTURE["lambda"]["config_lambda_keys"]
    with pytest.raises(ValueError, match="safe_mode=False"):
        deserialize_keras_object(json.loads(json.dumps(config)))
    for loader in (lambda: round_trip(layer, safe_mode=False),
                   lambda: _in_scope(lambda: round_trip(layer))):
        clone = loader()
        assert_allclose(numpy_of(clone(np.ones((1, 2), "float32"))), [[7.0, 7.0]])
    with pytest.raises(ValueError, match="disallowed by default"):
        layers.Lambda.from_config(layer.get_config())


def _in_scope(fn):
    with SafeModeScope(False):
        return fn()


def test_lambda_rejects_non_callables():
    with pytest.raises(TypeError, match="must be callable"):
        layers.Lambda(3)
