"""Preprocessing layers against outputs Keras 3 computed
(``fixtures/make_keras_preprocessing.py``): values, configs, adapt on
arrays and on batches, saving, and errors for bad input."""
import json
import os

import numpy as np
import pytest

import brickwork as keras
from brickwork import layers

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "keras_preprocessing")


def _load(name):
    with open(os.path.join(HERE, name)) as handle:
        return json.load(handle)["cases"]


NUMERIC = _load("numeric.json")
NUMERIC_ARRAYS = np.load(os.path.join(HERE, "numeric.npz"))
NUMERIC_CASES = sorted(k for k in NUMERIC if k not in ("archives", "boxes"))
BOX_CASES = sorted(NUMERIC["boxes"])


def _json_roundtrip(value):
    return json.loads(json.dumps(value))


def _config(value):
    """A config as JSON holds it, without the auto-numbered name."""
    config = _json_roundtrip(value)
    config.pop("name", None)
    return config


def _build_numeric(name):
    spec = NUMERIC[name]
    layer = getattr(layers, spec["class"])(**spec["kwargs"])
    if spec["adapt"]:
        layer.adapt(NUMERIC_ARRAYS[f"{name}/adapt"])
    if spec["batches"]:
        layer.adapt(NUMERIC_ARRAYS[f"{name}/batch/{i}"] for i in range(spec["batches"]))
    return spec, layer


@pytest.mark.parametrize("name", NUMERIC_CASES)
def test_numeric_layer_matches_keras(name):
    spec, layer = _build_numeric(name)
    call_kwargs = {key: NUMERIC_ARRAYS[f"{name}/kw/{key}"] for key in spec["call_kwargs"]}
    out = keras.ops.convert_to_numpy(layer(NUMERIC_ARRAYS[f"{name}/in"], **call_kwargs))
    expected = NUMERIC_ARRAYS[f"{name}/out"]
    assert out.shape == expected.shape
    assert str(out.dtype) == spec["out_dtype"]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert len(layer.weights) == spec["weights"]
    for i, weight in enumerate(layer.weights):
        np.testing.assert_allclose(weight.numpy(), NUMERIC_ARRAYS[f"{name}/w/{i}"], rtol=2e-6,
                                   atol=1e-6)
    assert _config(layer.get_config()) == _config(spec["config"])


@pytest.mark.parametrize("name", NUMERIC_CASES)
def test_numeric_config_round_trip(name):
    spec, layer = _build_numeric(name)
    clone = type(layer).from_config(_json_roundtrip(layer.get_config()))
    assert _json_roundtrip(clone.get_config()) == _json_roundtrip(layer.get_config())


@pytest.mark.parametrize("name", BOX_CASES)
def test_image_layers_move_boxes_and_masks_as_keras(name):
    spec = NUMERIC["boxes"][name]
    layer = getattr(layers, spec["class"])(**spec["kwargs"])
    result = layer({"images": NUMERIC_ARRAYS["boxes/image"],
                    "segmentation_masks": NUMERIC_ARRAYS["boxes/masks"],
                    "bounding_boxes": {"boxes": NUMERIC_ARRAYS[f"{name}/boxes_in"],
                                       "labels": NUMERIC_ARRAYS["boxes/labels"]}})
    numpy = keras.ops.convert_to_numpy
    np.testing.assert_allclose(numpy(result["images"]), NUMERIC_ARRAYS[f"{name}/images"],
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(numpy(result["segmentation_masks"]),  # CenterCrop: bilinear
                               NUMERIC_ARRAYS[f"{name}/masks"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(numpy(result["bounding_boxes"]["boxes"]),
                               NUMERIC_ARRAYS[f"{name}/boxes"], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(numpy(result["bounding_boxes"]["labels"]),
                                  NUMERIC_ARRAYS[f"{name}/labels"])
    assert _config(layer.get_config()) == _config(spec["config"])


def test_keras_written_normalization_model_loads(tmp_path):
    case = NUMERIC["archives"]["normalization_model"]
    model = keras.models.load_model(os.path.join(HERE, "normalization_model.keras"))
    probe = np.asarray(case["in"], "float32")
    np.testing.assert_allclose(model.predict(probe, verbose=0), case["out"], rtol=1e-5, atol=1e-5)
    model.save(tmp_path / "again.keras")
    again = keras.models.load_model(tmp_path / "again.keras")
    np.testing.assert_allclose(again.predict(probe, verbose=0), case["out"], rtol=1e-5, atol=1e-5)


# -- Normalization -----------------------------------------------------------------


def test_normalization_in_functional_model_and_gradient():
    inputs = keras.Input((3,))
    norm = layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25])
    model = keras.Model(inputs, norm(inputs))
    x = np.array([[3.0, 2.0, 3.5]], "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), [[1.0, 0.0, 1.0]])
    source = keras.Variable(x)
    with keras.GradientTape() as tape:
        loss = keras.ops.sum(layers.Rescaling(3.0)(norm(source)))
    grads = tape.gradient(loss, [source])[0]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grads), [[1.5, 3.0, 6.0]])


def test_normalization_adapt_generator_and_pydataset_agree():
    data = np.random.default_rng(0).normal(size=(30, 4)).astype("float32")
    whole = layers.Normalization()
    whole.adapt(data)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return data[i * 10:(i + 1) * 10], np.zeros(10)

    for source in ((data[i:i + 10] for i in range(0, 30, 10)), Batches()):
        layer = layers.Normalization()
        layer.adapt(source)
        np.testing.assert_allclose(layer.adapt_mean.numpy(), whole.adapt_mean.numpy(), atol=1e-6)
        np.testing.assert_allclose(layer.adapt_variance.numpy(), whole.adapt_variance.numpy(),
                                   rtol=1e-5)


def test_normalization_bad_input():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=1.0)
    layer = layers.Normalization()
    layer.adapt(np.ones((4, 3), "float32"))
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(np.ones((4, 5), "float32"))
    with pytest.raises(ValueError, match=r"\[-ndim, ndim\)"):
        layers.Normalization(axis=3).build((None, 2))
    with pytest.raises(TypeError, match="adapt"):
        layers.Normalization().adapt(3.0)


