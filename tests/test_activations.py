"""Activations: values against Keras 3.15 (torch backend), gradients by finite
differences, serialization, and the erf fallback against ``math.erf``."""
from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import reference as ref
from brickwork import GradientTape, Variable, activations, layers, ops
import brickwork

# Generated once with keras.activations (Keras 3.15.1, torch backend) on X in float64.
X = np.array([-4.0, -2.5, -1.2, -0.7, -0.3, 0.2, 0.6, 1.1, 2.4, 3.5, 6.5])
KERAS_VALUES = {
    'relu': [0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.6, 1.1, 2.4, 3.5, 6.5],
    'relu_slope': [-0.4, -0.25, -0.12, -0.06999999999999999, -0.03, 0.2, 0.6, 1.1, 2.4, 3.5, 6.5],
    'relu_max': [0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.6, 1.1, 2.0, 2.0, 2.0],
    'relu_thr': [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.6, 1.1, 2.4, 3.5, 6.5],
    'relu_all': [-0.45, -0.30000000000000004, -0.17, -0.12, -0.08000000000000002, -0.03, 0.6, 1.1, 2.0, 2.0, 2.0],
    'relu_negthr_max': [0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.6, 1.1, 2.4, 3.0, 3.0],
    'leaky_relu': [-0.8, -0.5, -0.24, -0.13999999999999999, -0.06, 0.2, 0.6, 1.1, 2.4, 3.5, 6.5],
    'relu6': [0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.6, 1.1, 2.4, 3.5, 6.0],
    'sigmoid': [0.01798620996209156, 0.07585818002124355, 0.23147521650098238, 0.3318122278318339, 0.425557483188341, 0.549833997312478, 0.6456563062257954, 0.7502601055951177, 0.9168273035060777, 0.9706877692486436, 0.998498817743263],
    'tanh': [-0.999329299739067, -0.9866142981514303, -0.8336546070121552, -0.6043677771171635, -0.2913126124515909, 0.197375320224904, 0.5370495669980353, 0.8004990217606297, 0.9836748576936802, 0.9981778976111987, 0.9999954793514042],
    'elu': [-0.9816843611112658, -0.9179150013761012, -0.6988057880877979, -0.5034146962085905, -0.2591817793182821, 0.2, 0.6, 1.1, 2.4, 3.5, 6.5],
    'elu_a': [-0.4908421805556329, -0.4589575006880506, -0.34940289404389896, -0.25170734810429524, -0.12959088965914106, 0.2, 0.6, 1.1, 2.4, 3.5, 6.5],
    'selu': [-1.7258986281898945, -1.6137857588732423, -1.2285699954174891, -0.8850530455772052, -0.45566731537912203, 0.2101401974710961, 0.6304205924132883, 1.1557710860910286, 2.521682369653153, 3.677453455744182, 6.829556417810623],
    'celu': [-0.9816843611112658, -0.9179150013761012, -0.6988057880877979, -0.5034146962085905, -0.2591817793182821, 0.2, 0.6, 1.1, 2.4, 3.5, 6.5],
    'celu_a': [-1.7293294335267746, -1.4269904062796197, -0.9023767278119471, -0.5906238205625731, -0.2785840471498844, 0.2, 0.6, 1.1, 2.4, 3.5, 6.5],
    'gelu': [-0.00012668496733247991, -0.015524163314440398, -0.13808360426604993, -0.16937455655615108, -0.1146265733433142, 0.11585194188782061, 0.43544812934995586, 0.9507673329589791, 2.380325913780969, 3.4991857982233756, 6.49999999973896],
    'gelu_approx': [-7.024594819227126e-05, -0.015084266089998577, -0.13829723086213513, -0.16942986529488321, -0.11462907645724074, 0.11585142978210627, 0.43541519923081473, 0.9505810461745109, 2.3807231538443983, 3.499383802344626, 6.499999999999372],
    'softplus': [0.018149927917809738, 0.07888973429254963, 0.26328246733803123, 0.4031860488854579, 0.5543552444685271, 0.7981388693815918, 1.0374879504858856, 1.3873353251154308, 2.4868361521539497, 3.5297504182726205, 6.501502310159754],
    'softsign': [-0.8, -0.7142857142857143, -0.5454545454545454, -0.4117647058823529, -0.23076923076923075, 0.16666666666666669, 0.37499999999999994, 0.5238095238095238, 0.7058823529411765, 0.7777777777777778, 0.8666666666666667],
    'silu': [-0.07194483984836623, -0.18964545005310887, -0.2777702598011788, -0.2322685594822837, -0.1276672449565023, 0.1099667994624956, 0.3873937837354772, 0.8252861161546294, 2.200385528414586, 3.3974071923702525, 6.490242315331209],
    'hard_sigmoid': [0.0, 0.08333333333333333, 0.3, 0.3833333333333333, 0.45, 0.5333333333333333, 0.6, 0.6833333333333332, 0.9, 1.0, 1.0],
    'hard_silu': [-0.0, -0.20833333333333334, -0.36000000000000004, -0.2683333333333333, -0.135, 0.10666666666666669, 0.36000000000000004, 0.7516666666666666, 2.16, 3.5, 6.5],
    'hard_tanh': [-1.0, -1.0, -1.0, -0.7, -0.3, 0.2, 0.6, 1.0, 1.0, 1.0, 1.0],
    'exponential': [0.01831563888873418, 0.0820849986238988, 0.30119421191220214, 0.4965853037914095, 0.7408182206817179, 1.2214027581601699, 1.8221188003905089, 3.0041660239464334, 11.023176380641601, 33.11545195869231, 665.1416330443618],
    'linear': [-4.0, -2.5, -1.2, -0.7, -0.3, 0.2, 0.6, 1.1, 2.4, 3.5, 6.5],
    'mish': [-0.07259174079202535, -0.19681620390653332, -0.3088357963148626, -0.267870234795501, -0.15113317713833455, 0.13259900186215923, 0.466136485694329, 0.9708415798947235, 2.367023175969308, 3.4939907151175196, 6.499970703939837],
    'log_sigmoid': [-4.0181499279178094, -2.5788897342925496, -1.4632824673380311, -1.103186048885458, -0.8543552444685272, -0.5981388693815918, -0.4374879504858857, -0.2873353251154308, -0.08683615215394969, -0.029750418272620566, -0.0015023101597542838],
    'soft_shrink': [-3.5, -2.0, -0.7, -0.19999999999999996, 0.0, 0.0, 0.09999999999999998, 0.6000000000000001, 1.9, 3.0, 6.0],
    'soft_shrink_1': [-3.0, -1.5, -0.19999999999999996, 0.0, 0.0, 0.0, 0.0, 0.10000000000000009, 1.4, 2.5, 5.5],
    'hard_shrink': [-4.0, -2.5, -1.2, -0.7, 0.0, 0.0, 0.6, 1.1, 2.4, 3.5, 6.5],
    'hard_shrink_1': [-4.0, -2.5, -1.2, 0.0, 0.0, 0.0, 0.0, 1.1, 2.4, 3.5, 6.5],
    'tanh_shrink': [-3.000670700260933, -1.5133857018485697, -0.36634539298784474, -0.09563222288283646, -0.008687387548409087, 0.002624679775096006, 0.06295043300196468, 0.2995009782393704, 1.4163251423063197, 2.501822102388801, 5.500004520648596],
    'threshold': [-1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 0.6, 1.1, 2.4, 3.5, 6.5],
    'sparse_plus': [0.0, 0.0, 0.0, 0.022500000000000006, 0.12249999999999998, 0.36, 0.6400000000000001, 1.1, 2.4, 3.5, 6.5],
    'sparse_sigmoid': [0.0, 0.0, 0.0, 0.15000000000000002, 0.35, 0.6, 0.8, 1.0, 1.0, 1.0, 1.0],
    'squareplus': [0.2360679774997898, 0.35078105935821213, 0.56619037896906, 0.7094810050208545, 0.8611874208078342, 1.104987562112089, 1.3440306508910551, 1.6912712210513328, 2.762049935181331, 3.7655644370746373, 6.650367627183861],
    'squareplus_1': [0.06155281280883029, 0.09629120178362593, 0.18102496759066544, 0.26032778078668517, 0.3720153254455275, 0.6099019513592785, 0.88309518948453, 1.2933034373659253, 2.5, 3.5700274723201293, 6.538236609491476],
    'softmax': [2.5546001746223072e-05, 0.00011448923681688507, 0.00042009497513046675, 0.0006926195212118419, 0.0010332669078122977, 0.001703569129220684, 0.0025414265011106476, 0.004190103930302127, 0.015374734388435906, 0.046188254676939974, 0.9277158947312732],
    'log_softmax': [-10.575029740987665, -9.075029740987665, -7.775029740987664, -7.275029740987664, -6.875029740987664, -6.375029740987664, -5.975029740987664, -5.475029740987664, -4.1750297409876636, -3.0750297409876644, -0.07502974098766416],
    'glu': [[-0.3034327200849742], [-0.3981746733982007], [-0.16495019919374337], [0.4501560633570706], [2.3296506461967446]],
    'glu_axis0': [[-2.199335989249912, -1.6141407655644886, -0.9003121267141412, -0.6417791124542543, -0.29120633077459307]],
    'softmax_axis0': [[0.014774031693273055, 0.043107254941086116, 0.09112296101485615, 0.04310725494108614, 0.021881270936130476], [0.9852259683067269, 0.9568927450589139, 0.9088770389851438, 0.9568927450589139, 0.9781187290638694]],
}

