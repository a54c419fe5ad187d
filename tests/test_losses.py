"""Losses: values against float64 NumPy references for every reduction and
sample weighting, gradients by finite differences, label smoothing,
lookup/serialization against Keras' own configs, and bad-input errors."""
import json
import math
import pathlib
import warnings

import numpy as np
import pytest

import brickwork
from brickwork import losses
from brickwork.autodiff import Tensor

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
EPS = 1e-7
N, C = 6, 4


# -------------------------------------------------------------------------
# Data
# -------------------------------------------------------------------------


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def make_data(seed=7):
    rng = np.random.default_rng(seed)
    return {
        "reg_t": rng.normal(size=(N, C)),
        "reg_p": rng.normal(size=(N, C)),
        "pos_t": rng.random((N, C)) * 3,
        "pos_p": rng.random((N, C)) * 3 + 0.05,
        "onehot": np.eye(C)[rng.integers(0, C, N)],
        "labels": rng.integers(0, C, N),
        "probs": _softmax(rng.normal(size=(N, C))),
        "logits": rng.normal(size=(N, C)) * 2,
        "bin_t": (rng.random((N, 1)) > 0.5).astype(float),
        "bin_p": rng.uniform(0.05, 0.95, (N, 1)),
        "bin_z": rng.normal(size=(N, 1)) * 2,
        "multi_t": (rng.random((N, C)) > 0.5).astype(float),
        "multi_p": rng.uniform(0.05, 0.95, (N, C)),
        "pm1": np.where(rng.random((N, C)) > 0.5, 1.0, -1.0),
        "seq_t": rng.integers(0, C, (N, 3)),
        "seq_p": _softmax(rng.normal(size=(N, 3, C))),
        "seq_sw": rng.random((N, 3)) + 0.5,
        "sw": rng.random(N) + 0.5,
    }


DATA = make_data()


# -------------------------------------------------------------------------
# float64 references (per-sample values), written from the formulas
# -------------------------------------------------------------------------


def _bce_elementwise(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _bce_logits(t, z):
    return np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))


def _normalize(x, axis):
    return x / np.sqrt(np.maximum((x * x).sum(axis=axis, keepdims=True), EPS * EPS))


def _hinge_t(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def ref_cce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        logp = p - p.max(axis=axis, keepdims=True)
        logp = logp - np.log(np.exp(logp).sum(axis=axis, keepdims=True))
    else:
        logp = np.log(np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1 - EPS))
    return -(t * logp).sum(axis=axis)


def ref_scce(t, p, from_logits=False, ignore_class=None):
    t = np.asarray(t).astype(int)
    valid = np.ones(t.shape, bool) if ignore_class is None else t != ignore_class
    t = np.where(valid, t, 0)
    onehot = np.eye(p.shape[-1])[t]
    return np.where(valid, ref_cce(onehot, p, from_logits), 0.0)


def ref_bce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    if label_smoothing:
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    values = _bce_logits(t, p) if from_logits else _bce_elementwise(t, p)
    return values.mean(axis=axis)


def ref_bfce(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
             label_smoothing=0.0, axis=-1):
    if label_smoothing:
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = _sigmoid(p)
    p_t = t * p + (1 - t) * (1 - p)
    focal = (1 - p_t) ** gamma * _bce_elementwise(t, p)
    if apply_class_balancing:
        focal = (t * alpha + (1 - t) * (1 - alpha)) * focal
    return focal.mean(axis=axis)


def ref_cfce(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        p = _softmax(p, axis)
    out = np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - out) ** gamma * -t * np.log(out)).sum(axis=axis)


def ref_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2).mean(-1)


