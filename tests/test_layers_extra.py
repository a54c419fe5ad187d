"""The layers of issue 17 item 3 against Keras 3: ConvLSTM1D/2D/3D,
AdditiveAttention, GroupQueryAttention, RMSNormalization,
SpectralNormalization, Identity, Wrapper, ReversibleEmbedding, the adaptive
poolings, STFTSpectrogram, MelSpectrogram, and layers.serialize/deserialize.

Outputs with fixed weights, weights after the call, gradients and configs
come from ``fixtures/make_keras_layers_extra.py`` (Keras on torch); a few
layers' gradients are also checked against float64 finite differences.
"""
import json
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as keras
from brickwork import GradientTape, Variable, ops
from layer_testing import as_json, check_layer_gradients

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
CASES = json.loads((FIXTURES / "keras_layers_extra.json").read_text())["cases"]
with np.load(FIXTURES / "keras_layers_extra.npz") as _data:
    ARRAYS = {k: _data[k] for k in _data.files}
TOL = dict(rtol=2e-4, atol=2e-5)


def stored(name, kind, count):
    return [ARRAYS[f"{name}/{kind}/{i}"] for i in range(count)]


def make_layer(case, **extra):
    cls = getattr(keras.layers, case["class_name"])
    kwargs = {**case["kwargs"], **extra}
    if case["wrapped"]:
        inner, inner_args = case["wrapped"]
        return cls(getattr(keras.layers, inner)(*inner_args), *case["args"], **kwargs)
    return cls(*case["args"], **kwargs)


def make_call(name, case):
    masks = [ARRAYS.get(f"{name}/mask/{i}") for i in range(case["n_masks"])]
    kwargs = dict(case["call_kwargs"])
    if case["n_masks"]:
        kwargs["mask"] = masks[0] if case["single_mask"] else masks

    def call(layer, *inputs):
        return layer(list(inputs), **kwargs) if case["as_list"] else layer(*inputs, **kwargs)
    return call


def as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def built_with_keras_weights(name, case, **extra):
    layer = make_layer(case, **extra)
    inputs = stored(name, "in", case["n_inputs"])
    call = make_call(name, case)
    if not layer.built:
        call(layer, *inputs)
    assert len(layer.weights) == case["n_weights"], [w.path for w in layer.weights]
    weights = stored(name, "w", case["n_weights"])
    for w, value in zip(layer.weights, weights):
        assert tuple(w.shape) == value.shape, (w.path, value.shape)
    layer.set_weights(weights)
    return layer, inputs, call


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_weights_and_config_match_keras(name):
    case = CASES[name]
    layer, inputs, call = built_with_keras_weights(name, case)
    outputs = as_list(call(layer, *inputs))
    assert len(outputs) == case["n_outputs"]
    for got, want in zip(outputs, stored(name, "out", case["n_outputs"])):
        assert_allclose(ops.convert_to_numpy(got), want, **TOL, err_msg=name)
    for w, want in zip(layer.weights, stored(name, "w_after", case["n_weights"])):
        assert_allclose(ops.convert_to_numpy(w), want, **TOL, err_msg=f"{name} {w.path}")
    ours, theirs = as_json(layer.get_config()), dict(case["config"])
    ours.pop("name"), theirs.pop("name")
    if "layer" in theirs:  # the wrapped layer's auto-generated name differs too
        ours["layer"]["config"].pop("name"), theirs["layer"]["config"].pop("name")
    assert ours == theirs


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c["grads"]))
def test_gradients_match_keras(name):
    case = CASES[name]
    layer, inputs, call = built_with_keras_weights(name, case)
    float_inputs = [i for i, x in enumerate(inputs) if x.dtype.kind == "f"]
    sources = {i: Variable(inputs[i]) for i in float_inputs}
    with GradientTape() as tape:
        out = as_list(call(layer, *[sources.get(i, x) for i, x in enumerate(inputs)]))[0]
        loss = ops.sum(ops.multiply(out, ARRAYS[f"{name}/probe"]))
    weights = list(layer.trainable_weights)
    grads = tape.gradient(loss, [sources[i] for i in float_inputs] + weights)
    expected = ([ARRAYS[f"{name}/grad_in/{i}"] for i in range(len(float_inputs))]
                + [ARRAYS[f"{name}/grad_w/{i}"] for i in range(len(weights))])
    labels = [f"input {i}" for i in float_inputs] + [w.path for w in weights]
    for label, got, want in zip(labels, grads, expected):
        got = np.zeros_like(want) if got is None else ops.convert_to_numpy(got)
        assert_allclose(got, want, rtol=1e-3, atol=1e-4, err_msg=f"{name}: {label}")