CALLS = {
    "relu": lambda x: activations.relu(x),
    "relu_slope": lambda x: activations.relu(x, negative_slope=0.1),
    "relu_max": lambda x: activations.relu(x, max_value=2.0),
    "relu_thr": lambda x: activations.relu(x, threshold=0.5),
    "relu_all": lambda x: activations.relu(x, negative_slope=0.1, max_value=2.0, threshold=0.5),
    "relu_negthr_max": lambda x: activations.relu(x, max_value=3.0, threshold=-1.0),
    "leaky_relu": activations.leaky_relu, "relu6": activations.relu6,
    "sigmoid": activations.sigmoid, "tanh": activations.tanh, "elu": activations.elu,
    "elu_a": lambda x: activations.elu(x, alpha=0.5), "selu": activations.selu,
    "celu": activations.celu, "celu_a": lambda x: activations.celu(x, alpha=2.0),
    "gelu": activations.gelu, "gelu_approx": lambda x: activations.gelu(x, approximate=True),
    "softplus": activations.softplus, "softsign": activations.softsign,
    "silu": activations.silu, "hard_sigmoid": activations.hard_sigmoid,
    "hard_silu": activations.hard_silu, "hard_tanh": activations.hard_tanh,
    "exponential": activations.exponential, "linear": activations.linear,
    "mish": activations.mish, "log_sigmoid": activations.log_sigmoid,
    "soft_shrink": activations.soft_shrink,
    "soft_shrink_1": lambda x: activations.soft_shrink(x, threshold=1.0),
    "hard_shrink": activations.hard_shrink,
    "hard_shrink_1": lambda x: activations.hard_shrink(x, threshold=1.0),
    "tanh_shrink": activations.tanh_shrink,
    "threshold": lambda x: activations.threshold(x, 0.5, -1.0),
    "sparse_plus": activations.sparse_plus, "sparse_sigmoid": activations.sparse_sigmoid,
    "squareplus": activations.squareplus, "squareplus_1": lambda x: activations.squareplus(x, b=1),
    "softmax": activations.softmax, "log_softmax": activations.log_softmax,
    "glu": lambda x: activations.glu(x.reshape(5, 2)),
    "glu_axis0": lambda x: activations.glu(x.reshape(2, 5), axis=0),
    "softmax_axis0": lambda x: activations.softmax(x.reshape(2, 5), axis=0),
}