REFERENCES = {
    "MeanSquaredError": lambda t, p: ((t - p) ** 2).mean(-1),
    "MeanAbsoluteError": lambda t, p: np.abs(t - p).mean(-1),
    "MeanAbsolutePercentageError":
        lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "MeanSquaredLogarithmicError":
        lambda t, p: ((np.log1p(np.maximum(p, EPS)) - np.log1p(np.maximum(t, EPS))) ** 2).mean(-1),
    "Huber": ref_huber,
    "LogCosh": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "Hinge": lambda t, p: np.maximum(1 - _hinge_t(t) * p, 0).mean(-1),
    "SquaredHinge": lambda t, p: (np.maximum(1 - _hinge_t(t) * p, 0) ** 2).mean(-1),
    "CategoricalHinge":
        lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0),
    "KLDivergence": lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) /
                                                               np.clip(p, EPS, 1))).sum(-1),
    "Poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "CosineSimilarity":
        lambda t, p, axis=-1: -(_normalize(t, axis) * _normalize(p, axis)).sum(axis),
    "BinaryCrossentropy": ref_bce,
    "BinaryFocalCrossentropy": ref_bfce,
    "CategoricalCrossentropy": ref_cce,
    "CategoricalFocalCrossentropy": ref_cfce,
    "SparseCategoricalCrossentropy": ref_scce,
    "Dice": lambda t, p, axis=None: 1 - 2 * (t * p).sum(axis) / (t.sum(axis) + p.sum(axis) + EPS),
    "Tversky": lambda t, p, alpha=0.5, beta=0.5, axis=None: 1 - (t * p).sum(axis) / (
        (t * p).sum(axis) + alpha * ((1 - p) * t).sum(axis) + beta * (p * (1 - t)).sum(axis)
        + EPS),
}

# (class name, config, y_true key, y_pred key)
CASES = [
    ("MeanSquaredError", {}, "reg_t", "reg_p"),
    ("MeanAbsoluteError", {}, "reg_t", "reg_p"),
    ("MeanAbsolutePercentageError", {}, "reg_t", "reg_p"),
    ("MeanSquaredLogarithmicError", {}, "pos_t", "pos_p"),
    ("Huber", {}, "reg_t", "reg_p"),
    ("Huber", {"delta": 0.4}, "reg_t", "reg_p"),
    ("LogCosh", {}, "reg_t", "reg_p"),
    ("Hinge", {}, "multi_t", "reg_p"),
    ("Hinge", {}, "pm1", "reg_p"),
    ("SquaredHinge", {}, "multi_t", "reg_p"),
    ("CategoricalHinge", {}, "onehot", "reg_p"),
    ("KLDivergence", {}, "probs", "multi_p"),
    ("Poisson", {}, "pos_t", "pos_p"),
    ("CosineSimilarity", {}, "reg_t", "reg_p"),
    ("BinaryCrossentropy", {}, "bin_t", "bin_p"),
    ("BinaryCrossentropy", {"from_logits": True}, "bin_t", "bin_z"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, "multi_t", "multi_p"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "multi_t", "reg_p"),
    ("BinaryFocalCrossentropy", {}, "bin_t", "bin_p"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "gamma": 3.0,
                                 "from_logits": True, "label_smoothing": 0.1}, "multi_t", "reg_p"),
    ("CategoricalCrossentropy", {}, "onehot", "probs"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot", "logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot", "probs"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot", "logits"),
    ("CategoricalFocalCrossentropy", {}, "onehot", "probs"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "gamma": 1.5}, "onehot", "logits"),
    ("SparseCategoricalCrossentropy", {}, "labels", "probs"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "labels", "logits"),
    ("Dice", {"axis": 1}, "multi_t", "multi_p"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": 1}, "multi_t", "multi_p"),
]
CASE_IDS = [f"{c}-{'-'.join(f'{k}={v}' for k, v in cfg.items())}" for c, cfg, _, _ in CASES]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


def reference_values(cls_name, config, y_true, y_pred):
    ref_config = {k: v for k, v in config.items()}
    return np.asarray(REFERENCES[cls_name](y_true, y_pred, **ref_config), dtype=np.float64)


def reference_reduce(values, sample_weight, reduction):
    if sample_weight is not None:
        sw = sample_weight.reshape(sample_weight.shape + (1,) * (values.ndim - sample_weight.ndim))
        values = values * sw
    if reduction in (None, "none"):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return total / sample_weight.sum()
    return total / values.size


def f32(x):
    return np.asarray(x, dtype=np.float32)


