"""The plugin's layers: values against float64 references written here,
gradients against finite differences, configs, symbolic shapes, training
through ``fit``, and saving and loading."""
import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
from brickwork import GradientTape, Variable, layers, ops
from brickwork.saving import deserialize_keras_object, serialize_keras_object
from brickwork_transformer import SinePositionEncoding, TokenAndPositionEmbedding, TransformerEncoder


@pytest.fixture(autouse=True)
def _seeded():
    bw.utils.set_random_seed(7)


# ---------------------------------------------------------------------------
# float64 references
# ---------------------------------------------------------------------------


def reference_sine(length, hidden, max_wavelength=10000, start=0):
    table = np.zeros((length, hidden))
    for p in range(length):
        for i in range(hidden):
            angle = (p + start) / max_wavelength ** (2 * (i // 2) / hidden)
            table[p, i] = np.sin(angle) if i % 2 == 0 else np.cos(angle)
    return table


def reference_layer_norm(x, gamma, beta, epsilon):
    mean = x.mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(-1, keepdims=True) + epsilon) * gamma + beta


def reference_encoder(x, weights, normalize_first=False, epsilon=1e-5, padding_mask=None):
    (qk, qb, kk, kb, vk, vb, ok, ob, g1, b1, g2, b2, w1, c1, w2, c2) = weights

    def attention(h):
        q = np.einsum("btd,dhk->bhtk", h, qk) + qb[None, :, None, :]
        k = np.einsum("btd,dhk->bhtk", h, kk) + kb[None, :, None, :]
        v = np.einsum("btd,dhk->bhtk", h, vk) + vb[None, :, None, :]
        scores = np.einsum("bhqd,bhkd->bhqk", q, k) / np.sqrt(qk.shape[-1])
        if padding_mask is not None:
            scores = np.where(padding_mask[:, None, None, :], scores, -1e9)
        w = np.exp(scores - scores.max(-1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
        return np.einsum("bhqk,bhkd,hde->bqe", w, v, ok) + ob

    def norm(h, g, b):
        return reference_layer_norm(h, g, b, epsilon)

    def feedforward(h):
        return np.maximum(h @ w1 + c1, 0) @ w2 + c2

    if normalize_first:
        x = x + attention(norm(x, g1, b1))
        return x + feedforward(norm(x, g2, b2))
    x = norm(x + attention(x), g1, b1)
    return norm(x + feedforward(x), g2, b2)


def randomized(layer, rng):
    """Give every weight random values (gamma near 1) so no term is trivial."""
    layer.set_weights([rng.normal(size=w.shape) * 0.5 + (1 if "gamma" in w.path else 0)
                       for w in layer.weights])
    return [w.numpy().astype(np.float64) for w in layer.weights]


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------


def test_sine_position_encoding_values():
    x = np.zeros((2, 5, 6), np.float32)
    got = ops.convert_to_numpy(SinePositionEncoding()(x))
    assert got.shape == (2, 5, 6) and got.dtype == np.float32
    assert_allclose(got[1], reference_sine(5, 6), rtol=1e-6, atol=1e-7)
    shifted = ops.convert_to_numpy(SinePositionEncoding(max_wavelength=50)(x, start_index=3))
    assert_allclose(shifted[0], reference_sine(5, 6, 50, start=3), rtol=1e-6, atol=1e-7)
    # The first row is sin(0), cos(0), ... by construction.
    assert_allclose(got[0, 0], [0, 1, 0, 1, 0, 1])


def test_token_and_position_embedding_values_and_mask():
    layer = TokenAndPositionEmbedding(vocabulary_size=7, sequence_length=4, embedding_dim=3,
                                      mask_zero=True)
    tokens = np.array([[1, 2, 0], [6, 6, 3]])
    out = ops.convert_to_numpy(layer(tokens))
    tok, pos = layer.get_weights()
    assert tok.shape == (7, 3) and pos.shape == (4, 3)
    assert_allclose(out, tok[tokens] + pos[:3], rtol=1e-6)
    assert np.abs(tok).max() <= 0.05, "Keras's default 'uniform' initializer draws from [-0.05, 0.05]"
    assert ops.convert_to_numpy(layer.compute_mask(tokens, None)).tolist() == [[True, True, False],
                                                                              [True, True, True]]
    with pytest.raises(ValueError, match="token_and_position_embedding.*exceed sequence_length=4"):
        layer(np.ones((1, 5), "int32"))


@pytest.mark.parametrize("normalize_first", [False, True])
def test_transformer_encoder_matches_reference(normalize_first):
    rng = np.random.default_rng(0)
    layer = TransformerEncoder(intermediate_dim=5, num_heads=2, normalize_first=normalize_first)
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    layer(x)
    weights = randomized(layer, rng)
    assert [tuple(w.shape) for w in weights[:8]] == [(4, 2, 2), (2, 2)] * 3 + [(2, 2, 4), (4,)]
    got = ops.convert_to_numpy(layer(x))
    assert_allclose(got, reference_encoder(x.astype(np.float64), weights, normalize_first),
                    rtol=2e-4, atol=2e-5)


def test_transformer_encoder_padding_mask_and_implicit_mask():
    rng = np.random.default_rng(1)
    layer = TransformerEncoder(intermediate_dim=6, num_heads=1)
    x = rng.normal(size=(2, 4, 4)).astype(np.float32)
    layer(x)
    weights = randomized(layer, rng)
    keep = np.array([[True, True, True, False], [True, True, False, False]])
    want = reference_encoder(x.astype(np.float64), weights, padding_mask=keep)
    assert_allclose(ops.convert_to_numpy(layer(x, padding_mask=keep)), want, rtol=2e-4, atol=2e-5)
    assert_allclose(ops.convert_to_numpy(layer(x, mask=keep)), want, rtol=2e-4, atol=2e-5)
    # Padded keys change nothing: perturbing them leaves the real positions alone.
    x2 = x.copy()
    x2[0, 3] += 10
    assert_allclose(ops.convert_to_numpy(layer(x2, padding_mask=keep))[0, :3], want[0, :3],
                    rtol=2e-4, atol=2e-5)


def test_transformer_encoder_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    layer = TransformerEncoder(intermediate_dim=5, num_heads=2, dtype="float64")
    x = rng.normal(size=(2, 3, 4))
    layer(x)
    weights = randomized(layer, rng)
    dy = rng.normal(size=(2, 3, 4))
    xv = Variable(x, dtype="float64")
    with GradientTape() as tape:
        loss = ops.sum(ops.multiply(layer(xv), dy))
    grads = tape.gradient(loss, [xv] + layer.trainable_weights)
    targets = [("x", x, grads[0])] + [(w.path, weights[i], grads[i + 1])
                                      for i, w in enumerate(layer.trainable_weights)]
    for name, array, got in targets:
        numeric = np.zeros_like(array)
        for i in np.ndindex(*array.shape):
            keep = array[i]
            array[i] = keep + 1e-6
            up = np.sum(reference_encoder(x, weights) * dy)
            array[i] = keep - 1e-6
            down = np.sum(reference_encoder(x, weights) * dy)
            array[i] = keep
            numeric[i] = (up - down) / 2e-6
        assert_allclose(ops.convert_to_numpy(got), numeric, rtol=1e-5, atol=1e-7, err_msg=name)


# ---------------------------------------------------------------------------
# Errors, configs, symbolic use
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make, message", [
    (lambda: TransformerEncoder(0, 2), "`intermediate_dim` must be a positive integer, got 0"),
    (lambda: TransformerEncoder(8, 2, dropout=1.5), "`dropout` must be a float in \\[0, 1\\)"),
    (lambda: TokenAndPositionEmbedding(10, -1, 4), "`sequence_length` must be a positive integer"),
    (lambda: SinePositionEncoding(max_wavelength=0), "`max_wavelength` must be a positive number"),
])
def test_bad_arguments_raise_at_construction(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_input_shapes_name_the_layer():
    with pytest.raises(ValueError, match=r"'enc'.*hidden dimension 2 must be at least num_heads=4"):
        TransformerEncoder(8, 4, name="enc")(np.zeros((1, 3, 2), np.float32))
    with pytest.raises(ValueError, match=r"'enc2' expects inputs .* rank 3.*\(1, 3\)"):
        TransformerEncoder(8, 1, name="enc2")(np.zeros((1, 3), np.float32))


CONFIGS = [
    (SinePositionEncoding, {"max_wavelength": 500}),
    (TokenAndPositionEmbedding, {"vocabulary_size": 9, "sequence_length": 4, "embedding_dim": 6,
                                 "mask_zero": True}),
    (TransformerEncoder, {"intermediate_dim": 16, "num_heads": 3, "dropout": 0.1,
                          "activation": "gelu", "layer_norm_epsilon": 1e-6,
                          "normalize_first": True}),
]


@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=lambda v: getattr(v, "__name__", ""))
def test_config_round_trips(cls, kwargs):
    layer = cls(**kwargs, name="it")
    config = layer.get_config()
    assert {k: config[k] for k in kwargs} == kwargs
    assert cls.from_config(config).get_config() == config
    serialized = json.loads(json.dumps(serialize_keras_object(layer)))
    assert serialized["registered_name"] == f"brickwork_transformer>{cls.__name__}"
    assert serialized["class_name"] == cls.__name__
    restored = deserialize_keras_object(serialized)
    assert type(restored) is cls and restored.get_config() == config


def test_layers_appear_in_brickwork_layers():
    assert layers.TransformerEncoder is TransformerEncoder
    assert layers.TokenAndPositionEmbedding is TokenAndPositionEmbedding
    assert layers.SinePositionEncoding is SinePositionEncoding


def test_symbolic_use_gives_output_shapes():
    tokens = bw.Input((10,), dtype="int32")
    embedded = TokenAndPositionEmbedding(50, 10, 12)(tokens)
    assert embedded.shape == (None, 10, 12)
    encoded = TransformerEncoder(24, 3)(embedded)
    assert encoded.shape == (None, 10, 12)
    assert SinePositionEncoding()(encoded).shape == (None, 10, 12)


# ---------------------------------------------------------------------------
# Training and saving
# ---------------------------------------------------------------------------


def classifier(length=6, vocabulary=12):
    tokens = bw.Input((length,), dtype="int32")
    x = TokenAndPositionEmbedding(vocabulary, length, 8)(tokens)
    x = TransformerEncoder(intermediate_dim=16, num_heads=2)(x)
    x = layers.Flatten()(x)
    return bw.Model(tokens, layers.Dense(2, activation="softmax")(x))


def token_task(rng, count=192, length=6, vocabulary=12):
    """Label 1 when the token 3 occurs anywhere in the sequence."""
    x = rng.integers(1, vocabulary, (count, length))
    return x, (x == 3).any(axis=1).astype("int32")


@pytest.mark.filterwarnings("ignore:Layer 'flatten'")
def test_sequence_classifier_trains_through_fit():
    x, y = token_task(np.random.default_rng(0))
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=12, batch_size=32, verbose=0).history
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    assert history["accuracy"][-1] > max(history["accuracy"][0], 0.8)


@pytest.mark.filterwarnings("ignore:Layer 'flatten'")
def test_model_with_plugin_layers_saves_and_loads(tmp_path):
    if not hasattr(bw.Model, "save") or not hasattr(bw.models, "load_model"):
        pytest.skip("this brickwork has no Model.save / models.load_model yet")
    x, y = token_task(np.random.default_rng(1), count=64)
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    path = tmp_path / "classifier.keras"
    model.save(path)
    restored = bw.models.load_model(path)
    kinds = [type(layer).__name__ for layer in restored.layers]
    assert "TokenAndPositionEmbedding" in kinds and "TransformerEncoder" in kinds
    assert_allclose(ops.convert_to_numpy(restored.predict(x, verbose=0)),
                    ops.convert_to_numpy(model.predict(x, verbose=0)), rtol=1e-6, atol=1e-7)