@pytest.mark.parametrize("name", ["conv_lstm1d_same_sequences", "additive_attention",
                                  "rms_normalization", "adaptive_average_pooling1d",
                                  "gqa_scores"])
def test_gradients_match_finite_differences(name):
    case = CASES[name]
    layer, inputs, call = built_with_keras_weights(name, case, dtype="float64")
    check_layer_gradients(layer, inputs, np.random.default_rng(7), call=call,
                          tol=dict(rtol=1e-5, atol=1e-7))


@pytest.mark.parametrize("name", sorted(CASES))
def test_serialize_deserialize_round_trip(name):
    case = CASES[name]
    layer, inputs, call = built_with_keras_weights(name, case)
    config = keras.layers.serialize(layer)
    assert config["module"] == "keras.layers"
    again = keras.layers.deserialize(json.loads(json.dumps(config)))
    assert type(again) is type(layer)
    assert as_json(again.get_config()) == as_json(layer.get_config())


SAVE_CASES = sorted(n for n, c in CASES.items()
                    if c["n_inputs"] == 1 and not c["call_kwargs"] and not c["n_masks"])


@pytest.mark.parametrize("name", SAVE_CASES)
def test_model_save_load_round_trip(name, tmp_path):
    case = CASES[name]
    layer, inputs, call = built_with_keras_weights(name, case)
    x = inputs[0]
    inp = keras.Input(x.shape[1:], dtype=str(x.dtype))
    model = keras.Model(inp, as_list(layer(inp))[0])
    before = ops.convert_to_numpy(model(x))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert_allclose(ops.convert_to_numpy(loaded(x)), before, rtol=1e-6, atol=1e-7)


def test_group_query_attention_saves_under_keras_class_name():
    config = keras.layers.serialize(keras.layers.GroupQueryAttention(2, 4, 2))
    assert config["class_name"] == "GroupQueryAttention"
    assert type(keras.layers.deserialize(config)).__name__ == "GroupedQueryAttention"


def test_wrapper_builds_wrapped_layer_and_round_trips():
    class Doubled(keras.layers.Wrapper):
        def call(self, x):
            return ops.multiply(self.layer(x), 2.0)

    layer = Doubled(keras.layers.Dense(3, kernel_initializer="ones"))
    out = ops.convert_to_numpy(layer(np.ones((2, 4), "float32")))
    assert_allclose(out, np.full((2, 3), 8.0))
    assert layer.get_config()["layer"]["class_name"] == "Dense"
    assert isinstance(keras.layers.TimeDistributed(keras.layers.Dense(2)), keras.layers.Wrapper)
    with pytest.raises(ValueError, match="Layer"):
        keras.layers.Wrapper("not a layer")


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="divisible"):
        keras.layers.GroupQueryAttention(2, 3, 2)
    with pytest.raises(ValueError, match="power_iterations"):
        keras.layers.SpectralNormalization(keras.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="output_size"):
        keras.layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="ndim=5"):
        keras.layers.ConvLSTM2D(2, 3)(np.ones((2, 3, 4, 4), "float32"))
    with pytest.raises(ValueError, match="fft_length"):
        keras.layers.MelSpectrogram(fft_length=32, sequence_length=64)
    with pytest.raises(ValueError, match="mode"):
        keras.layers.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="kernel"):
        keras.layers.SpectralNormalization(keras.layers.ReLU())(np.ones((2, 3), "float32"))