# -------------------------------------------------------------------------
# Values
# -------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_loss_matches_float64_reference(case, reduction, weighted):
    cls_name, config, tk, pk = case
    y_true, y_pred = DATA[tk], DATA[pk]
    sw = DATA["sw"] if weighted else None
    loss = getattr(losses, cls_name)(reduction=reduction, **config)
    got = loss(f32(y_true), f32(y_pred), sample_weight=None if sw is None else f32(sw))
    expected = reference_reduce(reference_values(cls_name, config, y_true, y_pred), sw, reduction)
    assert np.asarray(got).dtype == np.float32
    np.testing.assert_allclose(np.asarray(got), expected, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_function_form_gives_per_sample_values(case):
    cls_name, config, tk, pk = case
    cls = getattr(losses, cls_name)
    instance = cls(**config)
    values = instance.fn(f32(DATA[tk]), f32(DATA[pk]), **instance._fn_kwargs)
    expected = reference_values(cls_name, config, DATA[tk], DATA[pk])
    assert np.shape(values) == expected.shape
    np.testing.assert_allclose(np.asarray(values), expected, rtol=2e-4, atol=2e-5)


# Values computed by Keras 3.15 (torch backend) on these exact inputs.
YT_C = [[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]]
YP_C = [[0.05, 0.9, 0.05], [0.1, 0.6, 0.3], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]]
Z_C = [[1.0, 2.0, -1.0], [0.5, -0.5, 0.2], [2.0, 0.0, 1.0], [-1.0, 0.3, 0.8]]
LAB = [1, 2, 0, 1]
SW = [1.0, 0.5, 2.0, 0.0]
YT_B = [[1.0], [0.0], [1.0], [0.0]]
YP_B = [[0.8], [0.3], [0.4], [0.1]]
YT_R = [[1.0, 2.0], [0.5, -1.0], [3.0, 0.0], [-2.0, 1.5]]
YP_R = [[1.5, 1.0], [0.0, -0.5], [2.0, 0.5], [-1.0, 3.5]]


@pytest.mark.parametrize("loss, args, expected", [
    (lambda: losses.CategoricalCrossentropy(), (YT_C, YP_C), 0.9029796123504639),
    (lambda: losses.CategoricalCrossentropy(), (YT_C, YP_C, SW), 0.5234103202819824),
    (lambda: losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), (YT_C, Z_C),
     0.7870087027549744),
    (lambda: losses.SparseCategoricalCrossentropy(), (LAB, YP_C), 0.9029796123504639),
    (lambda: losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum"), (LAB, Z_C),
     2.874701499938965),
    (lambda: losses.BinaryCrossentropy(), (YT_B, YP_B), 0.4003674387931824),
    (lambda: losses.BinaryCrossentropy(reduction="mean_with_sample_weight"), (YT_B, YP_B, SW),
     0.6383035778999329),
    (lambda: losses.MeanSquaredError(reduction=None), (YT_R, YP_R), [0.625, 0.25, 0.625, 2.5]),
    (lambda: losses.Huber(), (YT_R, YP_R, SW), 0.25),
    (lambda: losses.LogCosh(), (YT_R, YP_R), 0.3883504271507263),
])
def test_loss_matches_keras_values(loss, args, expected):
    y_true, y_pred = f32(args[0]), f32(args[1])
    sample_weight = f32(args[2]) if len(args) > 2 else None
    got = loss()(y_true, y_pred, sample_weight=sample_weight)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6, atol=1e-7)


def test_sparse_keras_docstring_example():
    y_true = np.array([1, 2])
    y_pred = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], dtype="float32")
    scce = losses.SparseCategoricalCrossentropy()
    assert float(scce(y_true, y_pred)) == pytest.approx(1.177, abs=1e-3)
    assert float(scce(y_true, y_pred, sample_weight=np.array([0.3, 0.7]))) == \
        pytest.approx(0.814, abs=1e-3)
    assert float(losses.SparseCategoricalCrossentropy(reduction="sum")(y_true, y_pred)) == \
        pytest.approx(2.354, abs=1e-3)
    np.testing.assert_allclose(losses.SparseCategoricalCrossentropy(reduction=None)(y_true, y_pred),
                               [0.0513, 2.303], atol=1e-3)


