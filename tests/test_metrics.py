"""Metrics: streaming equals one-shot, weighted means, reset, confusion-matrix
metrics against hand-computed values and scikit-learn, the compile-time
accuracy choice, lookup/serialization against Keras' configs, bad input."""
import json
import pathlib

import numpy as np
import pytest

import brickwork
from brickwork import metrics
from brickwork.autodiff import Tensor

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
N, C = 40, 4


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def make_data(seed=3):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, C, N)
    probs = _softmax(rng.normal(size=(N, C)) + 2 * np.eye(C)[labels] * (rng.random((N, 1)) > 0.4))
    return {
        "labels": labels,
        "onehot": np.eye(C, dtype="float32")[labels],
        "probs": probs.astype("float32"),
        "bin_t": (rng.random((N, 1)) > 0.5).astype("float32"),
        "bin_p": rng.random((N, 1)).astype("float32"),
        "multi_t": (rng.random((N, C)) > 0.5).astype("float32"),
        "multi_p": rng.random((N, C)).astype("float32"),
        "reg_t": rng.normal(size=(N, 3)).astype("float32"),
        "reg_p": rng.normal(size=(N, 3)).astype("float32"),
        "pos_t": (rng.random((N, 3)) * 2).astype("float32"),
        "pos_p": (rng.random((N, 3)) * 2 + 0.1).astype("float32"),
        "sw": (rng.random(N) + 0.25).astype("float32"),
    }


DATA = make_data()

# (factory, y_true key, y_pred key)
STREAMING_CASES = [
    (lambda: metrics.Accuracy(), "labels", "labels"),
    (lambda: metrics.BinaryAccuracy(), "bin_t", "bin_p"),
    (lambda: metrics.BinaryAccuracy(threshold=0.3), "multi_t", "multi_p"),
    (lambda: metrics.CategoricalAccuracy(), "onehot", "probs"),
    (lambda: metrics.SparseCategoricalAccuracy(), "labels", "probs"),
    (lambda: metrics.TopKCategoricalAccuracy(k=2), "onehot", "probs"),
    (lambda: metrics.SparseTopKCategoricalAccuracy(k=2), "labels", "probs"),
    (lambda: metrics.MeanSquaredError(), "reg_t", "reg_p"),
    (lambda: metrics.MeanAbsoluteError(), "reg_t", "reg_p"),
    (lambda: metrics.RootMeanSquaredError(), "reg_t", "reg_p"),
    (lambda: metrics.MeanAbsolutePercentageError(), "reg_t", "reg_p"),
    (lambda: metrics.MeanSquaredLogarithmicError(), "pos_t", "pos_p"),
    (lambda: metrics.CosineSimilarity(), "reg_t", "reg_p"),
    (lambda: metrics.LogCoshError(), "reg_t", "reg_p"),
    (lambda: metrics.Hinge(), "multi_t", "multi_p"),
    (lambda: metrics.SquaredHinge(), "multi_t", "multi_p"),
    (lambda: metrics.CategoricalHinge(), "onehot", "probs"),
    (lambda: metrics.KLDivergence(), "onehot", "probs"),
    (lambda: metrics.Poisson(), "pos_t", "pos_p"),
    (lambda: metrics.BinaryCrossentropy(), "bin_t", "bin_p"),
    (lambda: metrics.CategoricalCrossentropy(), "onehot", "probs"),
    (lambda: metrics.SparseCategoricalCrossentropy(), "labels", "probs"),
    (lambda: metrics.Precision(), "multi_t", "multi_p"),
    (lambda: metrics.Precision(thresholds=[0.2, 0.5, 0.8]), "multi_t", "multi_p"),
    (lambda: metrics.Precision(top_k=2), "multi_t", "multi_p"),
    (lambda: metrics.Recall(class_id=1), "multi_t", "multi_p"),
    (lambda: metrics.Recall(thresholds=[0.0, 0.5, 1.0]), "multi_t", "multi_p"),
    (lambda: metrics.TruePositives(), "bin_t", "bin_p"),
    (lambda: metrics.FalseNegatives(thresholds=[0.3, 0.7]), "bin_t", "bin_p"),
    (lambda: metrics.AUC(), "bin_t", "bin_p"),
    (lambda: metrics.AUC(curve="PR"), "multi_t", "multi_p"),
    (lambda: metrics.AUC(thresholds=[0.1, 0.4, 0.45, 0.8]), "multi_t", "multi_p"),
    (lambda: metrics.AUC(multi_label=True), "multi_t", "multi_p"),
    (lambda: metrics.SensitivityAtSpecificity(0.5), "bin_t", "bin_p"),
    (lambda: metrics.PrecisionAtRecall(0.7), "multi_t", "multi_p"),
    (lambda: metrics.R2Score(), "reg_t", "reg_p"),
]
STREAMING_IDS = [f"{i}-{type(f()).__name__}" for i, (f, _, _) in enumerate(STREAMING_CASES)]


