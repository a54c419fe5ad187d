"""Convolution layers: outputs, weights and configs against real Keras 3
(fixtures from ``fixtures/make_keras_convolution.py``), gradients by finite
differences, output shapes for every padding/stride/dilation combination,
data-format agreement, symbolic use, bad input, and the seed CNN in fit."""
import json
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
from brickwork import layers, ops
from brickwork.variables import Variable

import reference as ref

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
META = json.loads((FIXTURES / "keras_convolution.json").read_text())
ARRAYS = np.load(FIXTURES / "keras_convolution.npz")
CONV_CLASSES = {"Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
                "SeparableConv2D"}
CONV_CASES = sorted(c for c, m in META.items() if m["class_name"] in CONV_CLASSES)


def keras_case(case):
    meta = META[case]
    weights = [ARRAYS[f"{case}/w{i}"] for i in range(meta["n_weights"])]
    return meta, ARRAYS[f"{case}/x"], weights, ARRAYS[f"{case}/y"]


def plain(value):
    """A config value with tuples as lists, as JSON holds it."""
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("case", CONV_CASES)
def test_output_weights_and_config_equal_keras(case):
    meta, x, weights, y = keras_case(case)
    layer = getattr(layers, meta["class_name"])(**meta["kwargs"])
    layer.build(x.shape)
    assert [tuple(w.shape) for w in layer.weights] == [w.shape for w in weights]
    assert [w.name for w in layer.weights] == meta["weight_names"]
    layer.set_weights(weights)
    assert_allclose(ops.convert_to_numpy(layer(x)), y, rtol=1e-5, atol=1e-5)
    config = plain(layer.get_config())
    config.pop("dtype")
    expected = dict(meta["config"], name=config["name"])
    assert config == expected


@pytest.mark.parametrize("case", CONV_CASES)
def test_from_config_round_trip_and_symbolic_shape(case):
    meta, x, _, y = keras_case(case)
    layer = getattr(layers, meta["class_name"])(**meta["kwargs"])
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    inputs = bw.Input(x.shape[1:])
    outputs = clone(inputs)
    assert outputs.shape == (None,) + y.shape[1:]
    assert clone.compute_output_shape(x.shape) == y.shape


def test_conv2d_hand_computed():
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    layer = layers.Conv2D(1, 2, strides=2, kernel_initializer="ones", bias_initializer="ones")
    y = ops.convert_to_numpy(layer(x))[0, :, :, 0]
    # Each 2x2 block summed, plus the bias 1.
    assert_allclose(y, [[0 + 1 + 4 + 5 + 1, 2 + 3 + 6 + 7 + 1],
                        [8 + 9 + 12 + 13 + 1, 10 + 11 + 14 + 15 + 1]])


def test_same_padding_puts_the_odd_cell_after():
    # n=6, k=3, s=2: total padding 1, all of it after (TF/Keras), not before.
    x = np.arange(6, dtype="float32").reshape(1, 6, 1)
    layer = layers.Conv1D(1, 3, strides=2, padding="same", kernel_initializer="ones",
                          use_bias=False)
    assert_allclose(ops.convert_to_numpy(layer(x))[0, :, 0], [0 + 1 + 2, 2 + 3 + 4, 4 + 5])


# ---------------------------------------------------------------------------
# Gradients by finite differences (float64 layers)
# ---------------------------------------------------------------------------

GRADIENT_LAYERS = {
    "conv2d_same_stride2": lambda: layers.Conv2D(3, 3, strides=2, padding="same",
                                                 activation="tanh", dtype="float64"),
    "conv1d_causal_groups": lambda: layers.Conv1D(4, 2, padding="causal", dilation_rate=2,
                                                  groups=2, dtype="float64"),
    "conv2d_channels_first": lambda: layers.Conv2D(2, (2, 3), data_format="channels_first",
                                                   dtype="float64"),
    "conv3d": lambda: layers.Conv3D(2, 2, padding="same", dtype="float64"),
    "conv2d_transpose": lambda: layers.Conv2DTranspose(2, 3, strides=2, padding="same",
                                                       activation="sigmoid", dtype="float64"),
    "conv1d_transpose_op": lambda: layers.Conv1DTranspose(2, 3, strides=2, output_padding=1,
                                                          dtype="float64"),
    "depthwise2d": lambda: layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2,
                                                  dtype="float64"),
    "separable1d": lambda: layers.SeparableConv1D(3, 3, strides=2, padding="same",
                                                  depth_multiplier=2, dtype="float64"),
}
GRADIENT_INPUTS = {"conv3d": (1, 3, 4, 3, 2), "conv2d_channels_first": (2, 4, 5, 4),
                   "conv1d_causal_groups": (2, 6, 4), "conv1d_transpose_op": (2, 4, 3),
                   "separable1d": (2, 7, 4)}


