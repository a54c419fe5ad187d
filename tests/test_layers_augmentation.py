"""Image augmentation layers against Keras 3 (``fixtures/keras_augmentation.*``,
made by ``fixtures/make_keras_augmentation.py``).

Random draws cannot match Keras's bit for bit, so the tests split each layer:
(a) the deterministic transform — Keras's ``transform_images`` /
``transform_bounding_boxes`` on a fixed transformation — matches exactly;
(b) inference is the identity; (c) a seed repeats, another seed differs;
(d) draws respect the factor ranges and probabilities; (e) configs equal
Keras's and round-trip.
"""
import json
import pathlib

import numpy as np
import pytest

import brickwork as keras
from brickwork import layers

HERE = pathlib.Path(__file__).parent / "fixtures"
FIXTURE = json.loads((HERE / "keras_augmentation.json").read_text())
ARRAYS = np.load(HERE / "keras_augmentation.npz")

ALL_LAYERS = ["RandomBrightness", "RandomColorDegeneration", "RandomColorJitter",
              "RandomContrast", "RandomCrop", "RandomElasticTransform", "RandomErasing",
              "RandomFlip", "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert",
              "RandomPerspective", "RandomPosterization", "RandomRotation", "RandomSaturation",
              "RandomSharpness", "RandomShear", "RandomTranslation", "RandomZoom", "AugMix",
              "RandAugment", "CutMix", "MixUp", "Solarization", "Equalization", "AutoContrast",
              "ContrastLimitedAdaptiveHistogramEqualization", "MaxNumBoundingBoxes", "Pipeline"]

# Arguments that make each random layer change most inputs, for (b)-(d).
ACTIVE = {
    "RandomBrightness": {"factor": 0.3}, "RandomColorDegeneration": {"factor": 0.9},
    "RandomColorJitter": {"brightness_factor": 0.2, "contrast_factor": 0.3,
                          "saturation_factor": 0.4, "hue_factor": 0.3},
    "RandomContrast": {"factor": 0.5}, "RandomCrop": {"height": 5, "width": 6},
    "RandomElasticTransform": {"factor": (0.99, 1.0)}, "RandomErasing": {"factor": (0.99, 1.0)},
    "RandomFlip": {}, "RandomGaussianBlur": {"factor": (0.99, 1.0)}, "RandomGrayscale": {},
    "RandomHue": {"factor": 0.5}, "RandomInvert": {}, "RandomPerspective": {"scale": 0.5},
    "RandomPosterization": {"factor": (1, 4)}, "RandomRotation": {"factor": 0.2},
    "RandomSaturation": {"factor": 0.6}, "RandomSharpness": {"factor": 0.9},
    "RandomShear": {"x_factor": 0.3, "y_factor": 0.3},
    "RandomTranslation": {"height_factor": 0.3, "width_factor": 0.3},
    "RandomZoom": {"height_factor": 0.4}, "AugMix": {}, "RandAugment": {}, "CutMix": {},
    "MixUp": {"alpha": 1.0}, "Solarization": {"addition_factor": 0.4, "threshold_factor": 0.6},
}
SEEDLESS = {"Equalization": {}, "AutoContrast": {},
            "ContrastLimitedAdaptiveHistogramEqualization": {"tile_grid_size": (2, 2)}}


def decode(value):
    if isinstance(value, dict):
        if "__array__" in value:
            return np.asarray(value["__array__"], value["dtype"])
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def kwargs_of(raw):
    return {key: tuple(value) if isinstance(value, list) else value for key, value in raw.items()}


def images(shape=(6, 8, 8, 3), seed=0, high=255.0):
    return np.random.default_rng(seed).uniform(0, high, shape).astype("float32")


def make(name, seed=None, **extra):
    kwargs = dict(ACTIVE.get(name, SEEDLESS.get(name, {})), **extra)
    if name in ACTIVE:
        kwargs["seed"] = seed
    return getattr(layers, name)(**kwargs)


def normalized(config):
    return json.loads(json.dumps(config))