def _result(metric):
    return np.asarray(metric.result(), dtype=np.float64)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", STREAMING_CASES, ids=STREAMING_IDS)
def test_streaming_updates_equal_one_shot(case, weighted):
    factory, tk, pk = case
    y_true, y_pred = DATA[tk], DATA[pk]
    sw = DATA["sw"] if weighted else None
    one_shot = factory()
    one_shot.update_state(y_true, y_pred, sample_weight=sw)
    streamed = factory()
    for lo, hi in ((0, 7), (7, 8), (8, 25), (25, N)):
        streamed.update_state(y_true[lo:hi], y_pred[lo:hi],
                              sample_weight=None if sw is None else sw[lo:hi])
    np.testing.assert_allclose(_result(streamed), _result(one_shot), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", STREAMING_CASES, ids=STREAMING_IDS)
def test_reset_state(case):
    factory, tk, pk = case
    metric = factory()
    metric.update_state(DATA[tk][:10], DATA[pk][:10])
    metric.reset_state()
    for variable in metric.variables:
        assert not np.any(variable.numpy())
    metric.update_state(DATA[tk][10:], DATA[pk][10:])
    fresh = factory()
    fresh.update_state(DATA[tk][10:], DATA[pk][10:])
    np.testing.assert_allclose(_result(metric), _result(fresh), rtol=1e-6)


@pytest.mark.parametrize("case", STREAMING_CASES, ids=STREAMING_IDS)
def test_variables_are_non_trainable_and_serializable(case):
    factory, tk, pk = case
    metric = factory()
    metric.update_state(DATA[tk], DATA[pk])
    assert metric.variables and all(not v.trainable for v in metric.variables)
    config = metrics.serialize(metric)
    assert config["module"] == "keras.metrics"
    json.dumps(config)
    rebuilt = metrics.deserialize(config)
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == metric.get_config()
    rebuilt.update_state(DATA[tk], DATA[pk])
    np.testing.assert_allclose(_result(rebuilt), _result(metric), rtol=1e-6)


# -------------------------------------------------------------------------
# Weighted means
# -------------------------------------------------------------------------


def test_weighted_mean_metrics_are_sum_w_m_over_sum_w():
    sw = DATA["sw"].astype(np.float64)
    correct = (DATA["probs"].argmax(-1) == DATA["labels"]).astype(float)
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(DATA["labels"], DATA["probs"], sample_weight=sw)
    np.testing.assert_allclose(_result(m), (sw * correct).sum() / sw.sum(), rtol=1e-6)
    m = metrics.CategoricalAccuracy()
    m.update_state(DATA["onehot"], DATA["probs"], sample_weight=sw)
    np.testing.assert_allclose(_result(m), (sw * correct).sum() / sw.sum(), rtol=1e-6)
    mse = ((DATA["reg_t"].astype(float) - DATA["reg_p"]) ** 2).mean(-1)
    m = metrics.MeanSquaredError()
    m.update_state(DATA["reg_t"], DATA["reg_p"], sample_weight=sw)
    np.testing.assert_allclose(_result(m), (sw * mse).sum() / sw.sum(), rtol=1e-6)
    m = metrics.RootMeanSquaredError()
    m.update_state(DATA["reg_t"], DATA["reg_p"], sample_weight=sw)
    np.testing.assert_allclose(_result(m), np.sqrt((sw * mse).sum() / sw.sum()), rtol=1e-6)


def test_mean_and_sum():
    mean = metrics.Mean()
    mean.update_state([1.0, 2.0, 3.0, 4.0], sample_weight=[1.0, 0.0, 0.0, 1.0])
    assert float(mean.result()) == pytest.approx(2.5)
    mean.update_state(np.array([[10.0, 20.0]]))  # one sample, reduced by its mean
    assert float(mean.result()) == pytest.approx((5.0 + 15.0) / 3)
    assert mean.get_config() == {"name": "mean", "dtype": "float32"}
    assert metrics.Mean()(np.ones(3) * 2.0) == pytest.approx(2.0)
    total = metrics.Sum()
    total.update_state([1.0, 2.0, 3.0], sample_weight=[2.0, 1.0, 0.5])
    assert float(total.result()) == pytest.approx(5.5)
    empty = metrics.Mean()
    assert float(empty.result()) == 0.0


def test_mean_with_per_timestep_weights():
    values = np.arange(6, dtype="float32").reshape(2, 3)
    weights = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 2.0]], "float32")
    mean = metrics.Mean()
    mean.update_state(values, sample_weight=weights)
    expected = (values * weights).sum() / weights.sum()
    assert float(mean.result()) == pytest.approx(expected)


