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
NUMERIC_CASES = sorted(k for k in NUMERIC if k != "archives")


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
