"""brickwork.applications against Keras 3's own applications (issue 17, item 5).

Facts come from ``fixtures/make_keras_applications.py`` (run with Keras):
every constructor's functional config and weight shapes, `.keras` files of
reduced-width models with Keras's predictions, and Keras's predictions of
full-size models whose weights both sides fill from one seeded formula
(``fixtures/applications_weights.py``).
"""
import gzip
import json
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import brickwork
from brickwork import applications as A
from brickwork.applications import (convnext, densenet, efficientnet, efficientnet_v2,
                                    imagenet_utils, nasnet, resnet)

HERE = Path(__file__).parent / "fixtures"
DATA = HERE / "keras_applications"
sys.path.insert(0, str(HERE))
from applications_weights import deterministic_values  # noqa: E402

STRUCTURES = json.loads(gzip.open(DATA / "structures.json.gz", "rt").read())
META = json.loads(gzip.open(DATA / "meta.json.gz", "rt").read())
OUTPUTS = np.load(DATA / "outputs.npz")
S32, S75, S71 = (32, 32, 3), (75, 75, 3), (71, 71, 3)

# What runs by default: every family and every code path (include_top both
# ways, pooling, alpha/depth_multiplier, minimalistic, include_preprocessing);
# the other constructors are deeper or wider copies of the same code, seconds
# (up to half a minute and gigabytes for ConvNeXtXLarge) each, marked slow.
QUICK_STRUCTURES = {"ConvNeXtTiny", "DenseNet121", "EfficientNetB0", "EfficientNetV2B0",
                    "EfficientNetV2B2", "InceptionV3", "MobileNet", "MobileNet_a050_dm2",
                    "MobileNetV2_a035", "MobileNetV3Small", "MobileNetV3Small_min",
                    "MobileNetV3Large_noprep", "NASNetMobile", "ResNet50_notop", "ResNet50V2",
                    "VGG19", "Xception"}


def _cases(names, quick):
    return [name if name in quick else pytest.param(name, marks=pytest.mark.slow)
            for name in sorted(names)]


def _plain(value):
    return json.loads(json.dumps(value))