def test_metric_call_updates_and_returns_result():
    m = metrics.BinaryAccuracy()
    first = m([[1], [0]], [[0.9], [0.8]])
    assert float(first) == pytest.approx(0.5)
    assert float(m([[1]], [[0.7]])) == pytest.approx(2 / 3)


# -------------------------------------------------------------------------
# Values against Keras 3.15 (torch backend) on explicit inputs
# -------------------------------------------------------------------------

YT_C = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]], "float32")
YP_C = np.array([[0.05, 0.9, 0.05], [0.1, 0.6, 0.3], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]], "float32")
LAB = np.array([1, 2, 0, 1])
SW = np.array([1.0, 0.5, 2.0, 0.0], "float32")
YT_B = np.array([[1.0], [0.0], [1.0], [0.0]], "float32")
YP_B = np.array([[0.8], [0.3], [0.4], [0.1]], "float32")


@pytest.mark.parametrize("factory, args, expected", [
    (lambda: metrics.AUC(), (YT_B, YP_B), 1.0),
    (lambda: metrics.AUC(curve="PR"), (YT_C, YP_C), 0.5982810258865356),
    (lambda: metrics.AUC(), (YT_C, YP_C, SW), 0.9285714626312256),
    (lambda: metrics.Precision(), (YT_C, YP_C), 0.3333333432674408),
    (lambda: metrics.Recall(thresholds=[0.15, 0.5]), (YT_C, YP_C), [1.0, 0.25]),
    (lambda: metrics.Precision(top_k=1), (YT_C, YP_C), 0.5),
    (lambda: metrics.Recall(class_id=1), (YT_C, YP_C), 0.5),
    (lambda: metrics.CategoricalAccuracy(), (YT_C, YP_C, SW), 0.8571428656578064),
    (lambda: metrics.SparseTopKCategoricalAccuracy(k=2), (LAB, YP_C), 1.0),
])
def test_metric_matches_keras_values(factory, args, expected):
    metric = factory()
    metric.update_state(args[0], args[1], sample_weight=args[2] if len(args) > 2 else None)
    np.testing.assert_allclose(_result(metric), expected, rtol=1e-6)