def test_rescaling_symbolic_and_dtype():
    inputs = keras.Input((2, 2, 3), dtype="uint8")
    model = keras.Model(inputs, layers.Rescaling(1 / 255)(inputs))
    out = model.predict(np.full((1, 2, 2, 3), 255, "uint8"), verbose=0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 1.0)


# -- string layers -------------------------------------------------------------------

STRINGS = _load("strings.json")
STRING_CASES = sorted(k for k in STRINGS if k != "archives")


def _build_string(name):
    spec = STRINGS[name]
    kwargs = dict(spec["kwargs"])
    if isinstance(kwargs.get("ngrams"), list):
        kwargs["ngrams"] = tuple(kwargs["ngrams"])
    if spec["vocab_file"]:
        kwargs["vocabulary"] = os.path.join(HERE, spec["vocab_file"])
    layer = getattr(layers, spec["class"])(**kwargs)
    if spec["adapt"] is not None:
        layer.adapt(spec["adapt"])
    if spec["batches"] is not None:
        layer.adapt(np.array(batch) for batch in spec["batches"])
    return spec, layer


def _call_string(spec, layer):
    if spec["tuple_input"]:
        return layer(tuple(np.array(v) for v in spec["in"]))
    return layer(np.array(spec["in"]))


@pytest.mark.parametrize("name", STRING_CASES)
def test_string_layer_matches_keras(name):
    spec, layer = _build_string(name)
    out = _call_string(spec, layer)
    out = np.asarray(out) if spec["out_dtype"] == "string" else keras.ops.convert_to_numpy(out)
    expected = np.array(spec["out"], dtype=object if spec["out_dtype"] == "string" else None)
    assert out.shape == expected.shape
    if spec["out_dtype"] == "string":
        assert out.tolist() == expected.tolist()
    else:
        assert str(out.dtype) == spec["out_dtype"]
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    if "vocabulary" in spec:
        assert layer.get_vocabulary() == spec["vocabulary"]
    config, expected_config = _config(layer.get_config()), _config(spec["config"])
    if spec["vocab_file"]:  # a file vocabulary is not in the config
        assert config.get("vocabulary") is None
    assert config == expected_config


@pytest.mark.parametrize("name", STRING_CASES)
def test_string_config_round_trip(name):
    spec, layer = _build_string(name)
    config = _json_roundtrip(layer.get_config())
    clone = type(layer).from_config(config)
    clone_config, config = _config(clone.get_config()), _config(config)
    if spec["class"] == "TextVectorization" and (spec["adapt"] or spec["batches"]
                                                 or spec["vocab_file"]):
        # As in Keras: a learned or file vocabulary travels in the assets, not the config.
        clone_config.pop("vocabulary_size"), config.pop("vocabulary_size")
    assert clone_config == config