#: Keras' keras.activations.ALL_OBJECTS_DICT keys in 3.15.
KERAS_NAMES = {
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
    "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh",
    "tanh_shrink", "threshold",
}


def N(a):
    return ops.convert_to_numpy(a)


def _input(case):
    return X[:10] if case in ("glu", "glu_axis0", "softmax_axis0") else X


@pytest.mark.parametrize("case", sorted(KERAS_VALUES))
def test_values_match_keras(backend_name, case):
    x = _input(case)
    want = np.asarray(KERAS_VALUES[case])
    got64 = N(CALLS[case](ops.convert_to_tensor(x, "float64")))
    assert got64.dtype == np.float64
    assert_allclose(got64, want, rtol=1e-7, atol=1e-12)
    got32 = N(CALLS[case](ops.convert_to_tensor(x, "float32")))
    assert got32.dtype == np.float32, case
    assert_allclose(got32, want, rtol=2e-6, atol=1e-6)


def test_every_keras_name_is_there():
    assert KERAS_NAMES <= set(activations.ALL_OBJECTS_DICT)
    for name in KERAS_NAMES:
        assert activations.get(name) is activations.ALL_OBJECTS_DICT[name]


# Inputs away from every kink (0, +-0.5, +-1, thresholds) so differences are smooth.
SMOOTH = np.array([[-3.7, -2.2, -1.35, -0.8, -0.35, 0.15, 0.7, 1.3, 2.6, 4.1],
                   [-2.9, -1.6, -0.65, -0.2, 0.3, 0.85, 1.45, 1.9, 3.3, 5.2]])

GRADIENT_CASES = {name: fn for name, fn in CALLS.items()
                  if name not in ("glu", "glu_axis0", "softmax_axis0")}