# -------------------------------------------------------------------------
# Confusion-matrix metrics by hand
# -------------------------------------------------------------------------


def test_precision_recall_by_hand():
    y_true = np.array([1, 0, 1, 1, 0, 0, 1, 0], "float32")
    y_pred = np.array([0.9, 0.8, 0.3, 0.6, 0.2, 0.55, 0.5, 0.1], "float32")
    # At 0.5 (strictly greater): predicted positive = 0.9, 0.8, 0.6, 0.55.
    # TP = 2 (0.9, 0.6), FP = 2 (0.8, 0.55), FN = 2 (0.3, 0.5 is not > 0.5).
    p, r = metrics.Precision(), metrics.Recall()
    p.update_state(y_true, y_pred)
    r.update_state(y_true, y_pred)
    assert float(p.result()) == pytest.approx(0.5)
    assert float(r.result()) == pytest.approx(0.5)
    # Thresholds 0.25 and 0.7: TP = [4, 1], FP = [2, 1], FN = [0, 3].
    p = metrics.Precision(thresholds=[0.25, 0.7])
    r = metrics.Recall(thresholds=[0.25, 0.7])
    p.update_state(y_true, y_pred)
    r.update_state(y_true, y_pred)
    np.testing.assert_allclose(p.result(), [2 / 3, 0.5], rtol=1e-6)
    np.testing.assert_allclose(r.result(), [1.0, 0.25], rtol=1e-6)
    # Weighted: weights 2 on the first two samples.
    w = np.array([2, 2, 1, 1, 1, 1, 1, 1], "float32")
    p = metrics.Precision()
    p.update_state(y_true, y_pred, sample_weight=w)
    assert float(p.result()) == pytest.approx(3 / 6)
    r = metrics.Recall()
    r.update_state(y_true, y_pred, sample_weight=w)
    assert float(r.result()) == pytest.approx(3 / 5)
    counts = {cls: cls() for cls in (metrics.TruePositives, metrics.FalsePositives,
                                     metrics.TrueNegatives, metrics.FalseNegatives)}
    for metric in counts.values():
        metric.update_state(y_true, y_pred)
    assert [float(m.result()) for m in counts.values()] == [2.0, 2.0, 2.0, 2.0]


def test_precision_top_k_and_class_id_by_hand():
    y_true = np.array([[0, 1, 1, 0], [1, 0, 0, 1]], "float32")
    y_pred = np.array([[0.1, 0.9, 0.2, 0.8], [0.7, 0.6, 0.1, 0.3]], "float32")
    # Top 2 per row: row 0 -> classes 1, 3 (1 right); row 1 -> classes 0, 1 (1 right).
    p = metrics.Precision(top_k=2)
    p.update_state(y_true, y_pred)
    assert float(p.result()) == pytest.approx(0.5)
    r = metrics.Recall(top_k=2)
    r.update_state(y_true, y_pred)
    assert float(r.result()) == pytest.approx(0.5)
    # class 3 only: predictions 0.8 (label 0), 0.3 (label 1) -> precision 0, recall 0.
    p = metrics.Precision(class_id=3)
    p.update_state(y_true, y_pred)
    assert float(p.result()) == 0.0
    r = metrics.Recall(class_id=0)
    r.update_state(y_true, y_pred)
    assert float(r.result()) == pytest.approx(1.0)