def _archive_probe(model_name, probe):
    if model_name == "text_model":
        return [np.array(probe["text"]), np.array(probe["colour"]),
                np.array(probe["number"], "float32")]
    if model_name == "categorical_model":
        return [np.array(probe["ints"]), np.array(probe["reals"], "float32"),
                np.array(probe["words"])]
    return np.array(probe, "float32" if model_name == "image_model" else None)


@pytest.mark.parametrize("model_name", ["text_model", "sequence_model", "image_model",
                                        "categorical_model"])
def test_keras_written_preprocessing_models_load_predict_and_resave(model_name, tmp_path):
    case = STRINGS["archives"][model_name]
    model = keras.models.load_model(os.path.join(HERE, f"{model_name}.keras"))
    probe = _archive_probe(model_name, case["in"])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(probe)), case["out"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(probe, verbose=0), case["out"], rtol=1e-5,
                               atol=1e-6)
    model.save(tmp_path / "again.keras")
    import zipfile
    names = zipfile.ZipFile(tmp_path / "again.keras").namelist()
    assert sorted(n for n in names if n.startswith("assets/")) == sorted(
        n for n in zipfile.ZipFile(os.path.join(HERE, f"{model_name}.keras")).namelist()
        if n.startswith("assets/"))
    again = keras.models.load_model(tmp_path / "again.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(probe)), case["out"],
                               rtol=1e-5, atol=1e-6)


def test_lookup_save_and_load_round_trip(tmp_path):
    inputs = keras.Input((), dtype="string")
    lookup = layers.StringLookup(output_mode="tf_idf")
    lookup.adapt([["a", "b", "a"], ["c", "a", "d"]])
    model = keras.Model(inputs, lookup(inputs))
    probe = np.array(["a", "d", "zz"])
    expected = keras.ops.convert_to_numpy(model(probe))
    model.save(tmp_path / "lookup.keras")
    loaded = keras.models.load_model(tmp_path / "lookup.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(probe)), expected)
    assert loaded.layers[1].get_vocabulary() == lookup.get_vocabulary()


# -- hashes ----------------------------------------------------------------------------


def test_fingerprint64_and_siphash_known_values():
    from brickwork.layers.preprocessing.string_hashing import fingerprint64, siphash24
    # FarmHash Fingerprint64 and SipHash-2-4 (reference vectors of their authors).
    assert fingerprint64(b"hello") == 13009744463427800296
    key = (int.from_bytes(bytes(range(8)), "little"), int.from_bytes(bytes(range(8, 16)),
                                                                      "little"))
    assert siphash24(key, b"") == 0x726FDB47DD0E0E31
    assert siphash24(key, bytes(range(15))) == 0xA129CA6149BE45E5


# -- bad input ---------------------------------------------------------------------------


def test_preprocessing_bad_input_errors():
    with pytest.raises(ValueError, match="interpolation"):
        layers.Resizing(2, 2, interpolation="cubic")
    with pytest.raises(ValueError, match="only one of"):
        layers.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="rank 3"):
        layers.Resizing(2, 2)(np.zeros((2, 2), "float32"))
    with pytest.raises(ValueError, match="num_bins"):
        layers.Discretization()
    with pytest.raises(ValueError, match="not both"):
        layers.Discretization(bin_boundaries=[0.0], num_bins=3)
    with pytest.raises(ValueError, match="num_tokens"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match="num_bins"):
        layers.Hashing(num_bins=0)
    with pytest.raises(ValueError, match="at least two"):
        layers.HashedCrossing(num_bins=3)((np.array(["a"]),))
    with pytest.raises(ValueError, match="repeats"):
        layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["b"]))
    with pytest.raises(ValueError, match="invert"):
        layers.StringLookup(invert=True, output_mode="one_hot")
    with pytest.raises(RuntimeError, match="set the vocabulary"):
        layers.StringLookup(output_mode="multi_hot")(np.array([["a"]]))
    from brickwork.saving import safe_mode
    with safe_mode.SafeModeScope(True), pytest.raises(ValueError, match="safe mode"):
        layers.StringLookup(vocabulary=os.path.join(HERE, "vocabulary_file.txt"))
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="last dimension of 1"):
        layers.TextVectorization(vocabulary=["a"])(np.array([["a b", "c"]]))
    with pytest.raises(ValueError, match="sparse"):
        layers.TextVectorization(sparse=True)


# -- resizing: gradients and graphs ----------------------------------------------------


@pytest.mark.parametrize("interpolation,antialias", [("bilinear", True), ("bicubic", False),
                                                     ("lanczos3", True), ("area", False)])