def test_probabilities_are_clipped_like_keras():
    # A zero probability on the true class costs -log(1e-7), not infinity.
    y_true = f32([[0, 1, 0]])
    y_pred = f32([[0.5, 0.0, 0.5]])
    assert float(losses.categorical_crossentropy(y_true, y_pred)[0]) == \
        pytest.approx(-math.log(1e-7), rel=1e-5)
    assert float(losses.binary_crossentropy(f32([[1.0]]), f32([[0.0]]))[0]) == \
        pytest.approx(-math.log(1e-7), rel=1e-5)
    # Unnormalised predictions are divided by their sum first.
    np.testing.assert_allclose(losses.categorical_crossentropy(y_true, f32([[1.0, 2.0, 1.0]])),
                               [math.log(2.0)], rtol=1e-6)


def test_sequence_losses_with_per_timestep_and_per_sample_weights():
    t, p = DATA["seq_t"], DATA["seq_p"]
    per_step = ref_scce(t, p)  # (N, 3)
    loss = losses.SparseCategoricalCrossentropy()
    got = loss(t, f32(p), sample_weight=f32(DATA["seq_sw"]))
    np.testing.assert_allclose(got, (per_step * DATA["seq_sw"]).mean(), rtol=1e-5)
    got = loss(t, f32(p), sample_weight=f32(DATA["sw"]))  # one weight per sequence
    np.testing.assert_allclose(got, (per_step * DATA["sw"][:, None]).mean(), rtol=1e-5)
    got = losses.SparseCategoricalCrossentropy(reduction="none")(t, f32(p))
    assert got.shape == (N, 3)


def test_sample_weight_shapes_follow_keras_squeeze_rule():
    t, p = f32(DATA["bin_t"]), f32(DATA["bin_p"])
    loss = losses.BinaryCrossentropy()
    flat = loss(t, p, sample_weight=f32(DATA["sw"]))
    column = loss(t, p, sample_weight=f32(DATA["sw"])[:, None])
    np.testing.assert_allclose(flat, column, rtol=1e-6)
    expected = (ref_bce(DATA["bin_t"], DATA["bin_p"]) * DATA["sw"]).mean()
    np.testing.assert_allclose(flat, expected, rtol=1e-5)
    # Rank-1 targets against (N, 1) predictions are expanded, as Keras does.
    np.testing.assert_allclose(loss(t[:, 0], p), loss(t, p), rtol=1e-6)


def test_ignore_class_masks_entries_out_of_the_mean():
    t, p = DATA["labels"].copy(), f32(DATA["probs"])
    t[[0, 3]] = 2
    per_sample = ref_scce(t, DATA["probs"], ignore_class=2)
    valid = t != 2
    got = losses.SparseCategoricalCrossentropy(ignore_class=2)(t, p)
    np.testing.assert_allclose(got, per_sample.sum() / valid.sum(), rtol=1e-5)
    got = losses.SparseCategoricalCrossentropy(ignore_class=2, reduction="sum")(t, p)
    np.testing.assert_allclose(got, per_sample.sum(), rtol=1e-5)
    fn = losses.sparse_categorical_crossentropy(t, p, ignore_class=2)
    assert np.all(np.asarray(fn)[~valid] == 0)


def test_keras_mask_on_predictions_is_applied():
    t, p = f32(DATA["reg_t"]), f32(DATA["reg_p"])
    mask = np.array([True, False, True, True, False, True])
    masked = Tensor(p)
    masked._keras_mask = mask
    per_sample = ((DATA["reg_t"] - DATA["reg_p"]) ** 2).mean(-1)
    got = losses.MeanSquaredError()(t, masked)
    np.testing.assert_allclose(got, per_sample[mask].sum() / mask.sum(), rtol=1e-5)
    got = losses.MeanSquaredError(reduction="sum")(t, masked)
    np.testing.assert_allclose(got, per_sample[mask].sum(), rtol=1e-5)


def test_zero_sample_weights_give_zero_not_nan():
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = loss(f32(DATA["reg_t"]), f32(DATA["reg_p"]), sample_weight=np.zeros(N, "float32"))
    assert float(got) == 0.0


def test_loss_dtype_float64_computes_in_float64():
    loss = losses.CategoricalCrossentropy(dtype="float64")
    got = loss(DATA["onehot"], DATA["probs"])
    assert np.asarray(got).dtype == np.float64
    np.testing.assert_allclose(got, ref_cce(DATA["onehot"], DATA["probs"]).mean(), rtol=1e-12)
    assert loss.dtype == "float64"