def reference_auc(y_true, y_pred, num_thresholds=200, curve="ROC", sample_weight=None):
    """Keras' AUC formula, written out over an explicit threshold loop."""
    y_true = np.asarray(y_true, float).reshape(-1)
    y_pred = np.clip(np.asarray(y_pred, float).reshape(-1), 0, 1)
    w = np.ones_like(y_true) if sample_weight is None else np.asarray(sample_weight, float)
    w = np.broadcast_to(w.reshape(-1, *([1] * 0)), y_true.shape)
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = np.array([-1e-7] + inner + [1 + 1e-7])
    tp = np.array([(w * (y_true == 1) * (y_pred > t)).sum() for t in thresholds])
    fp = np.array([(w * (y_true == 0) * (y_pred > t)).sum() for t in thresholds])
    fn = (w * (y_true == 1)).sum() - tp
    tn = (w * (y_true == 0)).sum() - fp
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
    if curve == "ROC":
        x, y = np.divide(fp, fp + tn, out=np.zeros_like(fp), where=(fp + tn) > 0), recall
    else:
        x, y = recall, np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
    return float(((x[:-1] - x[1:]) * (y[:-1] + y[1:]) / 2).sum())


def test_auc_against_threshold_loop_and_sklearn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(11)
    y_true = (rng.random(2000) > 0.6).astype("float32")
    y_pred = np.clip(0.35 * y_true + rng.normal(0.4, 0.2, 2000), 0, 1).astype("float32")
    sw = (rng.random(2000) + 0.5).astype("float32")
    auc = metrics.AUC()
    auc.update_state(y_true, y_pred)
    assert float(auc.result()) == pytest.approx(reference_auc(y_true, y_pred), abs=1e-5)
    # 200 buckets of width 1/199: the trapezoids stay within ~1e-3 of the exact area.
    assert float(auc.result()) == pytest.approx(sklearn_metrics.roc_auc_score(y_true, y_pred),
                                                abs=3e-3)
    weighted = metrics.AUC()
    weighted.update_state(y_true, y_pred, sample_weight=sw)
    assert float(weighted.result()) == pytest.approx(
        sklearn_metrics.roc_auc_score(y_true, y_pred, sample_weight=sw), abs=3e-3)
    assert float(weighted.result()) == pytest.approx(
        reference_auc(y_true, y_pred, sample_weight=sw), abs=1e-5)
    coarse = metrics.AUC(num_thresholds=11, curve="PR", summation_method="majoring")
    coarse.update_state(y_true, y_pred)
    fine = metrics.AUC(curve="PR")
    fine.update_state(y_true, y_pred)
    assert float(fine.result()) == pytest.approx(
        sklearn_metrics.average_precision_score(y_true, y_pred), abs=2e-2)
    assert float(coarse.result()) >= float(fine.result()) - 1e-6


def test_auc_multi_label_is_mean_of_per_label_auc():
    auc = metrics.AUC(multi_label=True)
    auc.update_state(DATA["multi_t"], DATA["multi_p"])
    per_label = [reference_auc(DATA["multi_t"][:, j], DATA["multi_p"][:, j]) for j in range(C)]
    assert float(auc.result()) == pytest.approx(np.mean(per_label), abs=1e-5)
    assert auc.true_positives.shape == (200, C)


def test_auc_from_logits_applies_sigmoid():
    logits = DATA["reg_p"][:, :1]
    a = metrics.AUC(from_logits=True)
    a.update_state(DATA["bin_t"], logits)
    b = metrics.AUC()
    b.update_state(DATA["bin_t"], 1 / (1 + np.exp(-logits)))
    assert float(a.result()) == pytest.approx(float(b.result()))


def test_auc_config_and_arguments():
    auc = metrics.AUC(thresholds=[0.3, 0.1], curve="pr", summation_method="Minoring")
    config = auc.get_config()
    assert config["curve"] == "PR" and config["summation_method"] == "minoring"
    assert config["thresholds"] == [0.1, 0.3] and config["num_thresholds"] == 4
    assert metrics.AUC().get_config() == {
        "name": "auc_1", "dtype": "float32", "num_thresholds": 200, "curve": "ROC",
        "summation_method": "interpolation", "multi_label": False, "num_labels": None,
        "label_weights": None, "from_logits": False}
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="LIFT")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=[1.5])