def test_resize_gradient_matches_finite_differences(interpolation, antialias):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 5, 6, 2))
    probe = rng.normal(size=(1, 3, 4, 2))

    def loss(value):
        out = keras.ops.image.resize(value, (3, 4), interpolation=interpolation,
                                     antialias=antialias)
        return keras.ops.sum(keras.ops.multiply(out, probe))

    source = keras.Variable(x, dtype="float64")
    with keras.GradientTape() as tape:
        value = loss(source)
    grad = keras.ops.convert_to_numpy(tape.gradient(value, [source])[0])
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        numeric[index] = (float(loss(x + step)) - float(loss(x - step))) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_image_layers_in_a_functional_model():
    inputs = keras.Input((9, 7, 3))
    resized = layers.Resizing(5, 4, interpolation="lanczos3")(inputs)
    cropped = layers.CenterCrop(3, 3)(resized)
    model = keras.Model(inputs, cropped)
    assert tuple(cropped.shape) == (None, 3, 3, 3)
    x = np.random.default_rng(0).normal(size=(2, 9, 7, 3)).astype("float32")
    direct = layers.CenterCrop(3, 3)(layers.Resizing(5, 4, interpolation="lanczos3")(x))
    np.testing.assert_allclose(model.predict(x, verbose=0), keras.ops.convert_to_numpy(direct),
                               rtol=1e-6)


def test_text_vectorization_callables_and_config_round_trip():
    @keras.saving.register_keras_serializable(package="preprocessing_test")
    def shout(strings):
        return np.char.upper(strings)

    @keras.saving.register_keras_serializable(package="preprocessing_test")
    def comma_split(strings):
        return [s.split(",") for s in strings.tolist()]

    layer = layers.TextVectorization(standardize=shout, split=comma_split,
                                     vocabulary=["A", "B C"], output_sequence_length=3)
    expected = [[2, 3, 1], [1, 0, 0]]
    assert keras.ops.convert_to_numpy(layer(np.array(["a,b c,d", "x"]))).tolist() == expected
    clone = layers.TextVectorization.from_config(_json_roundtrip(layer.get_config()))
    assert keras.ops.convert_to_numpy(clone(np.array(["a,b c,d", "x"]))).tolist() == expected


def test_lookup_adapt_on_pydataset_with_steps():
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.array([["x", "y"], ["y", "z"], ["w", "w"]][i])

    layer = layers.StringLookup()
    layer.adapt(Batches(), steps=2)
    assert layer.get_vocabulary() == ["[UNK]", "y", "z", "x"]


# -- the CuPy backend (skipped without a GPU) -------------------------------------------


def _cupy_skip_reason():
    from brickwork import backend
    status = {s.name: s for s in backend.list_backends()}.get("cupy")
    return None if status is not None and status.usable else "cupy backend unusable here"


@pytest.mark.gpu
@pytest.mark.skipif(_cupy_skip_reason() is not None, reason=_cupy_skip_reason() or "")
@pytest.mark.parametrize("name", ["norm_batches", "norm_given_invert", "rescale_channels",
                                  "resize_lanczos3_4x3_aa1", "resize_area_13x11_aa0",
                                  "resize_uint8_bicubic", "center_crop_grow", "disc_adapt",
                                  "cat_count_weights", "slookup_tf_idf", "tv_count",
                                  "hash_one_hot"])
def test_preprocessing_layers_on_cupy(name):
    from brickwork import backend
    with backend.use_backend("cupy"):
        if name in NUMERIC:
            spec, layer = _build_numeric(name)
            kwargs = {key: NUMERIC_ARRAYS[f"{name}/kw/{key}"] for key in spec["call_kwargs"]}
            out = layer(NUMERIC_ARRAYS[f"{name}/in"], **kwargs)
            expected = NUMERIC_ARRAYS[f"{name}/out"]
        else:
            spec, layer = _build_string(name)
            out = _call_string(spec, layer)
            expected = np.array(spec["out"])
        assert type(out).__module__.split(".")[0] == "cupy"
        np.testing.assert_allclose(keras.ops.convert_to_numpy(out), expected, rtol=1e-5,
                                   atol=1e-5)


def test_normalization_batches_an_unbatched_dataset_of_vectors():
    data = np.random.default_rng(1).normal(size=(300, 3)).astype("float32")

    class Spec:
        shape = (3,)

    class Unbatched:  # the parts of tf.data.Dataset that adapt reads
        element_spec = Spec()

        def batch(self, size):
            return [data[i:i + size] for i in range(0, len(data), size)]

    layer = layers.Normalization()
    layer.adapt(Unbatched())
    assert layer.adapt_mean.shape == (3,)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), data.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), data.var(axis=0), rtol=1e-5)