def test_labels_are_cast_to_prediction_dtype():
    # Integer one-hot labels and float64 predictions: computed in the loss dtype.
    got = losses.CategoricalCrossentropy()(DATA["onehot"].astype(int), DATA["probs"])
    assert np.asarray(got).dtype == np.float32
    values = losses.mean_squared_error([[1, 2]], np.array([[1.5, 2.5]], "float32"))
    assert values.dtype == np.float32


# -------------------------------------------------------------------------
# Label smoothing and logits
# -------------------------------------------------------------------------


@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_label_smoothing(from_logits):
    t = f32(DATA["onehot"])
    p = f32(DATA["logits"] if from_logits else DATA["probs"])
    ls = 0.2
    smoothed = t * (1 - ls) + ls / C
    a = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=ls)(t, p)
    b = losses.CategoricalCrossentropy(from_logits=from_logits)(smoothed, p)
    np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_label_smoothing(from_logits):
    t = f32(DATA["multi_t"])
    p = f32(DATA["reg_p"] if from_logits else DATA["multi_p"])
    ls = 0.3
    a = losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=ls)(t, p)
    b = losses.BinaryCrossentropy(from_logits=from_logits)(t * (1 - ls) + 0.5 * ls, p)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_logits_agree_with_probabilities():
    z = DATA["logits"]
    a = losses.CategoricalCrossentropy(from_logits=True)(f32(DATA["onehot"]), f32(z))
    b = losses.CategoricalCrossentropy()(f32(DATA["onehot"]), f32(_softmax(z)))
    np.testing.assert_allclose(a, b, rtol=1e-5)
    labels = DATA["onehot"].argmax(-1)
    a = losses.SparseCategoricalCrossentropy(from_logits=True)(labels, f32(z))
    np.testing.assert_allclose(a, b, rtol=1e-5)
    zb = DATA["bin_z"]
    a = losses.BinaryCrossentropy(from_logits=True)(f32(DATA["bin_t"]), f32(zb))
    b = losses.BinaryCrossentropy()(f32(DATA["bin_t"]), f32(_sigmoid(zb)))
    np.testing.assert_allclose(a, b, rtol=1e-5)


def test_categorical_crossentropy_along_another_axis():
    t, z = DATA["onehot"], DATA["logits"]
    for from_logits, p in ((False, DATA["multi_p"]), (True, z)):
        got = losses.categorical_crossentropy(f32(t.T), f32(p.T), from_logits=from_logits, axis=0)
        expected = ref_cce(t, p, from_logits)
        np.testing.assert_allclose(got, expected, rtol=1e-5)


# -------------------------------------------------------------------------
# Gradients
# -------------------------------------------------------------------------


