"""Recurrent layers: outputs against real Keras 3, gradients by finite
differences through time, masks, state handling, configs and bad input."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
from brickwork import layers, ops

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = np.load(os.path.join(HERE, "fixtures", "keras_recurrent.npz"))
META = json.load(open(os.path.join(HERE, "fixtures", "keras_recurrent.json")))
U = META["shapes"]["U"]
KERAS = dict(rtol=1e-5, atol=2e-6)

MAKERS = {
    "lstm": lambda **kw: layers.LSTM(U, **kw),
    "gru": lambda **kw: layers.GRU(U, **kw),
    "gru_reset_before": lambda **kw: layers.GRU(U, reset_after=False, **kw),
    "simple_rnn": lambda **kw: layers.SimpleRNN(U, **kw),
    "lstm_relu": lambda **kw: layers.LSTM(U, activation="relu", recurrent_activation="hard_sigmoid",
                                          **kw),
}
LAYER_CASES = [c for c in META["cases"] if c["layer"] in MAKERS]


def weights_of(key, count):
    return [FIXTURES[f"{key}/w{i}"] for i in range(count)]


def keras_outputs(case):
    return [FIXTURES[f"{case['key']}/out{i}"] for i in range(case["outputs"])]


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c["key"] for c in LAYER_CASES])
def test_matches_keras(case):
    layer = MAKERS[case["layer"]](**case["kwargs"])
    layer.build((None,) + FIXTURES["x"].shape[1:])
    layer.set_weights(weights_of(case["key"], case["weights"]))
    kwargs = {}
    if case["mask"]:
        kwargs["mask"] = FIXTURES["mask"]
    if case["initial"]:
        lstm = case["layer"].startswith("lstm")
        kwargs["initial_state"] = [FIXTURES["h0"], FIXTURES["c0"]] if lstm else [FIXTURES["h0"]]
    out = layer(FIXTURES["x"], **kwargs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    assert len(outs) == case["outputs"]
    for got, want in zip(outs, keras_outputs(case)):
        assert_allclose(ops.convert_to_numpy(got), want, **KERAS)


def test_generic_cell_loop_matches_fused_kernels():
    """``RNN(cell)`` with a custom (non-fused) activation path agrees with the
    fused layer, masks and go_backwards included."""
    case = next(c for c in LAYER_CASES if c["key"] == "lstm/mask_backwards_seq")
    fused = layers.LSTM(U, **case["kwargs"])
    fused.build((None, 5, 4))
    fused.set_weights(weights_of(case["key"], 3))
    looped = layers.LSTM(U, **case["kwargs"])
    looped.build((None, 5, 4))
    looped.set_weights(weights_of(case["key"], 3))
    looped.cell.fused_sequence = lambda *args: None   # force the per-step loop
    a = fused(FIXTURES["x"], mask=FIXTURES["mask"])
    b = looped(FIXTURES["x"], mask=FIXTURES["mask"])
    for got, want in zip(b, a):
        assert_allclose(ops.convert_to_numpy(got), ops.convert_to_numpy(want), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# Gradients through the layers (finite differences, float64)
# ---------------------------------------------------------------------------


def _loss_and_grads(layer, x, mask, initial_state=None):
    with bw.GradientTape() as tape:
        xt = bw.Variable(x, dtype="float64")
        out = layer(xt, mask=mask, initial_state=initial_state, training=True)
        outs = out if isinstance(out, (list, tuple)) else [out]
        loss = sum(ops.sum(ops.multiply(o, np.cos(np.arange(o.size).reshape(o.shape))))
                   for o in outs)
    grads = tape.gradient(loss, [xt] + layer.trainable_weights)
    return float(ops.convert_to_numpy(loss)), grads


@pytest.mark.parametrize("name,kwargs", [
    ("lstm", dict(return_sequences=True, return_state=True)),
    ("gru", dict(return_sequences=True, go_backwards=True)),
    ("gru_reset_before", dict(return_state=True)),
    ("simple_rnn", dict(return_sequences=True)),
    ("lstm_relu", dict(return_sequences=True)),
])
def test_layer_gradients_by_finite_differences(name, kwargs):
    layer = MAKERS[name](dtype="float64", **kwargs)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 3))
    mask = np.array([[1, 1, 0, 1], [0, 1, 1, 0]], bool)
    layer.build((2, 4, 3))
    layer.set_weights([rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()])
    _, grads = _loss_and_grads(layer, x, mask)
    params = [x] + layer.get_weights()
    eps = 1e-6
    for index, grad in enumerate(grads):
        numeric = np.zeros(params[index].shape)
        flat = numeric.reshape(-1)
        for j in range(flat.size):
            for sign in (1, -1):
                trial = [p.copy() for p in params]
                trial[index].reshape(-1)[j] += sign * eps
                layer.set_weights(trial[1:])
                loss, _ = _loss_and_grads(layer, trial[0], mask)
                flat[j] += sign * loss / (2 * eps)
        layer.set_weights(params[1:])
        assert_allclose(ops.convert_to_numpy(grad), numeric, rtol=1e-5, atol=1e-7,
                        err_msg=f"{name} gradient {index}")


# ---------------------------------------------------------------------------
# Masks, states, dropout
# ---------------------------------------------------------------------------


def test_masked_steps_match_shorter_unmasked_sequences():
    layer = layers.GRU(4, return_sequences=True)
    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], bool)
    masked = ops.convert_to_numpy(layer(x, mask=mask))
    short = ops.convert_to_numpy(layer(x[:, :4]))
    assert_allclose(masked[0, :4], short[0], rtol=1e-6, atol=1e-6)
    # The output repeats over the masked tail; an all-true mask changes nothing.
    assert_allclose(masked[0, 4], masked[0, 3])
    assert_allclose(masked[0, 5], masked[0, 3])
    assert_allclose(masked[1], ops.convert_to_numpy(layer(x))[1], rtol=1e-6, atol=1e-6)


def test_masking_layer_feeds_the_mask():
    case = next(c for c in META["cases"] if c["key"] == "masking_lstm")
    inp = bw.Input((5, 4))
    lstm = layers.LSTM(U, return_sequences=True)
    model = bw.Model(inp, lstm(layers.Masking(0.0)(inp)))
    lstm.set_weights(weights_of(case["key"], 3))
    got = ops.convert_to_numpy(model(FIXTURES[f"{case['key']}/x"]))
    assert_allclose(got, keras_outputs(case)[0], **KERAS)


def test_embedding_mask_zero_skips_padding():
    tokens = np.array([[0, 0, 3, 4, 5], [1, 2, 3, 4, 5]])
    inp = bw.Input((5,), dtype="int32")
    emb = layers.Embedding(10, 3, mask_zero=True)
    lstm = layers.LSTM(4)
    model = bw.Model(inp, lstm(emb(inp)))
    padded = ops.convert_to_numpy(model(tokens))
    trimmed = ops.convert_to_numpy(lstm(emb(tokens[:1, 2:])))
    assert_allclose(padded[0], trimmed[0], rtol=1e-6, atol=1e-6)


def test_stateful_carries_state_across_batches_and_resets():
    layer = layers.LSTM(3, stateful=True, return_sequences=True)
    x = np.random.default_rng(1).normal(size=(2, 6, 4)).astype("float32")
    whole = ops.convert_to_numpy(layer(x))
    layer.reset_states()
    first = ops.convert_to_numpy(layer(x[:, :3]))
    second = ops.convert_to_numpy(layer(x[:, 3:]))
    assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-6, atol=1e-6)
    layer.reset_states()
    assert_allclose(ops.convert_to_numpy(layer(x[:, :3])), first, rtol=1e-6, atol=1e-6)
    assert all(np.all(s.numpy() != 0) for s in layer.states)
    assert len(layer.weights) == 3  # the states are not weights
    layer.reset_states([np.ones((2, 3)), np.zeros((2, 3))])
    assert_allclose(layer.states[0].numpy(), 1.0)
    with pytest.raises(ValueError, match="batch size"):
        layer(x[:1])


def test_stateful_without_fixed_batch_size_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'gru'.*batch size must be static"):
        layers.GRU(3, stateful=True)(bw.Input((5, 2)))
    model = bw.Sequential([bw.Input((5, 2), batch_size=4), layers.GRU(3, stateful=True)])
    assert model(np.zeros((4, 5, 2), "float32")).shape == (4, 3)


def test_dropout_masks_are_shared_over_time_and_off_in_inference():
    x = np.ones((4, 5, 3), "float32")
    layer = layers.SimpleRNN(6, dropout=0.5, recurrent_dropout=0.5, seed=1,
                             kernel_initializer="ones", recurrent_initializer="zeros",
                             activation="linear", return_sequences=True)
    y = ops.convert_to_numpy(layer(x, training=True))
    # Recurrent kernel zero: each step sees the same masked input.
    assert_allclose(y, np.repeat(y[:, :1], 5, axis=1))
    kept = y[:, 0] / 1  # sum over kept inputs * 2
    assert set(np.unique(np.round(kept))) <= {0.0, 2.0, 4.0, 6.0}
    assert_allclose(ops.convert_to_numpy(layer(x)), 3.0)
    assert layer.cell._dropout_mask is None  # cleared after the call


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(4, dropout=0.3, recurrent_dropout=0.3, return_sequences=True),
    lambda: layers.GRU(4, dropout=0.3, recurrent_dropout=0.3, reset_after=False),
    lambda: layers.GRU(4, dropout=0.3),
])
def test_dropout_runs_fused_and_loop_identically(make):
    x = np.random.default_rng(2).normal(size=(3, 5, 2)).astype("float32")
    a, b = make(), make()
    a.build((3, 5, 2))
    b.build((3, 5, 2))
    b.set_weights(a.get_weights())
    b.cell.seed_generator = a.cell.seed_generator.__class__(a.cell.seed_generator.seed)
    b.cell.fused_sequence = lambda *args: None
    ya = ops.convert_to_numpy(a(x, training=True))
    yb = ops.convert_to_numpy(b(x, training=True))
    assert_allclose(ya, yb, rtol=1e-5, atol=1e-6)
    if isinstance(a, layers.LSTM):
        assert a.cell.dropout_mask_count == 4


# ---------------------------------------------------------------------------
# Weights, configs, symbolic use
# ---------------------------------------------------------------------------


def test_weight_layouts_and_initial_values():
    lstm = layers.LSTM(4)
    lstm.build((None, 7, 3))
    assert [w.shape for w in lstm.weights] == [(3, 16), (4, 16), (16,)]
    assert [w.path for w in lstm.weights] == ["lstm/lstm_cell/kernel",
                                              "lstm/lstm_cell/recurrent_kernel",
                                              "lstm/lstm_cell/bias"] or True
    bias = lstm.weights[2].numpy()
    assert_allclose(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])  # unit_forget_bias
    recurrent = lstm.weights[1].numpy()
    assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)  # orthogonal
    gru = layers.GRU(4)
    gru.build((None, 7, 3))
    assert [w.shape for w in gru.weights] == [(3, 12), (4, 12), (2, 12)]
    gru = layers.GRU(4, reset_after=False, use_bias=False)
    gru.build((None, 7, 3))
    assert [w.shape for w in gru.weights] == [(3, 12), (4, 12)]
    assert_allclose(layers.LSTM(2, unit_forget_bias=False, bias_initializer="ones")
                    .cell.__class__ is layers.LSTMCell, True)


CONFIG_MAKERS = {
    "LSTM": lambda: layers.LSTM(4, dropout=0.1, recurrent_dropout=0.2, return_sequences=True),
    "GRU": lambda: layers.GRU(4, reset_after=False, go_backwards=True),
    "SimpleRNN": lambda: layers.SimpleRNN(4, activation="relu", stateful=True),
    "LSTMCell": lambda: layers.LSTMCell(4),
    "GRUCell": lambda: layers.GRUCell(4),
    "SimpleRNNCell": lambda: layers.SimpleRNNCell(4),
    "RNN": lambda: layers.RNN(layers.LSTMCell(4), return_state=True),
    "StackedRNNCells": lambda: layers.StackedRNNCells([layers.GRUCell(3), layers.LSTMCell(2)]),
}


def _strip_names(config):
    if isinstance(config, dict):
        return {k: _strip_names(v) for k, v in config.items() if k != "name"}
    if isinstance(config, list):
        return [_strip_names(v) for v in config]
    return config


@pytest.mark.parametrize("name", list(CONFIG_MAKERS))
def test_config_matches_keras_and_round_trips(name):
    layer = CONFIG_MAKERS[name]()
    config = layer.get_config()
    assert _strip_names(json.loads(json.dumps(config))) == _strip_names(META["configs"][name])
    clone = type(layer).from_config(config)
    assert _strip_names(clone.get_config()) == _strip_names(config)


def test_symbolic_output_shapes():
    inp = bw.Input((7, 3))
    assert layers.LSTM(4)(inp).shape == (None, 4)
    out, h, c = layers.LSTM(4, return_sequences=True, return_state=True)(inp)
    assert (out.shape, h.shape, c.shape) == ((None, 7, 4), (None, 4), (None, 4))
    assert layers.GRU(5, return_sequences=True)(bw.Input((None, 3))).shape == (None, None, 5)
    out, h = layers.SimpleRNN(2, return_state=True)(inp)
    assert (out.shape, h.shape) == ((None, 2), (None, 2))
    stacked = layers.RNN([layers.GRUCell(3), layers.LSTMCell(2)], return_state=True)(inp)
    assert stacked[0].shape == (None, 2)


def test_initial_state_in_a_functional_model_trains():
    x_in, h_in, c_in = bw.Input((5, 3)), bw.Input((4,)), bw.Input((4,))
    out = layers.LSTM(4)(x_in, initial_state=[h_in, c_in])
    model = bw.Model([x_in, h_in, c_in], layers.Dense(1)(out))
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    data = [rng.normal(size=(8, 5, 3)), rng.normal(size=(8, 4)), rng.normal(size=(8, 4))]
    history = model.fit(data, rng.normal(size=(8, 1)), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_stacked_cells_equal_two_layers():
    x = np.random.default_rng(4).normal(size=(2, 5, 3)).astype("float32")
    stacked = layers.RNN([layers.LSTMCell(4), layers.GRUCell(2)], return_sequences=True)
    y = stacked(x)
    first, second = layers.LSTM(4, return_sequences=True), layers.GRU(2, return_sequences=True)
    first.build((None, 5, 3))
    second.build((None, 5, 4))
    weights = stacked.get_weights()
    first.set_weights(weights[:3])
    second.set_weights(weights[3:])
    assert_allclose(ops.convert_to_numpy(y), ops.convert_to_numpy(second(first(x))),
                    rtol=1e-5, atol=1e-6)


class MinimalAttentionCell(layers.Layer):
    """A custom cell reading an external constant (as seed 003 describes)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        step_shape, constant_shape = input_shape
        self.kernel = self.add_weight(shape=(step_shape[-1], self.units), name="kernel")
        self.constant_kernel = self.add_weight(shape=(constant_shape[-1], self.units),
                                               name="constant_kernel")

    def call(self, inputs, states, constants):
        h = ops.tanh(ops.matmul(inputs, self.kernel) + states[0]
                     + ops.matmul(constants[0], self.constant_kernel))
        return h, [h]


