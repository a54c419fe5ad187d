"""ONNX export of the layer families added after the first exporter:
augmentation layers at inference, numeric preprocessing, RMS/spectral
normalization, ReversibleEmbedding, AdditiveAttention and
GroupQueryAttention, adaptive pooling, spectrograms and ConvLSTM. Each
exported file runs in onnxruntime and is compared with ``predict``."""
import numpy as np
import pytest

import brickwork as bw
from brickwork import layers as L
from brickwork.export import ExportError

from test_export_onnx import BATCH, MAX_DIFFS, check_export, data, randomize, sequential

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

FAMILIES = ("augmentation", "preprocessing", "resizing", "normalization", "embedding",
            "attention", "pooling", "spectrogram", "conv_lstm", "operations")


@pytest.fixture(scope="module", autouse=True)
def report_max_diffs():
    yield
    for family in FAMILIES:
        if family in MAX_DIFFS:
            print(f"\nONNX export, {family}: max |onnxruntime - predict| = "
                  f"{MAX_DIFFS[family]:.3g}")


def images(height=8, width=10, channels=3, seed=0, high=255.0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, high, (BATCH, height, width, channels)).astype("float32")


# -- augmentation layers at inference ------------------------------------------------

IDENTITY_AUGMENTATIONS = {
    "AugMix": lambda: L.AugMix(seed=1), "CutMix": lambda: L.CutMix(seed=1),
    "Equalization": lambda: L.Equalization(), "MixUp": lambda: L.MixUp(seed=1),
    "RandAugment": lambda: L.RandAugment(seed=1),
    "RandomBrightness": lambda: L.RandomBrightness(0.2),
    "RandomColorDegeneration": lambda: L.RandomColorDegeneration(0.2),
    "RandomColorJitter": lambda: L.RandomColorJitter(brightness_factor=0.2),
    "RandomContrast": lambda: L.RandomContrast(0.2),
    "RandomElasticTransform": lambda: L.RandomElasticTransform(),
    "RandomErasing": lambda: L.RandomErasing(), "RandomFlip": lambda: L.RandomFlip(),
    "RandomGaussianBlur": lambda: L.RandomGaussianBlur(),
    "RandomGrayscale": lambda: L.RandomGrayscale(),
    "RandomHue": lambda: L.RandomHue(0.2, (0, 255)), "RandomInvert": lambda: L.RandomInvert(),
    "RandomPerspective": lambda: L.RandomPerspective(),
    "RandomPosterization": lambda: L.RandomPosterization(4),
    "RandomRotation": lambda: L.RandomRotation(0.2),
    "RandomSaturation": lambda: L.RandomSaturation(0.2),
    "RandomSharpness": lambda: L.RandomSharpness(0.2), "RandomShear": lambda: L.RandomShear(0.2),
    "RandomTranslation": lambda: L.RandomTranslation(0.2, 0.2),
    "RandomZoom": lambda: L.RandomZoom(0.2), "Solarization": lambda: L.Solarization(0.2, 0.2),
    "MaxNumBoundingBoxes": lambda: L.MaxNumBoundingBoxes(3),
    "RandomCrop": lambda: L.RandomCrop(8, 10),  # input already of the crop's size
}