def _numeric_gradient(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        grad[index] = (f(plus) - f(minus)) / (2 * h)
    return grad


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradient_matches_finite_differences(case, weighted):
    cls_name, config, tk, pk = case
    loss = getattr(losses, cls_name)(dtype="float64", **config)
    y_true = DATA[tk]
    sw = DATA["sw"] if weighted else None
    y_pred = brickwork.Variable(DATA[pk].astype(np.float64), name="y_pred")
    with brickwork.GradientTape() as tape:
        value = loss(y_true, y_pred, sample_weight=sw)
    assert isinstance(value, Tensor)
    grad = tape.gradient(value, y_pred)
    numeric = _numeric_gradient(lambda p: float(loss(y_true, p, sample_weight=sw)), DATA[pk])
    np.testing.assert_allclose(np.asarray(grad), numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", ["sum", "mean_with_sample_weight"])
def test_gradient_of_reductions(reduction):
    loss = losses.MeanSquaredError(reduction=reduction, dtype="float64")
    y_pred = brickwork.Variable(DATA["reg_p"])
    with brickwork.GradientTape() as tape:
        value = loss(DATA["reg_t"], y_pred, sample_weight=DATA["sw"])
    grad = np.asarray(tape.gradient(value, y_pred))
    scale = 1.0 if reduction == "sum" else 1.0 / DATA["sw"].sum()
    expected = 2 * (DATA["reg_p"] - DATA["reg_t"]) / C * DATA["sw"][:, None] * scale
    np.testing.assert_allclose(grad, expected, rtol=1e-10)


def test_sparse_gradient_with_ignore_class_is_zero_on_ignored_rows():
    labels = DATA["labels"].copy()
    labels[1] = 3
    for from_logits, key in ((False, "probs"), (True, "logits")):
        y_pred = brickwork.Variable(DATA[key])
        loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=3,
                                                    dtype="float64")
        with brickwork.GradientTape() as tape:
            value = loss(labels, y_pred)
        grad = np.asarray(tape.gradient(value, y_pred))
        assert np.all(np.isfinite(grad))
        assert np.all(grad[labels == 3] == 0)
        numeric = _numeric_gradient(lambda p: float(loss(labels, p)), DATA[key])
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_no_tape_gives_plain_arrays():
    value = losses.MeanSquaredError()(DATA["reg_t"], brickwork.Variable(f32(DATA["reg_p"])))
    assert not isinstance(value, Tensor)
    assert np.asarray(value).shape == ()


# -------------------------------------------------------------------------
# Configs, lookup, serialization
# -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras_configs():
    return json.loads((FIXTURES / "keras_configs.json").read_text())


def _construct(expression):
    name, _, args = expression.partition("(")
    kwargs = eval(f"dict({args[:-1]})", {"True": True, "False": False, "None": None})
    return getattr(losses, name)(**kwargs)


def test_configs_equal_keras(keras_configs):
    for expression, config in keras_configs["losses"].items():
        assert _construct(expression).get_config() == config, expression


def test_get_strings_as_keras(keras_configs):
    for name, expected in keras_configs["losses_get_string"].items():
        found = losses.get(name)
        assert expected["type"] == "function"
        assert callable(found) and not isinstance(found, losses.Loss)
        assert found.__name__ == expected["name"]


@pytest.mark.parametrize("name, cls", [
    ("MeanSquaredError", losses.MeanSquaredError), ("Huber", losses.Huber),
    ("CategoricalCrossentropy", losses.CategoricalCrossentropy),
    ("SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy),
])
def test_get_class_names_instantiate(name, cls):
    assert type(losses.get(name)) is cls


@pytest.mark.parametrize("alias, fn", [
    ("mse", losses.mean_squared_error), ("MSE", losses.mean_squared_error),
    ("mae", losses.mean_absolute_error), ("mape", losses.mean_absolute_percentage_error),
    ("msle", losses.mean_squared_logarithmic_error), ("kld", losses.kl_divergence),
    ("bce", losses.binary_crossentropy), ("huber", losses.huber),
    ("binary_crossentropy", losses.binary_crossentropy),
    ("categorical_crossentropy", losses.categorical_crossentropy),
    ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy),
])
def test_get_aliases(alias, fn):
    assert losses.get(alias) is fn


def test_get_other_identifiers():
    instance = losses.Huber(delta=2.0)
    assert losses.get(instance) is instance
    assert losses.get(None) is None
    assert type(losses.get(losses.Poisson)) is losses.Poisson
    custom = lambda y_true, y_pred: y_pred  # noqa: E731
    assert losses.get(custom) is custom
    config = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    got = losses.get(config)
    assert isinstance(got, losses.CategoricalCrossentropy) and got.from_logits


def test_unknown_names_raise_listing_known_ones():
    with pytest.raises(ValueError, match="Could not interpret loss identifier") as info:
        losses.get("mean_squirrel_error")
    assert "mean_squared_error" in str(info.value) and "mse" in str(info.value)
    with pytest.raises(ValueError):
        losses.get(42)


@pytest.mark.parametrize("loss", [
    losses.MeanSquaredError(reduction="sum", name="my_mse"),
    losses.Huber(delta=0.3, reduction=None),
    losses.CosineSimilarity(axis=0),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.0),
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, axis=1),
    losses.CategoricalFocalCrossentropy(alpha=0.5),
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    losses.Dice(axis=(1, 2)), losses.Tversky(alpha=0.2, beta=0.8),
    losses.CategoricalGeneralizedCrossEntropy(q=0.3),
    losses.KLDivergence(), losses.Poisson(), losses.LogCosh(), losses.Hinge(),
    losses.SquaredHinge(), losses.CategoricalHinge(), losses.MeanAbsoluteError(),
    losses.MeanAbsolutePercentageError(), losses.MeanSquaredLogarithmicError(),
], ids=lambda loss: type(loss).__name__)
def test_serialize_round_trip(loss):
    config = losses.serialize(loss)
    assert config["module"] == "keras.losses"
    assert config["class_name"] == type(loss).__name__
    rebuilt = losses.deserialize(config)
    assert type(rebuilt) is type(loss)
    assert rebuilt.get_config() == loss.get_config()
    json.dumps(config)