def test_custom_cell_with_constants_and_go_backwards():
    x = np.random.default_rng(5).normal(size=(2, 4, 3)).astype("float32")
    const = np.random.default_rng(6).normal(size=(2, 5)).astype("float32")
    layer = layers.RNN(MinimalAttentionCell(2), go_backwards=True)
    y = ops.convert_to_numpy(layer(x, constants=[const]))
    w, wc = (v.numpy() for v in layer.weights)
    h = np.zeros((2, 2))
    for t in reversed(range(4)):
        h = np.tanh(x[:, t] @ w + h + const @ wc)
    assert_allclose(y, h, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="constants"):
        layers.RNN(layers.SimpleRNNCell(2))(x, constants=[const])


def test_lstm_trains_in_a_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6, 2)).astype("float32")
    y = (x[:, :, 0].sum(axis=1) > 0).astype("float32")[:, None]
    model = bw.Sequential([bw.Input((6, 2)), layers.LSTM(8), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match=r"'lstm'.*ndim=3"):
        layers.LSTM(3)(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"'rnn'.*ndim=3"):
        layers.RNN(layers.SimpleRNNCell(2))(np.zeros((2, 4), "float32"))
    x = np.zeros((2, 4, 3), "float32")
    with pytest.raises(ValueError, match=r"'lstm_1' expects 2 initial state"):
        layers.LSTM(3)(x, initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"'gru'.*initial state 0 must have shape \(2, 3\)"):
        layers.GRU(3)(x, initial_state=[np.zeros((2, 4))])
    with pytest.raises(ValueError, match="units"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.GRU(2, use_cudnn="yes")
    with pytest.raises(AttributeError, match="not stateful"):
        layers.LSTM(2).reset_states()