# -- (a) the deterministic transform against Keras ------------------------------------------


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["name"])
def test_transform_images_matches_keras(case):
    layer = getattr(layers, case["layer"])(**kwargs_of(case["kwargs"]))
    inputs = ARRAYS[case["images"]]
    got = np.asarray(layer.transform_images(inputs, decode(case["transformation"]),
                                            training=True))
    want = ARRAYS[f"{case['name']}/output"]
    assert got.shape == want.shape
    # Posterization and equalization go through integer bins: values on a bin edge may differ
    # by float rounding; all others agree to float32 rounding of a few operations.
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-3 * (np.abs(want).max() or 1.0))
    if "labels" in case:
        labels = np.asarray(layer.transform_labels(ARRAYS[case["labels"]],
                                                   decode(case["transformation"])))
        np.testing.assert_allclose(labels, ARRAYS[f"{case['name']}/labels"], rtol=1e-6)


@pytest.mark.parametrize("case", FIXTURE["box_cases"], ids=lambda c: c["name"])
def test_transform_bounding_boxes_matches_keras(case):
    layer = getattr(layers, case["layer"])(bounding_box_format=case["bounding_box_format"],
                                           **kwargs_of(case["kwargs"]))
    given = {"boxes": ARRAYS[f"{case['name']}/boxes_in"], "labels": ARRAYS["boxes/labels"]}
    result = layer.transform_bounding_boxes(given, decode(case["transformation"]), training=True)
    np.testing.assert_allclose(np.asarray(result["boxes"]), ARRAYS[f"{case['name']}/boxes"],
                               rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(np.asarray(result["labels"]),
                                  ARRAYS[f"{case['name']}/box_labels"])


def test_rotation_matrix_matches_keras():
    """The matrix drawn from an angle is Keras's (fixture: Keras drew the angle)."""
    from brickwork.layers.augmentation.base import affine_matrix
    case = next(c for c in FIXTURE["cases"] if c["name"] == "rotation")
    transformation = decode(case["transformation"])
    angle = transformation["angle"]
    zeros = np.zeros_like(angle)
    matrix = affine_matrix(0.5, 0.5, angle, zeros, zeros, np.ones_like(angle), zeros, zeros,
                           transformation["image_height"], transformation["image_width"])
    np.testing.assert_allclose(np.asarray(matrix), transformation["rotation_matrix"],
                               rtol=1e-5, atol=1e-5)


# -- (b) identity at inference, shapes, single images --------------------------------------


@pytest.mark.parametrize("name", sorted(ACTIVE))
def test_identity_at_inference_and_random_in_training(name):
    x = images()
    layer = make(name, seed=1)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    y = np.asarray(layer(x, training=True))
    expected_shape = (6, 5, 6, 3) if name == "RandomCrop" else x.shape
    assert y.shape == expected_shape and y.dtype == np.float32
    if name != "RandomCrop":
        assert not np.allclose(y, x), f"{name} left the batch unchanged in training"
    single = np.asarray(layer(x[0]))  # training defaults to True, as in Keras
    assert single.shape == expected_shape[1:]


@pytest.mark.parametrize("name", sorted(SEEDLESS))
def test_deterministic_layers(name):
    x = images()
    layer = make(name)
    first, second = np.asarray(layer(x)), np.asarray(layer(x))
    np.testing.assert_array_equal(first, second)
    assert np.asarray(layer(x[0])).shape == (8, 8, 3)


def test_layers_inside_a_model_are_identity_in_predict():
    model = keras.Sequential([layers.Input((8, 8, 3)), layers.RandomFlip(seed=1),
                              layers.RandomRotation(0.2, seed=2), layers.RandomZoom(0.2, seed=3),
                              layers.RandomContrast(0.3, seed=4)])
    x = images((4, 8, 8, 3))
    np.testing.assert_allclose(model.predict(x, verbose=0), x, rtol=1e-6)
    symbolic = layers.Input((8, 8, 3))
    assert tuple(layers.RandomCrop(4, 5, seed=1)(symbolic).shape) == (None, 4, 5, 3)
    assert tuple(layers.RandAugment(seed=1)(symbolic).shape) == (None, 8, 8, 3)


# -- (c) seeds -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ACTIVE))
def test_same_seed_same_output_other_seed_differs(name):
    x = images()
    first, again, other = make(name, seed=7), make(name, seed=7), make(name, seed=8)
    a1, a2 = np.asarray(first(x)), np.asarray(first(x))
    np.testing.assert_array_equal(a1, np.asarray(again(x)))
    np.testing.assert_array_equal(a2, np.asarray(again(x)))  # the sequence repeats too
    assert not np.array_equal(a1, a2), "successive calls should draw anew"
    assert not np.array_equal(a1, np.asarray(other(x)))


def test_set_random_seed_makes_unseeded_layers_repeat():
    x = images()
    keras.utils.set_random_seed(3)
    first = np.asarray(layers.RandomRotation(0.3)(x))
    keras.utils.set_random_seed(3)
    np.testing.assert_array_equal(first, np.asarray(layers.RandomRotation(0.3)(x)))


# -- (d) statistics ----------------------------------------------------------------------------


def test_random_flip_flips_about_half_and_only_flips():
    x = images((400, 4, 4, 1))
    layer = layers.RandomFlip("horizontal", seed=2)
    y = np.asarray(layer(x))
    flipped = np.all(y == x[:, :, ::-1], axis=(1, 2, 3))
    kept = np.all(y == x, axis=(1, 2, 3))
    assert np.all(flipped | kept)
    assert 160 < flipped.sum() < 240  # Binomial(400, 1/2): 8 standard deviations


def test_factor_ranges_are_respected():
    x = images((64, 8, 8, 3))
    rotation = layers.RandomRotation((0.05, 0.1), seed=1)
    angles = np.asarray(rotation.get_random_transformation(x)["angle"])
    assert angles.min() >= 18.0 and angles.max() < 36.0
    zoom = layers.RandomZoom((-0.3, -0.1), width_factor=(0.2, 0.4), seed=1)
    t = zoom.get_random_transformation(x)
    assert 0.7 <= np.min(t["height_zoom"]) and np.max(t["height_zoom"]) < 0.9
    assert 1.2 <= np.min(t["width_zoom"]) and np.max(t["width_zoom"]) < 1.4
    brightness = layers.RandomBrightness((0.1, 0.2), seed=1)
    y = np.asarray(brightness(np.full((64, 2, 2, 1), 100.0, "float32")))
    assert y.min() >= 100 + 0.1 * 255 - 1e-3 and y.max() < 100 + 0.2 * 255
    translation = layers.RandomTranslation((0.0, 0.25), (-0.5, -0.25), seed=1)
    shifts = np.asarray(translation.get_random_transformation(x)["translations"])
    assert np.all((shifts[:, 1] >= 0) & (shifts[:, 1] < 2)) and np.all(shifts[:, 0] < -2 + 1e-6)
    posterize = layers.RandomPosterization((2, 5), seed=1)
    bits = 8 - np.asarray(posterize.get_random_transformation(x)["shift_factor"]).astype(int)
    assert set(bits) <= {2, 3, 4}  # Keras's randint excludes the upper bound
    # Keras draws thresholds from [lower, upper * 255]: the lower end is not scaled.
    solarize = layers.Solarization(threshold_factor=(0.2, 0.5), seed=1)
    ramp = np.linspace(0, 255, 64, dtype="float32").reshape(1, 8, 8, 1)
    thresholds = np.asarray(solarize.get_random_transformation(x)["thresholds"])
    assert thresholds.min() >= 0.2 and thresholds.max() < 127.5
    t = solarize.get_random_transformation(ramp)
    y = np.asarray(solarize.transform_images(ramp, t))
    threshold = float(np.asarray(t["thresholds"]).reshape(-1)[0])
    np.testing.assert_allclose(y, np.where(ramp < threshold, ramp, 255 - ramp), rtol=1e-6)


def test_probability_layers_apply_at_their_rate():
    x = images((300, 4, 4, 3))
    layer = layers.RandomGrayscale(factor=0.25, seed=4)
    y = np.asarray(layer(x))
    gray = np.all(np.isclose(y[..., 0], y[..., 1]) & np.isclose(y[..., 1], y[..., 2]),
                  axis=(1, 2))
    assert 45 < gray.sum() < 105  # Binomial(300, 0.25)
    invert = layers.RandomInvert(factor=(0.5, 0.5), seed=4)
    y = np.asarray(invert(x))
    inverted = np.all(np.isclose(y, 255.0 - x), axis=(1, 2, 3))
    assert np.all(inverted | np.all(y == x, axis=(1, 2, 3)))
    assert 110 < inverted.sum() < 190


def test_mix_up_and_cut_mix_mix_labels_consistently():
    x = images((8, 8, 8, 3))
    labels = np.eye(8, dtype="float32")
    out = layers.MixUp(alpha=0.5, seed=1)({"images": x, "labels": labels})
    y, mixed = np.asarray(out["images"]), np.asarray(out["labels"])
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, rtol=1e-5)
    # Each image is the label-weighted sum of the batch.
    np.testing.assert_allclose(y, np.einsum("ij,jhwc->ihwc", mixed, x), rtol=1e-4, atol=1e-2)
    x = images((8, 32, 32, 3))
    out = layers.CutMix(seed=2)({"images": x, "labels": labels})
    y, mixed = np.asarray(out["images"]), np.asarray(out["labels"])
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, rtol=1e-5)
    own = np.mean(np.all(y == x, axis=-1), axis=(1, 2))  # share of pixels kept
    weights = mixed[np.arange(8), np.arange(8)]
    partner = np.argmax(mixed - np.diag(weights), axis=1)
    fixed = partner == np.arange(8)  # a self-pair keeps all its pixels
    # The label weight is the box's real-valued area; the pixels are whole: 1 pixel per side.
    np.testing.assert_allclose(own[~fixed], weights[~fixed], atol=2 / 32)