NEW_NAMES = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "AdditiveAttention",
             "GroupQueryAttention", "RMSNormalization", "SpectralNormalization", "Identity",
             "Wrapper", "ReversibleEmbedding", "AdaptiveAveragePooling1D",
             "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D",
             "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "MelSpectrogram", "STFTSpectrogram",
             "serialize", "deserialize"]


@pytest.mark.parametrize("name", NEW_NAMES)
def test_parameters_are_keras_parameters(name):
    """Keras's parameter names, kinds, order and defaults (keras_public_api.json)."""
    import inspect
    listing = json.loads((FIXTURES / "keras_public_api.json").read_text())
    want = listing["modules"]["layers"][name]["parameters"]
    obj = getattr(keras.layers, name)
    signature = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
    got = [[p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
           for p in signature.parameters.values() if p.name != "self"]
    assert got == [[n, kind, None if d is None else str(d)] for n, kind, d in want]


def test_conv_lstm_stateful_carries_states_across_calls():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 6, 5, 2)).astype("float32")
    whole = keras.layers.ConvLSTM1D(3, 3, padding="same", return_sequences=True, seed=1)
    stateful = keras.layers.ConvLSTM1D(3, 3, padding="same", return_sequences=True,
                                       stateful=True)
    inp = keras.Input(batch_shape=(2, None, 5, 2))
    keras.Model(inp, stateful(inp))
    full = ops.convert_to_numpy(whole(x))
    stateful.set_weights(whole.get_weights())
    halves = [ops.convert_to_numpy(stateful(x[:, :3])), ops.convert_to_numpy(stateful(x[:, 3:]))]
    assert_allclose(np.concatenate(halves, axis=1), full, rtol=1e-5, atol=1e-6)
    stateful.reset_state()
    assert_allclose(ops.convert_to_numpy(stateful(x[:, :3])), full[:, :3], rtol=1e-5, atol=1e-6)


def test_conv_lstm_dropout_applies_in_training_only_and_trains():
    x = np.random.default_rng(4).normal(size=(2, 3, 4, 4, 2)).astype("float32")
    layer = keras.layers.ConvLSTM2D(2, 3, dropout=0.5, recurrent_dropout=0.5, seed=2)
    inference = ops.convert_to_numpy(layer(x))
    assert_allclose(ops.convert_to_numpy(layer(x, training=False)), inference)
    source = Variable(x)
    with GradientTape() as tape:
        loss = ops.sum(ops.square(layer(source, training=True)))
    grads = tape.gradient(loss, [source] + list(layer.trainable_weights))
    assert all(g is not None and np.isfinite(ops.convert_to_numpy(g)).all() for g in grads)
    assert not np.allclose(ops.convert_to_numpy(layer(x, training=True)), inference)


def test_reversible_embedding_masks_ids_not_vectors():
    layer = keras.layers.ReversibleEmbedding(5, 3, mask_zero=True)
    ids = np.array([[1, 0, 2]])
    assert ops.convert_to_numpy(layer.compute_mask(ids)).tolist() == [[True, False, True]]
    assert layer.compute_mask(np.ones((1, 3, 3), "float32")) is None
    inp = keras.Input((3,), dtype="int32")
    logits = layer(layer(inp), reverse=True)
    assert tuple(logits.shape) == (None, 3, 5)


@pytest.mark.parametrize("length", [400, 415, 63])
def test_mel_spectrogram_output_shape_is_the_output_shape(length):
    layer = keras.layers.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=6)
    x = np.random.default_rng(5).normal(size=(2, length)).astype("float32")
    assert tuple(ops.shape(layer(x))) == layer.compute_output_shape((2, length))
    assert tuple(layer(keras.Input((length,))).shape) == (None, 6, 1 + length // 16)