def test_augmentation_layers_are_their_inference_behaviour(tmp_path):
    """Every inference-identity augmentation layer in one model, then a Dense
    so the graph is not empty of arithmetic."""
    stack = [make() for make in IDENTITY_AUGMENTATIONS.values()]
    model = sequential((8, 10, 3), *stack, L.Dense(2))
    check_export(randomize(model), images(), tmp_path, "augmentation", rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("value_range", [(0, 255), (-1, 1)])
def test_auto_contrast(tmp_path, value_range):
    x = images() / 255.0 * (value_range[1] - value_range[0]) + value_range[0]
    x[0, :, :, 1] = 0.25  # a flat channel is kept as is
    model = sequential((8, 10, 3), L.AutoContrast(value_range=value_range))
    check_export(model, x.astype("float32"), tmp_path, "augmentation")


@pytest.mark.parametrize("options", [
    dict(tile_grid_size=(2, 2)), dict(tile_grid_size=(3, 4), clip_limit=0.0),
    dict(tile_grid_size=(3, 3), clip_limit=2.0, value_range=(0, 1), data_format="channels_first"),
])
def test_clahe(tmp_path, options):
    """Contrast-limited adaptive histogram equalization acts at inference;
    the image sizes are not multiples of the grid, so tiles are padded."""
    channels_first = options.get("data_format") == "channels_first"
    high = float(options.get("value_range", (0, 255))[1])
    shape = (3, 11, 14) if channels_first else (11, 14, 3)
    x = np.random.default_rng(3).uniform(0, high, (BATCH,) + shape).astype("float32")
    x[0, :2] = high / 2  # a flat patch
    layer = L.ContrastLimitedAdaptiveHistogramEqualization(**options)
    check_export(sequential(shape, layer), x, tmp_path, "augmentation", rtol=1e-4,
                 atol=1e-4 * high)


def test_pipeline_runs_its_layers(tmp_path):
    model = sequential((8, 10, 3), L.Pipeline([L.RandomFlip(), L.AutoContrast(),
                                               L.RandomZoom(0.1)]))
    check_export(model, images(), tmp_path, "augmentation")


def test_random_crop_to_a_smaller_window_is_refused(tmp_path):
    model = sequential((8, 10, 3), L.RandomCrop(4, 5))
    with pytest.raises(ExportError, match="RandomCrop.*uncropped"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)


# -- numeric preprocessing ------------------------------------------------------------

def test_rescaling_and_normalization(tmp_path):
    adapt = data(4, 3, seed=3) * 3 + 1
    norm = L.Normalization(axis=-1)
    norm.adapt(adapt)
    model = sequential((4, 3), L.Rescaling(0.5, offset=-1.0), norm,
                       L.Normalization(mean=[0.5, 1.0, -1.0], variance=[2.0, 0.5, 1.0],
                                       invert=True),
                       L.Rescaling([1.0, 2.0, 3.0]))
    check_export(model, data(4, 3), tmp_path, "preprocessing")


def test_normalization_over_two_axes(tmp_path):
    norm = L.Normalization(axis=(1, 2))
    norm.adapt(data(4, 3, seed=4))
    check_export(sequential((4, 3), norm), data(4, 3), tmp_path, "preprocessing")


@pytest.mark.parametrize("options", [
    dict(interpolation="bilinear"), dict(interpolation="nearest"),
    dict(interpolation="bicubic"), dict(interpolation="bilinear", antialias=True),
    dict(interpolation="lanczos3", antialias=True), dict(interpolation="area"),
    dict(interpolation="bilinear", crop_to_aspect_ratio=True),
    dict(interpolation="bicubic", pad_to_aspect_ratio=True, fill_value=7.0),
])
def test_resizing(tmp_path, options):
    model = sequential((8, 10, 3), L.Resizing(5, 13, **options))
    check_export(model, images(), tmp_path, "resizing", rtol=1e-5, atol=1e-3)


def test_resizing_channels_first_and_upscaling(tmp_path):
    model = sequential((3, 6, 5), L.Resizing(9, 4, data_format="channels_first"))
    x = images(3, 6, 5)
    check_export(model, x, tmp_path, "resizing", rtol=1e-5, atol=1e-3)


def test_resizing_integer_images(tmp_path):
    model = bw.Sequential([L.Input((8, 10, 3), dtype="uint8"), L.Resizing(5, 7)])
    x = images().astype("uint8")
    check_export(model, x, tmp_path, "resizing")


@pytest.mark.parametrize("size", [(4, 6), (12, 5)])
def test_center_crop(tmp_path, size):
    model = sequential((8, 10, 3), L.CenterCrop(*size))
    check_export(model, images(), tmp_path, "preprocessing", rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("output_mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization(tmp_path, output_mode):
    layer = L.Discretization(bin_boundaries=[-1.0, 0.0, 0.1, 1.5], output_mode=output_mode)
    x = data(3, seed=5)
    x[0, 0] = 0.1  # on a boundary: the upper bin
    check_export(sequential((3,), layer), x, tmp_path, "preprocessing")


@pytest.mark.parametrize("output_mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding(tmp_path, output_mode):
    rng = np.random.default_rng(6)
    shape = (1,) if output_mode == "one_hot" else (4,)
    model = bw.Sequential([L.Input(shape, dtype="int64"),
                           L.CategoryEncoding(num_tokens=6, output_mode=output_mode)])
    check_export(model, rng.integers(0, 6, (BATCH,) + shape), tmp_path, "preprocessing")


def test_category_encoding_count_weights(tmp_path):
    ids = L.Input((4,), dtype="int64")
    weights = L.Input((4,))
    out = L.CategoryEncoding(num_tokens=5, output_mode="count")(ids, count_weights=weights)
    model = bw.Model([ids, weights], out)
    rng = np.random.default_rng(7)
    check_export(model, [rng.integers(0, 5, (BATCH, 4)), data(4)], tmp_path, "preprocessing")


@pytest.mark.parametrize("options", [
    dict(), dict(mask_token=0), dict(num_oov_indices=2), dict(output_mode="multi_hot"),
    dict(output_mode="count", mask_token=0), dict(output_mode="one_hot"),
    dict(output_mode="tf_idf", idf_weights=[0.5, 1.0, 2.0, 3.0]), dict(invert=True),
])
def test_integer_lookup(tmp_path, options):
    layer = L.IntegerLookup(vocabulary=[12, 36, 1138, 42], **options)
    shape = (1,) if options.get("output_mode") == "one_hot" else (4,)
    model = bw.Sequential([L.Input(shape, dtype="int64"), layer])
    rng = np.random.default_rng(8)
    if options.get("invert"):
        x = rng.integers(-1, 8, (BATCH,) + shape)
    else:
        x = rng.choice([0, 12, 36, 1138, 42, 7, -3], (BATCH,) + shape)
    check_export(model, x, tmp_path, "preprocessing")


# -- documented exclusions ------------------------------------------------------------

def test_string_layers_are_refused_with_the_reason(tmp_path):
    model = bw.Sequential([L.Input((1,), dtype="int64"), L.Hashing(num_bins=4)])
    with pytest.raises(ExportError, match="Hashing.*FarmHash"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    a, b = L.Input((1,), dtype="int64"), L.Input((1,), dtype="int64")
    model = bw.Model([a, b], L.HashedCrossing(num_bins=4)((a, b)))
    with pytest.raises(ExportError, match="HashedCrossing.*strings"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    model = bw.Sequential([L.Input((1,), dtype="string"), L.StringLookup(vocabulary=["a"])])
    with pytest.raises(ExportError, match="holds strings.*StringLookup, TextVectorization"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)


def test_augmentation_casts_integer_images(tmp_path):
    model = bw.Sequential([L.Input((8, 10, 3), dtype="uint8"), L.RandomFlip(),
                           L.AutoContrast()])
    check_export(model, images().astype("uint8"), tmp_path, "augmentation")


# -- core-ish layers ---------------------------------------------------------------

def test_identity_rms_and_spectral_normalization(tmp_path):
    model = sequential((6,), L.Identity(), L.RMSNormalization(epsilon=1e-3),
                       L.SpectralNormalization(L.Dense(4)), L.Dense(3))
    check_export(randomize(model), data(6), tmp_path, "normalization")


def test_rms_normalization_over_two_axes(tmp_path):
    model = sequential((3, 4), L.RMSNormalization(axis=[1, 2]))
    check_export(randomize(model), data(3, 4), tmp_path, "normalization")


def test_spectral_normalization_of_a_convolution(tmp_path):
    model = sequential((8, 8, 2), L.SpectralNormalization(L.Conv2D(3, 3, padding="same")))
    # One training step normalizes the kernel in place; inference then uses it.
    model.compile(optimizer="sgd", loss="mse")
    model.fit(images(8, 8, 2, high=1.0), np.zeros((BATCH, 8, 8, 3), "float32"), verbose=0)
    check_export(model, images(8, 8, 2, high=1.0), tmp_path, "normalization")


@pytest.mark.parametrize("tie_weights", [True, False])
def test_reversible_embedding(tmp_path, tie_weights):
    ids = L.Input((5,), dtype="int64")
    layer = L.ReversibleEmbedding(11, 4, tie_weights=tie_weights, logit_soft_cap=3.0)
    vectors = layer(ids)
    logits = layer(L.Dense(4)(vectors), reverse=True)
    model = randomize(bw.Model(ids, [vectors, logits]))
    check_export(model, np.random.default_rng(9).integers(0, 11, (BATCH, 5)), tmp_path,
                 "embedding")


# -- attention ------------------------------------------------------------------------

@pytest.mark.parametrize("causal", [False, True])
def test_additive_attention(tmp_path, causal):
    query, value = L.Input((4, 6)), L.Input((5, 6))
    out, scores = L.AdditiveAttention()([query, value], use_causal_mask=causal,
                                        return_attention_scores=True)
    model = randomize(bw.Model([query, value], [out, scores]))
    check_export(model, [data(4, 6), data(5, 6, seed=1)], tmp_path, "attention")


@pytest.mark.parametrize("options", [dict(), dict(use_causal_mask=True), dict(mask=True),
                                     dict(sliding_window=2, use_causal_mask=True)])
def test_group_query_attention(tmp_path, options):
    query, value = L.Input((4, 8)), L.Input((6, 8))
    inputs, feed = [query, value], [data(4, 8), data(6, 8, seed=1)]
    layer = L.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2,
                                  sliding_window=options.get("sliding_window"))
    kwargs = {"use_causal_mask": options.get("use_causal_mask", False)}
    if options.get("mask"):
        mask = L.Input((4, 6))
        inputs.append(mask)
        kwargs["attention_mask"] = mask
        keep = (np.random.default_rng(2).random((BATCH, 4, 6)) > 0.3).astype("float32")
        keep[:, :, 0] = 1
        feed.append(keep)
    out, scores = layer(query, value, return_attention_scores=True, **kwargs)
    model = randomize(bw.Model(inputs, [out, scores]))
    check_export(model, feed, tmp_path, "attention")


# -- adaptive pooling, spectrograms, ConvLSTM ------------------------------------------

@pytest.mark.parametrize("rank,data_format", [(1, "channels_last"), (2, "channels_last"),
                                              (2, "channels_first"), (3, "channels_last")])
def test_adaptive_pooling(tmp_path, rank, data_format):
    average = getattr(L, f"AdaptiveAveragePooling{rank}D")
    maximum = getattr(L, f"AdaptiveMaxPooling{rank}D")
    shape = (7, 5, 6)[:rank] + (2,)
    if data_format == "channels_first":
        shape = (2,) + shape[:-1]
    x = L.Input(shape)
    out = L.Concatenate(axis=1 if data_format == "channels_first" else -1)(
        [average(3, data_format=data_format)(x), maximum(3, data_format=data_format)(x)])
    check_export(bw.Model(x, out), data(*shape), tmp_path, "pooling")


@pytest.mark.parametrize("options", [
    dict(mode="log"), dict(mode="magnitude", padding="same"), dict(mode="psd"),
    dict(mode="real", expand_dims=True), dict(mode="imag", data_format="channels_first"),
    dict(mode="angle"), dict(mode="stft", expand_dims=True, data_format="channels_first"),
])
def test_stft_spectrogram(tmp_path, options):
    channels_first = options.get("data_format") == "channels_first"
    shape = (2, 64) if channels_first else (64, 2)
    layer = L.STFTSpectrogram(frame_length=16, frame_step=8, fft_length=16, **options)
    model = sequential(shape, layer)
    atol = 1e-3 if options["mode"] == "angle" else 1e-4
    check_export(model, data(*shape), tmp_path, "spectrogram", rtol=1e-4, atol=atol)


@pytest.mark.parametrize("options", [dict(), dict(power_to_db=False, mag_exp=1.0),
                                     dict(sequence_length=48, window="hamming")])
def test_mel_spectrogram(tmp_path, options):
    layer = L.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=10,
                             sampling_rate=8000, **options)
    model = sequential((200,), layer)
    check_export(model, data(200), tmp_path, "spectrogram", rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("rank,options", [
    (1, dict(return_sequences=True)), (2, dict()), (2, dict(return_state=True, padding="same")),
    (2, dict(data_format="channels_first", go_backwards=True, return_sequences=True)),
    (3, dict(strides=2)),
])
def test_conv_lstm(tmp_path, rank, options):
    channels_first = options.get("data_format") == "channels_first"
    spatial = (6, 5, 4)[:rank]
    shape = (3,) + (((2,) + spatial) if channels_first else (spatial + (2,)))
    layer = getattr(L, f"ConvLSTM{rank}D")(3, 3, **options)
    x = L.Input(shape)
    out = layer(x)
    model = randomize(bw.Model(x, out))
    check_export(model, data(*shape), tmp_path, "conv_lstm", rtol=1e-4, atol=1e-5)


def test_conv_lstm_with_initial_state(tmp_path):
    x, h0, c0 = L.Input((3, 6, 2)), L.Input((4, 3)), L.Input((4, 3))
    out = L.ConvLSTM1D(3, 3, return_sequences=True)(x, initial_state=[h0, c0])
    model = randomize(bw.Model([x, h0, c0], out))
    check_export(model, [data(3, 6, 2), data(4, 3, seed=1), data(4, 3, seed=2)], tmp_path,
                 "conv_lstm", rtol=1e-4, atol=1e-5)


# -- applications' custom layers and operation nodes ----------------------------------

def test_application_layers_and_operation_nodes(tmp_path):
    from brickwork import ops
    from brickwork.applications.convnext import LayerScale, StochasticDepth
    from brickwork.applications.inception_resnet_v2 import CustomScaleLayer
    x = L.Input((6,))
    a = L.Dense(6)(x)
    b = LayerScale(0.5, 6)(StochasticDepth(0.2)(a))
    y = CustomScaleLayer(0.3)([a, b])
    y = ops.relu(x + y) - ops.multiply(y, 2.0)
    y = ops.maximum(ops.sigmoid(y), ops.negative(ops.tanh(y))) / ops.add(ops.abs(y), 1.0)
    model = randomize(bw.Model(x, y))
    check_export(model, data(6), tmp_path, "operations")


def test_an_operation_without_converter_is_refused_by_name(tmp_path):
    from brickwork import ops
    x = L.Input((6,))
    model = bw.Model(x, ops.cumsum(x, axis=-1))
    with pytest.raises(ExportError, match="(?i)cumsum.*no ONNX converter"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