def test_serialize_functions_as_keras():
    config = losses.serialize(losses.mean_squared_error)
    assert config == {"module": "builtins", "class_name": "function",
                      "config": "mean_squared_error", "registered_name": "function"}
    assert losses.deserialize(config) is losses.mean_squared_error
    assert losses.deserialize("mse") is losses.mean_squared_error


def test_loss_function_wrapper_round_trip():
    wrapper = losses.LossFunctionWrapper(losses.huber, name="h", delta=0.5)
    config = wrapper.get_config()
    assert config["fn"]["config"] == "huber" and config["delta"] == 0.5
    rebuilt = losses.LossFunctionWrapper.from_config(config)
    np.testing.assert_allclose(rebuilt(DATA["reg_t"], f32(DATA["reg_p"])),
                               ref_huber(DATA["reg_t"], DATA["reg_p"], 0.5).mean(), rtol=1e-5)


def test_custom_loss_subclass():
    class Scaled(losses.Loss):
        def call(self, y_true, y_pred):
            return brickwork.ops.mean(brickwork.ops.abs(y_true - y_pred), axis=-1)

    loss = Scaled(reduction="sum")
    assert loss.name == "scaled"
    np.testing.assert_allclose(loss(DATA["reg_t"], f32(DATA["reg_p"])),
                               np.abs(DATA["reg_t"] - DATA["reg_p"]).mean(-1).sum(), rtol=1e-5)


def test_get_compile_loss():
    loss = losses.get_compile_loss("mse")
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.name == "mse"
    assert loss.fn is losses.mean_squared_error
    instance = losses.CategoricalCrossentropy(from_logits=True)
    assert losses.get_compile_loss(instance) is instance
    cases = [((8,), (8, 3), losses.sparse_categorical_crossentropy),
             ((8, 1), (8, 3), losses.sparse_categorical_crossentropy),
             ((8, 1), (8, 1), losses.binary_crossentropy),
             ((8, 3), (8, 3), losses.categorical_crossentropy)]
    for t_shape, p_shape, fn in cases:
        assert losses.get_compile_loss("crossentropy", t_shape, p_shape).fn is fn
        assert losses.get_compile_loss("ce", np.zeros(t_shape), np.zeros(p_shape)).fn is fn


# -------------------------------------------------------------------------
# Bad input
# -------------------------------------------------------------------------


def test_invalid_reduction():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


def test_shape_mismatch_messages_give_both_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        losses.MeanSquaredError()(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        losses.CategoricalCrossentropy()(np.zeros((4, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"\(5,\).*\(4, 3\)"):
        losses.SparseCategoricalCrossentropy()(np.zeros(5), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(4, 2\)"):
        losses.BinaryCrossentropy()(np.zeros((3, 2)), np.full((4, 2), 0.5))
    with pytest.raises(ValueError, match=r"sample_weight.*\(5,\).*\(4,\)"):
        losses.MeanSquaredError()(np.zeros((4, 3)), np.zeros((4, 3)), sample_weight=np.ones(5))


def test_sparse_labels_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 3]), np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([-1, 0]), np.zeros((2, 3)))


def test_categorical_generalized_cross_entropy_q_range():
    with pytest.raises(ValueError, match="q must be"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    loss = losses.CategoricalGeneralizedCrossEntropy(q=0.5)
    p = DATA["probs"]
    expected = (1 - p[np.arange(N), DATA["labels"]] ** 0.5) / 0.5
    np.testing.assert_allclose(loss(DATA["labels"], f32(p)), expected.mean(), rtol=1e-5)


def test_single_class_categorical_warns():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy(np.ones((2, 1)), np.full((2, 1), 0.5))
