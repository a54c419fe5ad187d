"""Regularizers and constraints: values against Keras 3.15 (torch backend, on
float32 tensors), gradients by finite differences, configs, and their effect
in training (losses, activity regularization, constraints after each step)."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork
import reference as ref
from brickwork import GradientTape, Variable, constraints, layers, ops, optimizers, regularizers

W = np.array([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75], [-2.0, 0.5, 1.5], [0.3, -0.2, 0.1]])
KERAS_PENALTIES = {'l1': 1.0600000157952307, 'l2': 2.953, 'l1l2': 4.013, 'orth_rows': 0.1581651512052673, 'orth_cols': 0.14523131232386058}
KERAS_CONSTRAINED = {'max_norm': [[0.432742303681, -1.499999907019, 1.531398447679], [0.865484607363, 0.249999984503, -0.574274417879], [-1.730969214725, 0.499999969006, 1.148548835759], [0.259645382209, -0.199999987602, 0.076569922384]], 'max_norm_axis1': [[0.294174191169, -0.882522573506, 1.176696764675], [0.999999921554, 0.249999980388, -0.749999941165], [-1.176696764675, 0.294174191169, 0.882522573506], [0.299999919822, -0.199999946548, 0.099999973274]], 'non_neg': [[0.5, 0.0, 2.0], [1.0, 0.25, 0.0], [0.0, 0.5, 1.5], [0.30000001192092896, 0.0, 0.10000000149011612]], 'unit_norm': [[0.216371151841, -0.929813533424, 0.765699223839], [0.432742303681, 0.154968922237, -0.28713720894], [-0.865484607363, 0.309937844475, 0.574274417879], [0.129822691104, -0.12397513779, 0.038284961192]], 'min_max': [[0.466371141022, -1.499999907019, 1.765699185554], [0.932742282044, 0.249999984503, -0.662137194583], [-1.865484564088, 0.499999969006, 1.324274389166], [0.279822684613, -0.199999987602, 0.088284959278]], 'min_max_axis1': [[0.499999980388, -1.499999941165, 1.999999921554], [1.568928958029, 0.392232239507, -1.176696718521], [-1.999999921554, 0.499999980388, 1.499999941165], [1.603567022903, -1.069044681935, 0.534522340968]]}

REGULARIZERS = {
    "l1": lambda: regularizers.L1(0.1), "l2": lambda: regularizers.L2(0.2),
    "l1l2": lambda: regularizers.L1L2(0.1, 0.2),
    "orth_rows": lambda: regularizers.OrthogonalRegularizer(0.3),
    "orth_cols": lambda: regularizers.OrthogonalRegularizer(0.3, mode="columns"),
}
CONSTRAINTS = {
    "max_norm": lambda: constraints.MaxNorm(2.0),
    "max_norm_axis1": lambda: constraints.MaxNorm(1.5, axis=1),
    "non_neg": lambda: constraints.NonNeg(), "unit_norm": lambda: constraints.UnitNorm(),
    "min_max": lambda: constraints.MinMaxNorm(1.0, 2.0, rate=0.5),
    "min_max_axis1": lambda: constraints.MinMaxNorm(2.0, 3.0, axis=1),
}


def N(a):
    return ops.convert_to_numpy(a)


@pytest.mark.parametrize("case", sorted(REGULARIZERS))
def test_penalties_match_keras(case, backend_name):
    penalty = REGULARIZERS[case]()(ops.convert_to_tensor(W, "float32"))
    assert_allclose(float(N(penalty)), KERAS_PENALTIES[case], rtol=2e-6)


@pytest.mark.parametrize("case", sorted(REGULARIZERS))
def test_penalty_gradients_match_finite_differences(case, backend_name):
    regularizer = REGULARIZERS[case]()
    variable = Variable(W, dtype="float64")
    with GradientTape() as tape:
        penalty = regularizer(variable)
    (grad,) = tape.gradient(penalty, [variable])
    want = ref.numerical_gradient(lambda a: N(regularizer(ops.convert_to_tensor(a))), W)
    assert_allclose(N(grad), want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", sorted(CONSTRAINTS))
def test_constraints_match_keras(case, backend_name):
    projected = CONSTRAINTS[case]()(ops.convert_to_tensor(W, "float32"))
    assert N(projected).dtype == np.float32
    assert_allclose(N(projected), KERAS_CONSTRAINED[case], rtol=2e-6, atol=1e-7)


def test_constraint_norms():
    w = np.random.default_rng(0).normal(size=(5, 4)) * 3
    assert np.all(np.linalg.norm(N(constraints.MaxNorm(1.0)(w)), axis=0) <= 1.0 + 1e-6)
    assert_allclose(np.linalg.norm(N(constraints.UnitNorm(axis=1)(w)), axis=1), 1.0, rtol=1e-6)
    norms = np.linalg.norm(N(constraints.MinMaxNorm(2.0, 2.5)(w)), axis=0)
    assert np.all((norms >= 2.0 - 1e-6) & (norms <= 2.5 + 1e-6))


KERAS_REGULARIZER_CONFIGS = {
    regularizers.L1L2: {"l1": 0.0, "l2": 0.0},
    regularizers.L1: {"l1": 0.009999999776482582},
    regularizers.L2: {"l2": 0.01},
    regularizers.OrthogonalRegularizer: {"factor": 0.009999999776482582, "mode": "rows"},
}
KERAS_CONSTRAINT_CONFIGS = {
    constraints.MaxNorm: {"max_value": 2, "axis": 0},
    constraints.NonNeg: {},
    constraints.UnitNorm: {"axis": 0},
    constraints.MinMaxNorm: {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0},
}


@pytest.mark.parametrize("cls", list(KERAS_REGULARIZER_CONFIGS) + list(KERAS_CONSTRAINT_CONFIGS),
                         ids=lambda c: c.__name__)
def test_default_configs_match_keras_and_round_trip(cls):
    expected = {**KERAS_REGULARIZER_CONFIGS, **KERAS_CONSTRAINT_CONFIGS}[cls]
    obj = cls()
    assert obj.get_config() == expected
    module = regularizers if cls in KERAS_REGULARIZER_CONFIGS else constraints
    serialized = module.serialize(obj)
    assert serialized["module"] == f"keras.{module.__name__.split('.')[-1]}"
    assert serialized["class_name"] == cls.__name__
    rebuilt = module.get(serialized)
    assert type(rebuilt) is cls and rebuilt.get_config() == expected


def test_custom_configs_round_trip():
    for obj in (regularizers.L1L2(l1=0.5, l2=0.25), regularizers.L2(0.3),
                regularizers.OrthogonalRegularizer(0.5, mode="columns"),
                constraints.MaxNorm(3, axis=[0, 1]), constraints.MinMaxNorm(0.5, 2.0, 0.3, 1),
                constraints.UnitNorm(axis=-1)):
        module = regularizers if isinstance(obj, regularizers.Regularizer) else constraints
        rebuilt = module.deserialize(module.serialize(obj))
        assert type(rebuilt) is type(obj) and rebuilt.get_config() == obj.get_config()


def test_get_by_keras_names():
    assert type(regularizers.get("l1")) is regularizers.L1
    assert type(regularizers.get("L2")) is regularizers.L2
    assert type(regularizers.get("l1l2")) is regularizers.L1L2
    assert type(regularizers.get("l1_l2")) is regularizers.L1L2
    assert type(regularizers.get("orthogonal_regularizer")) is regularizers.OrthogonalRegularizer
    for name, cls in (("max_norm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
                      ("unit_norm", constraints.UnitNorm), ("min_max_norm", constraints.MinMaxNorm),
                      ("MaxNorm", constraints.MaxNorm)):
        assert type(constraints.get(name)) is cls
    assert regularizers.get(None) is None and constraints.get(None) is None
    with pytest.raises(ValueError, match="Could not interpret"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="Could not interpret"):
        constraints.get(42)


def test_bad_regularizer_arguments():
    for bad in (-0.1, float("nan"), float("inf"), "0.1"):
        with pytest.raises(ValueError, match="expected a non-negative float"):
            regularizers.L1(bad)
    with pytest.raises(ValueError, match="Invalid value for argument `mode`"):
        regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="must have rank 2"):
        regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2)))
    assert regularizers.L1L2(l1=None, l2=None).get_config() == {"l1": 0.0, "l2": 0.0}


# --- in a model ---------------------------------------------------------------------


def dense_model(**dense_kwargs):
    model = brickwork.Sequential([layers.Input((3,)), layers.Dense(2, **dense_kwargs)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


def test_kernel_regularizer_adds_to_the_training_loss():
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    y = np.zeros((4, 2), "float32")
    model = dense_model(kernel_regularizer=regularizers.L2(0.5),
                        bias_regularizer=regularizers.L1(0.25),
                        bias_initializer="ones")
    kernel = model.layers[0].kernel.numpy()
    penalty = 0.5 * np.sum(kernel.astype(np.float64) ** 2) + 0.25 * 2
    assert_allclose(sum(float(N(loss)) for loss in model.losses), penalty, rtol=1e-6)
    mse = np.mean((x @ kernel + 1.0) ** 2)
    loss = model.train_on_batch(x, y)
    assert_allclose(float(np.ravel(loss)[0]), mse + penalty, rtol=1e-5)


def test_activity_regularizer_adds_a_batch_averaged_loss():
    layer = layers.Dense(2, activity_regularizer=regularizers.L1(0.1), kernel_initializer="ones")
    x = np.arange(12, dtype="float32").reshape(4, 3)
    y = N(layer(x))
    assert len(layer.losses) == 1
    assert_allclose(float(N(layer.losses[0])), 0.1 * np.abs(y).sum() / 4, rtol=1e-6)
    assert layer.get_config()["activity_regularizer"]["class_name"] == "L1"


def test_constraints_apply_after_each_training_step():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = 10 * rng.normal(size=(16, 2)).astype("float32")
    model = dense_model(kernel_constraint=constraints.MaxNorm(0.5),
                        bias_constraint=constraints.NonNeg())
    norms_seen = []
    for _ in range(3):
        model.train_on_batch(x, y)
        norms_seen.append(np.linalg.norm(model.layers[0].kernel.numpy(), axis=0))
        assert (model.layers[0].bias.numpy() >= 0).all()
    assert np.all(np.concatenate(norms_seen) <= 0.5 + 1e-6)