GRADIENT_CASES.update({
    "glu": lambda x: activations.glu(x),
    "glu_axis0": lambda x: activations.glu(x, axis=0),
    "sparsemax": lambda x: activations.sparsemax(x),
    "sparsemax_axis0": lambda x: activations.sparsemax(x * 0.3, axis=0),
})


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_gradients_match_finite_differences(backend_name, case, rng):
    fn = GRADIENT_CASES[case]
    weights = rng.normal(size=N(fn(SMOOTH)).shape)
    variable = Variable(SMOOTH, dtype="float64")
    with GradientTape() as tape:
        loss = ops.sum(ops.multiply(fn(variable), ops.convert_to_tensor(weights)))
    (grad,) = tape.gradient(loss, [variable])

    def plain(a):
        return N(fn(ops.convert_to_tensor(a)))
    (want,) = ref.numerical_vjp(plain, [SMOOTH], weights)
    assert_allclose(N(grad), want, rtol=1e-6, atol=1e-8)


def test_sparsemax_projects_onto_the_simplex():
    # Hand-computed: for [0.5, 0.4] both are in the support, tau = (0.9 - 1) / 2.
    assert_allclose(N(activations.sparsemax(np.array([[0.5, 0.4], [1.0, 0.0]]))),
                    [[0.55, 0.45], [1.0, 0.0]])
    x = np.random.default_rng(1).normal(scale=2.0, size=(4, 7, 3))
    for axis in (-1, 1, 0):
        y = N(activations.sparsemax(x, axis=axis))
        assert_allclose(y.sum(axis=axis), 1.0)
        assert (y >= 0).all()
        # Euclidean projection: y = max(x - tau, 0) with one tau per slice.
        tau = np.where(y > 0, x - y, np.nan)
        spread = np.nanmax(tau, axis=axis) - np.nanmin(tau, axis=axis)
        assert np.all(spread < 1e-12)


def test_glu_rejects_an_odd_axis():
    with pytest.raises(ValueError, match="divisible by 2"):
        activations.glu(np.zeros((2, 3)))


def test_large_inputs_stay_finite():
    big = np.array([-90.0, -30.0, 30.0, 90.0], dtype="float32")
    for name in ("sigmoid", "softplus", "log_sigmoid", "mish", "gelu", "silu", "celu", "elu",
                 "selu", "softsign", "squareplus", "tanh_shrink", "sparse_plus"):
        y = N(activations.get(name)(big))
        assert np.isfinite(y).all(), name


# --- serialization -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(KERAS_NAMES - {"swish", "hard_swish"}))
def test_serialize_round_trip(name):
    fn = activations.get(name)
    assert activations.serialize(fn) == name
    assert activations.deserialize(name) is fn
    keras_form = {"module": "keras.activations", "class_name": "function", "config": name,
                  "registered_name": name}
    assert activations.deserialize(keras_form) is fn
    assert activations.get(keras_form) is fn


def test_get_aliases_none_and_errors():
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.get(None) is activations.linear
    assert activations.get(np.tanh) is np.tanh
    with pytest.raises(ValueError, match="Could not interpret activation"):
        activations.get("no_such_activation")
    with pytest.raises(ValueError, match="Could not interpret activation"):
        activations.get(3)
    with pytest.raises(ValueError, match="cannot be serialized"):
        activations.serialize(lambda x: x)


@pytest.mark.parametrize("name", ["gelu", "mish", "hard_tanh", "celu", "log_sigmoid",
                                  "sparsemax", "soft_shrink"])
def test_dense_with_activation_builds_symbolically_and_round_trips(name):
    inputs = brickwork.Input((4,))
    layer = layers.Dense(3, activation=name)
    assert tuple(layer(inputs).shape) == (None, 3)
    config = layer.get_config()
    assert config["activation"] == name
    clone = layers.Dense.from_config(config)
    assert clone.activation is activations.get(name)
    x = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    z = x @ N(layer.kernel) + N(layer.bias)
    assert_allclose(N(layer(x)), N(activations.get(name)(z)), rtol=1e-6)


# --- the erf used by gelu when SciPy is absent ---------------------------------------


def test_erf_fallback_matches_math_erf():
    from brickwork_numpy.kernels._special import erf_cody
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 0.46875, -4.0, 6.0, 30.0, 1e-30]])
    want = np.array([math.erf(v) for v in x])
    assert_allclose(erf_cody(x), want, rtol=1e-15, atol=3e-16)
    got32 = erf_cody(x.astype(np.float32))
    assert got32.dtype == np.float32
    assert np.max(np.abs(got32 - want)) < 3e-7
    assert np.isnan(erf_cody(np.array([np.nan]))).all()
    assert erf_cody(np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0]


def test_gelu_kernel_without_scipy(monkeypatch):
    from brickwork_numpy.kernels import _special
    monkeypatch.setattr(_special, "_scipy_erf", None)
    x = np.linspace(-5, 5, 101)
    assert_allclose(N(activations.gelu(x)), ref.gelu(x), rtol=1e-14, atol=1e-16)