def test_pipeline_and_dict_inputs_move_boxes_with_images():
    x = np.zeros((1, 8, 8, 1), "float32")
    x[0, 1:3, 0:2] = 1.0  # a bright square at x in [0, 2), y in [1, 3)
    data = {"images": x, "bounding_boxes": {"boxes": np.array([[[0.0, 1.0, 2.0, 3.0]]]),
                                            "labels": np.array([[4]])}}
    pipeline = layers.Pipeline([layers.RandomFlip("horizontal", seed=0,
                                                  bounding_box_format="xyxy"),
                                layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")])
    for seed in range(6):
        pipeline.layers[0].generator = keras.random.SeedGenerator(seed)
        out = pipeline(data)
        image = np.asarray(out["images"])[0, ..., 0]
        boxes = np.asarray(out["bounding_boxes"]["boxes"])
        assert boxes.shape == (1, 3, 4)
        x1, y1, x2, y2 = boxes[0, 0]
        assert image[int(y1):int(y2), int(x1):int(x2)].min() == 1.0  # the box covers the square
        np.testing.assert_array_equal(np.asarray(out["bounding_boxes"]["labels"]), [[4, -1, -1]])
    single = layers.RandomFlip(seed=0, bounding_box_format="xyxy")(
        {"images": x[0], "bounding_boxes": {"boxes": np.array([[0.0, 1.0, 2.0, 3.0]]),
                                            "labels": np.array([4])}})
    assert np.asarray(single["bounding_boxes"]["boxes"]).shape == (1, 4)


def test_bad_inputs_name_the_layer():
    with pytest.raises(ValueError, match="random_rotation.*factor"):
        layers.RandomRotation(1.5)
    with pytest.raises(ValueError, match="fill_mode"):
        layers.RandomTranslation(0.1, 0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="rank 3"):
        layers.RandomFlip()(np.zeros((8, 8), "float32"))
    with pytest.raises(ValueError, match="bounding_box_format"):
        layers.RandomFlip()({"images": np.zeros((1, 4, 4, 3)),
                             "bounding_boxes": {"boxes": np.zeros((1, 1, 4)),
                                                "labels": np.zeros((1, 1))}})
    with pytest.raises(ValueError, match="odd"):
        layers.RandomGaussianBlur(kernel_size=4)


# -- (e) configs -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(FIXTURE["configs"]))
def test_config_equals_keras_and_round_trips(key):
    entry = FIXTURE["configs"][key]
    want = entry["config"]
    if entry["layer"] == "Pipeline":
        layer = keras.saving.deserialize_keras_object(want)
        assert [type(sub).__name__ for sub in layer.layers] == ["RandomFlip", "RandomRotation"]
        got = normalized(keras.saving.serialize_keras_object(layer))
        got["config"].pop("name"), want["config"].pop("name")
        for sub_got, sub_want in zip(got["config"]["layers"], want["config"]["layers"]):
            sub_got["config"].pop("name"), sub_want["config"].pop("name")
        assert got == want
        return
    cls = getattr(layers, entry["layer"])
    config = normalized(cls(**kwargs_of(entry["kwargs"])).get_config())
    config.pop("name")
    assert config == want
    rebuilt = cls.from_config(dict(want, name="from_keras"))
    again = normalized(rebuilt.get_config())
    again.pop("name")
    assert again == want


def test_every_augmentation_name_is_exported_and_registered():
    from brickwork.api_export import BUILTIN_MODULES
    for name in ALL_LAYERS:
        assert BUILTIN_MODULES["keras.layers"][name] is getattr(layers, name)
    assert {key.split("/")[0].split("+")[0] for key in FIXTURE["configs"]} == set(ALL_LAYERS)


def test_keras_written_model_loads_predicts_and_saves_back(tmp_path):
    model = keras.models.load_model(HERE / "keras_augmentation_model.keras")
    assert [type(layer).__name__ for layer in model.layers] == [
        "RandomFlip", "RandomRotation", "RandAugment", "MixUp", "Pipeline", "Conv2D"]
    x = ARRAYS["model/x"]
    np.testing.assert_allclose(model.predict(x, verbose=0), ARRAYS["model/y"], rtol=1e-5,
                               atol=1e-3)
    model.save(tmp_path / "again.keras")
    again = keras.models.load_model(tmp_path / "again.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), ARRAYS["model/y"], rtol=1e-5,
                               atol=1e-3)
    assert again.layers[4].layers[0].get_config() == model.layers[4].layers[0].get_config()


def test_segmentation_masks_move_with_images_and_keep_their_classes():
    x = images((2, 8, 8, 3))
    masks = np.random.default_rng(1).integers(0, 3, (2, 8, 8, 1)).astype("float32")
    labels = np.eye(2, dtype="float32")
    for layer in (layers.RandomRotation(0.3, seed=1), layers.RandomZoom(0.3, seed=1),
                  layers.RandomFlip(seed=1), layers.RandomShear(0.3, 0.3, seed=1)):
        out = layer({"images": x, "labels": labels, "segmentation_masks": masks})
        assert set(np.unique(np.asarray(out["segmentation_masks"]))) <= {0.0, 1.0, 2.0}
        np.testing.assert_array_equal(np.asarray(out["labels"]), labels)
    flip = layers.RandomFlip("horizontal", seed=3)
    out = flip({"images": x, "segmentation_masks": masks})
    moved = np.asarray(out["images"])
    flipped = np.all(moved == x[:, :, ::-1], axis=(1, 2, 3))
    np.testing.assert_array_equal(np.asarray(out["segmentation_masks"]),
                                  np.where(flipped[:, None, None, None], masks[:, :, ::-1], masks))


@pytest.mark.parametrize("name", sorted(set(ACTIVE) | set(SEEDLESS)))
def test_channels_first_equals_channels_last(name):
    """The same seed draws the same transformation whatever the layout."""
    x = images((4, 8, 8, 3), seed=5)
    extra = {"fill_value": 9.0} if name == "RandomErasing" else {}  # noise would be laid out
    last = make(name, seed=3, data_format="channels_last", **extra)
    first = make(name, seed=3, data_format="channels_first", **extra)
    want = np.asarray(last(x))
    got = np.asarray(first(np.transpose(x, (0, 3, 1, 2))))
    np.testing.assert_allclose(np.transpose(got, (0, 2, 3, 1)), want, rtol=1e-5, atol=1e-3)