@pytest.mark.parametrize("name", sorted(GRADIENT_LAYERS))
def test_gradients_match_finite_differences(name):
    rng = np.random.default_rng(0)
    layer = GRADIENT_LAYERS[name]()
    x = rng.normal(size=GRADIENT_INPUTS.get(name, (2, 5, 4, 3)))
    layer.build(x.shape)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape) for w in layer.weights])
    dy = rng.normal(size=layer.compute_output_shape(x.shape))
    x_var = Variable(x, dtype="float64")
    with bw.GradientTape() as tape:
        loss = ops.sum(ops.multiply(layer(x_var), dy))
    grads = tape.gradient(loss, [x_var] + layer.weights)
    values = [x] + layer.get_weights()

    def forward(*arrays):
        layer.set_weights(arrays[1:])
        return ops.convert_to_numpy(layer(arrays[0]))
    expected = ref.numerical_vjp(forward, values, dy)
    layer.set_weights(values[1:])
    for got, want in zip(grads, expected):
        assert_allclose(ops.convert_to_numpy(got), want, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------
# Shapes, data formats, bad input
# ---------------------------------------------------------------------------


def expected_length(n, k, s, d, padding):
    if padding in ("same", "causal"):
        return -(-n // s)
    return (n - d * (k - 1) - 1) // s + 1


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d_output_shapes_for_every_stride_and_dilation(padding):
    x = np.random.default_rng(0).normal(size=(2, 9, 2)).astype("float32")
    for k in (1, 2, 3):
        for s, d in ((1, 1), (2, 1), (3, 1), (1, 2), (1, 3)):
            layer = layers.Conv1D(3, k, strides=s, padding=padding, dilation_rate=d)
            y = ops.convert_to_numpy(layer(x))
            assert y.shape == (2, expected_length(9, k, s, d, padding), 3), (k, s, d)
            assert layer.compute_output_shape(x.shape) == y.shape


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv2d_and_depthwise_output_shapes(padding):
    x = np.random.default_rng(0).normal(size=(1, 8, 7, 2)).astype("float32")
    for s, d in (((1, 1), (1, 1)), ((2, 3), (1, 1)), ((1, 1), (2, 3))):
        for layer in (layers.Conv2D(2, (3, 2), s, padding, dilation_rate=d),
                      layers.DepthwiseConv2D((3, 2), s, padding, dilation_rate=d),
                      layers.SeparableConv2D(2, (3, 2), s, padding, dilation_rate=d)):
            y = ops.convert_to_numpy(layer(x))
            want = tuple(expected_length(n, k, st, dd, padding) for n, k, st, dd
                         in zip((8, 7), (3, 2), s, d))
            assert y.shape[1:3] == want and layer.compute_output_shape(x.shape) == y.shape


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_transpose_output_shapes(padding):
    x = np.random.default_rng(0).normal(size=(1, 5, 2)).astype("float32")
    for k, s, op in ((3, 1, None), (3, 2, None), (3, 2, 1), (4, 3, 2), (2, 2, 0)):
        layer = layers.Conv1DTranspose(2, k, strides=s, padding=padding, output_padding=op)
        y = ops.convert_to_numpy(layer(x))
        if padding == "valid":
            want = (5 - 1) * s + k + (max(k, s) - k if op is None else op)
        else:
            want = 5 * s if op is None else (5 - 1) * s + k % 2 + op
        assert y.shape == (1, want, 2) and layer.compute_output_shape(x.shape) == y.shape


@pytest.mark.parametrize("make", [
    lambda f: layers.Conv2D(3, (3, 2), strides=(2, 1), padding="same", data_format=f),
    lambda f: layers.Conv3D(2, 2, data_format=f),
    lambda f: layers.Conv1D(2, 3, padding="causal", data_format=f),
    lambda f: layers.Conv2DTranspose(2, 3, strides=2, padding="same", data_format=f),
    lambda f: layers.DepthwiseConv2D(2, depth_multiplier=2, data_format=f),
    lambda f: layers.SeparableConv1D(3, 2, data_format=f),
])
def test_channels_first_agrees_with_channels_last(make):
    rng = np.random.default_rng(1)
    last, first = make("channels_last"), make("channels_first")
    rank = len(last.kernel_size)
    x = rng.normal(size=(2,) + (5, 6, 4)[:rank] + (3,)).astype("float32")
    to_first = (0, rank + 1) + tuple(range(1, rank + 1))
    y_last = ops.convert_to_numpy(last(x))
    first.build(x.transpose(to_first).shape)
    first.set_weights(last.get_weights())
    y_first = ops.convert_to_numpy(first(x.transpose(to_first)))
    assert_allclose(y_first, y_last.transpose(to_first), rtol=1e-5, atol=1e-6)


def test_kernel_larger_than_input_is_a_clear_error():
    layer = layers.Conv2D(2, 5, name="big_kernel")
    with pytest.raises(ValueError, match=r"big_kernel.*kernel_size=\(5, 5\).*\(1, 4, 4, 1\)"):
        layer(np.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="big_kernel"):
        layers.Conv2D(2, 5, name="big_kernel")(bw.Input((4, 9, 1)))


def test_strides_with_dilation_rejected_at_construction():
    for cls in (layers.Conv1D, layers.Conv2DTranspose):
        with pytest.raises(ValueError, match=r"'strided'.*strides > 1.*dilation_rate > 1"):
            cls(2, 3, strides=2, dilation_rate=2, name="strided")


def test_wrong_input_rank_names_the_layer():
    with pytest.raises(ValueError, match=r"'c2'.*expected ndim=4, found ndim=3"):
        layers.Conv2D(2, 3, name="c2")(np.zeros((2, 8, 3), "float32"))
    with pytest.raises(ValueError, match=r"'c1'.*expected ndim=3, found ndim=4"):
        layers.Conv1D(2, 3, name="c1")(bw.Input((8, 8, 3)))


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Conv2D(0, 3), "filters"),
    (lambda: layers.Conv2D(3, 3, groups=2), "divisible"),
    (lambda: layers.Conv2D(2, (3, 0)), "kernel_size"),
    (lambda: layers.Conv2D(2, 3, strides=(1, 2, 3)), "strides"),
    (lambda: layers.Conv2D(2, 3, padding="causal"), "padding"),
    (lambda: layers.Conv2D(2, 3, data_format="nchw"), "data_format"),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2), "output_padding"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
])
def test_bad_arguments_raise_at_construction(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_groups_must_divide_input_channels():
    with pytest.raises(ValueError, match=r"groups=2.*3 channels"):
        layers.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))


