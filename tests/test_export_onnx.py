"""ONNX export (``Model.export(path, format="onnx")``): every exported layer
family is run in onnxruntime and compared with ``predict`` at a batch size
never used when building (the batch dimension is dynamic)."""
import os

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers as L
from brickwork.random import set_random_seed

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

BATCH = 5  # never the batch size of a model under test
#: The largest |onnxruntime - predict| seen per family (printed with -s).
MAX_DIFFS = {}


@pytest.fixture(scope="module", autouse=True)
def report_max_diffs():
    yield
    for family, diff in sorted(MAX_DIFFS.items()):
        print(f"\nONNX export, {family}: max |onnxruntime - predict| = {diff:.3g}")


def _session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def check_export(model, inputs, tmp_path, family, atol=1e-5, rtol=1e-5):
    """Export ``model``, run the file, compare with ``predict``; returns the
    onnx model."""
    path = tmp_path / f"{model.name}.onnx"
    proto = model.export(path, format="onnx", verbose=False)
    onnx.checker.check_model(str(path), full_check=True)
    inputs = inputs if isinstance(inputs, list) else [inputs]
    session = _session(path)
    for info in session.get_inputs():
        assert info.shape[0] == "batch", info.shape
    got = session.run(None, {i.name: x for i, x in zip(session.get_inputs(), inputs)})
    expected = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0,
                             batch_size=BATCH)
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        e = np.asarray(e)
        assert g.shape == e.shape, (g.shape, e.shape)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
        MAX_DIFFS[family] = max(MAX_DIFFS.get(family, 0.0), float(np.max(np.abs(g - e))))
    return proto


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal((BATCH,) + shape).astype("float32")


def sequential(input_shape, *stack, seed=1):
    set_random_seed(seed)
    return bw.Sequential([L.Input(input_shape), *stack])