def _sources(value, out):
    """The ``keras_history`` of every tensor an inbound node names, in order."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            out.append(tuple(value["config"]["keras_history"]))
        else:
            for item in value.values():
                _sources(item, out)
    elif isinstance(value, list):
        for item in value:
            _sources(item, out)
    return out


def _build(spec):
    brickwork.utils.clear_session()  # automatic names count from zero, as in the generator
    module = getattr(A, spec["module"])
    return getattr(module, spec["constructor"])(weights=None, **spec["kwargs"])


@pytest.mark.parametrize("case", _cases(STRUCTURES, QUICK_STRUCTURES))
def test_structure_matches_keras(case):
    spec = STRUCTURES[case]
    model = _build(spec)
    got, want = _plain(model.get_config()), spec["config"]
    assert got["name"] == want["name"]
    assert [(l["name"], l["class_name"]) for l in got["layers"]] == \
        [(l["name"], l["class_name"]) for l in want["layers"]]
    for mine, theirs in zip(got["layers"], want["layers"]):
        where = f"{case}: layer {theirs['name']!r}"
        assert mine["config"] == theirs["config"], where
        assert mine.get("module") == theirs.get("module"), where
        assert _sources(mine["inbound_nodes"], []) == _sources(theirs["inbound_nodes"], []), where
    assert _plain(got["input_layers"]) == want["input_layers"]
    assert _plain(got["output_layers"]) == want["output_layers"]
    mine = [(w.path, list(w.shape)) for w in model.weights]
    theirs = [(path, shape) for path, shape, _ in spec["weights"]]
    assert [shape for _, shape in mine] == [shape for _, shape in theirs]
    for (path, _), (keras_path, _) in zip(mine, theirs):
        # Keras prefixes variables with enclosing name scopes and nested models
        # (NASNet's cells, ConvNeXt's Sequential stems); brickwork's paths are
        # the owning layer's, which is what files record. An unnamed weight
        # (LayerScale's) is "variable" with Keras's session-wide counter.
        keras_path = re.sub(r"/variable_\d+$", "/variable", keras_path)
        assert keras_path == path or keras_path.endswith("/" + path), (keras_path, path)
    assert list(model.output_shape) == spec["output_shape"]


# -- reduced-width models: Keras's .keras files, and Keras's weights in brickwork's build ----

SMALL_BUILDERS = {
    "convnext_small": lambda weights: convnext.ConvNeXt(
        depths=[1, 1, 1, 1], projection_dims=[8, 16, 24, 32], name="convnext_mini",
        input_shape=S32, classes=10, weights=weights),
    "densenet_small": lambda weights: densenet.DenseNet(
        blocks=[1, 1, 1, 1], input_shape=S32, classes=10, weights=weights, name="densenet_mini"),
    "efficientnet_small": lambda weights: efficientnet.EfficientNet(
        0.25, 0.25, 32, input_shape=S32, classes=10, weights=weights, name="efficientnet_mini"),
    "efficientnet_v2_small": lambda weights: efficientnet_v2.EfficientNetV2(
        0.25, 0.25, 32, input_shape=S32, classes=10, weights=weights,
        name="efficientnetv2_mini",
        blocks_args=efficientnet_v2.DEFAULT_BLOCKS_ARGS["efficientnetv2-b0"]),
    "mobilenet_small": lambda weights: A.MobileNet(
        input_shape=S32, alpha=0.25, classes=10, weights=weights),
    "mobilenet_v2_small": lambda weights: A.MobileNetV2(
        input_shape=S32, alpha=0.35, classes=10, weights=weights),
    "mobilenet_v3_small": lambda weights: A.MobileNetV3Small(
        input_shape=S32, alpha=0.35, include_top=False, pooling="avg", weights=weights),
    "resnet_small": lambda weights: resnet.ResNet(
        lambda x: resnet.stack_residual_blocks_v1(x, 8, 2, stride1=1, name="conv2"),
        preact=False, use_bias=True, name="resnet_mini", input_shape=S32, classes=10,
        weights=weights),
    "resnet_v2_small": lambda weights: resnet.ResNet(
        lambda x: resnet.stack_residual_blocks_v2(x, 8, 2, name="conv2"),
        preact=True, use_bias=True, name="resnetv2_mini", input_shape=S32, classes=10,
        weights=weights),
    "nasnet_small": lambda weights: nasnet.NASNet(
        input_shape=S32, penultimate_filters=96, num_blocks=1, stem_block_filters=16,
        classes=10, weights=weights, default_size=32, name="nasnet_mini"),
}
FILES = sorted(META["files"])


def _close(got, want, what, sensitivity=0.0):
    """Within float32 rounding of Keras (plus Keras's own one-ulp sensitivity)."""
    scale = float(np.max(np.abs(want))) or 1.0
    np.testing.assert_allclose(np.asarray(got), want, rtol=2e-4,
                               atol=max(2e-5 * scale, 4 * sensitivity), err_msg=what)


# NASNet's graph (hundreds of layers even at one block per stage) loads slowly.
QUICK_FILES = set(FILES) - {"nasnet_small"}
QUICK_WEIGHT_FILES = {"convnext_small", "efficientnet_v2_small", "mobilenet_v3_small",
                      "mobilenet_small", "resnet_v2_small"}


@pytest.mark.parametrize("case", _cases(FILES, QUICK_FILES))
def test_keras_file_loads_and_predicts_as_keras(case, tmp_path):
    model = brickwork.models.load_model(DATA / f"{case}.keras")
    x = OUTPUTS[f"{case}/x"]
    _close(model.predict(x, verbose=0), OUTPUTS[f"{case}/y"], case)


def test_a_loaded_keras_application_saves_back(tmp_path):
    model = brickwork.models.load_model(DATA / "convnext_small.keras")
    model.save(tmp_path / "again.keras")
    again = brickwork.models.load_model(tmp_path / "again.keras")
    _close(again.predict(OUTPUTS["convnext_small/x"], verbose=0),
           OUTPUTS["convnext_small/y"], "convnext_small saved again")


@pytest.mark.parametrize("case", _cases(FILES, QUICK_WEIGHT_FILES))
def test_brickwork_build_loads_keras_weights_file(case, tmp_path):
    with zipfile.ZipFile(DATA / f"{case}.keras") as archive:
        (tmp_path / "keras.weights.h5").write_bytes(archive.read("model.weights.h5"))
    brickwork.utils.clear_session()
    model = SMALL_BUILDERS[case](str(tmp_path / "keras.weights.h5"))
    assert [(l["name"], l["class_name"]) for l in _plain(model.get_config())["layers"]] == \
        [tuple(entry) for entry in META["files"][case]["layers"]]
    _close(model.predict(OUTPUTS[f"{case}/x"], verbose=0), OUTPUTS[f"{case}/y"], case)


# -- full-size models with the same deterministic weights on both sides ------------------

DETERMINISTIC = {
    "inception_v3": lambda: A.InceptionV3(input_shape=S75, include_top=False, pooling="avg",
                                          weights=None),
    "inception_resnet_v2": lambda: A.InceptionResNetV2(input_shape=S75, include_top=False,
                                                       pooling="avg", weights=None),
    "resnet": lambda: A.ResNet50(input_shape=S32, include_top=False, pooling="avg", weights=None),
    "resnet_v2": lambda: A.ResNet50V2(input_shape=S32, include_top=False, pooling="avg",
                                      weights=None),
    "vgg16": lambda: A.VGG16(input_shape=S32, include_top=False, pooling="avg", weights=None),
    "vgg19": lambda: A.VGG19(input_shape=S32, include_top=False, pooling="avg", weights=None),
    "xception": lambda: A.Xception(input_shape=S71, include_top=False, pooling="avg",
                                   weights=None),
    "mobilenet_v3_large": lambda: A.MobileNetV3Large(input_shape=S32, include_top=False,
                                                     pooling="avg", weights=None),
    "convnext_tiny": lambda: A.ConvNeXtTiny(input_shape=S32, include_top=False, pooling="avg",
                                            weights=None),
    "efficientnet_b0": lambda: A.EfficientNetB0(input_shape=S32, include_top=False,
                                                pooling="avg", weights=None),
}


@pytest.mark.parametrize("case", _cases(DETERMINISTIC, {"vgg19", "resnet_v2", "xception",
                                                         "mobilenet_v3_large",
                                                         "efficientnet_b0"}))
def test_full_size_model_predicts_as_keras(case):
    brickwork.utils.clear_session()
    model = DETERMINISTIC[case]()
    model.set_weights([deterministic_values(i, w.path, w.shape).astype(w.dtype)
                       for i, w in enumerate(model.weights)])
    info = META["deterministic"][case]
    _close(model.predict(OUTPUTS[f"{case}/x"], verbose=0), OUTPUTS[f"{case}/y"], case,
           sensitivity=info["ulp_sensitivity"])


# -- preprocess_input, decode_predictions, weights arguments -------------------------------

PREPROCESS = ["resnet50", "resnet", "resnet_v2", "vgg16", "vgg19", "densenet", "inception_v3",
              "inception_resnet_v2", "xception", "mobilenet", "mobilenet_v2", "mobilenet_v3",
              "nasnet", "efficientnet", "efficientnet_v2", "convnext"]


@pytest.mark.parametrize("module", PREPROCESS)
def test_preprocess_input_matches_keras(module):
    fn = getattr(A, module).preprocess_input
    x = OUTPUTS["preprocess/x"]
    before = x.copy()
    np.testing.assert_allclose(fn(x.copy()), OUTPUTS[f"preprocess/{module}/channels_last"],
                               rtol=1e-6, atol=1e-5)
    first = np.transpose(x, (0, 3, 1, 2)).copy()
    np.testing.assert_allclose(fn(first, data_format="channels_first"),
                               OUTPUTS[f"preprocess/{module}/channels_first"],
                               rtol=1e-6, atol=1e-5)
    tensor = brickwork.ops.convert_to_tensor(x)
    np.testing.assert_allclose(brickwork.ops.convert_to_numpy(fn(tensor)),
                               OUTPUTS[f"preprocess/{module}/channels_last"], rtol=1e-6,
                               atol=1e-5)
    np.testing.assert_array_equal(x, before)  # the input is not modified


def test_preprocess_input_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="caffe2")


