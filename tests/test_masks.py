"""Mask propagation as in Keras 3: producers (Embedding(mask_zero=True),
Masking, compute_mask), pass-through layers (supports_masking), consumers
(``call(..., mask=None)``), eager calls, Sequential and functional models."""
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import brickwork as bw
from brickwork import layers, ops
from brickwork.masks import get_keras_mask, set_keras_mask

IDS = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
MASK = IDS != 0


class MaskRecorder(layers.Layer):
    """A consumer: keeps the mask its call received, returns its input."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.received = []

    def call(self, inputs, mask=None):
        self.received.append(None if mask is None else ops.convert_to_numpy(mask))
        return inputs


class MaskedMean(layers.Layer):
    """A consumer that ends the mask: a masked mean over time. As Keras'
    consumers (GlobalAveragePooling1D, RNN), it supports masking and its
    ``compute_mask`` returns None."""

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.expand_dims(ops.cast(mask, "float32"), -1)
        return ops.divide(ops.sum(ops.multiply(inputs, weights), axis=1),
                          ops.sum(weights, axis=1))


def mask_of(x):
    m = get_keras_mask(x)
    return None if m is None else ops.convert_to_numpy(m)


def test_eager_mask_flows_through_pass_through_layers_to_a_consumer():
    recorder = MaskRecorder()
    x = layers.Embedding(5, 3, mask_zero=True)(IDS)
    x = layers.Dense(4)(x)
    x = layers.Dropout(0.5)(x, training=True)
    x = layers.LayerNormalization()(x)
    out = recorder(x)
    assert_array_equal(recorder.received[0], MASK)
    assert_array_equal(mask_of(out), MASK)


def test_sequential_propagates_masks_and_consumer_gets_them():
    recorder = MaskRecorder()
    model = bw.Sequential([bw.Input((4,), dtype="int32"), layers.Embedding(5, 3, mask_zero=True),
                           layers.Dense(2), recorder])
    recorder.received.clear()
    out = model(IDS)
    assert_array_equal(recorder.received[-1], MASK)
    assert_array_equal(mask_of(out), MASK)


def test_functional_model_propagates_masks_with_branches():
    recorder = MaskRecorder()
    inputs = bw.Input((4,), dtype="int32")
    embedded = layers.Embedding(5, 3, mask_zero=True)(inputs)
    branch = layers.Dense(3)(embedded)
    pooled = MaskedMean()(recorder(branch))
    model = bw.Model(inputs, [pooled, branch])
    assert get_keras_mask(branch).shape == (None, 4)
    assert get_keras_mask(pooled) is None
    recorder.received.clear()
    pooled_value, branch_value = model(IDS)
    assert_array_equal(recorder.received[-1], MASK)
    assert_array_equal(mask_of(branch_value), MASK)
    # The masked mean ignores padded steps.
    b = ops.convert_to_numpy(branch_value)
    np.testing.assert_allclose(ops.convert_to_numpy(pooled_value)[1], b[1, 0], rtol=1e-6)


def test_masking_layer_feeds_a_consumer_in_a_model():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 4.0]]], "float32")
    model = bw.Sequential([bw.Input((3, 2)), layers.Masking(), MaskedMean()])
    np.testing.assert_allclose(ops.convert_to_numpy(model(x)), [[2.0, 3.0]])


def test_explicit_mask_argument_of_models_reaches_layers_and_spares_the_callers_array():
    recorder = MaskRecorder()
    inputs = bw.Input((4, 3))
    model = bw.Model(inputs, recorder(layers.Dense(3)(inputs)))
    x = np.ones((2, 4, 3), "float32")
    recorder.received.clear()
    # Models do not support masking themselves, so Keras 3 warns here too.
    with pytest.warns(UserWarning, match="'functional'.*does not support masking"):
        model(x, mask=MASK)
    assert_array_equal(recorder.received[-1], MASK)
    assert get_keras_mask(x) is None  # the caller's array carries no mask afterwards
    seq = bw.Sequential([bw.Input((4, 3)), recorder])
    with pytest.warns(UserWarning, match="does not support masking"):
        seq(x, mask=MASK)
    assert_array_equal(recorder.received[-1], MASK)
    assert get_keras_mask(x) is None


def test_a_mask_passed_explicitly_wins_over_the_attached_one():
    recorder = MaskRecorder()
    x = layers.Embedding(5, 3, mask_zero=True)(IDS)
    other = np.ones_like(MASK)
    recorder(x, mask=other)
    assert_array_equal(recorder.received[-1], other)


def test_layer_without_mask_support_warns_and_drops_the_mask():
    x = layers.Embedding(5, 3, mask_zero=True)(IDS)
    with pytest.warns(UserWarning, match=r"'flatten'.*does not support masking.*destroy"):
        out = layers.Flatten(name="flatten")(x)
    assert get_keras_mask(out) is None
    symbolic = layers.Embedding(5, 3, mask_zero=True)(bw.Input((4,), dtype="int32"))
    with pytest.warns(UserWarning, match="does not support masking"):
        flat = layers.Flatten()(symbolic)
    assert get_keras_mask(flat) is None


def test_passing_mask_to_a_layer_whose_call_takes_none_is_an_error():
    with pytest.raises(TypeError, match=r"'flat'.*`mask` argument.*takes no `mask`"):
        layers.Flatten(name="flat")(np.ones((2, 3, 4), "float32"), mask=MASK[:, :3])
    out = layers.Dense(2)(np.ones((2, 3), "float32"), mask=None)  # None is harmless
    assert ops.convert_to_numpy(out).shape == (2, 2)


def test_consumers_that_end_the_mask_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = MaskedMean()(layers.Embedding(5, 3, mask_zero=True)(IDS))
    assert get_keras_mask(out) is None


def test_no_warning_without_masks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.Flatten()(np.ones((2, 3, 4), "float32"))
        model = bw.Sequential([bw.Input((3, 4)), layers.Flatten(), layers.Dense(2)])
        model(np.ones((2, 3, 4), "float32"))


def test_custom_compute_mask_producer_and_symbolic_mask_shape():
    class KeepPositive(layers.Layer):
        def call(self, inputs):
            return ops.multiply(inputs, 2.0)

        def compute_mask(self, inputs, previous_mask=None):
            return ops.greater(inputs[..., 0], 0)

    layer = KeepPositive()
    assert layer.supports_masking
    out = layer(np.array([[[1.0], [-1.0]]], "float32"))
    assert_array_equal(mask_of(out), [[True, False]])
    symbolic = layer(bw.Input((None, 1)))
    assert get_keras_mask(symbolic).shape == (None, None)


def test_masks_ride_on_tape_tensors_and_gradients_still_flow():
    emb = layers.Embedding(5, 3, mask_zero=True)
    dense = layers.Dense(1)
    with bw.GradientTape() as tape:
        out = MaskedMean()(dense(emb(IDS)))
        loss = ops.sum(out)
    grads = tape.gradient(loss, emb.trainable_weights + dense.trainable_weights)
    assert all(g is not None for g in grads)
    table_grad = ops.convert_to_numpy(grads[0])
    assert np.all(table_grad[4] == 0) and np.all(table_grad[0] == 0)  # unused and masked rows


def test_side_table_entries_die_with_their_arrays():
    from brickwork import masks
    before = len(masks._side_table)
    a = np.zeros(3)
    set_keras_mask(a, np.ones(3, bool))
    assert get_keras_mask(a) is not None and len(masks._side_table) == before + 1
    del a
    assert len(masks._side_table) == before
    set_keras_mask(1.5, np.ones(1, bool))  # a Python scalar keeps no mask, silently
    assert get_keras_mask(1.5) is None


def test_batch_norm_uses_the_mask_in_a_model():
    inputs = bw.Input((4,), dtype="int32")
    x = layers.Embedding(5, 2, mask_zero=True,
                         weights=[np.arange(10, dtype="float32").reshape(5, 2)])(inputs)
    bn = layers.BatchNormalization(momentum=0.0, center=False, scale=False)
    model = bw.Model(inputs, bn(x))
    model(IDS, training=True)
    # Only the three unpadded steps (ids 1, 2, 3) count: rows [2,3], [4,5], [6,7].
    np.testing.assert_allclose(bn.moving_mean.numpy(), [4.0, 5.0], rtol=1e-5)
