"""IoU, F-score and correlation metrics against Keras 3: results after each
of several update_state calls (with and without sample weights), state
variables, configs, the metric functions, and signatures against the listing
(fixtures from fixtures/make_keras_api_more.py)."""
import inspect
import json
import pathlib
import re
import warnings

import numpy as np
import pytest

import brickwork
from brickwork import metrics

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REF = json.loads((FIXTURES / "keras_api_more.json").read_text())
ARR = np.load(FIXTURES / "keras_api_more.npz")
LISTING = json.loads((FIXTURES / "keras_public_api.json").read_text())["modules"]
CASES = REF["metrics"]["cases"]
NEW_NAMES = ["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "F1Score",
             "FBetaScore", "PearsonCorrelation", "ConcordanceCorrelation", "pearson_correlation",
             "concordance_correlation"]


def _batches(case):
    j = 0
    while f"metrics/{case}/{j}/y_true" in ARR:
        key = f"metrics/{case}/{j}/sample_weight"
        yield (ARR[f"metrics/{case}/{j}/y_true"], ARR[f"metrics/{case}/{j}/y_pred"],
               ARR[key] if key in ARR else None)
        j += 1


@pytest.mark.parametrize("case", sorted(CASES))
def test_results_over_several_updates_match_keras(case):
    spec = CASES[case]
    metric = getattr(metrics, spec["class_name"])(**spec["kwargs"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float weights into an int confusion matrix
        for (y_true, y_pred, weights), expected in zip(_batches(case), spec["results"]):
            metric.update_state(y_true, y_pred, sample_weight=weights)
            np.testing.assert_allclose(metric.result(), expected, rtol=1e-6, atol=1e-7)
    assert [[v.name, list(v.shape), str(v.dtype)] for v in metric.variables] == spec["variables"]
    config, expected_config = metric.get_config(), dict(spec["config"])
    # auto-numbered names ("binary_io_u_1") depend on how many came before
    assert re.sub(r"_\d+$", "", config.pop("name")) == \
        re.sub(r"_\d+$", "", expected_config.pop("name"))
    assert config == expected_config
    if "after_reset" in spec:
        metric.reset_state()
        np.testing.assert_allclose(metric.result(), spec["after_reset"])


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_round_trip(case):
    spec = CASES[case]
    metric = getattr(metrics, spec["class_name"])(**spec["kwargs"])
    again = metrics.deserialize(metrics.serialize(metric))
    assert type(again) is type(metric) and again.get_config() == metric.get_config()


@pytest.mark.parametrize("name", ["pearson_correlation", "concordance_correlation"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_functions_match_keras(name, axis):
    fn = getattr(metrics, name)
    got = fn(ARR[f"metric_fn/{name}/y_true"], ARR[f"metric_fn/{name}/y_pred"], axis=axis)
    np.testing.assert_allclose(got, ARR[f"metric_fn/{name}/axis{axis}"], rtol=1e-5, atol=1e-6)


def test_pearson_is_differentiable():
    y_true = np.random.default_rng(0).standard_normal((3, 6))
    y_pred = brickwork.Variable(np.random.default_rng(1).standard_normal((3, 6)))
    with brickwork.GradientTape() as tape:
        value = brickwork.ops.sum(metrics.pearson_correlation(y_true, y_pred))
    grad = np.asarray(tape.gradient(value, y_pred))
    assert grad.shape == (3, 6) and np.all(np.isfinite(grad))


def test_iou_docstring_example():
    m = metrics.IoU(num_classes=2, target_class_ids=[0])
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    np.testing.assert_allclose(m.result(), 1 / 3, rtol=1e-6)
    m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3, dtype="float32")
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=[0.2, 0.3, 0.4, 0.1])
    np.testing.assert_allclose(m.result(), 0.17361112, rtol=1e-6)


def test_argument_errors():
    with pytest.raises(ValueError, match="out of range"):
        metrics.IoU(num_classes=2, target_class_ids=[2])
    with pytest.raises(ValueError, match="average"):
        metrics.F1Score(average="median")
    with pytest.raises(ValueError, match="beta"):
        metrics.FBetaScore(beta=1)
    with pytest.raises(ValueError, match="threshold"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="2D"):
        metrics.F1Score().update_state(np.zeros(3), np.zeros(3))


def test_float_weights_into_int_matrix_warn():
    with pytest.warns(UserWarning, match="integer weights"):
        metrics.MeanIoU(2).update_state([0, 1], [0, 1], sample_weight=np.array([1.0, 2.0]))


def test_lookup_and_compile_names():
    assert isinstance(metrics.get("F1Score"), metrics.F1Score)
    # as in Keras, the snake-case name gives the class's instance
    assert isinstance(metrics.get("pearson_correlation"), metrics.PearsonCorrelation)
    wrapper = metrics.MeanMetricWrapper(metrics.concordance_correlation, name="ccc")
    again = metrics.MeanMetricWrapper.from_config(wrapper.get_config())
    assert again._fn is metrics.concordance_correlation


@pytest.mark.parametrize("name", NEW_NAMES)
def test_signature_matches_keras_listing(name):
    obj = getattr(metrics, name)
    got = [[p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
           for p in inspect.signature(obj).parameters.values()]
    assert got == LISTING["metrics"][name]["parameters"]


def test_metric_in_fit():
    from brickwork import layers
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 32)]
    model = brickwork.Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy",
                  metrics=[metrics.F1Score(average="macro"), metrics.OneHotMeanIoU(3)])
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert "f1_score" in history.history and "one_hot_mean_io_u" in history.history
