"""CTC and Circle losses against Keras 3 (values from
fixtures/make_keras_api_more.py), their gradients, configs and signatures."""
import inspect
import json
import pathlib

import numpy as np
import pytest

import brickwork
from brickwork import losses

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REF = json.loads((FIXTURES / "keras_api_more.json").read_text())
ARR = np.load(FIXTURES / "keras_api_more.npz")
LISTING = json.loads((FIXTURES / "keras_public_api.json").read_text())["modules"]


def _gradient(loss, y_true, y_pred, **kwargs):
    variable = brickwork.Variable(y_pred, name="y_pred")
    with brickwork.GradientTape() as tape:
        value = loss(y_true, variable, **kwargs)
    return value, np.asarray(tape.gradient(value, variable))


def _numeric_gradient(fn, x, eps=1e-6):
    x = x.astype(np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        grad[index] = (fn(up) - fn(down)) / (2 * eps)
    return grad


def test_ctc_function_matches_keras():
    got = losses.ctc(ARR["ctc/y_true"], ARR["ctc/y_pred"])
    np.testing.assert_allclose(got, ARR["ctc/fn"], rtol=1e-6)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_ctc_class_matches_keras(reduction, weighted):
    sw = ARR["ctc/sample_weight"] if weighted else None
    got = losses.CTC(reduction=reduction)(ARR["ctc/y_true"], ARR["ctc/y_pred"], sample_weight=sw)
    key = reduction + ("/weighted" if weighted else "")
    np.testing.assert_allclose(got, REF["losses"]["ctc"]["class"][key], rtol=1e-6)


def test_ctc_gradient_matches_keras():
    _, grad = _gradient(losses.CTC(), ARR["ctc/y_true"], ARR["ctc/y_pred"])
    np.testing.assert_allclose(grad, ARR["ctc/grad"], rtol=1e-5, atol=1e-7)


def test_ctc_gradient_matches_finite_differences_float64():
    labels = np.array([[1, 1, 0], [2, 0, 0]])
    logits = np.random.default_rng(3).standard_normal((2, 5, 3))
    loss = losses.CTC(dtype="float64")
    _, grad = _gradient(loss, labels, logits)
    numeric = _numeric_gradient(lambda p: float(loss(labels, p)), logits)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_ctc_matches_brute_force_path_sum():
    """The probability of a label sequence is the sum over every alignment
    that collapses to it (repeats merged, blanks removed)."""
    import itertools
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((1, 4, 3))
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = [1, 2]
    total = 0.0
    for path in itertools.product(range(3), repeat=4):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        if collapsed == labels:
            total += np.prod([probs[0, t, k] for t, k in enumerate(path)])
    got = losses.ctc(np.array([[1, 2, 0]]), logits)
    np.testing.assert_allclose(got, [-np.log(total)], rtol=1e-10)


def test_ctc_of_unreachable_labels_is_inf_as_keras():
    """Three labels with a repeat need four steps: with three the loss is inf
    (Keras on torch gives inf too); reachable rows are unaffected."""
    logits = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    labels = np.array([[1, 1, 2, 0], [1, 2, 0, 0]])
    variable = brickwork.Variable(logits)
    with brickwork.GradientTape() as tape:
        values = losses.ctc(labels, variable)
        total = brickwork.ops.sum(brickwork.ops.getitem(values, 1))
    grad = np.asarray(tape.gradient(total, variable))
    assert np.isinf(np.asarray(values)[0]) and np.isfinite(np.asarray(values)[1])
    assert np.all(np.isfinite(grad)) and np.all(grad[0] == 0)


def test_ctc_shape_errors():
    with pytest.raises(ValueError, match="y_true"):
        losses.ctc(np.zeros((2,), "int32"), np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="y_pred"):
        losses.ctc(np.zeros((2, 3), "int32"), np.zeros((2, 4), "float32"))


def test_circle_function_matches_keras():
    y, emb = ARR["circle/y_true"], ARR["circle/y_pred"]
    np.testing.assert_allclose(losses.circle(y, emb), ARR["circle/fn"], rtol=2e-6)
    np.testing.assert_allclose(
        losses.circle(y, emb, gamma=10, margin=0.25, remove_diagonal=False),
        ARR["circle/fn_gamma"], rtol=2e-6)
    np.testing.assert_allclose(
        losses.circle(y, emb, ref_labels=ARR["circle/ref_labels"],
                      ref_embeddings=ARR["circle/ref_embeddings"]),
        ARR["circle/fn_ref"], rtol=2e-6)


@pytest.mark.parametrize("key", sorted(REF["losses"]["circle"]["class"]))
def test_circle_class_matches_keras(key):
    reduction, kwargs_name = key.split("/")[:2]
    kwargs = {} if kwargs_name == "default" else {"gamma": 16.0, "margin": 0.3}
    sw = ARR["circle/sample_weight"] if key.endswith("weighted") else None
    got = losses.Circle(reduction=reduction, **kwargs)(ARR["circle/y_true"], ARR["circle/y_pred"],
                                                       sample_weight=sw)
    np.testing.assert_allclose(got, REF["losses"]["circle"]["class"][key], rtol=2e-6)


def test_circle_gradient_matches_keras():
    _, grad = _gradient(losses.Circle(gamma=16.0), ARR["circle/y_true"], ARR["circle/y_pred"])
    np.testing.assert_allclose(grad, ARR["circle/grad"], rtol=1e-5, atol=1e-6)
    assert np.all(np.isfinite(grad))


def test_configs_match_keras():
    assert losses.CTC().get_config() == REF["losses"]["ctc"]["config"]
    assert losses.Circle().get_config() == REF["losses"]["circle"]["config"]
    custom = losses.Circle(gamma=16.0, margin=0.3, remove_diagonal=False, reduction="sum",
                           name="c")
    assert custom.get_config() == REF["losses"]["circle"]["config_custom"]
    again = losses.Circle.from_config(custom.get_config())
    assert again.get_config() == custom.get_config()


def test_lookup_by_name():
    assert losses.get("ctc") is losses.ctc
    assert losses.get("circle") is losses.circle
    assert isinstance(losses.get("CTC"), losses.CTC)
    restored = losses.deserialize(losses.serialize(losses.Circle(gamma=8.0)))
    assert isinstance(restored, losses.Circle) and restored.gamma == 8.0


@pytest.mark.parametrize("name", ["CTC", "Circle", "ctc", "circle"])
def test_signature_matches_keras_listing(name):
    expected = LISTING["losses"][name]["parameters"]
    obj = getattr(losses, name)
    params = inspect.signature(obj).parameters.values()
    got = [[p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
           for p in params]
    assert got == expected


def test_ctc_trains_in_fit():
    from brickwork import layers
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 20, 6)).astype("float32")
    y = rng.integers(1, 8, size=(16, 5))
    y[:, 3:] = 0  # three labels per row, then padding
    model = brickwork.Sequential([layers.Input((20, 6)), layers.Dense(8)])
    model.compile(optimizer="adam", loss=losses.CTC())
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_the_configured_epsilon_clips_probabilities():
    """Losses read ``config.epsilon()`` when they run, as Keras's do."""
    import brickwork
    y_true, y_pred = np.array([[1.0]], "float32"), np.array([[0.0]], "float32")
    default = float(brickwork.losses.binary_crossentropy(y_true, y_pred)[0])
    previous = brickwork.config.epsilon()
    brickwork.config.set_epsilon(1e-3)
    try:
        coarse = float(brickwork.losses.binary_crossentropy(y_true, y_pred)[0])
    finally:
        brickwork.config.set_epsilon(previous)
    np.testing.assert_allclose([default, coarse], [-np.log(1e-7), -np.log(1e-3)], rtol=1e-3)


def test_labels_that_fit_the_other_crossentropy_name_it():
    import brickwork
    one_hot = np.eye(3, dtype="float32")[[0, 2, 1, 1]]
    probabilities = np.full((4, 3), 1 / 3, "float32")
    with pytest.raises(ValueError, match=r"one-hot labels do: use CategoricalCrossentropy "
                                         r"\(loss='categorical_crossentropy'\)"):
        brickwork.losses.SparseCategoricalCrossentropy()(one_hot, probabilities)
    for indices in (np.array([0, 2, 1, 1]), np.array([[0], [2], [1], [1]])):
        with pytest.raises(ValueError, match=r"look like class indices: use "
                                             r"SparseCategoricalCrossentropy.*num_classes=3"):
            brickwork.losses.CategoricalCrossentropy()(indices, probabilities)
    model = brickwork.Sequential([brickwork.Input((2,)), brickwork.layers.Dense(3, "softmax")])
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ValueError, match="SparseCategoricalCrossentropy"):
        model.fit(np.ones((4, 2), "float32"), np.array([0, 2, 1, 1]), verbose=0)