# -------------------------------------------------------------------------
# Compile-time resolution of "accuracy"
# -------------------------------------------------------------------------


@pytest.mark.parametrize("t_shape, p_shape, cls", [
    ((8, 1), (8, 1), metrics.BinaryAccuracy),
    ((8,), (8, 1), metrics.BinaryAccuracy),
    ((8,), (8, 3), metrics.SparseCategoricalAccuracy),
    ((8, 1), (8, 3), metrics.SparseCategoricalAccuracy),
    ((8, 5), (8, 5, 3), metrics.SparseCategoricalAccuracy),
    ((8, 3), (8, 3), metrics.CategoricalAccuracy),
])
def test_resolve_accuracy(t_shape, p_shape, cls):
    for name in ("accuracy", "acc"):
        metric = metrics.get_compile_metric(name, np.zeros(t_shape), np.zeros(p_shape))
        assert type(metric) is cls and metric.name == name
    assert type(metrics.resolve_accuracy(t_shape, p_shape)) is cls


def test_compile_metrics_match_keras_fit_cases():
    cases = json.loads((FIXTURES / "keras_fit_cases.json").read_text())["cases"]
    shapes = {"onehot": ((64, 3), (64, 3)), "int": ((64,), (64, 3)),
              "reg": ((64, 3), (64, 3)), "bin": ((64, 1), (64, 1))}
    for case in cases:
        t_shape, p_shape = shapes[case["target"]]
        resolved = [metrics.get_compile_metric(m, t_shape, p_shape) for m in case["metrics"]]
        expected = case["resolved_metrics"]
        assert [m.name for m in resolved] == [e["name"] for e in expected], case["name"]
        assert [type(m).__name__ for m in resolved] == [e["class_name"] for e in expected]
        assert [m._fn.__name__ for m in resolved] == [e["fn"] for e in expected]


def test_binary_accuracy_thresholds_logits_at_half():
    # With a from_logits loss Keras still thresholds the raw outputs at 0.5.
    metric = metrics.get_compile_metric("accuracy", (4, 1), (4, 1))
    metric.update_state([[1], [0], [1], [0]], [[2.0], [-1.0], [0.3], [0.6]])
    assert float(metric.result()) == pytest.approx(0.5)


def test_get_compile_metric_names_and_wrapping():
    mae = metrics.get_compile_metric("mae", (4, 3), (4, 3))
    assert type(mae) is metrics.MeanAbsoluteError and mae.name == "mae"
    fn = metrics.get_compile_metric(metrics.categorical_accuracy, (4, 3), (4, 3))
    assert type(fn) is metrics.MeanMetricWrapper and fn.name == "categorical_accuracy"
    instance = metrics.AUC(name="my_auc")
    assert metrics.get_compile_metric(instance, (4, 1), (4, 1)) is instance
    assert instance.name == "my_auc"


# -------------------------------------------------------------------------
# Lookup, configs, serialization
# -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras_configs():
    return json.loads((FIXTURES / "keras_configs.json").read_text())


def test_configs_equal_keras(keras_configs):
    for expression, config in keras_configs["metrics"].items():
        if expression.startswith("keras.metrics.get"):
            metric = metrics.get("accuracy")
            assert type(metric).__name__ == config["type"] and metric.name == config["name"]
            assert metric.get_config() == config["config"]
            continue
        metric = getattr(metrics, expression[:-2])()
        assert metric.get_config() == config, expression