def test_regularizers_and_constraints_apply():
    layer = layers.Conv2D(2, 3, kernel_regularizer="l2", bias_regularizer="l1",
                          kernel_constraint="non_neg")
    layer(np.ones((1, 4, 4, 1), "float32"))
    assert len(layer.losses) == 2
    assert layer.kernel.constraint is not None


def test_seed_cnn_trains_through_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 28, 28, 1)).astype("float32")
    y = (x[:, :14].mean(axis=(1, 2, 3)) > x[:, 14:].mean(axis=(1, 2, 3))).astype("int64")
    model = bw.Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert model.predict(x[:3], verbose=0).shape == (3, 10)


def test_numpy_input_gradient_gather_and_scatter_agree(monkeypatch):
    """The NumPy backend computes stride-1 input gradients either by gathering
    (large frames) or by scattering tap by tap (small ones): both must agree."""
    conv_utils = pytest.importorskip("brickwork_numpy.kernels._conv_utils")
    kernels = pytest.importorskip("brickwork_numpy.kernels.convolution")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 6, 5, 4))
    kernel = rng.normal(size=(3, 2, 2, 6))
    dy = rng.normal(size=(2, 6, 4, 6))
    geometry = ((1, 1), ((1, 1), (0, 0)), (1, 1), 2)
    y = kernels.conv_forward(x, kernel, None, *geometry, "linear")
    t_kernel = rng.normal(size=(2, 3, 3, 4))
    results = []
    for threshold in (0, 1 << 60):
        monkeypatch.setattr(conv_utils, "SCATTER_MAX_BYTES", threshold)
        dx = kernels.conv_backward(dy, x, kernel, y, *geometry, "linear", True)[0]
        t = kernels.conv_transpose_forward(x, t_kernel, None, (1, 1), ((1, 2), (0, 1)), (1, 1),
                                           "linear")
        results.append((dx, t))
    for a, b in zip(*results):
        assert_allclose(a, b, rtol=1e-12, atol=1e-12)
