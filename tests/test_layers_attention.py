"""Attention, MultiHeadAttention and EinsumDense against Keras 3 (outputs,
attention scores and gradients with fixed weights), finite differences,
masks, weight layouts, configs and symbolic use."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
from brickwork import GradientTape, Variable, layers, ops
from layer_testing import (as_json, assert_config_matches_keras, case_arrays,
                           check_layer_gradients, keras_reference, numpy_of)

OUT = dict(rtol=1e-4, atol=2e-5)


def keras_case(name):
    meta = keras_reference()[0][name]
    arrays = keras_reference()[2]
    kwargs = dict(meta["kwargs"])
    for key in meta["array_kwargs"]:
        kwargs[key] = arrays[f"{name}/kw/{key}"]
    for key in ("query_mask", "value_mask"):
        if f"{name}/kw/{key}" in arrays:
            kwargs[key] = arrays[f"{name}/kw/{key}"]
    return meta, case_arrays(name, "in", meta["n_inputs"]), kwargs


MHA_CASES = ["mha_cross", "mha_key_value_dim_output_shape", "mha_self_causal",
             "mha_attention_mask", "mha_query_value_masks", "mha_attention_axes"]


@pytest.mark.parametrize("name", MHA_CASES)
def test_multi_head_attention_matches_keras(backend_name, name):
    meta, inputs, kwargs = keras_case(name)
    layer = layers.MultiHeadAttention.from_config(meta["config"])
    layer(*inputs, **kwargs)
    # Same weights in the same order, under the same names.
    # Paths start with the layer's own name, as Keras's; its automatic number differs.
    assert all(w.path.startswith(layer.name + "/") for w in layer.weights)
    assert [w.path.split("/", 1)[1] for w in layer.weights] == [
        p.split("/", 1)[1] for p in meta["weight_paths"]]
    layer.set_weights(case_arrays(name, "w", meta["n_weights"]))
    outputs = layer(*inputs, **kwargs)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    for got, want in zip(outputs, case_arrays(name, "out", meta["n_outputs"])):
        assert_allclose(numpy_of(got), want, **OUT)
    probe = keras_reference()[2][f"{name}/probe"]
    sources = [Variable(x) for x in inputs]
    with GradientTape() as tape:
        out = layer(*sources, **kwargs)
        out = out[0] if isinstance(out, tuple) else out
        loss = ops.sum(ops.multiply(out, probe))
    grads = tape.gradient(loss, sources + layer.trainable_weights)
    expected = case_arrays(name, "grad_in", len(inputs)) + case_arrays(name, "grad_w",
                                                                       meta["n_weights"])
    for got, want in zip(grads, expected):
        assert_allclose(numpy_of(got) if got is not None else np.zeros_like(want), want,
                        rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, make", [
    ("einsum_dense_3d", lambda: layers.EinsumDense("abc,cde->abde", (3, 4, 2), bias_axes="de",
                                                   activation="tanh")),
    ("einsum_dense_ellipsis", lambda: layers.EinsumDense("...b,bc->...c", 3, bias_axes="c")),
    ("einsum_dense_right_ellipsis",
     lambda: layers.EinsumDense("ab...,bc->ac...", (3, 4), bias_axes="c")),
])
def test_einsum_dense_matches_keras(backend_name, name, make):
    meta, (x,), _ = keras_case(name)
    layer = make()
    layer(x)
    assert [w.shape for w in layer.weights] == [w.shape for w in case_arrays(name, "w", 2)]
    layer.set_weights(case_arrays(name, "w", 2))
    assert_allclose(numpy_of(layer(x)), case_arrays(name, "out", 1)[0], **OUT)
    if f"{name}/probe" in keras_reference()[2]:
        source = Variable(x)
        with GradientTape() as tape:
            loss = ops.sum(ops.multiply(layer(source), keras_reference()[2][f"{name}/probe"]))
        grads = tape.gradient(loss, [source] + layer.trainable_weights)
        expected = case_arrays(name, "grad_in", 1) + case_arrays(name, "grad_w", 2)
        for got, want in zip(grads, expected):
            assert_allclose(numpy_of(got), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, make", [
    ("attention_dot", lambda: layers.Attention()),
    ("attention_scaled_concat_key", lambda: layers.Attention(use_scale=True, score_mode="concat")),
    ("attention_masks_causal", lambda: layers.Attention(use_scale=True)),
])
def test_attention_matches_keras(backend_name, name, make):
    meta, inputs, kwargs = keras_case(name)
    if "query_mask" in kwargs:
        kwargs["mask"] = [kwargs.pop("query_mask"), kwargs.pop("value_mask")]
    layer = make()
    layer(inputs, **kwargs)
    weights = case_arrays(name, "w", meta["n_weights"])
    layer.set_weights([w * 0 + np.float32(0.75) for w in weights])  # any value: check it is used
    layer.set_weights(weights)
    output, scores = layer(inputs, **kwargs)
    assert_allclose(numpy_of(output), case_arrays(name, "out", 2)[0], **OUT)
    assert_allclose(numpy_of(scores), case_arrays(name, "out", 2)[1], **OUT)


def test_attention_hand_computed():
    query = np.array([[[1.0, 0.0]]], "float32")
    value = np.array([[[1.0, 0.0], [0.0, 1.0]]], "float32")
    output, scores = layers.Attention()([query, value], return_attention_scores=True)
    weights = np.exp([1.0, 0.0]) / np.exp([1.0, 0.0]).sum()
    assert_allclose(numpy_of(scores), [[weights]], rtol=1e-6)
    assert_allclose(numpy_of(output), [[weights]], rtol=1e-6)
    masked = layers.Attention()([query, value], mask=[None, np.array([[False, True]])])
    assert_allclose(numpy_of(masked), [[[0.0, 1.0]]], atol=1e-7)


def small_mha(**kwargs):
    return layers.MultiHeadAttention(2, 2, dtype="float64", kernel_initializer="random_normal",
                                     bias_initializer="random_normal", **kwargs)


@pytest.mark.parametrize("make, call", [
    (small_mha, lambda layer, q, v: layer(q, v)),
    (lambda: small_mha(value_dim=2, output_shape=(2, 2), use_gate=True),
     lambda layer, q, v: layer(q, v, use_causal_mask=True)),
    (small_mha, lambda layer, q, v: layer(q, v, key=v, value_mask=np.array([[1, 1, 0]]),
                                          return_attention_scores=True)),
])
def test_multi_head_attention_gradients(backend_name, make, call, rng):
    check_layer_gradients(make(), [rng.normal(size=(1, 3, 3)), rng.normal(size=(1, 3, 2))], rng,
                          call=call)


@pytest.mark.parametrize("make", [
    lambda: layers.Attention(dtype="float64"),
    lambda: layers.Attention(use_scale=True, score_mode="concat", dtype="float64"),
])
def test_attention_gradients(backend_name, make, rng):
    mask = [np.array([[1, 1, 0]] * 2, bool), np.array([[1, 0, 1, 1]] * 2, bool)]
    layer = make()
    check_layer_gradients(layer, [rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 4))], rng,
                          call=lambda layer, q, v: layer([q, v], mask=mask, use_causal_mask=True))
    if layer.scale is not None:
        layer.scale.assign(np.float64(1.3))
        check_layer_gradients(layer, [rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 4))],
                              rng, call=lambda layer, q, v: layer([q, v]))


def test_einsum_dense_gradients(backend_name, rng):
    layer = layers.EinsumDense("abc,cde->abde", (3, 2, 2), bias_axes="e", activation="tanh",
                               bias_initializer="random_normal", dtype="float64")
    check_layer_gradients(layer, [rng.normal(size=(2, 3, 4))], rng)


def test_einsum_op_matches_numpy(backend_name, rng):
    cases = [("ij,jk->ik", [(3, 4), (4, 5)]), ("aecd,abcd->acbe", [(2, 5, 3, 4), (2, 6, 3, 4)]),
             ("...b,bc->...c", [(2, 3, 4), (4, 5)]), ("ij->ji", [(2, 3)]), ("ij->i", [(2, 3)]),
             ("i,j->ij", [(2,), (3,)]), ("ij,ij->", [(2, 3), (2, 3)]), ("ij,kj", [(2, 3), (4, 3)]),
             ("...ij,...jk->...ik", [(2, 1, 2, 3), (5, 3, 4)]), ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)]),
             ("abc,b->ac", [(2, 3, 4), (3,)])]
    for equation, shapes in cases:
        arrays = [rng.normal(size=s) for s in shapes]
        assert_allclose(numpy_of(ops.einsum(equation, *arrays)), np.einsum(equation, *arrays),
                        rtol=1e-12, atol=1e-12, err_msg=equation)
    with pytest.raises(ValueError, match="diagonal"):
        ops.einsum("ii->i", np.eye(2))


def test_multi_head_attention_weight_layout():
    layer = layers.MultiHeadAttention(num_heads=4, key_dim=3, value_dim=5, output_shape=7)
    layer(np.zeros((2, 6, 8), "float32"), np.zeros((2, 9, 10), "float32"),
          np.zeros((2, 9, 11), "float32"))
    assert [(w.path.split("/", 1)[1], w.shape) for w in layer.weights] == [
        ("query/kernel", (8, 4, 3)), ("query/bias", (4, 3)),
        ("key/kernel", (11, 4, 3)), ("key/bias", (4, 3)),
        ("value/kernel", (10, 4, 5)), ("value/bias", (4, 5)),
        ("attention_output/kernel", (4, 5, 7)), ("attention_output/bias", (7,))]
    # Glorot fans come from the einsum's input and output axes (Keras' input_axes/output_axes).
    big = layers.MultiHeadAttention(num_heads=8, key_dim=16)
    big(np.zeros((1, 2, 64), "float32"), np.zeros((1, 2, 64), "float32"))
    limit = np.sqrt(6 / (64 + 8 * 16))
    kernel = big.weights[0].numpy()
    assert kernel.max() <= limit and kernel.max() > 0.9 * limit


def test_multi_head_attention_symbolic_and_build_config():
    query, value = bw.Input((4, 6)), bw.Input((5, 3))
    mha = layers.MultiHeadAttention(2, 3, output_shape=(2, 5))
    out, scores = mha(query, value, return_attention_scores=True)
    assert out.shape == (None, 4, 2, 5)
    assert scores.shape == (None, 2, 4, 5)
    model = bw.Model([query, value], [out, scores])
    y, s = model([np.ones((2, 4, 6), "float32"), np.ones((2, 5, 3), "float32")])
    assert numpy_of(y).shape == (2, 4, 2, 5) and numpy_of(s).shape == (2, 2, 4, 5)
    assert mha.get_build_config() == {"shapes_dict": {"query_shape": [None, 4, 6],
                                                      "value_shape": [None, 5, 3]}}
    clone = layers.MultiHeadAttention.from_config(mha.get_config())
    clone.build_from_config(mha.get_build_config())
    assert [w.shape for w in clone.weights] == [w.shape for w in mha.weights]
    x4 = bw.Input((3, 4, 5))
    assert layers.MultiHeadAttention(2, 2, attention_axes=(1, 2))(
        x4, x4, return_attention_scores=True)[1].shape == (None, 2, 3, 4, 3, 4)


def test_attention_symbolic():
    query, value = bw.Input((4, 6)), bw.Input((5, 6))
    out, scores = layers.Attention()([query, value], return_attention_scores=True)
    assert out.shape == (None, 4, 6) and scores.shape == (None, 4, 5)
    model = bw.Model([query, value], out)
    assert numpy_of(model([np.ones((2, 4, 6), "float32"), np.ones((2, 5, 6), "float32")])).shape \
        == (2, 4, 6)


def test_masks():
    query_mask = np.array([[True, True, False]])
    pair = [np.zeros((1, 3, 2), "float32")] * 2
    assert layers.Attention().compute_mask(pair, [query_mask, None]) is query_mask
    assert layers.Attention().compute_mask(pair, None) is None
    # A masked query position attends to nothing: MultiHeadAttention gives it
    # zero attention weights (Keras' Softmax masking).
    mha = layers.MultiHeadAttention(1, 2)
    q = np.ones((1, 3, 2), "float32")
    _, scores = mha(q, q, query_mask=query_mask, return_attention_scores=True)
    assert_allclose(numpy_of(scores)[0, 0, 2], 0.0)
    assert_allclose(numpy_of(scores)[0, 0, :2].sum(-1), 1.0, rtol=1e-6)
    _, causal = mha(q, q, use_causal_mask=True, return_attention_scores=True)
    assert_allclose(np.triu(numpy_of(causal)[0, 0], 1), 0.0)


def test_dropout_only_in_training():
    mha = layers.MultiHeadAttention(2, 4, dropout=0.5, seed=1)
    q = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    _, inference = mha(q, q, return_attention_scores=True)
    assert_allclose(numpy_of(inference).sum(-1), 1.0, rtol=1e-5)
    a = numpy_of(mha(q, q, training=True))
    assert not np.allclose(a, numpy_of(mha(q, q)))
    attention = layers.Attention(dropout=0.5, seed=2)
    first = numpy_of(attention([q, q], training=True))
    assert not np.allclose(first, numpy_of(attention([q, q])))


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="num_heads.*positive integer.*0"):
        layers.MultiHeadAttention(0, 2)
    with pytest.raises(ValueError, match="key_dim"):
        layers.MultiHeadAttention(2, None)
    with pytest.raises(ValueError, match="attention_axes"):
        layers.MultiHeadAttention(2, 2, attention_axes="x")
    with pytest.raises(ValueError, match="dropout"):
        layers.MultiHeadAttention(2, 2, dropout=1.5)
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="add")
    with pytest.raises(ValueError, match="'mha'.*value.*key.*except the last"):
        layers.MultiHeadAttention(2, 2, name="mha")(
            np.zeros((1, 3, 4), "float32"), np.zeros((1, 5, 4), "float32"),
            np.zeros((1, 6, 4), "float32"))
    with pytest.raises(ValueError, match="'att'.*list of inputs"):
        layers.Attention(name="att")(np.zeros((1, 3, 4), "float32"))
    with pytest.raises(ValueError, match="'att'.*length 2 or 3"):
        layers.Attention(name="att")([np.zeros((1, 3, 4), "float32")])
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        layers.EinsumDense("ab->b", 3)
    with pytest.raises(ValueError, match="shared dimension 'b'"):
        layers.EinsumDense("abc,cd->abd", (4, 2))(np.zeros((1, 3, 5), "float32"))


CONFIG_CASES = {
    "Attention()": lambda: layers.Attention(),
    "MultiHeadAttention(2, 3)": lambda: layers.MultiHeadAttention(2, 3),
    "MultiHeadAttention(4, 8, value_dim=2, dropout=0.1, use_bias=False, output_shape=5, "
    "attention_axes=1, seed=3)": lambda: layers.MultiHeadAttention(
        4, 8, value_dim=2, dropout=0.1, use_bias=False, output_shape=5, attention_axes=1, seed=3),
    'EinsumDense("ab,bc->ac", 4, bias_axes="c")':
        lambda: layers.EinsumDense("ab,bc->ac", 4, bias_axes="c"),
}


@pytest.mark.parametrize("key", sorted(CONFIG_CASES))
def test_config_equals_keras_and_round_trips(key):
    layer = CONFIG_CASES[key]()
    assert_config_matches_keras(layer, key)
    clone = type(layer).from_config(layer.get_config())
    assert as_json(clone.get_config()) == as_json(layer.get_config())


def test_built_configs_of_keras_cases_load():
    for name in MHA_CASES:
        config = keras_reference()[0][name]["config"]
        layer = layers.MultiHeadAttention.from_config(config)
        layer.build_from_config(keras_reference()[0][name]["build_config"])
        assert len(layer.weights) == keras_reference()[0][name]["n_weights"]