@pytest.mark.parametrize("name, cls", [
    ("accuracy", metrics.Accuracy), ("mse", metrics.MeanSquaredError),
    ("mae", metrics.MeanAbsoluteError), ("MAPE", metrics.MeanAbsolutePercentageError),
    ("categorical_accuracy", metrics.CategoricalAccuracy),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
    ("binary_accuracy", metrics.BinaryAccuracy),
    ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
    ("precision", metrics.Precision), ("recall", metrics.Recall), ("auc", metrics.AUC),
    ("AUC", metrics.AUC), ("root_mean_squared_error", metrics.RootMeanSquaredError),
    ("binary_crossentropy", metrics.BinaryCrossentropy), ("bce", metrics.BinaryCrossentropy),
    ("kl_divergence", metrics.KLDivergence), ("log_cosh_error", metrics.LogCoshError),
    ("r2_score", metrics.R2Score),
])
def test_get_strings(name, cls):
    assert type(metrics.get(name)) is cls


def test_get_other_identifiers_and_unknown_names():
    instance = metrics.Mean()
    assert metrics.get(instance) is instance
    assert metrics.get(None) is None
    assert metrics.get(metrics.categorical_accuracy) is metrics.categorical_accuracy
    got = metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.7}})
    assert isinstance(got, metrics.BinaryAccuracy) and got.threshold == 0.7
    with pytest.raises(ValueError, match="Could not interpret metric identifier") as info:
        metrics.get("accuracyy")
    assert "categorical_accuracy" in str(info.value)
    with pytest.raises(ValueError, match="get_compile_metric|compile"):
        metrics.get("acc")


def test_auto_names_are_unique_like_keras():
    assert metrics.Precision().name == "precision"
    assert metrics.Precision().name == "precision_1"
    assert metrics.Precision(name="p").name == "p"


def test_mean_metric_wrapper_round_trip():
    wrapper = metrics.MeanMetricWrapper(metrics.top_k_categorical_accuracy, name="top2", k=2)
    config = wrapper.get_config()
    assert config["fn"]["config"] == "top_k_categorical_accuracy" and config["k"] == 2
    rebuilt = metrics.MeanMetricWrapper.from_config(config)
    for m in (wrapper, rebuilt):
        m.update_state(DATA["onehot"], DATA["probs"])
    np.testing.assert_allclose(_result(rebuilt), _result(wrapper))
    loss_wrapper = metrics.MeanMetricWrapper(brickwork.losses.huber, delta=0.5)
    rebuilt = metrics.MeanMetricWrapper.from_config(loss_wrapper.get_config())
    assert rebuilt._fn is brickwork.losses.huber and rebuilt._direction == "down"


# -------------------------------------------------------------------------
# Accuracy functions
# -------------------------------------------------------------------------


def test_accuracy_functions():
    np.testing.assert_array_equal(metrics.accuracy([1, 2, 3], [1, 0, 3]), [1, 0, 1])
    np.testing.assert_array_equal(metrics.binary_accuracy([[1], [0]], [[0.6], [0.6]]), [[1], [0]])
    np.testing.assert_array_equal(
        metrics.categorical_accuracy(YT_C, YP_C), [1, 0, 1, 0])
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(LAB, YP_C), [1, 0, 1, 0])
    np.testing.assert_array_equal(
        metrics.sparse_categorical_accuracy(LAB[:, None], YP_C), [1, 0, 1, 0])
    # Row 3's true class scores 0.2, tied with the 2nd-highest score: ties are in.
    np.testing.assert_array_equal(
        metrics.top_k_categorical_accuracy(YT_C, YP_C, k=2), [1, 1, 1, 1])
    np.testing.assert_array_equal(
        metrics.top_k_categorical_accuracy(YT_C, YP_C, k=1), [1, 0, 1, 0])
    # k beyond the number of classes: everything is in the top k.
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy(LAB, YP_C), [1] * 4)
    ids = np.array([[1, 0, 2], [0, 1, 2], [2, 1, 0], [0, 2, 1]])
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy(LAB, ids, k=1, from_sorted_ids=True),
        [1, 0, 0, 0])