def randomize(model, seed=2):
    """Give every weight (biases, statistics included) random values."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        value = rng.standard_normal(variable.shape).astype("float32") * 0.5
        if "variance" in variable.name:
            value = np.abs(value) + 0.5
        variable.assign(value)
    return model


# -- dense and activations ---------------------------------------------------------

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "relu6", "selu", "elu", "celu", "softplus",
               "softsign", "silu", "exponential", "hard_sigmoid", "hard_silu", "hard_tanh",
               "mish", "log_sigmoid", "gelu", "softmax", "log_softmax", "leaky_relu"]


def test_dense_with_every_activation(tmp_path):
    model = sequential((6,), *[L.Dense(6, activation=a) for a in ACTIVATIONS],
                       L.Dense(3, use_bias=False))
    randomize(model)
    check_export(model, data(6), tmp_path, "dense/activations")


def test_dense_on_sequences_and_einsum_dense(tmp_path):
    inputs = bw.Input((4, 6))
    x = L.Dense(5, activation="tanh")(inputs)
    x = L.EinsumDense("abc,cd->abd", output_shape=(4, 3), bias_axes="d")(x)
    model = bw.Model(inputs, x)
    randomize(model)
    check_export(model, data(4, 6), tmp_path, "dense/activations")


def test_activation_layers(tmp_path):
    model = sequential((4, 6), L.ReLU(), L.Dense(6), L.ReLU(max_value=1.0, negative_slope=0.1,
                                                            threshold=0.2),
                       L.Dense(6), L.LeakyReLU(0.3), L.Dense(6), L.ELU(0.7), L.Dense(6),
                       L.PReLU(shared_axes=[1]), L.Dense(6), L.Activation("gelu"),
                       L.Softmax(axis=1), L.Softmax(axis=(1, 2)))
    randomize(model)
    check_export(model, data(4, 6), tmp_path, "dense/activations")


# -- convolution and pooling ---------------------------------------------------------

CONVOLUTIONS = [
    ("conv1d_same_strided", (9, 3), lambda: L.Conv1D(4, 3, strides=2, padding="same",
                                                     activation="relu")),
    ("conv1d_causal_dilated", (9, 3), lambda: L.Conv1D(4, 3, padding="causal",
                                                       dilation_rate=2)),
    ("conv1d_groups", (9, 4), lambda: L.Conv1D(6, 2, groups=2)),
    ("conv2d_same_even", (7, 8, 3), lambda: L.Conv2D(4, (2, 4), strides=(2, 3),
                                                     padding="same", activation="softmax")),
    ("conv2d_valid_dilated", (9, 8, 3), lambda: L.Conv2D(4, 3, dilation_rate=(2, 1))),
    ("conv2d_channels_first", (3, 7, 6), lambda: L.Conv2D(4, 3, padding="same",
                                                          data_format="channels_first")),
    ("conv3d_same", (5, 6, 4, 2), lambda: L.Conv3D(3, 2, strides=2, padding="same")),
    ("conv1d_transpose", (5, 3), lambda: L.Conv1DTranspose(4, 3, strides=2)),
    ("conv1d_transpose_same_outpad", (5, 3),
     lambda: L.Conv1DTranspose(4, 4, strides=3, padding="same", output_padding=1)),
    ("conv2d_transpose_same", (4, 5, 3), lambda: L.Conv2DTranspose(2, 3, strides=2,
                                                                   padding="same")),
    ("conv2d_transpose_valid_outpad", (4, 5, 3),
     lambda: L.Conv2DTranspose(2, (3, 2), strides=(2, 3), output_padding=(1, 2))),
    ("conv2d_transpose_dilated", (4, 5, 3),
     lambda: L.Conv2DTranspose(2, 3, dilation_rate=2, padding="same")),
    ("conv3d_transpose", (3, 4, 3, 2), lambda: L.Conv3DTranspose(2, 2, strides=2,
                                                                 padding="same")),
    ("depthwise1d", (9, 3), lambda: L.DepthwiseConv1D(3, depth_multiplier=2, padding="same",
                                                      strides=2)),
    ("depthwise2d", (7, 6, 3), lambda: L.DepthwiseConv2D(3, depth_multiplier=2,
                                                         activation="relu")),
    ("separable1d", (9, 3), lambda: L.SeparableConv1D(4, 3, depth_multiplier=2,
                                                      padding="same")),
    ("separable2d", (7, 6, 3), lambda: L.SeparableConv2D(4, 3, strides=2, padding="same",
                                                         activation="tanh")),
]


@pytest.mark.parametrize("name,shape,make", CONVOLUTIONS, ids=[c[0] for c in CONVOLUTIONS])
def test_convolutions(name, shape, make, tmp_path):
    model = sequential(shape, make())
    randomize(model)
    check_export(model, data(*shape), tmp_path, "convolution")


POOLINGS = [
    ("max1d_same", (9, 3), lambda: L.MaxPooling1D(2, padding="same")),
    ("max2d", (7, 6, 3), lambda: L.MaxPooling2D((3, 2), strides=(2, 1))),
    ("max2d_same", (7, 6, 3), lambda: L.MaxPooling2D(3, strides=2, padding="same")),
    ("max3d", (4, 5, 6, 2), lambda: L.MaxPooling3D(2, padding="same")),
    ("avg1d_same", (9, 3), lambda: L.AveragePooling1D(4, strides=3, padding="same")),
    ("avg2d_same_uneven", (7, 6, 3), lambda: L.AveragePooling2D(2, padding="same")),
    ("avg2d_channels_first", (3, 7, 6), lambda: L.AveragePooling2D(
        2, data_format="channels_first")),
    ("avg3d_same", (4, 5, 5, 2), lambda: L.AveragePooling3D(3, strides=2, padding="same")),
    ("gmax1d", (9, 3), lambda: L.GlobalMaxPooling1D()),
    ("gavg2d_keepdims", (7, 6, 3), lambda: L.GlobalAveragePooling2D(keepdims=True)),
    ("gmax2d_channels_first", (3, 7, 6), lambda: L.GlobalMaxPooling2D(
        data_format="channels_first")),
    ("gavg3d", (4, 5, 6, 2), lambda: L.GlobalAveragePooling3D()),
]


@pytest.mark.parametrize("name,shape,make", POOLINGS, ids=[c[0] for c in POOLINGS])
def test_poolings(name, shape, make, tmp_path):
    check_export(sequential(shape, make()), data(*shape), tmp_path, "pooling")


def test_conv_stack_keeps_nchw_between_layers(tmp_path):
    model = sequential((12, 12, 3), L.Conv2D(4, 3, padding="same", activation="relu"),
                       L.MaxPooling2D(), L.Conv2D(5, 3, activation="relu"),
                       L.GlobalAveragePooling2D(), L.Dense(2))
    proto = check_export(model, data(12, 12, 3), tmp_path, "convolution")
    # Into NCHW once, back once before the global pooling: none between layers.
    assert [n.op_type for n in proto.graph.node].count("Transpose") == 2


# -- normalization -------------------------------------------------------------------

def test_normalization_layers(tmp_path):
    model = sequential((4, 6, 8), L.BatchNormalization(),
                       L.LayerNormalization(), L.LayerNormalization(axis=[1, 3], center=False),
                       L.LayerNormalization(axis=[2, 3], scale=False, epsilon=1e-2),
                       L.GroupNormalization(groups=4), L.GroupNormalization(groups=2, axis=1),
                       L.UnitNormalization(), L.UnitNormalization(axis=[1, 2]),
                       L.BatchNormalization(axis=1, center=False))
    randomize(model)
    check_export(model, data(4, 6, 8), tmp_path, "normalization")


def test_batch_normalization_after_conv(tmp_path):
    model = sequential((6, 6, 3), L.Conv2D(4, 3), L.BatchNormalization(), L.ReLU())
    randomize(model)
    check_export(model, data(6, 6, 3), tmp_path, "normalization")


# -- recurrent -----------------------------------------------------------------------

RECURRENT = [
    ("lstm", lambda: L.LSTM(5)),
    ("lstm_sequences_backwards", lambda: L.LSTM(5, return_sequences=True, go_backwards=True)),
    ("lstm_hard_sigmoid_relu", lambda: L.LSTM(4, activation="relu",
                                              recurrent_activation="hard_sigmoid",
                                              return_sequences=True)),
    ("lstm_no_bias", lambda: L.LSTM(4, use_bias=False)),
    ("gru_reset_after", lambda: L.GRU(5, return_sequences=True)),
    ("gru_reset_before", lambda: L.GRU(5, reset_after=False, go_backwards=True)),
    ("gru_no_bias", lambda: L.GRU(3, use_bias=False, return_sequences=True)),
    ("simple_rnn", lambda: L.SimpleRNN(5, return_sequences=True)),
    ("simple_rnn_relu_backwards", lambda: L.SimpleRNN(4, activation="relu", go_backwards=True)),
    ("rnn_lstm_cell", lambda: L.RNN(L.LSTMCell(4), return_sequences=True)),
    ("bidirectional_concat", lambda: L.Bidirectional(L.LSTM(4, return_sequences=True))),
    ("bidirectional_sum_gru", lambda: L.Bidirectional(L.GRU(4), merge_mode="sum")),
    ("bidirectional_ave", lambda: L.Bidirectional(L.SimpleRNN(3, return_sequences=True),
                                                  merge_mode="ave")),
    ("bidirectional_mul", lambda: L.Bidirectional(L.GRU(3, reset_after=False),
                                                  merge_mode="mul")),
]


@pytest.mark.parametrize("name,make", RECURRENT, ids=[c[0] for c in RECURRENT])
def test_recurrent_layers(name, make, tmp_path):
    model = sequential((7, 3), make())
    randomize(model)
    check_export(model, data(7, 3), tmp_path, "recurrent")


def test_recurrent_states_and_initial_state(tmp_path):
    set_random_seed(3)
    inputs = bw.Input((6, 3))
    sequence, h, c = L.LSTM(4, return_sequences=True, return_state=True)(inputs)
    x, h2 = L.GRU(4, return_state=True)(sequence, initial_state=[h])
    y = L.SimpleRNN(4)(sequence, initial_state=h2)
    outputs = L.Bidirectional(L.LSTM(4, return_state=True), merge_mode=None)(
        sequence, initial_state=[h, c, h2, c])
    model = bw.Model(inputs, [x, h2, c, y, *outputs])
    randomize(model)
    check_export(model, data(6, 3), tmp_path, "recurrent")


def test_unknown_sequence_length(tmp_path):
    model = sequential((None, 3), L.GRU(4, return_sequences=True), L.LSTM(3))
    randomize(model)
    check_export(model, data(9, 3), tmp_path, "recurrent")


# -- attention -----------------------------------------------------------------------

def test_attention_layer(tmp_path):
    set_random_seed(4)
    query, value, key = bw.Input((4, 6)), bw.Input((5, 6)), bw.Input((5, 6))
    dot = L.Attention(use_scale=True)([query, value, key])
    concat, scores = L.Attention(score_mode="concat", use_scale=True)(
        [query, value], return_attention_scores=True)
    causal = L.Attention()([query, query], use_causal_mask=True)
    model = bw.Model([query, value, key], [dot, concat, scores, causal])
    randomize(model)
    check_export(model, [data(4, 6, seed=1), data(5, 6, seed=2), data(5, 6, seed=3)], tmp_path,
                 "attention")


def test_multi_head_attention(tmp_path):
    set_random_seed(5)
    query, value = bw.Input((4, 6)), bw.Input((5, 8))
    mask = bw.Input((4, 5), dtype="bool")
    cross, scores = L.MultiHeadAttention(2, 3, value_dim=4)(query, value, attention_mask=mask,
                                                            return_attention_scores=True)
    self_attention = L.MultiHeadAttention(3, 2, use_bias=False, output_shape=5)(
        query, query, use_causal_mask=True)
    model = bw.Model([query, value, mask], [cross, scores, self_attention])
    randomize(model)
    keep = np.random.default_rng(6).random((BATCH, 4, 5)) > 0.3
    check_export(model, [data(4, 6, seed=1), data(5, 8, seed=2), keep], tmp_path, "attention")


def test_multi_head_attention_over_two_axes(tmp_path):
    set_random_seed(6)
    x = bw.Input((3, 4, 6))
    y = L.MultiHeadAttention(2, 3, attention_axes=(1, 2))(x, x)
    model = bw.Model(x, y)
    randomize(model)
    check_export(model, data(3, 4, 6), tmp_path, "attention")


# -- merging, reshaping, padding, upsampling, embedding, identities ---------------------

def test_merging_layers(tmp_path):
    set_random_seed(7)
    a, b, c = bw.Input((4, 3)), bw.Input((4, 3)), bw.Input((4, 3))
    outputs = [L.Add()([a, b, c]), L.Subtract()([a, b]), L.Multiply()([a, b, c]),
               L.Average()([a, b]), L.Maximum()([a, b, c]), L.Minimum()([a, b]),
               L.Concatenate(axis=1)([a, b]), L.Concatenate()([a, b, c]),
               L.Dot(axes=(2, 2))([a, b]), L.Dot(axes=1, normalize=True)([a, c]),
               L.Dot(axes=-1)([L.Flatten()(a), L.Flatten()(b)])]
    model = bw.Model([a, b, c], outputs)
    check_export(model, [data(4, 3, seed=s) for s in range(3)], tmp_path, "merging")


def test_reshaping_padding_upsampling(tmp_path):
    set_random_seed(8)
    x = bw.Input((4, 6, 2))
    outputs = [
        L.Flatten()(x), L.Reshape((6, 8))(x), L.Reshape((-1, 4))(x),
        L.Permute((2, 1, 3))(x), L.RepeatVector(3)(L.Flatten()(x)),
        L.ZeroPadding2D(((1, 2), (0, 3)))(x), L.Cropping2D(((1, 0), (2, 1)))(x),
        L.UpSampling2D((2, 3))(x), L.UpSampling2D(2, interpolation="bilinear")(x),
        L.Flatten(data_format="channels_first")(x),
        L.ZeroPadding1D((2, 1))(L.Reshape((8, 6))(x)), L.Cropping1D((1, 2))(L.Reshape((8, 6))(x)),
        L.UpSampling1D(3)(L.Reshape((8, 6))(x)),
        L.ZeroPadding3D(1)(L.Reshape((2, 2, 6, 2))(x)),
        L.Cropping3D(((0, 1), (1, 0), (2, 1)))(L.Reshape((2, 2, 6, 2))(x)),
        L.UpSampling3D((1, 2, 2))(L.Reshape((2, 2, 6, 2))(x)),
        L.ZeroPadding2D(1, data_format="channels_first")(x),
        L.UpSampling2D(2, data_format="channels_first")(x),
    ]
    model = bw.Model(x, outputs)
    check_export(model, data(4, 6, 2), tmp_path, "reshaping")


def test_embedding_dropout_noise_and_time_distributed(tmp_path):
    model = sequential((7,), L.Embedding(11, 4), L.Dropout(0.5), L.GaussianNoise(0.3),
                       L.GaussianDropout(0.2), L.AlphaDropout(0.1), L.SpatialDropout1D(0.3),
                       L.ActivityRegularization(l1=0.1),
                       L.TimeDistributed(L.Dense(3, activation="relu")), L.Flatten())
    randomize(model)
    tokens = np.random.default_rng(0).integers(0, 11, (BATCH, 7)).astype("float32")
    check_export(model, tokens, tmp_path, "embedding")
    indices = bw.Input((7,), dtype="int32")
    int_model = bw.Model(indices, L.Embedding(11, 4)(indices))
    check_export(int_model, tokens.astype("int32"), tmp_path, "embedding")


def test_masking_without_mask_consumers(tmp_path):
    model = sequential((5, 3), L.Masking(mask_value=0.0), L.Dense(2))
    x = data(5, 3)
    x[:, 1] = 0.0
    check_export(model, x, tmp_path, "reshaping")


def test_nested_models(tmp_path):
    set_random_seed(9)
    block = sequential((6,), L.Dense(5, activation="relu"), L.Dense(4))
    inner_in = bw.Input((4,))
    inner = bw.Model(inner_in, L.Dense(3)(inner_in))
    x = bw.Input((6,))
    model = bw.Model(x, [inner(block(x)), block(x)])
    check_export(model, data(6), tmp_path, "dense/activations")
    stacked = bw.Sequential([L.Input((6,)), block, L.Dense(2)])
    check_export(stacked, data(6), tmp_path, "dense/activations")


# -- refusals, formats, files -----------------------------------------------------------

def test_unsupported_layer_names_itself(tmp_path):
    model = sequential((4,), L.Dense(3), L.Lambda(lambda t: t * 2, name="doubler"))
    with pytest.raises(ValueError, match=r"'doubler' \(Lambda\) cannot be exported to ONNX"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    assert not os.listdir(tmp_path)


def test_unsupported_activation_names_the_layer(tmp_path):
    model = sequential((4,), L.Dense(3, activation=lambda t: t, name="custom_act"))
    with pytest.raises(ValueError, match=r"'custom_act' \(Dense\).*activation"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)


def test_masked_recurrent_layer_is_refused(tmp_path):
    model = sequential((5,), L.Embedding(10, 3, mask_zero=True), L.LSTM(2, name="masked_lstm"))
    with pytest.raises(ValueError, match=r"'masked_lstm' \(LSTM\).*mask"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)


def test_subclassed_and_unbuilt_models_are_refused(tmp_path):
    class Doubler(bw.Model):
        def call(self, inputs):
            return inputs * 2

    with pytest.raises(ValueError, match="subclassed model"):
        Doubler().export(tmp_path / "m.onnx", format="onnx", verbose=False)
    with pytest.raises(ValueError, match="not built"):
        bw.Sequential([L.Dense(2)]).export(tmp_path / "m.onnx", format="onnx", verbose=False)


@pytest.mark.parametrize("fmt", ["tf_saved_model", "litert", "openvino", "torch", "bogus"])
def test_other_formats_are_refused(fmt, tmp_path):
    model = sequential((4,), L.Dense(2))
    with pytest.raises(ValueError, match=r"Supported formats: 'onnx'"):
        model.export(tmp_path / "m", format=fmt)
    with pytest.raises(ValueError, match="tf_saved_model"):
        model.export(tmp_path / "m")  # Keras' default format
    assert not os.listdir(tmp_path)


def test_missing_onnx_names_the_extra(monkeypatch, tmp_path):
    import sys
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "brickwork\[onnx\]"'):
        sequential((4,), L.Dense(2)).export(tmp_path / "m.onnx", format="onnx")


def test_write_is_atomic(monkeypatch, tmp_path):
    import brickwork.export as export
    path = tmp_path / "m.onnx"
    path.write_bytes(b"previous")
    model = sequential((4,), L.Dense(2))

    class Unwritable:
        def SerializeToString(self):
            raise RuntimeError("disk full")

    monkeypatch.setattr(export, "build_onnx_model", lambda *args: Unwritable())
    with pytest.raises(RuntimeError, match="disk full"):
        model.export(path, format="onnx", verbose=False)
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["m.onnx"]  # no temp file left behind
    monkeypatch.undo()
    with pytest.raises(ValueError, match="Lambda"):
        sequential((4,), L.Lambda(lambda t: t)).export(path, format="onnx", verbose=False)
    assert path.read_bytes() == b"previous"
    model.export(path, format="onnx", verbose=False)
    assert onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert os.listdir(tmp_path) == ["m.onnx"]


def test_signature_opset_and_verbose(tmp_path, capsys):
    model = sequential((4,), L.Dense(2))
    proto = model.export(tmp_path / "m.onnx", format="onnx", opset_version=19,
                         input_signature=[bw.layers.InputSpec(shape=(None, 4))])
    assert "Saved artifact at" in capsys.readouterr().out
    assert proto.opset_import[0].version == 19
    with pytest.raises(ValueError, match="opset"):
        model.export(tmp_path / "m.onnx", format="onnx", opset_version=11)
    with pytest.raises(ValueError, match="does not fit"):
        model.export(tmp_path / "m.onnx", format="onnx", input_signature=[(None, 5)])
    check_export(model, data(4), tmp_path, "dense/activations")


def test_unknown_spatial_sizes(tmp_path):
    """'same' windows over sizes unknown at export: symmetric pads for stride 1,
    ONNX's SAME_UPPER (Keras' rule) for strided ones."""
    model = sequential((None, None, 3), L.Conv2D(4, 3, padding="same", dilation_rate=2),
                       L.Conv2D(4, (2, 3), strides=2, padding="same"),
                       L.DepthwiseConv2D(3, padding="same"),
                       L.MaxPooling2D(3, strides=2, padding="same"),
                       L.AveragePooling2D(2, padding="same"), L.GlobalMaxPooling2D())
    randomize(model)
    check_export(model, data(11, 9, 3), tmp_path, "convolution")


def test_every_builtin_layer_class_has_a_converter():
    import brickwork.export as export
    from brickwork.layers.layer import Layer
    export._import_onnx()
    classes = {getattr(L, n).__name__ for n in dir(L)
               if isinstance(getattr(L, n), type) and issubclass(getattr(L, n), Layer)}
    # Cells run inside RNN layers (exported there); Lambda is arbitrary Python;
    # InputLayer is the graph's input; Layer and Wrapper are abstract bases.
    # String layers (lookups, tokenizing, FarmHash/SipHash of the values' text,
    # integers included) have no numeric ONNX form; each is refused with its
    # reason (brickwork.export.exclusions).
    expected_missing = {"Layer", "InputLayer", "Lambda", "SimpleRNNCell", "LSTMCell", "GRUCell",
                        "StackedRNNCells", "Wrapper", "StringLookup", "TextVectorization",
                        "Hashing", "HashedCrossing"}
    assert classes - set(export.supported_layer_classes()) == expected_missing