@pytest.fixture
def class_index(tmp_path, monkeypatch):
    """A synthetic ImageNet class index in a private Keras cache folder."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("BRICKWORK_HOME", raising=False)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    (tmp_path / "models").mkdir()
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (tmp_path / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
    return tmp_path


def test_decode_predictions_reads_the_cached_class_index(class_index):
    preds = np.zeros((2, 1000), "float32")
    preds[0, [3, 7, 1]] = [0.5, 0.3, 0.2]
    preds[1, 999] = 1.0
    decoded = A.resnet50.decode_predictions(preds, top=3)
    assert [t[:2] for t in decoded[0]] == [("n00000003", "class_3"), ("n00000007", "class_7"),
                                           ("n00000001", "class_1")]
    assert decoded[0][0][2] == pytest.approx(0.5)
    assert decoded[1][0][:2] == ("n00000999", "class_999")
    assert len(A.vgg16.decode_predictions(preds)[0]) == 5
    explicit = class_index / "models" / "imagenet_class_index.json"
    assert imagenet_utils.decode_predictions(preds, top=1, class_index_path=explicit)[1][0][1] \
        == "class_999"


def test_decode_predictions_without_the_class_index_says_where_to_get_it(tmp_path,
                                                                         monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("BRICKWORK_HOME", raising=False)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    with pytest.raises(FileNotFoundError, match="imagenet_class_index.json"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        imagenet_utils.decode_predictions(np.zeros((1, 10)))


def test_imagenet_weights_are_never_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("BRICKWORK_HOME", raising=False)
    with pytest.raises(FileNotFoundError) as info:
        A.MobileNet(alpha=0.25, input_shape=(128, 128, 3), include_top=False)
    message = str(info.value)
    assert "mobilenet_2_5_128_tf_no_top.h5" in message
    assert "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/" in message
    assert "downloads nothing" in message


def test_imagenet_weights_load_from_the_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("BRICKWORK_HOME", raising=False)
    brickwork.utils.clear_session()
    source = A.MobileNet(alpha=0.25, input_shape=(128, 128, 3), include_top=False, weights=None)
    (tmp_path / "models").mkdir()
    # The published files are legacy (Keras 2) HDF5 files, as `save` writes to `.h5`.
    with pytest.warns(UserWarning, match="legacy"):
        source.save(tmp_path / "models" / "mobilenet_2_5_128_tf_no_top.h5")
    brickwork.utils.clear_session()
    loaded = A.MobileNet(alpha=0.25, input_shape=(128, 128, 3), include_top=False)
    for a, b in zip(source.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, match", [
    (dict(weights="no/such/file.h5"), "weights"),
    (dict(weights="imagenet", classes=10), "classes"),
    (dict(weights=None, input_shape=(16, 16, 3)), "at least 32x32"),
    (dict(weights=None, include_top=True, input_shape=(None, None, 3)), "static"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        A.ResNet50(**kwargs)


API = json.loads((DATA / "api.json").read_text())


@pytest.mark.parametrize("module", sorted(API))
def test_each_module_has_keras_functions_with_keras_signatures(module):
    import inspect

    mod = getattr(A, module)
    for name, keras_params in API[module].items():
        fn = getattr(mod, name, None)
        assert callable(fn), f"brickwork.applications.{module} lacks {name}"
        params = [[p.name, p.kind.name, None if p.default is p.empty else repr(p.default)]
                  for p in inspect.signature(fn).parameters.values()]
        # Keras's parameters, in order, with Keras's defaults; brickwork may add
        # optional keywords after them (decode_predictions' class_index_path).
        assert params[:len(keras_params)] == keras_params, f"{module}.{name}"
        assert all(p[2] is not None for p in params[len(keras_params):]), f"{module}.{name}"
        if name[0].isupper():
            assert getattr(A, name) is fn  # also at brickwork.applications.<Name>


def test_input_tensor_is_used_as_the_model_input():
    brickwork.utils.clear_session()
    inputs = brickwork.layers.Input((32, 32, 3))
    x = brickwork.layers.Rescaling(1 / 255.0)(inputs) if hasattr(brickwork.layers, "Rescaling") \
        else inputs
    model = A.MobileNetV2(input_tensor=x, alpha=0.35, include_top=False, weights=None)
    assert model.inputs[0] is inputs


@pytest.mark.parametrize("module", ["imagenet_utils", "mobilenet", "convnext",
                                    "inception_resnet_v2"])
def test_docstring_examples_run(module):
    import doctest

    result = doctest.testmod(getattr(A, module), optionflags=doctest.NORMALIZE_WHITESPACE,
                             extraglobs={"np": np, "ops": brickwork.ops, "brickwork": brickwork})
    assert result.failed == 0 and result.attempted > 0


def test_a_keras_2_weights_file_loads_as_the_published_imagenet_files_do():
    # Same seeded weights as mobilenet_small.keras, in the legacy HDF5 layout
    # (top-level layer_names, one group per layer) of Keras's ImageNet files.
    brickwork.utils.clear_session()
    model = A.MobileNet(input_shape=S32, alpha=0.25, classes=10,
                        weights=str(DATA / "mobilenet_small_legacy.h5"))
    _close(model.predict(OUTPUTS["mobilenet_small/x"], verbose=0), OUTPUTS["mobilenet_small/y"],
           "legacy weights")