def test_sequence_sparse_accuracy_with_per_timestep_weights():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, (4, 5))
    probs = rng.random((4, 5, 3)).astype("float32")
    weights = rng.random((4, 5)).astype("float32")
    metric = metrics.SparseCategoricalAccuracy()
    metric.update_state(labels, probs, sample_weight=weights)
    correct = (probs.argmax(-1) == labels).astype(float)
    assert float(metric.result()) == pytest.approx((correct * weights).sum() / weights.sum(),
                                                   rel=1e-6)


# -------------------------------------------------------------------------
# Tape, bad input
# -------------------------------------------------------------------------


def test_metrics_never_record_on_a_tape():
    y_pred = brickwork.Variable(DATA["probs"])
    tracked = brickwork.Variable(DATA["multi_p"])
    with brickwork.GradientTape() as tape:
        scaled = y_pred * 1.0  # a Tensor on the tape
        assert isinstance(scaled, Tensor)
        before = len(tape._nodes)
        for metric in (metrics.CategoricalAccuracy(), metrics.CategoricalCrossentropy(),
                       metrics.MeanSquaredError(), metrics.AUC()):
            metric.update_state(DATA["onehot"], scaled)
            assert not isinstance(metric.result(), Tensor)
        value = metrics.Precision()(DATA["multi_t"], tracked)
        assert not isinstance(value, Tensor)
        assert len(tape._nodes) == before


@pytest.mark.parametrize("metric, y_true, y_pred, shapes", [
    (metrics.CategoricalAccuracy, np.zeros((4, 3)), np.zeros((4, 2)), r"\(4, 3\).*\(4, 2\)"),
    (metrics.SparseCategoricalAccuracy, np.zeros(5), np.zeros((4, 3)), r"\(5,\).*\(4, 3\)"),
    (metrics.Accuracy, np.zeros((4, 3)), np.zeros((5, 3)), r"\(4, 3\).*\(5, 3\)"),
    (metrics.BinaryAccuracy, np.zeros((4, 2)), np.zeros((4, 3)), r"\(4, 2\).*\(4, 3\)"),
    (metrics.MeanSquaredError, np.zeros((4, 2)), np.zeros((4, 3)), r"\(4, 2\).*\(4, 3\)"),
    (metrics.TopKCategoricalAccuracy, np.zeros((4, 5)), np.zeros((4, 6)), r"\(4, 5\).*\(4, 6\)"),
    (metrics.Precision, np.zeros((4, 2)), np.zeros((4, 3)), r"\(4, 2\).*\(4, 3\)"),
    (metrics.AUC, np.zeros(5), np.zeros(4), r"\(5,\).*\(4,\)"),
    (metrics.CategoricalCrossentropy, np.zeros((4, 3)), np.ones((4, 2)), r"\(4, 3\).*\(4, 2\)"),
])
def test_shape_mismatch_errors_give_both_shapes(metric, y_true, y_pred, shapes):
    with pytest.raises(ValueError, match=shapes):
        metric().update_state(y_true, y_pred)


def test_sample_weight_shape_mismatch():
    with pytest.raises(ValueError, match=r"sample_weight.*\(3,\)"):
        metrics.MeanSquaredError().update_state(np.zeros((4, 2)), np.zeros((4, 2)),
                                                sample_weight=np.ones(3))


def test_custom_metric_subclass():
    class Maximum(metrics.Metric):
        def __init__(self, name=None, dtype=None):
            super().__init__(name=name, dtype=dtype)
            self.best = self.add_variable((), "zeros", name="best")

        def update_state(self, values):
            self.best.assign(max(float(self.best.numpy()), float(np.max(values))))

        def result(self):
            return self.best.value

    m = Maximum()
    assert m.name == "maximum"
    m.update_state([1.0, 3.0])
    m.update_state([2.0])
    assert float(m.result()) == 3.0
    m.reset_state()
    assert float(m.result()) == 0.0
    assert m.variables[0].path == "maximum/best"

    class Forgot(metrics.Metric):
        def __init__(self):
            self.add_variable((), "zeros")

    with pytest.raises(RuntimeError, match="super"):
        Forgot()
